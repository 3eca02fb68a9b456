import Foundation
import KeypointsTestSupport
import Localization
import Testing

@testable import Evaluation

#if canImport(Glibc)
    import Glibc
#endif

/// Issue 15, cases 2, 5, 6 and 7: results files, grid presets and vocabularies with hostile
/// numbers or sizes.
@Suite struct DataFileTests {
    let cubArguments = ["eval", "--dataset", "cub", "--root", Hostile.cub.path, "--split", "all", "--method", "random"]

    /// Results files of a random-method CUB run, one per shard.
    func shardFiles(_ count: Int) throws -> [URL] {
        let dir = try Hostile.temporaryFolder()
        return try (0..<count).map { i in
            let url = dir.appendingPathComponent("s\(i).jsonl")
            let r = try KeypointsExecutable.run(
                cubArguments + ["--shard", "\(i)/\(count)", "--out", url.path], cwd: Hostile.repositoryRoot)
            #expect(r.status == 0, "\(r.stderr)")
            return url
        }
    }

    /// Rewrites each JSON line of a results file.
    func editLines(_ url: URL, _ edit: (inout [String: Any]) -> Void) throws {
        let text = try String(contentsOf: url, encoding: .utf8)
        var out = ""
        for line in text.split(separator: "\n") {
            var object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            edit(&object)
            out +=
                String(
                    decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self)
                + "\n"
        }
        try out.write(to: url, atomically: true, encoding: .utf8)
    }

    /// Case 2: headers claiming 9e18 shards made `report` list every missing shard index.
    @Test func hugeShardCountIsBounded() throws {
        let files = try shardFiles(2)
        for (i, f) in files.enumerated() {
            try editLines(f) { o in
                guard o["type"] as? String == "header", var settings = o["settings"] as? [String: Any] else { return }
                settings["shard"] = "\(i)/9000000000000000000"
                o["settings"] = settings
            }
        }
        let r = try Hostile.run(["report", "--json"] + files.map(\.path))
        #expect(r.status == 0, "\(r.stderr)")
        #expect(
            r.stderr.contains("EvaluationLimits.shards = \(EvaluationLimits.shards)")
                && r.stderr.contains("completeness not checked"),
            "\(r.stderr)")
        // And on the command line.
        let option = try Hostile.run(cubArguments + ["--shard", "0/9000000000000000000"])
        Hostile.expectOneLineError(option, ["EvaluationLimits.shards"], status: Hostile.usageError)
    }

    /// Case 5: `passes` (or `unnamed`) summing past Int.max crashed `report`.
    @Test func passesOverflowIsRefused() throws {
        let file = try shardFiles(1)[0]
        try editLines(file) { o in if o["type"] as? String == "image" { o["passes"] = Int.max / 2 + 1 } }
        let r = try Hostile.run(["report", file.path])
        Hostile.expectOneLineError(r, [file.lastPathComponent, "line 3", "passes", "EvaluationLimits.passesPerImage"])
        try editLines(file) { o in
            if o["type"] as? String == "image" {
                o["passes"] = 1
                o["unnamed"] = Int.max
            }
        }
        let unnamed = try Hostile.run(["report", file.path])
        Hostile.expectOneLineError(unnamed, [file.lastPathComponent, "unnamed", "EvaluationLimits.keypointsPerImage"])
        // The summary itself saturates instead of trapping, for records built in code.
        #expect(PCKReport.saturatingSum(Int.max, 1) == Int.max)
    }

    /// Case 6: `"batch": 99999999999999` in a grid preset aborted on allocation.
    @Test func hugePresetBatchIsRefused() throws {
        let dir = try Hostile.temporaryFolder()
        let grid = dir.appendingPathComponent("huge-batch.json")
        var preset =
            try JSONSerialization.jsonObject(
                with: Data(contentsOf: Hostile.repositoryRoot.appendingPathComponent("grids/fast.json")))
            as? [String: Any] ?? [:]
        preset["batch"] = 99_999_999_999_999
        try JSONSerialization.data(withJSONObject: preset).write(to: grid)
        let r = try Hostile.run([
            "localize", Hostile.birdJPEG.path, "--model", Hostile.tinyModel.path, "--grid", grid.path,
            "--keypoint", "beak",
        ])
        Hostile.expectOneLineError(
            r, ["huge-batch.json", "batch", "LocalizationLimits.batch = \(LocalizationLimits.batch)"])
        let option = try Hostile.run([
            "localize", Hostile.birdJPEG.path, "--model", Hostile.tinyModel.path, "--batch", "99999999999999",
            "--keypoint", "beak",
        ])
        Hostile.expectOneLineError(option, ["--batch", "LocalizationLimits.batch"], status: Hostile.usageError)
    }

    /// Case 7: the duplicate check compared every pair (20k keypoints took 48 s). With hash
    /// sets, the limit's worth of keypoints (10k) loads in well under the budget, and more are
    /// refused by count before any check.
    @Test func largeVocabularyLoadsInLinearTime() throws {
        let dir = try Hostile.temporaryFolder()
        let url = dir.appendingPathComponent("many.json")
        let n = LocalizationLimits.keypointsPerCategory
        var keypoints = (0..<n).map { ["id": $0, "name": "part \($0)"] as [String: Any] }
        keypoints[n - 1] = ["id": n - 1, "name": "PART 7"]  // duplicate of "part 7", case-insensitively
        let vocabulary: [String: Any] = [
            "name": "many", "template": "the {part}",
            "categories": [["name": "thing", "keypoints": keypoints]],
        ]
        try JSONSerialization.data(withJSONObject: vocabulary).write(to: url)
        let r = try Hostile.run([
            "localize", Hostile.birdJPEG.path, "--model", Hostile.tinyModel.path, "--vocabulary", url.path,
        ])
        Hostile.expectOneLineError(
            r, ["many.json", "categories[0].keypoints[\(n - 1)].name", "duplicate name \"PART 7\""])
        // One over the limit is refused by count.
        keypoints[n - 1] = ["id": n - 1, "name": "last"]
        keypoints.append(["id": n, "name": "one too many"])
        let over: [String: Any] = [
            "name": "many", "template": "the {part}", "categories": [["name": "thing", "keypoints": keypoints]],
        ]
        try JSONSerialization.data(withJSONObject: over).write(to: url)
        let counted = try Hostile.run([
            "localize", Hostile.birdJPEG.path, "--model", Hostile.tinyModel.path, "--vocabulary", url.path,
        ])
        Hostile.expectOneLineError(counted, ["many.json", "LocalizationLimits.keypointsPerCategory"])
    }

    /// Case 8 for every other data file: config.json, a grid preset, a vocabulary, an
    /// annotation file and a results file that are FIFOs are refused at once, naming the file.
    @Test func fifoDataFilesAreRefusedWithoutBlocking() throws {
        let dir = try Hostile.temporaryFolder()
        func fifo(_ name: String) -> URL {
            let url = dir.appendingPathComponent(name)
            #expect(mkfifo(url.path, 0o644) == 0)
            return url
        }
        let model = try Hostile.modelCopy()
        let config = model.appendingPathComponent("config.json")
        try FileManager.default.removeItem(at: config)
        #expect(mkfifo(config.path, 0o644) == 0)
        Hostile.expectOneLineError(
            try Hostile.run(["info", "--model", model.path]), ["config.json", "not a regular file (a FIFO)"])
        let grid = fifo("grid.json")
        let vocabulary = fifo("vocabulary.json")
        Hostile.expectOneLineError(
            try Hostile.run([
                "localize", Hostile.birdJPEG.path, "--model", Hostile.tinyModel.path,
                "--grid", grid.path, "--keypoint", "beak",
            ]), ["grid.json", "not a regular file (a FIFO)"])
        Hostile.expectOneLineError(
            try Hostile.run([
                "localize", Hostile.birdJPEG.path, "--model", Hostile.tinyModel.path,
                "--vocabulary", vocabulary.path,
            ]), ["vocabulary.json", "not a regular file (a FIFO)"])
        let results = fifo("results.jsonl")
        Hostile.expectOneLineError(
            try Hostile.run(["report", results.path]), ["results.jsonl", "not a regular file (a FIFO)"])
        let cub = dir.appendingPathComponent("CUB_200_2011")
        try FileManager.default.copyItem(at: Hostile.cub, to: cub)
        try FileManager.default.removeItem(at: cub.appendingPathComponent("images.txt"))
        #expect(mkfifo(cub.appendingPathComponent("images.txt").path, 0o644) == 0)
        Hostile.expectOneLineError(
            try Hostile.run(cubArguments.map { $0 == Hostile.cub.path ? cub.path : $0 }),
            ["images.txt", "not a regular file (a FIFO)"])
    }
}
