import Foundation
import KeypointsTestSupport
import Testing

/// `keypoints report` on `localize --out` files (merging a run's shards, printing the predictions
/// as a table, CSV or JSON) and `localize --csv`, with the executable and the tiny random CLIP.
@Suite struct LocalizeReportTests {
    let files = LocalizeResultsTests()

    /// CSV rows without the last column (seconds: wall-clock time differs between runs).
    static func withoutSeconds(_ csv: String) -> [String] {
        csv.split(separator: "\n").map { line in
            String(line[..<(line.lastIndex(of: ",") ?? line.endIndex)])
        }
    }

    @Test func mergedShardsPrintTheSameCSVAsOneUnshardedRun() throws {
        let (dir, _) = try files.photoFolder()
        let whole = try files.localize(["photos", "--csv"], in: dir)
        #expect(whole.status == 0, "\(whole.stderr)")
        let rows = Self.withoutSeconds(whole.stdout)
        // 3 photos x 2 keypoints, after the header.
        #expect(rows.count == 7)
        #expect(rows.first == "image,keypoint,x,y,score,passes")
        let photos: [String] = rows.dropFirst().map { String($0.split(separator: ",")[0]) }
        #expect(photos.filter { $0 == "photos/cow.jpg" }.count == 2)
        for i in 0..<2 {
            let run = try files.localize(["photos", "--shard", "\(i)/2", "--out", "r-{shard}.jsonl"], in: dir)
            #expect(run.status == 0, "\(run.stderr)")
        }
        // Files in any order: the rows are sorted by photo, as the folder is.
        let merged = try CLIRunner.run(["report", "r-1.jsonl", "r-0.jsonl", "--csv"], cwd: dir)
        #expect(merged.status == 0, "\(merged.stderr)")
        #expect(Self.withoutSeconds(merged.stdout) == rows)
        let seconds = merged.stdout.split(separator: "\n").dropFirst().map { row -> Double? in
            Double(row.split(separator: ",")[6])
        }
        #expect(seconds.count == 6 && seconds.allSatisfy { $0 != nil })

        // One shard alone: the merge says what is missing.
        let partial = try CLIRunner.run(["report", "r-0.jsonl"], cwd: dir)
        #expect(partial.status == 0, "\(partial.stderr)")
        #expect(partial.stdout.split(separator: "\n").count == 1 + 2 * 2)
        #expect(partial.stdout.hasPrefix("photo "))

        let table = try CLIRunner.run(["report", "r-0.jsonl", "r-1.jsonl"], cwd: dir)
        #expect(table.status == 0, "\(table.stderr)")
        let lines = table.stdout.split(separator: "\n")
        #expect(lines[0].hasPrefix("files: ") && lines[0].contains("r-1.jsonl"))
        #expect(lines[1].hasPrefix("photo") && lines[1].hasSuffix("score"))
        #expect(lines.count == 2 + 6)

        struct Document: Decodable {
            struct Image: Decodable {
                let path: String
                let keypoints: [LocalizeResultsTests.Record.Keypoint]
            }
            let settings: [String: String]
            let files: [String]
            let images: [Image]
        }
        let json = try CLIRunner.run(["report", "r-0.jsonl", "r-1.jsonl", "--json"], cwd: dir)
        #expect(json.status == 0, "\(json.stderr)")
        let document = try JSONDecoder().decode(Document.self, from: json.stdoutData)
        #expect(document.images.map(\.path) == ["photos/bird.jpg", "photos/cow.jpg", "photos/face.png"])
        #expect(document.settings["shard"] == "0/2+1/2")
        #expect(document.files.count == 2)
        #expect(document.images.allSatisfy { $0.keypoints.map(\.name) == ["beak", "eye"] })
    }

    @Test func pckOptionsMixedKindsAndDuplicatesAreOneLineErrors() throws {
        let (dir, _) = try files.photoFolder()
        #expect(try files.localize(["photos/bird.jpg", "--out", "a.jsonl"], in: dir).status == 0)
        #expect(try files.localize(["photos/bird.jpg", "photos/cow.jpg", "--out", "b.jsonl"], in: dir).status == 0)
        let cases: [([String], String)] = [
            (
                ["a.jsonl", "--alpha", "0.2", "--curve", "pck.png"],
                "--alpha, --curve apply to eval results (PCK needs ground truth); "
            ),
            (["a.jsonl", "--compare"], "--compare applies to eval results"),
            (["a.jsonl", "--allow-mixed-precision"], "--allow-mixed-precision applies to eval results"),
            (["a.jsonl", "b.jsonl"], "image photos/bird.jpg appears twice: "),
            (["a.jsonl", "--csv", "--json"], "give --json or --csv, not both"),
        ]
        for (arguments, message) in cases {
            let run = try CLIRunner.run(["report"] + arguments, cwd: dir)
            #expect(run.status != 0, "\(arguments)")
            #expect(run.stderr.contains(message), "\(arguments): \(run.stderr)")
            #expect(run.stdout.isEmpty, "\(arguments)")
        }
        let twice = try CLIRunner.run(["report", "a.jsonl", "b.jsonl"], cwd: dir)
        #expect(twice.stderr.contains("a.jsonl line 2 and "), "\(twice.stderr)")
        #expect(twice.stderr.contains("b.jsonl line 2"), "\(twice.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("pck.png").path))

        // An eval results file beside a localize one.
        let eval = try CLIRunner.run(
            [
                "eval", "--dataset", "cub", "--root",
                CLIRunner.repositoryRoot.appendingPathComponent("Tests/EvaluationTests/Fixtures/cub/CUB_200_2011")
                    .path,
                "--split", "all", "--method", "random", "--out", "e.jsonl",
            ], cwd: dir)
        #expect(eval.status == 0, "\(eval.stderr)")
        let mixed = try CLIRunner.run(["report", "e.jsonl", "a.jsonl"], cwd: dir)
        #expect(mixed.status != 0)
        #expect(
            mixed.stderr.contains("a.jsonl is a keypoints localize results file and ")
                && mixed.stderr.contains("e.jsonl a keypoints eval results file: report reads one kind per call"),
            "\(mixed.stderr)")
        // Eval files keep their rule: --csv is for --compare.
        let evalCSV = try CLIRunner.run(["report", "e.jsonl", "--csv"], cwd: dir)
        #expect(evalCSV.status != 0)
        #expect(evalCSV.stderr.contains("--csv applies to --compare"), "\(evalCSV.stderr)")

        // localize --csv and --json together.
        let both = try files.localize(["photos/bird.jpg", "--csv", "--json"], in: dir)
        #expect(both.status != 0)
        #expect(both.stderr.contains("give --json or --csv, not both"), "\(both.stderr)")
    }

    /// examples/slurm's localize array task and merge job, run by bash outside Slurm (the array's
    /// variables set by hand; the integration test runs them on a real Slurm): the merged
    /// predictions.csv equals an unsharded `localize --csv`, and a failed merge fails the job
    /// and keeps the previous CSV, leaving no temporary file.
    @Test func slurmLocalizeScriptsMergeIntoTheUnshardedCSV() throws {
        let (dir, photos) = try files.photoFolder()
        let slurm = CLIRunner.repositoryRoot.appendingPathComponent("examples/slurm")
        let outdir = dir.appendingPathComponent("results")
        func bash(_ script: String, _ arguments: [String], task: Int? = nil) throws -> Int32 {
            // Outside any array unless `task` is given (an outer job's variables emptied).
            var environment = ["KEYPOINTS": CLIRunner.executable.path, "JOB_COMPLETION_INDEX": ""]
            for name in ProcessInfo.processInfo.environment.keys where name.hasPrefix("SLURM_") {
                environment[name] = ""
            }
            if let task {
                environment.merge(
                    ["SLURM_ARRAY_TASK_ID": "\(task)", "SLURM_ARRAY_TASK_COUNT": "2", "SLURM_ARRAY_TASK_MIN": "0"]
                ) { $1 }
            }
            let process = KeypointsExecutable.process(
                [slurm.appendingPathComponent(script).path] + arguments, cwd: dir, environment: environment)
            process.executableURL = URL(fileURLWithPath: "/bin/bash")
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            process.waitUntilExit()
            return process.terminationStatus
        }
        let options = ["--model", LocalizeResultsTests.model, "--keypoint", "beak", "--keypoint", "eye"]
        for task in 0..<2 {
            #expect(try bash("localize-array.sbatch", [photos.path, outdir.path] + options, task: task) == 0)
        }
        #expect(try bash("localize-merge.sbatch", [outdir.path]) == 0)
        let predictions = outdir.appendingPathComponent("predictions.csv")
        let merged = try String(contentsOf: predictions, encoding: .utf8)
        // One thread, as each task (SLURM_CPUS_PER_TASK unset): sgemm rounds by its thread count.
        let whole = try CLIRunner.run(["localize", photos.path, "--csv", "--threads", "1"] + options, cwd: dir)
        #expect(whole.status == 0, "\(whole.stderr)")
        #expect(Self.withoutSeconds(merged) == Self.withoutSeconds(whole.stdout))
        #expect(Self.withoutSeconds(merged).count == 7)

        // A file of another run among the shards: the merge fails and keeps the previous CSV.
        let other = try files.localize(
            ["photos/bird.jpg", "--out", outdir.appendingPathComponent("photos-9.jsonl").path, "--marker", "cross"],
            in: dir)
        #expect(other.status == 0, "\(other.stderr)")
        #expect(try bash("localize-merge.sbatch", [outdir.path]) != 0)
        #expect(try String(contentsOf: predictions, encoding: .utf8) == merged)
        #expect(!FileManager.default.fileExists(atPath: outdir.appendingPathComponent("predictions.csv.tmp").path))
    }
}
