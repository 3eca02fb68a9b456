import CLIP
import Foundation
import KeypointsSupport
import KeypointsTestSupport
import Testing

/// Text from outside files and from the command line reaches errors, warnings and tables escaped
/// (`displaySafe`): a name holding an ESC sequence, BEL, CR, a C1 control or a bidi override
/// prints as its visible escape, never raw, so it cannot rewrite the terminal or disguise a line.
@Suite struct TerminalTextTests {
    /// What a hostile file puts in a name: an OSC title sequence (ESC ] 0 ; ... BEL), a clear
    /// screen (ESC [ 2 J), a carriage return, the C1 CSI, a right-to-left override and an isolate.
    static let hostile = "\u{1B}]0;pwned\u{07}\u{1B}[2J\r\u{9B}\u{202E}\u{2066}"
    /// `hostile` as messages print it.
    static let escaped = #"\u{1B}]0;pwned\u{07}\u{1B}[2J\r\u{9B}\u{202E}\u{2066}"#

    /// Expects `text` (a run's stdout or stderr) to hold none of the escaped characters apart from
    /// the line feeds that end its lines, and to hold each of `forms`.
    static func expectSafe(
        _ text: String, holding forms: [String], sourceLocation: SourceLocation = #_sourceLocation
    ) {
        let raw = text.unicodeScalars.filter { $0 != "\n" && DisplaySafeText.isEscaped($0) }
        #expect(
            raw.isEmpty, "raw \(raw.map { "U+" + String($0.value, radix: 16) }) in: \(text.debugDescription)",
            sourceLocation: sourceLocation)
        for form in forms {
            #expect(text.contains(form), "missing \(form) in: \(text.debugDescription)", sourceLocation: sourceLocation)
        }
    }

    /// A tensor key the loader does not use is named in a warning on stderr.
    @Test func unusedTensorKeyIsEscapedInTheWarning() throws {
        let model = try Hostile.modelCopy()
        let url = model.appendingPathComponent("model.safetensors")
        let bytes = try Data(contentsOf: url)
        let headerLength = Int(bytes.prefix(8).withUnsafeBytes { $0.loadUnaligned(as: UInt64.self).littleEndian })
        var header = try #require(
            try JSONSerialization.jsonObject(with: bytes.subdata(in: 8..<(8 + headerLength))) as? [String: Any])
        var payload = bytes.subdata(in: (8 + headerLength)..<bytes.count)
        header["evil" + Self.hostile + "key"] = [
            "dtype": "F32", "shape": [1], "data_offsets": [payload.count, payload.count + 4],
        ]
        payload.append(Data(count: 4))
        try SafeTensorsWriter.write(header: header, data: payload, to: url)

        let r = try Hostile.run(["info", "--model", model.path])
        #expect(r.status == 0, "\(r.stderr)")
        Self.expectSafe(r.stderr, holding: ["warning: unused checkpoint tensor 'evil" + Self.escaped + "key'"])
        Self.expectSafe(r.stdout, holding: [])
    }

    /// A loader error names the key (here a tensor whose shape overflows).
    @Test func tensorKeyIsEscapedInTheLoaderError() throws {
        let model = try Hostile.modelCopy()
        try SafeTensorsWriter.write(
            header: [
                "logit" + Self.hostile: [
                    "dtype": "F32", "shape": [1 << 40, 1 << 40, 1 << 40], "data_offsets": [0, 4],
                ]
            ], data: Data(count: 4), to: model.appendingPathComponent("model.safetensors"))
        let r = try Hostile.run(["info", "--model", model.path])
        Hostile.expectOneLineError(r, ["model.safetensors", "logit" + Self.escaped])
        Self.expectSafe(r.stderr, holding: ["logit" + Self.escaped])
    }

    /// Category and keypoint names of a keypoint vocabulary, in the errors that list them.
    @Test func vocabularyNamesAreEscapedInErrors() throws {
        let dir = try Hostile.temporaryFolder()
        let vocabulary = dir.appendingPathComponent("hostile.json")
        let object: [String: Any] = [
            "name": "hostile", "description": "names with controls", "template": "This is the {part}",
            "categories": [["name": "bird" + Self.hostile, "keypoints": [["id": 1, "name": "beak" + Self.hostile]]]],
        ]
        try JSONSerialization.data(withJSONObject: object).write(to: vocabulary)
        let base = [
            "localize", Hostile.birdJPEG.path, "--model", Hostile.tinyModel.path, "--vocabulary", vocabulary.path,
        ]

        let category = try Hostile.run(base + ["--category", "nope"])
        Hostile.expectOneLineError(category, ["hostile.json", "unknown category \"nope\"", "bird" + Self.escaped])
        Self.expectSafe(category.stderr, holding: ["(known: bird" + Self.escaped + ")"])

        let keypoint = try Hostile.run(base + ["--only", "nope"])
        Hostile.expectOneLineError(keypoint, ["category \"bird" + Self.escaped + "\"", "beak" + Self.escaped])
        Self.expectSafe(keypoint.stderr, holding: ["(known: beak" + Self.escaped + ")"])
    }

    /// COCO category and keypoint names, in the table `eval` prints and in an error.
    @Test func cocoNamesAreEscapedInTheTableAndErrors() throws {
        let spair = Hostile.repositoryRoot.appendingPathComponent("Tests/EvaluationTests/Fixtures/spair/SPair-71k")
        let original = Hostile.repositoryRoot.appendingPathComponent("Tests/EvaluationTests/Fixtures/coco/dogs.json")
        let annotations = try Hostile.temporaryFolder().appendingPathComponent("dogs.json")
        try FileManager.default.copyItem(at: original, to: annotations)
        try Hostile.editJSON(annotations) { o in
            var categories = o["categories"] as? [[String: Any]] ?? []
            for i in categories.indices where categories[i]["name"] as? String == "dog" {
                categories[i]["name"] = "dog" + Self.hostile
                var names = categories[i]["keypoints"] as? [String] ?? []
                if let nose = names.firstIndex(of: "nose") { names[nose] = "nose" + Self.hostile }
                categories[i]["keypoints"] = names
            }
            o["categories"] = categories
        }
        let arguments = [
            "eval", "--dataset", "coco", "--root", annotations.path, "--images",
            spair.appendingPathComponent("JPEGImages/dog").path, "--method", "random",
        ]
        let table = try KeypointsExecutable.run(arguments, cwd: Hostile.repositoryRoot)
        #expect(table.status == 0, "\(table.stderr)")
        // The table cuts names at 36 characters (after escaping, so the widths count the escapes),
        // between escapes: `\r` would end at column 34, past the 33 before "...", so it goes whole.
        Self.expectSafe(
            table.stdout, holding: [#"dog\u{1B}]0;pwned\u{07}\u{1B}[2J...  "#, #"nose\u{1B}]0;pwned\u{07}"#])
        Self.expectSafe(table.stderr, holding: [])

        let unknown = try Hostile.run(arguments + ["--categories", "nope"])
        Hostile.expectOneLineError(unknown, ["unknown category \"nope\"", "dog" + Self.escaped])
        Self.expectSafe(unknown.stderr, holding: [])
    }

    /// A `--boxes` CSV field, quoted in the error about it.
    @Test func boxesFieldIsEscapedInTheError() throws {
        let boxes = try Hostile.temporaryFolder().appendingPathComponent("boxes.csv")
        try Data("image,x,y,w,h\nbird.jpg,4\(Self.hostile)0,30,40,30\n".utf8).write(to: boxes)
        let r = try Hostile.run([
            "localize", Hostile.birdJPEG.path, "--model", Hostile.tinyModel.path, "--keypoint", "beak", "--boxes",
            boxes.path,
        ])
        Hostile.expectOneLineError(r, ["boxes.csv line 2", "x \"4" + Self.escaped + "0\": expected a finite number"])
        Self.expectSafe(r.stderr, holding: [])
    }

    /// A photo whose file name holds a line feed and an ESC sequence, and a free-text keypoint
    /// with controls: the table `localize` prints, then the table `report` prints from the
    /// results file those names were written to (JSON keeps them as they are).
    @Test func photoPathAndKeypointNamesAreEscapedInTables() throws {
        let dir = try Hostile.temporaryFolder()
        let photo = dir.appendingPathComponent("bi\nrd\u{1B}[2J.jpg")
        try FileManager.default.copyItem(at: Hostile.birdJPEG, to: photo)
        let results = dir.appendingPathComponent("results.jsonl")
        let keypoint = "beak" + Self.hostile
        let localize = try KeypointsExecutable.run(
            [
                "localize", photo.path, "--model", Hostile.tinyModel.path, "--keypoint", keypoint, "--grid", "dense30",
                "--out", results.path,
            ], cwd: Hostile.repositoryRoot)
        #expect(localize.status == 0, "\(localize.stderr)")
        let path = #"bi\nrd\u{1B}[2J.jpg"#
        Self.expectSafe(localize.stdout, holding: [path + " (160x120)", "  beak" + Self.escaped + " "])
        Self.expectSafe(localize.stderr, holding: [])
        // The results file keeps the names (JSON escapes the controls its own way).
        let text = try String(contentsOf: results, encoding: .utf8)
        #expect(text.contains(#"beak\u001b]0;pwned\u0007"#), "\(text)")

        let report = try KeypointsExecutable.run(["report", results.path], cwd: Hostile.repositoryRoot)
        #expect(report.status == 0, "\(report.stderr)")
        Self.expectSafe(report.stdout, holding: [path + "  beak" + Self.escaped])
        Self.expectSafe(report.stderr, holding: [])
    }

    /// Paths given on the command line: a line feed in a file name stays inside the one error
    /// line, in errors of the commands, of their argument checks and of ArgumentParser.
    @Test func commandLineTextIsEscapedInErrors() throws {
        let dir = try Hostile.temporaryFolder()
        let missing = dir.appendingPathComponent("no\nsuch\u{1B}[2J.jsonl").path
        let report = try Hostile.run(["report", missing])
        Hostile.expectOneLineError(report, [#"no\nsuch\u{1B}[2J.jsonl: cannot read"#])
        Self.expectSafe(report.stderr, holding: [])

        let model = try Hostile.run(["info", "--model", dir.appendingPathComponent("mo\ndel\r").path])
        #expect(model.status != 0)
        Self.expectSafe(model.stderr, holding: [#"mo\ndel\r"#])

        // An argument check (ValidationError), then usage lines.
        let curve = try Hostile.run(["report", "--curve", "pck\n\(Self.hostile).txt", missing])
        #expect(curve.status == Hostile.usageError, "\(curve.stderr)")
        Self.expectSafe(curve.stderr, holding: [#"--curve pck\n"# + Self.escaped + ".txt: give a file ending in"])

        // ArgumentParser's own message, quoting the value it could not parse.
        let dataset = try Hostile.run(["eval", "--dataset", "coco" + Self.hostile, "--root", dir.path])
        #expect(dataset.status == Hostile.usageError, "\(dataset.stderr)")
        Self.expectSafe(dataset.stderr, holding: ["coco" + Self.escaped])

        // A line feed in the value ArgumentParser quotes stays in its one error line.
        for dataset in [["--dataset", "co\nco"], ["--dataset=co\nco"]] {
            let split = try Hostile.run(["eval"] + dataset + ["--root", dir.path])
            Hostile.expectOneLineError(split, [#"'co\nco' is invalid"#], status: Hostile.usageError)
            Self.expectSafe(split.stderr, holding: ["Usage:"])
        }

        // An unknown command, with the nearest one.
        let command = try Hostile.run(["report" + Self.hostile])
        #expect(command.status == Hostile.usageError, "\(command.stderr)")
        Self.expectSafe(command.stderr, holding: ["unknown command 'report" + Self.escaped + "'"])
    }

    /// An image that cannot be decoded, in a dataset folder whose name holds a line feed and an
    /// ESC sequence: the skip reason (`cannot decode: <path>: ...`) is written to the results file
    /// as it is (it was written escaped, `\n` as two characters, so `report --json` gave escapes of
    /// escapes), and `report` prints it escaped, once.
    @Test func skipReasonIsRawInTheResultsFileAndEscapedInTheReport() throws {
        let dir = try Hostile.temporaryFolder()
        let root = dir.appendingPathComponent("cu\nb" + Self.hostile)
        try FileManager.default.copyItem(at: Hostile.cub, to: root)
        let image = "images/032.Mangrove_Cuckoo/Mangrove_Cuckoo_0024_794630.jpg"
        try Data("not an image".utf8).write(to: root.appendingPathComponent(image))
        let results = dir.appendingPathComponent("results.jsonl")
        let eval = try KeypointsExecutable.run(
            [
                "eval", "--dataset", "cub", "--root", root.path, "--split", "all", "--method", "random", "--out",
                results.path,
            ],
            cwd: Hostile.repositoryRoot)
        #expect(eval.status == 0, "\(eval.stderr)")
        Self.expectSafe(eval.stdout, holding: [])
        Self.expectSafe(eval.stderr, holding: [])

        let rawReason = "cannot decode: \(root.path)/\(image): not a JPEG or PNG image"
        let lines = try String(contentsOf: results, encoding: .utf8).split(separator: "\n")
        let skipped = try lines.compactMap {
            try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }.filter { $0["type"] as? String == "skipped" }
        #expect(skipped.count == 1)
        let reason = try #require(skipped.first?["reason"] as? String)
        #expect(reason.hasPrefix(rawReason), "\(reason.debugDescription)")

        let table = try KeypointsExecutable.run(["report", results.path], cwd: Hostile.repositoryRoot)
        #expect(table.status == 0, "\(table.stderr)")
        Self.expectSafe(table.stdout, holding: [rawReason.displaySafe])
        Self.expectSafe(table.stderr, holding: [])

        let json = try KeypointsExecutable.run(["report", "--json", results.path], cwd: Hostile.repositoryRoot)
        #expect(json.status == 0, "\(json.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        let files = try #require(object["skipped_files"] as? [[String: Any]])
        #expect(files.map { $0["reason"] as? String } == [reason])
    }
}
