import Foundation
import KeypointsTestSupport
import Testing

@testable import Evaluation

/// `keypoints eval --shard auto` in a (simulated) job array, and shards run from copies of the
/// model, grid, vocabulary and dataset at other paths merged by `keypoints report`.
@Suite(.serialized) struct ScaleOutCLITests {
    let cubArguments = ["eval", "--dataset", "cub", "--split", "all"]
    /// No job-array variables, whatever the environment the tests run in.
    let outsideArrays = [
        "SLURM_ARRAY_TASK_ID": "", "SLURM_ARRAY_TASK_COUNT": "", "SLURM_ARRAY_TASK_MIN": "",
        "SLURM_ARRAY_TASK_STEP": "", "JOB_COMPLETION_INDEX": "",
    ]
    static var tinyModel: URL {
        Fixtures.repositoryRoot.appendingPathComponent("Tests/CLIPTests/Fixtures/models/tiny-quickgelu")
    }

    func report(_ r: KeypointsExecutable.Result) throws -> PCKReport {
        #expect(r.status == 0, "stderr: \(r.stderr)")
        return try JSONDecoder().decode(PCKReport.self, from: Data(r.stdout.utf8))
    }

    @Test func shardAutoInsideAndOutsideAnArray() throws {
        guard KeypointsExecutable.available() else { return }
        let folder = try Fixtures.temporaryFolder()
        let out = folder.appendingPathComponent("cub-{shard}.jsonl").path
        let arguments =
            cubArguments + ["--root", Fixtures.cub.path, "--method", "random", "--shard", "auto", "--out", out]
        let outside = try KeypointsExecutable.runInRepository(arguments, environment: outsideArrays)
        #expect(outside.status != 0, "\(outside.stdout)")
        let lines = outside.stderr.split(separator: "\n")
        #expect(
            lines.count == 1 && lines[0].contains("SLURM_ARRAY_TASK_ID") && lines[0].contains("JOB_COMPLETION_INDEX"),
            "\(outside.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path).isEmpty)

        // Task 3 of --array=1-3: shard 2/3, the third id in sorted order.
        var slurm = outsideArrays
        slurm.merge(["SLURM_ARRAY_TASK_ID": "3", "SLURM_ARRAY_TASK_COUNT": "3", "SLURM_ARRAY_TASK_MIN": "1"]) { $1 }
        let task = try KeypointsExecutable.runInRepository(arguments, environment: slurm)
        #expect(task.status == 0 && task.stderr.contains("shard 2/3 (--shard auto)"), "\(task.stderr)")
        let file = try ResultFile.read(folder.appendingPathComponent("cub-2.jsonl"))
        #expect(file.header?.settings["shard"] == "2/3" && file.images.map(\.value.id) == ["1768"])

        // A Kubernetes Indexed Job pod: index 0 of --shards 3.
        var pod = outsideArrays
        pod["JOB_COMPLETION_INDEX"] = "0"
        let k8s = try KeypointsExecutable.runInRepository(arguments + ["--shards", "3"], environment: pod)
        #expect(k8s.status == 0, "\(k8s.stderr)")
        #expect(try ResultFile.read(folder.appendingPathComponent("cub-0.jsonl")).images.map(\.value.id) == ["953"])
        let noCount = try KeypointsExecutable.runInRepository(arguments, environment: pod)
        #expect(
            noCount.status != 0 && noCount.stderr.contains("give the Job's completions as --shards N"),
            "\(noCount.stderr)")
    }

    /// An fp32 results file resumes on the library it was written with when `--backend` is not
    /// given (a file written with `--backend onednn` does not switch to the default OpenBLAS), and
    /// another library given explicitly is another run: refused.
    @Test func fp32ResumeKeepsItsLibrary() throws {
        guard KeypointsExecutable.available() else { return }
        let out = try Fixtures.temporaryFolder().appendingPathComponent("results.jsonl").path
        let base =
            cubArguments + [
                "--root", Fixtures.cub.path, "--model", Self.tinyModel.path, "--precision", "fp32", "--threads", "1",
                "--out", out,
            ]
        let first = try KeypointsExecutable.runInRepository(
            base + ["--backend", "onednn", "--limit", "1"], environment: outsideArrays)
        #expect(first.status == 0, "\(first.stderr)")
        let resumed = try KeypointsExecutable.runInRepository(base, environment: outsideArrays)
        #expect(resumed.status == 0, "\(resumed.stderr)")
        let file = try ResultFile.read(URL(fileURLWithPath: out))
        #expect(file.header?.settings["backend"] == "fp32-onednn")
        #expect(file.images.count == 3)
        let other = try KeypointsExecutable.runInRepository(
            base + ["--backend", "openblas"], environment: outsideArrays)
        #expect(other.status != 0)
        #expect(other.stderr.contains("fp32-onednn") && other.stderr.contains("fp32-openblas"), "\(other.stderr)")
        // As its own run, `report --compare` labels the two by library, not by file name.
        let second = URL(fileURLWithPath: out).deletingLastPathComponent().appendingPathComponent("openblas.jsonl").path
        let r = try KeypointsExecutable.runInRepository(
            Array(base.dropLast(2)) + ["--out", second, "--backend", "openblas"], environment: outsideArrays)
        #expect(r.status == 0, "\(r.stderr)")
        let compare = try KeypointsExecutable.runInRepository(["report", "--compare", out, second])
        #expect(compare.status == 0, "\(compare.stderr)")
        #expect(
            compare.stdout.contains("(backend fp32-onednn)") && compare.stdout.contains("(backend fp32-openblas)"),
            "\(compare.stdout)")
    }

    /// The new-user case: two checkouts at different paths, each with its own copy of the
    /// model, grid, vocabulary and dataset, run one shard each; `report` merges them into the
    /// unsharded run's summary. Another model's shard is refused by content, not path.
    @Test func shardsFromCopiesAtOtherPathsMerge() throws {
        guard KeypointsExecutable.available() else { return }
        let folder = try Fixtures.temporaryFolder()
        func clip(_ model: URL, grid: URL, vocabulary: URL, root: URL) -> [String] {
            cubArguments + [
                "--root", root.path, "--model", model.path, "--grid", grid.path, "--vocabulary", vocabulary.path,
                "--precision", "fp32", "--threads", "1",
            ]
        }
        let grid = Fixtures.repositoryRoot.appendingPathComponent("grids/fast.json")
        let vocabulary = Fixtures.repositoryRoot.appendingPathComponent("keypoints/cub.json")
        let whole = try report(
            try KeypointsExecutable.runInRepository(
                clip(Self.tinyModel, grid: grid, vocabulary: vocabulary, root: Fixtures.cub) + ["--json"],
                environment: outsideArrays))
        var files: [String] = []
        for i in 0..<2 {
            let checkout = folder.appendingPathComponent("checkout\(i)", isDirectory: true)
            try FileManager.default.createDirectory(at: checkout, withIntermediateDirectories: true)
            for source in [Self.tinyModel, grid, vocabulary, Fixtures.cub] {
                try FileManager.default.copyItem(
                    at: source, to: checkout.appendingPathComponent(source.lastPathComponent))
            }
            let out = checkout.appendingPathComponent("results-\(i).jsonl").path
            let r = try KeypointsExecutable.runInRepository(
                clip(
                    checkout.appendingPathComponent(Self.tinyModel.lastPathComponent),
                    grid: checkout.appendingPathComponent("fast.json"),
                    vocabulary: checkout.appendingPathComponent("cub.json"),
                    root: checkout.appendingPathComponent("CUB_200_2011"))
                    + ["--shard", "\(i)/2", "--out", out], environment: outsideArrays)
            #expect(r.status == 0, "\(r.stderr)")
            files.append(out)
        }
        let headers = try files.map { try ResultFile.read(URL(fileURLWithPath: $0)).header?.settings ?? [:] }
        #expect(headers[0]["model"] != headers[1]["model"] && headers[0]["model_sha256"] == headers[1]["model_sha256"])
        #expect(headers[0]["precision"] == "fp32" && headers[0]["vocabulary_sha256"]?.count == 64)
        let merged = try report(try KeypointsExecutable.runInRepository(["report", "--json"] + files))
        #expect(merged.images == 3 && merged.pck == whole.pck && merged.perKeypoint == whole.perKeypoint)
        #expect(merged.perCategory == whole.perCategory)

        // The same shard with another model's weights is another run: refused, naming the digest.
        let other = folder.appendingPathComponent("other.jsonl").path
        let otherModel = Fixtures.repositoryRoot.appendingPathComponent(
            "Tests/CLIPTests/Fixtures/models/tiny-gelu-fp16")
        let r = try KeypointsExecutable.runInRepository(
            clip(otherModel, grid: grid, vocabulary: vocabulary, root: Fixtures.cub)
                + ["--shard", "1/2", "--out", other], environment: outsideArrays)
        #expect(r.status == 0, "\(r.stderr)")
        let refused = try KeypointsExecutable.runInRepository(["report", files[0], other])
        #expect(refused.status != 0 && refused.stderr.contains("model_sha256"), "\(refused.stderr)")
    }

    /// examples/kubernetes/merge-job.yaml's command, run by /bin/sh as in the image (dash on
    /// Debian, no pipefail): a failed report fails the Job (it piped into tee, which exited 0)
    /// and leaves no report.txt; a good one writes it.
    @Test func kubernetesMergeJobFailsWhenTheReportFails() throws {
        guard KeypointsExecutable.available() else { return }
        let yaml = try String(
            contentsOf: Fixtures.repositoryRoot.appendingPathComponent("examples/kubernetes/merge-job.yaml"),
            encoding: .utf8)
        let lines = yaml.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
        let argsLine = try #require(lines.firstIndex(of: "args:"))
        let command = String(lines[argsLine + 1].dropFirst(2))
        #expect(command.hasPrefix("keypoints report /results/results-*.jsonl"), "\(command)")
        func runJob(_ results: URL) throws -> Int32 {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/bin/sh")
            process.arguments = ["-c", command.replacingOccurrences(of: "/results/", with: results.path + "/")]
            var environment = ProcessInfo.processInfo.environment
            environment["PATH"] =
                KeypointsExecutable.url.deletingLastPathComponent().path + ":" + (environment["PATH"] ?? "")
            process.environment = environment
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            process.waitUntilExit()
            return process.terminationStatus
        }
        let folder = try Fixtures.temporaryFolder()
        // No results files: report fails, so must the job.
        #expect(try runJob(folder) != 0)
        #expect(!FileManager.default.fileExists(atPath: folder.appendingPathComponent("report.txt").path))
        let out = folder.appendingPathComponent("results-0.jsonl").path
        let eval = try KeypointsExecutable.runInRepository(
            cubArguments + ["--root", Fixtures.cub.path, "--method", "random", "--out", out],
            environment: outsideArrays)
        #expect(eval.status == 0, "\(eval.stderr)")
        #expect(try runJob(folder) == 0)
        let report = try String(contentsOf: folder.appendingPathComponent("report.txt"), encoding: .utf8)
        #expect(report.contains("PCK@0.1"), "\(report)")
        #expect(FileManager.default.fileExists(atPath: folder.appendingPathComponent("pck.png").path))
    }
}
