import Foundation
import Localization
import Testing

@testable import Evaluation

/// The `localize --out` file: parsing (torn tails, corrupt lines, bounds, duplicates) and the
/// store's resume rules, without the executable.
@Suite struct LocalizationResultsTests {
    static let header =
        #"{"type":"header","format":"keypoints-localize-results","version":1,"settings":{"model_sha256":"abc","grid":"/a/fast.json"},"created":"2026-11-30T00:00:00Z"}"#

    static func image(_ path: String, width: Int = 500, x: String = "10.5") -> String {
        #"{"type":"image","path":"\#(path)","width":\#(width),"height":375,"passes":148,"seconds":1.5,"keypoints":[{"name":"beak","prompt":"beak","x":\#(x),"y":20,"score":0.25,"stage":1}],"notes":[]}"#
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
                .contains("line 3: a.jpg is already recorded on line 2"))
        let future = Self.header.replacingOccurrences(of: #""version":1"#, with: #""version":2"#)
        #expect(Self.failure(future + "\n").contains("format version 2, expected 1"))
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
}
