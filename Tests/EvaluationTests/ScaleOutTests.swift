import Foundation
import KeypointsTestSupport
import Testing

@testable import Evaluation

/// Shards that run anywhere: `--shard auto` from job-array variables, runs identified by content
/// rather than paths, the precision recorded and merged only when allowed, old files refused.
@Suite struct ShardAutomaticTests {
    @Test func slurmArrays() throws {
        #expect(
            try Shard.automatic(environment: ["SLURM_ARRAY_TASK_ID": "2", "SLURM_ARRAY_TASK_COUNT": "3"], count: nil)
                == Shard(index: 2, count: 3))
        // --array=1-4: ids 1..4 are shards 0..3.
        #expect(
            try Shard.automatic(
                environment: ["SLURM_ARRAY_TASK_ID": "1", "SLURM_ARRAY_TASK_COUNT": "4", "SLURM_ARRAY_TASK_MIN": "1"],
                count: nil) == Shard(index: 0, count: 4))
        // --array=0-6:2: ids 0, 2, 4, 6 are shards 0..3.
        #expect(
            try Shard.automatic(
                environment: [
                    "SLURM_ARRAY_TASK_ID": "4", "SLURM_ARRAY_TASK_COUNT": "4", "SLURM_ARRAY_TASK_MIN": "0",
                    "SLURM_ARRAY_TASK_STEP": "2",
                ], count: nil) == Shard(index: 2, count: 4))
        // With --shards the task id is the shard: rerunning shard 5 of 8 alone (--array=5).
        #expect(
            try Shard.automatic(
                environment: ["SLURM_ARRAY_TASK_ID": "5", "SLURM_ARRAY_TASK_COUNT": "1", "SLURM_ARRAY_TASK_MIN": "5"],
                count: 8) == Shard(index: 5, count: 8))
        let sparse = errorText {
            _ = try Shard.automatic(
                environment: [
                    "SLURM_ARRAY_TASK_ID": "7", "SLURM_ARRAY_TASK_COUNT": "2",
                    "SLURM_ARRAY_TASK_MIN": "2",
                ], count: nil)
        }
        #expect(sparse.contains("give --shards N"), "\(sparse)")
        let beyond = errorText { _ = try Shard.automatic(environment: ["SLURM_ARRAY_TASK_ID": "8"], count: 8) }
        #expect(beyond.contains("SLURM_ARRAY_TASK_ID=8 is not a shard of --shards 8"), "\(beyond)")
        let noCount = errorText { _ = try Shard.automatic(environment: ["SLURM_ARRAY_TASK_ID": "0"], count: nil) }
        #expect(noCount.contains("SLURM_ARRAY_TASK_COUNT is not"), "\(noCount)")
        let bad = errorText {
            _ = try Shard.automatic(
                environment: ["SLURM_ARRAY_TASK_ID": "x", "SLURM_ARRAY_TASK_COUNT": "2"], count: nil)
        }
        #expect(bad.contains("SLURM_ARRAY_TASK_ID=\"x\" is not a non-negative integer"), "\(bad)")
    }

    @Test func kubernetesIndexedJobsAndNeither() throws {
        #expect(try Shard.automatic(environment: ["JOB_COMPLETION_INDEX": "3"], count: 4) == Shard(index: 3, count: 4))
        #expect(
            errorText { _ = try Shard.automatic(environment: ["JOB_COMPLETION_INDEX": "3"], count: nil) }.contains(
                "--shards N"))
        #expect(
            errorText { _ = try Shard.automatic(environment: ["JOB_COMPLETION_INDEX": "4"], count: 4) }.contains(
                "not below --shards 4"))
        // Slurm wins when both are set (a Slurm job started from a pod keeps its own index).
        #expect(
            try Shard.automatic(
                environment: ["JOB_COMPLETION_INDEX": "0", "SLURM_ARRAY_TASK_ID": "1", "SLURM_ARRAY_TASK_COUNT": "2"],
                count: nil) == Shard(index: 1, count: 2))
        let neither = errorText { _ = try Shard.automatic(environment: ["SLURM_ARRAY_TASK_ID": ""], count: 3) }
        #expect(
            neither.contains("SLURM_ARRAY_TASK_ID") && neither.contains("JOB_COMPLETION_INDEX")
                && !neither.contains("\n"), "\(neither)")
        #expect(try Shard(index: 2, count: 3).substituted(in: "out/cub-{shard}.jsonl") == "out/cub-2.jsonl")
    }
}

@Suite struct RunIdentityTests {
    /// Runs the random method with `extra` header settings (what the CLI adds) into `out`.
    func evaluate(_ dataset: EvalDataset, out: URL, shard: Shard? = nil, extra: [String: String] = [:]) throws {
        let runner = EvalRunner(dataset: dataset, shard: shard)
        var p: any KeypointPredictor = RandomPredictor()
        let store = try ResultStore.open(url: out, settings: try runner.settings(for: p, extra: extra))
        defer { store.close() }
        try runner.run(predictor: &p, store: store)
    }

    let fp32 = ["precision": "fp32", "backend": "fp32-openblas", "model": "/a/model", "model_sha256": "m1"]
    let bf16 = ["precision": "bf16", "backend": "bf16-onednn", "model": "/b/model", "model_sha256": "m1"]

    @Test func pathsInformPrecisionMergesOnlyWhenAllowed() throws {
        let dataset = try Fixtures.dataset(.cub, split: .all)
        let folder = try Fixtures.temporaryFolder()
        let a = folder.appendingPathComponent("a.jsonl")
        let b = folder.appendingPathComponent("b.jsonl")
        let c = folder.appendingPathComponent("c.jsonl")
        try evaluate(dataset, out: a, shard: try Shard(index: 0, count: 2), extra: fp32)
        // Same run on another machine: other model path, same content and precision.
        try evaluate(
            dataset, out: b, shard: try Shard(index: 1, count: 2),
            extra: fp32.merging(["model": "/elsewhere/model"]) { $1 })
        try evaluate(dataset, out: c, shard: try Shard(index: 1, count: 2), extra: bf16)
        let files = try [a, b, c].map { try ResultFile.read($0) }
        let merged = try ResultSet.merge([files[0], files[1]])
        #expect(merged.images.count == 3 && merged.notes.isEmpty && merged.settings["precision"] == "fp32")
        let refused = errorText { _ = try ResultSet.merge([files[0], files[2]]) }
        #expect(
            refused.contains("differ only in precision (fp32 vs bf16)") && refused.contains("--allow-mixed-precision"),
            "\(refused)")
        let mixed = try ResultSet.merge([files[0], files[2]], allowMixedPrecision: true)
        #expect(mixed.images.count == 3 && mixed.settings["precision"] == "bf16+fp32")
        #expect(
            mixed.notes.contains { $0.contains("different precisions") && $0.contains("c.jsonl") }, "\(mixed.notes)")
        // Another model content is another run, allowed precision or not.
        let d = folder.appendingPathComponent("d.jsonl")
        try evaluate(
            dataset, out: d, shard: try Shard(index: 1, count: 2), extra: fp32.merging(["model_sha256": "m2"]) { $1 })
        let other = errorText {
            _ = try ResultSet.merge([files[0], try ResultFile.read(d)], allowMixedPrecision: true)
        }
        #expect(other.contains("come from different runs") && other.contains("model_sha256: m1 vs m2"), "\(other)")
    }

    /// fp32 shards on different libraries (`--backend`) are one precision but two backends: refused
    /// naming the backends and `--backend`; merged when allowed, with both backends recorded (not
    /// the first file's alone) and a note naming the files.
    @Test func fp32ShardsOnTwoLibrariesMergeOnlyWhenAllowedAndSaySo() throws {
        let dataset = try Fixtures.dataset(.cub, split: .all)
        let folder = try Fixtures.temporaryFolder()
        // Shard 0 (a.jsonl) on OpenBLAS, shard 1 (b.jsonl) on oneDNN.
        let backends = ["fp32-openblas", "fp32-onednn"]
        let files = try backends.enumerated().map { i, backend in
            let url = folder.appendingPathComponent(i == 0 ? "a.jsonl" : "b.jsonl")
            try evaluate(
                dataset, out: url, shard: try Shard(index: i, count: 2),
                extra: fp32.merging(["backend": backend]) { $1 })
            return try ResultFile.read(url)
        }
        let refused = errorText { _ = try ResultSet.merge(files) }
        #expect(
            refused.contains("differ only in backend (fp32-openblas vs fp32-onednn)")
                && refused.contains("--allow-mixed-precision") && refused.contains("eval --backend"), "\(refused)")
        let mixed = try ResultSet.merge(files, allowMixedPrecision: true)
        #expect(mixed.images.count == 3)
        #expect(mixed.settings["precision"] == "fp32")
        #expect(mixed.settings["backend"] == "fp32-onednn+fp32-openblas", "\(mixed.settings)")
        #expect(
            mixed.notes.contains { $0.contains("different backends") && $0.contains("b.jsonl") }, "\(mixed.notes)")
    }

    @Test func resumeIgnoresPathsButNotContent() throws {
        let dataset = try Fixtures.dataset(.cub, split: .all)
        let out = try Fixtures.temporaryFolder().appendingPathComponent("r.jsonl")
        let runner = EvalRunner(dataset: dataset, limit: 1)
        var p: any KeypointPredictor = RandomPredictor()
        let first = try ResultStore.open(url: out, settings: try runner.settings(for: p, extra: fp32))
        try runner.run(predictor: &p, store: first)
        first.close()
        // The model and dataset moved (a requeued task on another node): resumed.
        var moved = try EvalRunner(dataset: dataset).settings(
            for: p, extra: fp32.merging(["model": "/node7/model"]) { $1 })
        moved["root"] = "/node7/CUB_200_2011"
        let again = try ResultStore.open(url: out, settings: moved)
        #expect(again.resumed && again.images.count == 1)
        again.close()
        let refused = errorText {
            _ = try ResultStore.open(url: out, settings: try EvalRunner(dataset: dataset).settings(for: p, extra: bf16))
        }
        #expect(refused.contains("precision: the file has fp32, this run has bf16"), "\(refused)")
    }

    /// Format-1 files (model and grid by path) still merge with each other, are refused with a
    /// clear message when mixed with format 2 or resumed.
    @Test func formatOneFiles() throws {
        let dataset = try Fixtures.dataset(.cub, split: .all)
        let folder = try Fixtures.temporaryFolder()
        var urls: [URL] = []
        for i in 0..<2 {
            let url = folder.appendingPathComponent("old\(i).jsonl")
            try evaluate(dataset, out: url, shard: try Shard(index: i, count: 2), extra: ["model": "/a/model"])
            try Fixtures.edit(url) { $0[0] = $0[0].replacingOccurrences(of: "\"version\":2", with: "\"version\":1") }
            urls.append(url)
        }
        let old = try urls.map { try ResultFile.read($0) }
        #expect(old.allSatisfy { $0.header?.version == 1 })
        #expect(try ResultSet.merge(old).images.count == 3)
        let current = folder.appendingPathComponent("new.jsonl")
        try evaluate(dataset, out: current, shard: try Shard(index: 1, count: 2), extra: ["model": "/a/model"])
        let mixed = errorText { _ = try ResultSet.merge([old[0], try ResultFile.read(current)]) }
        #expect(mixed.contains("old0.jsonl is results format 1") && mixed.contains("rerun its shard"), "\(mixed)")
        let resumed = errorText {
            try evaluate(dataset, out: urls[0], shard: try Shard(index: 0, count: 2), extra: ["model": "/a/model"])
        }
        #expect(resumed.contains("old0.jsonl is results format 1") && resumed.contains("not resumed"), "\(resumed)")
    }
}
