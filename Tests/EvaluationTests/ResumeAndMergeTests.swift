import Foundation
import Testing

@testable import Evaluation

@Suite struct ResumeAndMergeTests {
    /// Runs the random method on `dataset` into `out` (nil: memory).
    @discardableResult
    func evaluate(
        _ dataset: EvalDataset, out: URL?, seed: UInt64 = 0, shard: Shard? = nil,
        limit: Int? = nil
    ) throws -> PCKReport {
        let runner = EvalRunner(dataset: dataset, shard: shard, limit: limit)
        var p: any KeypointPredictor = RandomPredictor(seed: seed)
        let settings = try runner.settings(for: p)
        let store =
            try out.map { try ResultStore.open(url: $0, settings: settings) }
            ?? ResultStore.inMemory(settings: settings)
        defer { store.close() }
        return try runner.run(predictor: &p, store: store)
    }

    /// The faces, CUB (all) and SPair fixtures together give 7 items; faces alone 2.
    func imageLines(_ url: URL) throws -> [String] {
        try String(contentsOf: url, encoding: .utf8).split(separator: "\n").filter { $0.contains("\"type\":\"image\"") }
            .map(String.init)
    }

    /// SPair-71k files record the crop rule (`box_crop`); one written before it, whose crop kept
    /// one more column and row, is refused, not resumed with records of the other crop.
    @Test func spairFilesWithoutTheCropRuleAreNotResumed() throws {
        let spair = try Fixtures.dataset(.spair)
        #expect(spair.settings["box_crop"] == EvalDataset.boxCrop)
        #expect(try Fixtures.dataset(.cub).settings["box_crop"] == nil)
        let runner = EvalRunner(dataset: spair)
        let p: any KeypointPredictor = RandomPredictor()
        var before = try runner.settings(for: p)
        before["box_crop"] = nil
        let url = try Fixtures.temporaryFolder().appendingPathComponent("spair.jsonl")
        try ResultStore.open(url: url, settings: before).close()
        #expect {
            try ResultStore.open(url: url, settings: try runner.settings(for: p))
        } throws: { error in
            guard case EvaluationError.settingsMismatch(_, let differences) = error else { return false }
            return differences == [SettingDifference(key: "box_crop", old: "(absent)", new: EvalDataset.boxCrop)]
        }
    }

    @Test func limitThenFullEqualsOneRun() throws {
        let dataset = try Fixtures.dataset(.cub, split: .all)
        let folder = try Fixtures.temporaryFolder()
        let resumed = folder.appendingPathComponent("resumed.jsonl")
        let first = try evaluate(dataset, out: resumed, limit: 2)
        #expect(first.images == 2)
        let second = try evaluate(dataset, out: resumed)
        let single = try evaluate(dataset, out: folder.appendingPathComponent("single.jsonl"))
        #expect(second.images == 3)
        #expect(
            second.pck == single.pck && second.perKeypoint == single.perKeypoint
                && second.perCategory == single.perCategory)
        let ids = try ResultFile.read(resumed).images.map(\.value.id)
        #expect(ids == ["953", "1291", "1768"])
        // Predictions are identical line by line apart from timing.
        let a = try ResultFile.read(resumed).images.map { $0.value.keypoints }
        let b = try ResultFile.read(folder.appendingPathComponent("single.jsonl")).images.map { $0.value.keypoints }
        #expect(a == b)
        // Two sessions recorded, the second saw 2 done.
        let sessions = try ResultFile.read(resumed).sessions.map(\.value)
        #expect(sessions.map(\.limit) == [2, nil] && sessions.map(\.doneBefore) == [0, 2])
        // A third run has nothing to do and changes nothing.
        let before = try Data(contentsOf: resumed).count
        let third = try evaluate(dataset, out: resumed)
        #expect(third.pck == single.pck)
        #expect(try imageLines(resumed).count == 3)
        #expect(try Data(contentsOf: resumed).count > before)  // only a session line was added
    }

    @Test func tornLastLineIsTruncatedAndRedone() throws {
        let dataset = try Fixtures.dataset(.cub, split: .all)
        let folder = try Fixtures.temporaryFolder()
        let reference = try evaluate(dataset, out: folder.appendingPathComponent("ref.jsonl"))
        for cut in ["half", "no-newline", "garbage-with-newline"] {
            let out = folder.appendingPathComponent("\(cut).jsonl")
            try evaluate(dataset, out: out)
            var text = try String(contentsOf: out, encoding: .utf8)
            let lastLine = String(text.dropLast().split(separator: "\n").last ?? "")
            text = String(text.dropLast(lastLine.count + 1))
            switch cut {
            case "half": text += lastLine.prefix(lastLine.count / 2)  // a torn write
            case "no-newline": text += lastLine  // complete JSON, newline missing
            default: text += "{\"type\":\"image\",\"id\":\"17\n"  // invalid JSON, then newline
            }
            try text.write(to: out, atomically: true, encoding: .utf8)
            let parsed = try ResultFile.read(out)
            #expect(parsed.tornTail != nil && parsed.images.count == 2, "\(cut)")

            let runner = EvalRunner(dataset: dataset)
            var p: any KeypointPredictor = RandomPredictor()
            let store = try ResultStore.open(url: out, settings: try runner.settings(for: p))
            #expect(store.repairedTail != nil)
            let report = try runner.run(predictor: &p, store: store)
            store.close()
            #expect(report.pck == reference.pck && report.images == 3, "\(cut)")
            let after = try ResultFile.read(out)
            #expect(after.tornTail == nil && after.images.map(\.value.id) == ["953", "1291", "1768"], "\(cut)")
        }
    }

    @Test func tornHeaderStartsOver() throws {
        let out = try Fixtures.temporaryFolder().appendingPathComponent("r.jsonl")
        // A header is written with sorted keys, "created" first: a run killed while writing it
        // leaves a beginning of that (any other one-line file is refused, not truncated).
        try "{\"created\":\"2026-11-30T0".write(to: out, atomically: true, encoding: .utf8)
        let report = try evaluate(try Fixtures.dataset(.faces), out: out)
        #expect(report.images == 2)
        #expect(try ResultFile.read(out).header != nil)
    }

    @Test func differentSettingsAreRefused() throws {
        let dataset = try Fixtures.dataset(.cub, split: .all)
        let out = try Fixtures.temporaryFolder().appendingPathComponent("r.jsonl")
        try evaluate(dataset, out: out, limit: 1)
        let seed = errorText { try evaluate(dataset, out: out, seed: 1) }
        #expect(
            seed.contains("r.jsonl was written with other settings")
                && seed.contains("seed: the file has 0, this run has 1"), "\(seed)")
        let split = errorText { try evaluate(try Fixtures.dataset(.cub), out: out) }
        #expect(split.contains("split: the file has all, this run has test"), "\(split)")
        let shard = errorText { try evaluate(dataset, out: out, shard: try Shard(index: 0, count: 2)) }
        #expect(shard.contains("shard: the file has all, this run has 0/2"), "\(shard)")
        // Nothing was appended by the refused runs.
        #expect(try ResultFile.read(out).images.count == 1)
    }

    /// A hand-edited record is an error naming the file, line and field, on the last line too
    /// (only a last line that is not complete JSON is a torn write, left out), and a box that
    /// cannot normalise PCK (a side of 0 or below) is refused: both were read as if fine (a torn
    /// tail dropped with a note; PCK 0 of the box's keypoints).
    @Test func editedRecordsAreErrorsOnTheLastLineToo() throws {
        let url = Fixtures.folder.appendingPathComponent("bootstrap/cub100-random.jsonl")
        let lines = try String(contentsOf: url, encoding: .utf8).split(separator: "\n").map(String.init)
        let last = lines.count
        func parse(_ lines: [String]) throws -> ResultFile {
            try ResultFile.parse(Data((lines.joined(separator: "\n") + "\n").utf8), file: "r.jsonl")
        }
        /// The error of the file with its last record's fields changed by `edit`.
        func lastEdited(_ edit: (inout [String: Any]) -> Void) throws -> String {
            var record = try #require(
                JSONSerialization.jsonObject(with: Data(lines[last - 1].utf8)) as? [String: Any])
            edit(&record)
            let text = String(decoding: try JSONSerialization.data(withJSONObject: record), as: UTF8.self)
            return errorText { _ = try parse(lines.dropLast() + [text]) }
        }
        let wrongType = try lastEdited { $0["box"] = "x" }
        #expect(wrongType.contains("r.jsonl line \(last): invalid record") && wrongType.contains("box"), "\(wrongType)")
        let missing = try lastEdited { $0["keypoints"] = nil }
        #expect(missing.contains("r.jsonl line \(last): invalid record: missing \"keypoints\""), "\(missing)")
        for box in [[60, 27, 0, 0], [60, 27, -5, 30], [60, 27, 30, 0]] {
            let e = try lastEdited { $0["box"] = box }
            #expect(
                e.contains("r.jsonl line \(last): box ") && e.contains("expected finite numbers with w, h > 0"), "\(e)")
        }
        // A keypoint named twice would count twice in every PCK figure.
        var count = 0
        let twice = try lastEdited { record in
            var keypoints = record["keypoints"] as? [[String: Any]] ?? []
            keypoints.append(keypoints.first ?? [:])
            count = keypoints.count
            record["keypoints"] = keypoints
        }
        #expect(
            twice.contains(
                "r.jsonl line \(last): keypoints[\(count - 1)].name \"back\": also the name of keypoints[0]"),
            "\(twice)")
        // A box of 0 in a middle line too.
        var middle = lines
        middle[4] = middle[4].replacingOccurrences(of: #""box":[144,40,333,165]"#, with: #""box":[144,40,0,0]"#)
        #expect(middle[4] != lines[4])
        #expect(errorText { _ = try parse(middle) }.contains("r.jsonl line 5: box "))
        // Unedited it reads whole; cut short (then a newline) its last line is a torn write.
        let whole = try parse(lines)
        #expect(whole.images.count == 100 && whole.tornTail == nil)
        let torn = try parse(lines.dropLast() + [String(lines[last - 1].prefix(60))])
        #expect(
            torn.images.count == 99 && torn.tornTail?.contains("line \(last) is not a complete JSON record") == true)
    }

    @Test func corruptMiddleLineAndForeignFilesAreErrors() throws {
        let out = try Fixtures.temporaryFolder().appendingPathComponent("r.jsonl")
        try evaluate(try Fixtures.dataset(.cub, split: .all), out: out)
        try Fixtures.edit(out) { $0[2] = "{not json" }
        let e = errorText { _ = try ResultFile.read(out) }
        #expect(e.contains("r.jsonl line 3: invalid record"), "\(e)")
        let foreign = out.deletingLastPathComponent().appendingPathComponent("notes.txt")
        try "hello\nworld\n".write(to: foreign, atomically: true, encoding: .utf8)
        #expect(
            errorText { _ = try ResultFile.read(foreign) }.contains(
                "notes.txt line 1: not a keypoints eval results file"))
        // One foreign line reads like a torn header; merging it must not call the file empty.
        let oneLine = out.deletingLastPathComponent().appendingPathComponent("one.txt")
        try "hello\n".write(to: oneLine, atomically: true, encoding: .utf8)
        let merged = errorText { _ = try ResultSet.merge([try ResultFile.read(oneLine)]) }
        #expect(merged.contains("one.txt line 1: not a keypoints eval results file"), "\(merged)")
        #expect(!merged.contains("empty file"), "\(merged)")
        let empty = out.deletingLastPathComponent().appendingPathComponent("empty.jsonl")
        try Data().write(to: empty)
        #expect(errorText { _ = try ResultSet.merge([try ResultFile.read(empty)]) }.contains("empty file?"))
    }

    @Test func secondWriterIsLockedOut() throws {
        let dataset = try Fixtures.dataset(.faces)
        let out = try Fixtures.temporaryFolder().appendingPathComponent("r.jsonl")
        let runner = EvalRunner(dataset: dataset)
        let settings = try runner.settings(for: RandomPredictor())
        let first = try ResultStore.open(url: out, settings: settings)
        #expect(
            errorText { _ = try ResultStore.open(url: out, settings: settings) }.contains("being written by another"))
        first.close()
        _ = try ResultStore.open(url: out, settings: settings)
    }

    /// `open(url:)` before the run's settings are known (eval and localize open --out before the
    /// model is loaded), `start(settings:)` after: the file is read once, under the lock.
    @Test func openingBeforeTheSettingsLocksAndReadsOnceAndCreatesNothing() throws {
        let dataset = try Fixtures.dataset(.faces)
        let out = try Fixtures.temporaryFolder().appendingPathComponent("r.jsonl")
        let runner = EvalRunner(dataset: dataset)
        let settings = try runner.settings(for: RandomPredictor())
        // A missing file is created only when the run starts.
        let fresh = try ResultStore.open(url: out)
        #expect(fresh.recordedSettings == nil)
        #expect(!FileManager.default.fileExists(atPath: out.path))
        try fresh.start(settings: settings)
        #expect(!fresh.resumed)
        #expect(try ResultFile.read(out).header?.settings == settings)
        fresh.close()

        // An existing file is locked from the first step: a second run is refused at once.
        let opened = try ResultStore.open(url: out)
        #expect(opened.recordedSettings == settings)
        #expect(errorText { _ = try ResultStore.open(url: out) }.contains("being written by another"))
        var other = settings
        other["method"] = "other"
        #expect(errorText { try opened.start(settings: other) }.contains("method"))
        opened.close()

        // A file another run created and wrote while this one had found none is not taken unread.
        let late = try Fixtures.temporaryFolder().appendingPathComponent("late.jsonl")
        let waiting = try ResultStore.open(url: late)
        try ResultStore.open(url: late, settings: settings).close()
        #expect(errorText { try waiting.start(settings: settings) }.contains("being written by another"))
        #expect(try ResultFile.read(late).header?.settings == settings)
    }

    @Test func shardsMergeToTheUnshardedRun() throws {
        let dataset = try Fixtures.dataset(.cub, split: .all)
        let folder = try Fixtures.temporaryFolder()
        let whole = try evaluate(dataset, out: folder.appendingPathComponent("all.jsonl"))
        var files: [ResultFile] = []
        for i in 0..<2 {
            let url = folder.appendingPathComponent("s\(i).jsonl")
            try evaluate(dataset, out: url, shard: try Shard(index: i, count: 2))
            files.append(try ResultFile.read(url))
        }
        // Shard 0/2 takes positions 0 and 2 of the sorted ids (953, 1291, 1768).
        #expect(files[0].images.map(\.value.id) == ["953", "1768"] && files[1].images.map(\.value.id) == ["1291"])
        let merged = try ResultSet.merge(files)
        let report = merged.report(alpha: 0.1)
        #expect(report.pck == whole.pck && report.perKeypoint == whole.perKeypoint && report.images == whole.images)
        #expect(merged.settings["shard"] == "0/2+1/2" && merged.notes.isEmpty)
        // One shard alone: partial, and said so.
        #expect(try ResultSet.merge([files[0]]).report(alpha: 0.1).images == 2)
        #expect(try ResultSet.merge([files[1], files[0]]).images.count == 3)
    }

    @Test func mergeRefusesOtherRunsAndDuplicates() throws {
        let dataset = try Fixtures.dataset(.cub, split: .all)
        let folder = try Fixtures.temporaryFolder()
        let a = folder.appendingPathComponent("a.jsonl")
        let b = folder.appendingPathComponent("b.jsonl")
        let c = folder.appendingPathComponent("c.jsonl")
        try evaluate(dataset, out: a)
        try evaluate(dataset, out: b, seed: 7)
        try evaluate(dataset, out: c, limit: 1)
        let files = try [a, b, c].map { try ResultFile.read($0) }
        let other = errorText { _ = try ResultSet.merge([files[0], files[1]]) }
        #expect(
            other.contains("a.jsonl and") && other.contains("b.jsonl come from different runs")
                && other.contains("seed: 0 vs 7"), "\(other)")
        let duplicate = errorText { _ = try ResultSet.merge([files[0], files[2]]) }
        #expect(
            duplicate.contains("image 953 appears twice") && duplicate.contains("a.jsonl line 3")
                && duplicate.contains("c.jsonl line 3") && duplicate.contains("merged as shards of one run"),
            "\(duplicate)")
        #expect(errorText { _ = try ResultSet.merge([files[0], files[0]]) }.contains("a.jsonl is given twice"))
        // Side by side: two runs.
        let runs = try ResultSet.mergeByRun([files[0], files[1]])
        #expect(runs.count == 2 && runs.map { $0.settings["seed"] } == ["0", "7"])
    }

    @Test func shardAndLimitParsing() throws {
        #expect(try Shard(parsing: "1/4") == Shard(index: 1, count: 4))
        for bad in ["4/4", "-1/2", "1", "a/b", "0/0"] {
            #expect(errorText { _ = try Shard(parsing: bad) }.contains("expected i/n"), "\(bad)")
        }
        let dataset = try Fixtures.dataset(.cub, split: .all)
        #expect(
            EvalRunner(dataset: dataset, shard: try Shard(index: 0, count: 2), limit: 1).selection.map(\.id) == ["953"])
        #expect(
            EvalRunner(dataset: dataset, shard: try Shard(index: 1, count: 2), limit: 5).selection.map(\.id) == ["1291"]
        )
    }
}
