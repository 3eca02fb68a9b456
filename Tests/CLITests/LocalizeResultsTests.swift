import Foundation
import Testing

/// `keypoints localize --out FILE`: each photo's answer appended as it is found, the same
/// command resuming from the file, shards, folders of photos, and outputs that would overwrite
/// an input or each other refused before any work. With the tiny random CLIP: the answers are
/// meaningless, so these tests check the contract (the same answers resumed as computed).
@Suite struct LocalizeResultsTests {
    static var model: String { LocalizeCommandTests.model }

    struct Record: Decodable, Equatable {
        struct Keypoint: Decodable, Equatable {
            let name: String
            let x: Double
            let y: Double
            let score: Float
        }
        let path: String
        let passes: Int
        let keypoints: [Keypoint]
    }

    struct Output: Decodable {
        let images: [Record]
    }

    /// A folder with three photos (two JPEGs and a PNG) and the results file's path.
    func photoFolder() throws -> (dir: URL, photos: URL) {
        let dir = try CLIRunner.tempDirectory()
        let photos = dir.appendingPathComponent("photos")
        try FileManager.default.createDirectory(at: photos, withIntermediateDirectories: true)
        let fixtures = CLIRunner.clipFixtures.appendingPathComponent("images")
        for name in ["bird.jpg", "cow.jpg"] {
            try FileManager.default.copyItem(
                at: fixtures.appendingPathComponent(name), to: photos.appendingPathComponent(name))
        }
        try FileManager.default.copyItem(
            at: CLIRunner.repositoryRoot.appendingPathComponent("examples/faces/000000.png"),
            to: photos.appendingPathComponent("face.png"))
        try Data("not a photo".utf8).write(to: photos.appendingPathComponent("notes.txt"))
        return (dir, photos)
    }

    func localize(_ arguments: [String], in dir: URL) throws -> CLIRunner.Result {
        try CLIRunner.run(
            ["localize"] + arguments + [
                "--model", Self.model, "--keypoint", "beak", "--keypoint", "eye", "--grid", "fast",
            ],
            cwd: dir)
    }

    /// The image records of a results file, after checking its header line.
    func records(_ url: URL) throws -> [Record] {
        let lines = try String(contentsOf: url, encoding: .utf8).split(separator: "\n")
        let header = try #require(lines.first)
        #expect(header.contains("\"format\":\"keypoints-localize-results\""))
        #expect(header.contains("\"type\":\"header\""))
        return try lines.dropFirst().map { try JSONDecoder().decode(Record.self, from: Data($0.utf8)) }
    }

    @Test func aFolderIsItsPhotosInNameOrderAndEachIsRecorded() throws {
        let (dir, _) = try photoFolder()
        let run = try localize(["photos", "--out", "r.jsonl", "--json"], in: dir)
        #expect(run.status == 0, "\(run.stderr)")
        let printed = try JSONDecoder().decode(Output.self, from: run.stdoutData).images
        #expect(printed.map(\.path) == ["photos/bird.jpg", "photos/cow.jpg", "photos/face.png"])
        let recorded = try records(dir.appendingPathComponent("r.jsonl"))
        #expect(recorded == printed)
        #expect(recorded.allSatisfy { $0.passes > 0 && $0.keypoints.count == 2 })
    }

    @Test func theSameCommandResumesAndATornLastLineIsRedone() throws {
        let (dir, _) = try photoFolder()
        let out = dir.appendingPathComponent("r.jsonl")
        let first = try localize(["photos", "--out", "r.jsonl", "--json"], in: dir)
        #expect(first.status == 0, "\(first.stderr)")
        let expected = try JSONDecoder().decode(Output.self, from: first.stdoutData).images

        // Rerun: every photo is answered from the file; nothing is appended.
        let before = try Data(contentsOf: out)
        let again = try localize(["photos", "--out", "r.jsonl", "--json"], in: dir)
        #expect(again.status == 0, "\(again.stderr)")
        #expect(again.stderr.contains("3 of 3 photos already done"), "\(again.stderr)")
        #expect(try JSONDecoder().decode(Output.self, from: again.stdoutData).images == expected)
        #expect(try Data(contentsOf: out) == before)

        // A run killed while writing its last record: that photo is redone, the others kept.
        try before.dropLast(25).write(to: out)
        let resumed = try localize(["photos", "--out", "r.jsonl", "--json"], in: dir)
        #expect(resumed.status == 0, "\(resumed.stderr)")
        #expect(resumed.stderr.contains("interrupted write"), "\(resumed.stderr)")
        #expect(resumed.stderr.contains("2 of 3 photos already done"), "\(resumed.stderr)")
        #expect(try JSONDecoder().decode(Output.self, from: resumed.stdoutData).images == expected)
        #expect(try records(out) == expected)

        // Photos named another way (absolute paths) are the same photos.
        let absolute = try localize([dir.appendingPathComponent("photos/cow.jpg").path, "--out", "r.jsonl"], in: dir)
        #expect(absolute.status == 0, "\(absolute.stderr)")
        #expect(absolute.stderr.contains("1 of 1 photos already done"), "\(absolute.stderr)")
        #expect(try records(out).count == 3)
    }

    @Test func otherSettingsAreRefusedNamingTheDifference() throws {
        let (dir, _) = try photoFolder()
        #expect(try localize(["photos/bird.jpg", "--out", "r.jsonl"], in: dir).status == 0)
        let before = try Data(contentsOf: dir.appendingPathComponent("r.jsonl"))
        let other = try CLIRunner.run(
            ["localize", "photos/bird.jpg", "--model", Self.model, "--keypoint", "beak", "--out", "r.jsonl"], cwd: dir)
        #expect(other.status != 0)
        // Each recorded photo is checked against the keypoints asked for before any model is loaded.
        #expect(
            other.stderr.contains("photos/bird.jpg was recorded with the keypoints beak, eye, this run asks for beak"),
            "\(other.stderr)")
        let grid = try localize(["photos/bird.jpg", "--out", "r.jsonl", "--marker", "cross"], in: dir)
        #expect(grid.status != 0)
        #expect(grid.stderr.contains("visual_prompt"), "\(grid.stderr)")
        #expect(try Data(contentsOf: dir.appendingPathComponent("r.jsonl")) == before)
    }

    @Test func shardsPartitionThePhotosAndTogetherEqualTheWholeRun() throws {
        let (dir, _) = try photoFolder()
        let whole = try localize(["photos", "--json"], in: dir)
        #expect(whole.status == 0, "\(whole.stderr)")
        let expected = try JSONDecoder().decode(Output.self, from: whole.stdoutData).images
        var shards: [Record] = []
        for i in 0..<2 {
            let run = try localize(["photos", "--shard", "\(i)/2", "--out", "r-{shard}.jsonl"], in: dir)
            #expect(run.status == 0, "\(run.stderr)")
            shards += try records(dir.appendingPathComponent("r-\(i).jsonl"))
        }
        #expect(shards.map(\.path).sorted() == expected.map(\.path).sorted())
        for r in shards { #expect(expected.first { $0.path == r.path } == r) }
        // --shard auto from a Slurm array task.
        let auto = try CLIRunner.run(
            [
                "localize", "photos", "--model", Self.model, "--keypoint", "beak", "--keypoint", "eye", "--shard",
                "auto",
                "--out", "a-{shard}.jsonl",
            ],
            cwd: dir, environment: ["SLURM_ARRAY_TASK_ID": "2", "SLURM_ARRAY_TASK_COUNT": "3"])
        #expect(auto.status == 0, "\(auto.stderr)")
        #expect(try records(dir.appendingPathComponent("a-2.jsonl")).map(\.path) == ["photos/face.png"])
    }

    @Test func outputsThatWouldOverwriteAPhotoOrEachOtherAreRefusedBeforeAnyWork() throws {
        let (dir, photos) = try photoFolder()
        let bird = photos.appendingPathComponent("bird.jpg")
        let original = try Data(contentsOf: bird)
        let cases: [([String], String)] = [
            (["--overlay", "photos/bird.jpg"], "--overlay"),
            (["--scores", "photos/bird.jpg"], "--scores"),
            (["--out", "photos/bird.jpg"], "--out"),
        ]
        for (extra, option) in cases {
            let run = try localize(["photos/bird.jpg"] + extra, in: dir)
            #expect(run.status != 0, "\(extra)")
            #expect(run.stderr.contains("\(option) "), "\(run.stderr)")
            #expect(run.stderr.contains("is the input photo photos/bird.jpg"), "\(run.stderr)")
        }
        // One keypoint: its heatmap file needs no {keypoint}.
        let heatmap = try CLIRunner.run(
            [
                "localize", "photos/bird.jpg", "--model", Self.model, "--keypoint", "beak", "--heatmap",
                "photos/bird.jpg",
            ],
            cwd: dir)
        #expect(heatmap.status != 0)
        #expect(heatmap.stderr.contains("--heatmap "), "\(heatmap.stderr)")
        #expect(heatmap.stderr.contains("is the input photo photos/bird.jpg"), "\(heatmap.stderr)")
        let named = try localize(["photos/bird.jpg", "photos/cow.jpg", "--overlay", "photos/{name}.jpg"], in: dir)
        #expect(named.status != 0)
        #expect(named.stderr.contains("is the input photo"), "\(named.stderr)")
        let twice = try localize(["photos/bird.jpg", "--overlay", "x.png", "--montage", "x.png"], in: dir)
        #expect(twice.status != 0)
        #expect(twice.stderr.contains("--overlay and --montage would both write"), "\(twice.stderr)")
        #expect(try Data(contentsOf: bird) == original)
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("x.png").path))
    }

    @Test func badPhotoListsAreOneLineErrors() throws {
        let (dir, _) = try photoFolder()
        try FileManager.default.createDirectory(
            at: dir.appendingPathComponent("empty"), withIntermediateDirectories: true)
        let empty = try localize(["empty"], in: dir)
        #expect(empty.status != 0)
        #expect(empty.stderr.contains("empty: a folder with no photos"), "\(empty.stderr)")
        let twice = try localize(["photos", "photos/bird.jpg", "--out", "r.jsonl"], in: dir)
        #expect(twice.status != 0)
        #expect(twice.stderr.contains("photo photos/bird.jpg is given twice"), "\(twice.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("r.jsonl").path))
        let placeholder = try localize(["photos", "--out", "r-{shard}.jsonl"], in: dir)
        #expect(placeholder.status != 0)
        #expect(placeholder.stderr.contains("no --shard is given"), "\(placeholder.stderr)")
    }

    /// Fresh-eyes findings: `--overlay DIR` for one photo (it was refused for one and accepted for
    /// several), and `--json` recording fit, box and mask.
    @Test func anOverlayFolderServesOnePhotoAndJSONRecordsTheGeometry() throws {
        let (dir, _) = try photoFolder()
        let run = try CLIRunner.run(
            [
                "localize", "photos/bird.jpg", "--model", Self.model, "--keypoint", "beak", "--overlay", "figures/",
                "--box", "10,10,100,80", "--fit", "stretch", "--json",
            ], cwd: dir)
        #expect(run.status == 0, "\(run.stderr)")
        #expect(FileManager.default.fileExists(atPath: dir.appendingPathComponent("figures/bird_overlay.png").path))
        let json = try #require(try JSONSerialization.jsonObject(with: run.stdoutData) as? [String: Any])
        #expect(json["fit"] as? String == "stretch")
        #expect(json["box"] as? [Double] == [10, 10, 100, 80])
        #expect(json["crop_to_box"] as? Bool == false)
        #expect(json["mask"] as? String == "none")
        let twice = try CLIRunner.run(
            ["localize", "photos/bird.jpg", "--model", Self.model, "--keypoint", "beak", "--keypoint", "Beak"], cwd: dir
        )
        #expect(twice.status != 0)
        #expect(twice.stderr.contains("keypoint \"Beak\" is asked for twice (keypoints 1 and 2)"), "\(twice.stderr)")
    }

    /// `--boxes FILE.csv`: each photo its own box (crop, mask, record); every photo needs a row.
    @Test func boxesGiveEachPhotoItsOwnBox() throws {
        let (dir, _) = try photoFolder()
        try Data("image,x,y,w,h\nphotos/bird.jpg,10,10,100,80\nphotos/cow.jpg,0,0,60,50\n".utf8)
            .write(to: dir.appendingPathComponent("boxes.csv"))
        let run = try localize(
            ["photos/bird.jpg", "photos/cow.jpg", "--boxes", "boxes.csv", "--crop-to-box", "--out", "r.jsonl"],
            in: dir)
        #expect(run.status == 0, "\(run.stderr)")
        let lines = try String(contentsOf: dir.appendingPathComponent("r.jsonl"), encoding: .utf8)
            .split(separator: "\n")
        #expect(lines[0].contains(#""box":"per photo (--boxes)""#))
        struct Boxed: Decodable {
            let path: String
            let box: [Double]
            let keypoints: [Record.Keypoint]
        }
        let records = try lines.dropFirst().map { try JSONDecoder().decode(Boxed.self, from: Data($0.utf8)) }
        #expect(records.map(\.box) == [[10, 10, 100, 80], [0, 0, 60, 50]])
        // Cropped to the box: every answer lies inside its photo's box.
        for r in records {
            for k in r.keypoints {
                #expect(k.x >= r.box[0] && k.x <= r.box[0] + r.box[2], "\(r.path) \(k.name)")
                #expect(k.y >= r.box[1] && k.y <= r.box[1] + r.box[3], "\(r.path) \(k.name)")
            }
        }
        let missing = try localize(["photos", "--boxes", "boxes.csv"], in: dir)
        #expect(missing.status != 0)
        #expect(missing.stderr.contains("--boxes boxes.csv: no row for the photo photos/face.png"), "\(missing.stderr)")
        let both = try localize(["photos/bird.jpg", "--boxes", "boxes.csv", "--box", "1,1,5,5"], in: dir)
        #expect(both.status != 0)
        #expect(both.stderr.contains("not both"), "\(both.stderr)")
        // A box outside its photo is refused before any work, naming the photo.
        try Data("image,x,y,w,h\nphotos/bird.jpg,150,10,100,80\n".utf8).write(to: dir.appendingPathComponent("out.csv"))
        let outside = try localize(["photos/bird.jpg", "--boxes", "out.csv"], in: dir)
        #expect(outside.status != 0)
        #expect(outside.stderr.contains("photos/bird.jpg"), "\(outside.stderr)")
    }

    // MARK: - Review findings

    /// A resumed run from another working directory: the file's records name their photos by
    /// absolute path, so another photo with the same relative path is computed, not answered
    /// with the recorded one, and the recorded photos named absolutely are not redone.
    @Test func resumingFromAnotherFolderMatchesPhotosByAbsolutePath() throws {
        let (dir, photos) = try photoFolder()
        #expect(try localize(["photos", "--out", "r.jsonl"], in: dir).status == 0)
        let other = dir.appendingPathComponent("other")
        try FileManager.default.createDirectory(
            at: other.appendingPathComponent("photos"), withIntermediateDirectories: true)
        try FileManager.default.copyItem(
            at: photos.appendingPathComponent("face.png"), to: other.appendingPathComponent("photos/bird.jpg.png"))
        try FileManager.default.copyItem(
            at: photos.appendingPathComponent("face.png"), to: other.appendingPathComponent("photos/cow.png"))
        let elsewhere = try localize(["photos/cow.png", "--out", "../r.jsonl"], in: other)
        #expect(elsewhere.status == 0, "\(elsewhere.stderr)")
        #expect(elsewhere.stderr.contains("0 of 1 photos already done"), "\(elsewhere.stderr)")
        let absolute = try localize([photos.path, "--out", dir.appendingPathComponent("r.jsonl").path], in: other)
        #expect(absolute.status == 0, "\(absolute.stderr)")
        #expect(absolute.stderr.contains("3 of 3 photos already done"), "\(absolute.stderr)")
        #expect(try records(dir.appendingPathComponent("r.jsonl")).count == 4)
    }

    /// --scores with --out writes one file per photo ({name}) as each is found, so an interrupted
    /// and resumed run keeps every photo's scores; one file for all is refused with --out, and
    /// with --shard needs {shard} (shards used to overwrite each other's).
    @Test func scoresSurviveResumeAndShards() throws {
        let (dir, _) = try photoFolder()
        let single = try localize(["photos", "--out", "r.jsonl", "--scores", "s.json"], in: dir)
        #expect(single.status != 0)
        #expect(single.stderr.contains("with --out: give a file name with {name}"), "\(single.stderr)")
        #expect(
            try localize(["photos/bird.jpg", "--out", "r.jsonl", "--scores", "sc/{name}.json"], in: dir).status == 0)
        let rest = try localize(["photos", "--out", "r.jsonl", "--scores", "sc/{name}.json"], in: dir)
        #expect(rest.status == 0, "\(rest.stderr)")
        for name in ["bird", "cow", "face"] {
            let data = try Data(contentsOf: dir.appendingPathComponent("sc/\(name).json"))
            let json = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
            let images = try #require(json["images"] as? [[String: Any]])
            #expect(
                images.count == 1
                    && (images[0]["path"] as? String) == "photos/\(name).\(name == "face" ? "png" : "jpg")")
        }
        let shardNoPlaceholder = try localize(["photos", "--shard", "0/2", "--scores", "s.json"], in: dir)
        #expect(shardNoPlaceholder.status != 0)
        #expect(shardNoPlaceholder.stderr.contains("put {shard} or {name} in it"), "\(shardNoPlaceholder.stderr)")
        for i in 0..<2 {
            #expect(try localize(["photos", "--shard", "\(i)/2", "--scores", "s-{shard}.json"], in: dir).status == 0)
        }
        #expect(FileManager.default.fileExists(atPath: dir.appendingPathComponent("s-0.json").path))
        #expect(FileManager.default.fileExists(atPath: dir.appendingPathComponent("s-1.json").path))
    }

    /// Not a results file, given as --out: refused, not truncated; --out in a missing folder is
    /// created; outputs may not overwrite the run's other inputs (mask, boxes).
    @Test func outGuardsAndOtherInputs() throws {
        let (dir, _) = try photoFolder()
        let notes = dir.appendingPathComponent("notes.json")
        try Data(#"{"images":[]}"#.utf8).write(to: notes)
        let wrong = try localize(["photos/bird.jpg", "--out", "notes.json"], in: dir)
        #expect(wrong.status != 0)
        #expect(wrong.stderr.contains("not a keypoints localize results file"), "\(wrong.stderr)")
        #expect(try String(contentsOf: notes, encoding: .utf8) == #"{"images":[]}"#)
        let nested = try localize(["photos/bird.jpg", "--out", "new/sub/r.jsonl"], in: dir)
        #expect(nested.status == 0, "\(nested.stderr)")
        #expect(try records(dir.appendingPathComponent("new/sub/r.jsonl")).count == 1)
        try Data("image,x,y,w,h\nphotos/bird.jpg,10,10,100,80\n".utf8).write(to: dir.appendingPathComponent("b.csv"))
        let boxes = try localize(["photos/bird.jpg", "--boxes", "b.csv", "--scores", "b.csv"], in: dir)
        #expect(boxes.status != 0)
        #expect(boxes.stderr.contains("is the input --boxes file"), "\(boxes.stderr)")
        // A box changed for a photo already in --out: refused, naming both boxes.
        #expect(try localize(["photos/bird.jpg", "--boxes", "b.csv", "--out", "bx.jsonl"], in: dir).status == 0)
        try Data("image,x,y,w,h\nphotos/bird.jpg,10,10,100,70\n".utf8).write(to: dir.appendingPathComponent("b.csv"))
        let moved = try localize(["photos/bird.jpg", "--boxes", "b.csv", "--out", "bx.jsonl"], in: dir)
        #expect(moved.status != 0)
        #expect(moved.stderr.contains("was localized in the box"), "\(moved.stderr)")
    }

    /// Returns once process `pid` is stopped (state T in /proc/PID/stat), or has ended.
    static func waitUntilStopped(_ pid: pid_t) {
        while let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")"),
            let state = stat[stat.index(after: close)...].split(separator: " ").first,
            !["T", "Z", "X"].contains(state)
        {
            usleep(1_000)
        }
    }

    /// Ctrl-C during `localize --out`: exit 130 and the number of photos the file holds (counted
    /// by reading the file a chunk at a time); the same command then resumes the rest.
    @Test func sigintSaysHowManyPhotosAreSaved() throws {
        let (dir, _) = try photoFolder()
        let out = dir.appendingPathComponent("r.jsonl")
        let arguments = [
            "localize", "photos", "--model", Self.model, "--keypoint", "beak", "--grid", "dense30", "--out", "r.jsonl",
            "--threads", "1",
        ]
        let p = CLIRunner.process(arguments, cwd: dir)
        let err = Pipe()
        p.standardOutput = FileHandle.nullDevice
        p.standardError = err
        try p.run()
        // Interrupt once the first photo's record is there (header + one line). The run is
        // stopped (SIGSTOP) while the file is looked at and the signal sent, so the run is where
        // the test saw it when the signal arrives, however long the test takes in between; it
        // once went on while the test was held up, finished all 3 photos and exited 0.
        let pid = p.processIdentifier
        var lines = 0
        while lines < 2 && p.isRunning {
            kill(pid, SIGSTOP)
            Self.waitUntilStopped(pid)
            lines = (try? String(contentsOf: out, encoding: .utf8))?.split(separator: "\n").count ?? 0
            if lines >= 2 { kill(pid, SIGINT) }
            kill(pid, SIGCONT)
            if lines < 2 { usleep(50_000) }
        }
        let text = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        #expect(p.terminationStatus == 130, "\(text)")
        let saved = try records(out).count
        #expect(saved >= 1 && saved < 3)
        #expect(text.contains("interrupted: r.jsonl holds \(saved) finished photo(s)"), "\(text)")
        let resumed = try CLIRunner.run(arguments, cwd: dir)
        #expect(resumed.status == 0, "\(resumed.stderr)")
        #expect(resumed.stderr.contains("\(saved) of 3 photos already done"), "\(resumed.stderr)")
        #expect(try records(out).count == 3)
    }
}
