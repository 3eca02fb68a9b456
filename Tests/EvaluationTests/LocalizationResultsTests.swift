import Foundation
import Localization
import Testing

@testable import Evaluation

/// The `localize --out` file: parsing (torn tails, corrupt lines, bounds, duplicates) and the
/// store's resume rules, without the executable.
@Suite struct LocalizationResultsTests {
    static let header =
        #"{"created":"2026-11-30T00:00:00Z","format":"keypoints-localize-results","settings":{"grid":"/a/fast.json","model_sha256":"abc"},"type":"header","version":1}"#

    static func image(_ path: String, width: Int = 500, x: String = "10.5") -> String {
        #"{"type":"image","path":"\#(path)","file":"/data/\#(path)","width":\#(width),"height":375,"passes":148,"seconds":1.5,"keypoints":[{"name":"beak","prompt":"beak","x":\#(x),"y":20,"score":0.25,"stage":1}],"notes":[]}"#
    }

    static func parse(_ lines: String) throws -> LocalizationResultsFile {
        try LocalizationResultsFile.parse(Data(lines.utf8), file: "r.jsonl")
    }

    /// The message of the `badResultsFile` error parsing `lines` throws.
    static func failure(_ lines: String) -> String {
        do {
            _ = try parse(lines)
            return "(no error)"
        } catch {
            return "\(error)"
        }
    }

    @Test func readsHeaderAndRecords() throws {
        let file = try Self.parse(Self.header + "\n" + Self.image("a.jpg") + "\n" + Self.image("b.jpg") + "\n")
        #expect(file.header?.settings["model_sha256"] == "abc")
        #expect(file.images.map(\.value.path) == ["a.jpg", "b.jpg"])
        #expect(file.images.map(\.line) == [2, 3])
        #expect(file.images[0].value.keypoints[0].x == 10.5)
        #expect(file.tornTail == nil)
    }

    @Test func aTornLastLineIsReportedAndLeftOut() throws {
        let whole = Self.header + "\n" + Self.image("a.jpg") + "\n"
        let noNewline = try Self.parse(whole + Self.image("b.jpg"))
        #expect(noNewline.images.count == 1)
        #expect(noNewline.validLength == whole.utf8.count)
        #expect(noNewline.tornTail?.contains("line 3 has no newline") == true)
        let cut = try Self.parse(whole + String(Self.image("b.jpg").prefix(40)) + "\n")
        #expect(cut.images.count == 1)
        #expect(cut.tornTail?.contains("line 3 is not a complete JSON record") == true)
    }

    @Test func badLinesAreErrorsNamingFileAndLine() {
        #expect(
            Self.failure(Self.image("a.jpg") + "\n").contains("r.jsonl line 1: not a keypoints localize results file"))
        #expect(
            Self.failure("{}\n" + Self.image("a.jpg") + "\n").contains(
                "r.jsonl line 1: not a keypoints localize results file"))
        let evalHeader = Self.header.replacingOccurrences(
            of: "keypoints-localize-results", with: "keypoints-eval-results")
        #expect(
            Self.failure(evalHeader + "\n").contains(
                #"format "keypoints-eval-results", expected "keypoints-localize-results""#))
        #expect(
            Self.failure(Self.header + "\nnot json\n" + Self.image("a.jpg") + "\n").contains(
                "r.jsonl line 2: invalid record"))
        #expect(Self.failure(Self.header + "\n" + Self.header + "\n").contains("line 2: a second header line"))
        #expect(
            Self.failure(Self.header + "\n" + Self.image("a.jpg") + "\n" + Self.image("a.jpg") + "\n")
                .contains("line 3: /data/a.jpg is already recorded on line 2"))
        let future = Self.header.replacingOccurrences(of: #""version":1"#, with: #""version":2"#)
        #expect(Self.failure(future + "\n").contains("format version 2, expected 1"))
    }

    @Test func aKeypointNamedTwiceIsRefused() {
        let twice = Self.image("a.jpg").replacingOccurrences(
            of: #""stage":1}]"#, with: #""stage":1},{"name":"beak","prompt":"beak","x":1,"y":2,"score":0.5,"stage":1}]"#
        )
        #expect(twice != Self.image("a.jpg"))
        let e = Self.failure(Self.header + "\n" + twice + "\n")
        #expect(e.contains(#"r.jsonl line 2: keypoints[1].name "beak": also the name of keypoints[0]"#), "\(e)")
    }

    @Test func recordsOutOfBoundsAreRefused() {
        #expect(
            Self.failure(Self.header + "\n" + Self.image("a.jpg", width: 0) + "\n").contains("line 2: size 0x375"))
        #expect(
            Self.failure(Self.header + "\n" + Self.image("a.jpg", width: 1 << 40) + "\n").contains("ImagingLimits.side")
        )
        // Not a finite number (out of Double's range, or "inf" text): invalid, since not last.
        let huge = Self.header + "\n" + Self.image("a.jpg", x: "1e400") + "\n" + Self.image("b.jpg") + "\n"
        #expect(Self.failure(huge).contains("r.jsonl line 2: invalid record"))
    }

    /// `"exif_transposed_source"` beside `"exif_transposed"`: one of the stable names read back,
    /// an unknown name or one without the orientation refused, an older record without it read.
    @Test func theTranspositionSourceIsReadBackAndChecked() throws {
        func record(_ fields: String, _ path: String = "a.jpg") -> String {
            Self.image(path).replacingOccurrences(of: #","notes":[]"#, with: #","notes":[]"# + fields)
        }
        for source in ["exif", "raw_profile", "xmp"] {
            let file = try Self.parse(
                Self.header + "\n" + record(#","exif_transposed":6,"exif_transposed_source":"\#(source)""#) + "\n")
            #expect(file.images.first?.value.exifTransposedSource?.rawValue == source)
            #expect(file.images.first?.value.exifTransposed == 6)
        }
        let old = try Self.parse(Self.header + "\n" + record(#","exif_transposed":6"#) + "\n")
        #expect(old.images.first?.value.exifTransposed == 6 && old.images.first?.value.exifTransposedSource == nil)
        // Not the last line, which would be taken for a torn write.
        let unknown = record(#","exif_transposed":6,"exif_transposed_source":"EXIF""#)
        // The message names the field, the value and the names expected.
        let unknownFailure = Self.failure(Self.header + "\n" + unknown + "\n" + Self.image("b.jpg") + "\n")
        #expect(
            unknownFailure.contains(
                #"r.jsonl line 2: invalid record: exif_transposed_source: "EXIF": expected "exif", "raw_profile" or "xmp""#
            ), "\(unknownFailure)")
        let alone = record(#","exif_transposed_source":"xmp""#)
        #expect(
            Self.failure(Self.header + "\n" + alone + "\n").contains(
                #"line 2: exif_transposed_source "xmp" without exif_transposed"#))
    }

    /// A record's keypoint with prompts out of bounds (none, over
    /// `LocalizationLimits.promptsPerKeypoint`, both "prompt" and "prompts"), or with its score
    /// null or missing: the error names the line and the field.
    @Test(
        arguments: [
            (#""prompts":[],"score":0.25"#, "keypoints[0].prompts: 0 texts: expected 1...100"),
            (
                #""prompts":[\#(Array(repeating: #""p""#, count: 101).joined(separator: ","))],"score":0.25"#,
                "keypoints[0].prompts: 101 texts: expected 1...100 (LocalizationLimits.promptsPerKeypoint)"
            ),
            (
                #""prompt":"a","prompts":["a","b"],"score":0.25"#,
                #"keypoints[0].prompt: expected "prompt" or "prompts""#
            ),
            (#""prompts":["a","b"],"score":null"#, "at keypoints[0].score"),
            (#""prompts":["a","b"]"#, #"missing "score" in keypoints[0]"#),
        ])
    func badKeypointFieldsAreNamed(fields: String, message: String) {
        let record = Self.image("a.jpg").replacingOccurrences(of: #""prompt":"beak""#, with: fields)
            .replacingOccurrences(of: #","score":0.25,"stage""#, with: #","stage""#)
        // Not the last line, which would be taken for a torn write.
        let e = Self.failure(Self.header + "\n" + record + "\n" + Self.image("b.jpg") + "\n")
        #expect(e.contains("r.jsonl line 2: invalid record: ") && e.contains(message), "\(e)")
    }

    @Test func theStoreResumesMatchingSettingsByAbsolutePathAndRefusesOthers() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("loc-results-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let url = dir.appendingPathComponent("r.jsonl")
        let settings = ["model_sha256": "abc", "grid": "/a/fast.json", "keypoints": "[beak]"]
        let record = LocalizationRecord(
            path: "photos/a.jpg", width: 50, height: 40, passes: 3, seconds: 0.5,
            keypoints: [
                try JSONDecoder().decode(
                    KeypointPrediction.self,
                    from: Data(#"{"name":"beak","prompt":"beak","x":1,"y":2,"score":0.5,"stage":0}"#.utf8))
            ], notes: [])
        do {
            let store = try LocalizationResultStore.open(url: url, settings: settings)
            #expect(!store.resumed)
            try store.append(record)
            store.close()
        }
        // Paths inform: another grid path with the same content resumes.
        var moved = settings
        moved["grid"] = "/b/fast.json"
        let again = try LocalizationResultStore.open(url: url, settings: moved)
        #expect(again.resumed)
        let cwd = FileManager.default.currentDirectoryPath
        #expect(again.record(forPath: "photos/a.jpg") == record)
        #expect(again.record(forPath: cwd + "/photos/./a.jpg") == record)
        #expect(again.record(forPath: "photos/b.jpg") == nil)
        // The lock: a second open while the first holds the file is refused.
        #expect(throws: EvaluationError.self) { _ = try LocalizationResultStore.open(url: url, settings: moved) }
        again.close()
        var other = settings
        other["keypoints"] = "[eye]"
        do {
            _ = try LocalizationResultStore.open(url: url, settings: other)
            Issue.record("other settings resumed")
        } catch {
            #expect("\(error)".contains("keypoints: the file has [beak], this run has [eye]"))
        }
    }

    /// Review finding: a record is matched by its absolute path ("file"), not by the path as
    /// given, so a run from another working directory neither takes another photo's answer nor
    /// redoes a finished one; a record whose file is not absolute is refused.
    @Test func recordsAreMatchedByTheirAbsoluteFile() throws {
        let line = Self.image("photos/a.jpg").replacingOccurrences(of: "/data/photos/a.jpg", with: "/elsewhere/a.jpg")
        let file = try Self.parse(Self.header + "\n" + line + "\n")
        #expect(file.images[0].value.path == "photos/a.jpg")
        #expect(file.images[0].value.file == "/elsewhere/a.jpg")
        let relative = Self.image("a.jpg").replacingOccurrences(of: "/data/a.jpg", with: "a.jpg")
        #expect(Self.failure(Self.header + "\n" + relative + "\n").contains("expected the photo's absolute path"))
        // The same file written two ways is one photo, recorded twice: refused.
        let again = Self.image("x/../a.jpg").replacingOccurrences(of: "/data/x/../a.jpg", with: "/data/./a.jpg")
        #expect(
            Self.failure(Self.header + "\n" + Self.image("a.jpg") + "\n" + again + "\n").contains("already recorded"))
    }

    /// Review finding: a file that is not a results file (one line, no newline) given as --out
    /// was taken for a torn header and truncated; only bytes that begin a header are torn.
    @Test func aTornFirstLineMustBeginAHeader() throws {
        #expect(Self.failure("hello").contains("line 1: not a keypoints localize results file"))
        #expect(Self.failure(#"{"images":[]}"#).contains("line 1: not a keypoints localize results file"))
        #expect(Self.failure("{\"images\":[]}\n").contains("line 1: not a keypoints localize results file"))
        let torn = try Self.parse(String(Self.header.prefix(30)))
        #expect(torn.header == nil && torn.tornTail != nil && torn.validLength == 0)
        #expect(throws: Never.self) {
            _ = try ResultFile.parse(Data(String(Self.header.prefix(30)).utf8), file: "e.jsonl")
        }
        #expect((try? ResultFile.parse(Data("hello".utf8), file: "e.jsonl")) == nil)
    }
}

/// `keypoints report` on `localize --out` files: merging shards (`LocalizationResultSet.merge`),
/// telling the two kinds of results file apart, and the CSV and table of the predictions.
@Suite struct LocalizationResultSetTests {
    /// A header line with these settings (besides the model digest and a grid path).
    static func header(_ settings: [String: String] = [:]) -> String {
        let all = ["model_sha256": "abc", "grid": "/a/fast.json"].merging(settings) { $1 }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let json = String(decoding: (try? encoder.encode(all)) ?? Data(), as: UTF8.self)
        return
            #"{"type":"header","format":"keypoints-localize-results","version":1,"settings":\#(json),"created":"2026-11-30T00:00:00Z"}"#
    }

    static func file(_ name: String, shard: String?, settings: [String: String] = [:], photos: [String]) throws
        -> LocalizationResultsFile
    {
        var s = settings
        if let shard { s["shard"] = shard }
        let text = ([header(s)] + photos.map { LocalizationResultsTests.image($0) }).joined(separator: "\n") + "\n"
        return try LocalizationResultsFile.parse(Data(text.utf8), file: name)
    }

    @Test func shardsMergeSortedByPathAndAMissingShardIsNoted() throws {
        let merged = try LocalizationResultSet.merge([
            try Self.file("r-1.jsonl", shard: "1/3", photos: ["p/b.jpg", "p/e.jpg"]),
            try Self.file("r-0.jsonl", shard: "0/3", photos: ["p/a.jpg", "p/d.jpg"]),
        ])
        #expect(merged.images.map(\.path) == ["p/a.jpg", "p/b.jpg", "p/d.jpg", "p/e.jpg"])
        #expect(merged.files == ["r-1.jsonl", "r-0.jsonl"])
        #expect(merged.settings["shard"] == "1/3+0/3")
        #expect(merged.notes == ["shards 2/3 not given: these predictions are partial"])
        let whole = try LocalizationResultSet.merge([
            try Self.file("r-0.jsonl", shard: "0/2", photos: ["a.jpg"]),
            try Self.file("r-1.jsonl", shard: "1/2", photos: ["b.jpg"]),
        ])
        #expect(whole.notes.isEmpty)
    }

    @Test func onlyInformationSettingsMayDiffer() throws {
        // Another model path, software and shard: information only, as on resume.
        let moved = try LocalizationResultSet.merge([
            try Self.file("a.jsonl", shard: "0/2", settings: ["model": "/x/m", "software": "1"], photos: ["a.jpg"]),
            try Self.file("b.jsonl", shard: "1/2", settings: ["model": "/y/m", "software": "2"], photos: ["b.jpg"]),
        ])
        #expect(moved.images.count == 2)
        let message = errorText {
            _ = try LocalizationResultSet.merge([
                try Self.file("a.jsonl", shard: nil, settings: ["precision": "fp32"], photos: ["a.jpg"]),
                try Self.file("b.jsonl", shard: nil, settings: ["precision": "bf16"], photos: ["b.jpg"]),
            ])
        }
        #expect(message.contains("a.jsonl and b.jsonl come from different localize runs (precision: fp32 vs bf16)"))
        #expect(!message.contains("\n"))
    }

    @Test func aPhotoInTwoFilesIsAnErrorNamingBothFilesAndLines() throws {
        let message = errorText {
            _ = try LocalizationResultSet.merge([
                try Self.file("a.jsonl", shard: "0/2", photos: ["x.jpg", "p/a.jpg"]),
                try Self.file("b.jsonl", shard: "1/2", photos: ["p/a.jpg"]),
            ])
        }
        #expect(message.contains("p/a.jpg appears twice: a.jsonl line 3 and b.jsonl line 2"), "\(message)")
        #expect(errorText { _ = try LocalizationResultSet.merge([]) } == "no results files given")
        let twice = try Self.file("a.jsonl", shard: nil, photos: ["a.jpg"])
        #expect(errorText { _ = try LocalizationResultSet.merge([twice, twice]) } == "a.jsonl is given twice")
        let empty = try LocalizationResultsFile.parse(Data(), file: "e.jsonl")
        #expect(errorText { _ = try LocalizationResultSet.merge([empty]) }.contains("e.jsonl line 1: no header line"))
    }

    @Test func theCSVHasARowPerPhotoAndKeypointAndQuotesFieldsThatNeedIt() throws {
        let kp = { (name: String, x: Double) in
            try JSONDecoder().decode(
                KeypointPrediction.self,
                from: Data(#"{"name":"\#(name)","prompt":"p","x":\#(x),"y":2.5,"score":0.25,"stage":1}"#.utf8))
        }
        let records = [
            LocalizationRecord(
                path: "a, \"b\".jpg", width: 9, height: 9, passes: 7, seconds: 1.23456,
                keypoints: [try kp("beak", 1), try kp("eye, left", 210.125)], notes: []),
            LocalizationRecord(
                path: "c.jpg", width: 9, height: 9, passes: 3, seconds: 0, keypoints: [try kp("beak", 4)], notes: []),
        ]
        #expect(
            LocalizationPredictions.csv(records) == """
                image,keypoint,x,y,score,passes,seconds
                "a, ""b"".jpg",beak,1.0,2.5,0.25,7,1.235
                "a, ""b"".jpg","eye, left",210.125,2.5,0.25,7,1.235
                c.jpg,beak,4.0,2.5,0.25,3,0.000

                """)
        let table = LocalizationPredictions.table(records).split(separator: "\n")
        #expect(table.count == 4)
        #expect(table[0].hasPrefix("photo") && table[0].contains("keypoint") && table[0].hasSuffix("score"))
        #expect(table[2].contains("eye, left") && table[2].contains("210.1") && table[2].hasSuffix("0.2500"))
    }

    @Test func reportFilesAreToldApartByTheirHeaderAndNotMixed() throws {
        let dir = try Fixtures.temporaryFolder()
        let localize = dir.appendingPathComponent("l.jsonl")
        try (Self.header() + "\n" + LocalizationResultsTests.image("a.jpg") + "\n").write(
            to: localize, atomically: true, encoding: .utf8)
        let eval = dir.appendingPathComponent("e.jsonl")
        try (#"{"type":"header","format":"keypoints-eval-results","version":2,"settings":{},"created":"x"}"# + "\n")
            .write(to: eval, atomically: true, encoding: .utf8)
        guard case .localize(let l) = try ReportFiles.read([localize]) else {
            Issue.record("a localize file read as eval results")
            return
        }
        #expect(l.map(\.images.count) == [1])
        guard case .eval(let e) = try ReportFiles.read([eval]) else {
            Issue.record("an eval file read as localize results")
            return
        }
        #expect(e.count == 1)
        for order in [[eval, localize], [localize, eval]] {
            let message = errorText { _ = try ReportFiles.read(order) }
            #expect(
                message
                    == "\(localize.path) is a keypoints localize results file and \(eval.path) a keypoints eval results file: report reads one kind per call"
            )
        }
    }

    /// Shards merged by `report`: one photo recorded under two spellings of its path (relative in
    /// one file, absolute in the other) is still one photo, so the merge refuses it.
    @Test func theMergeMatchesPhotosByFile() throws {
        let a = try LocalizationResultsTests.parse(
            LocalizationResultsTests.header + "\n" + LocalizationResultsTests.image("photos/a.jpg") + "\n")
        let absolute = LocalizationResultsTests.image("photos/a.jpg").replacingOccurrences(
            of: #""path":"photos/a.jpg""#, with: #""path":"/data/photos/a.jpg""#)
        let b = try LocalizationResultsFile.parse(
            Data((LocalizationResultsTests.header + "\n" + absolute + "\n").utf8), file: "b.jsonl")
        #expect(throws: EvaluationError.self) { _ = try LocalizationResultSet.merge([a, b]) }
        let c = try LocalizationResultsFile.parse(
            Data((LocalizationResultsTests.header + "\n" + LocalizationResultsTests.image("photos/c.jpg") + "\n").utf8),
            file: "c.jsonl")
        #expect(try LocalizationResultSet.merge([a, c]).images.map(\.path) == ["photos/a.jpg", "photos/c.jpg"])
    }
}
