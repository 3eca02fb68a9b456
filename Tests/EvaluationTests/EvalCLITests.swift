import Foundation
import KeypointsTestSupport
import Testing

@testable import Evaluation

#if canImport(Glibc)
    import Glibc
#endif

/// The built `keypoints` executable (Tests/TestSupport), run from the repository root.
extension KeypointsExecutable {
    static func processInRepository(_ arguments: [String], environment: [String: String] = [:]) -> Process {
        process(arguments, cwd: Fixtures.repositoryRoot, environment: environment)
    }

    static func runInRepository(_ arguments: [String], environment: [String: String] = [:]) throws -> Result {
        try run(arguments, cwd: Fixtures.repositoryRoot, environment: environment)
    }

    /// Fails the test with a useful message when the executable or its eval command is missing.
    static func available() -> Bool {
        guard FileManager.default.isExecutableFile(atPath: url.path) else {
            Issue.record("\(url.path) not found: build the package (swift build) before these tests")
            return false
        }
        guard let help = try? runInRepository(["eval", "--help"]), help.stdout.contains("USAGE: keypoints eval") else {
            Issue.record(
                "keypoints has no eval subcommand: add EvalCommand.self and ReportCommand.self to the subcommands of KeypointsCommand"
            )
            return false
        }
        return true
    }
}

@Suite(.serialized) struct EvalCLITests {
    var cubArguments: [String] { cubArguments(root: Fixtures.cub) }

    /// `eval` of the random method over all images of the CUB dataset at `root`.
    func cubArguments(root: URL) -> [String] {
        ["eval", "--dataset", "cub", "--root", root.path, "--split", "all", "--method", "random"]
    }

    func report(_ r: KeypointsExecutable.Result) throws -> PCKReport {
        #expect(r.status == 0, "stderr: \(r.stderr)")
        return try JSONDecoder().decode(PCKReport.self, from: Data(r.stdout.utf8))
    }

    @Test func jsonReportAndTable() throws {
        guard KeypointsExecutable.available() else { return }
        let json = try report(try KeypointsExecutable.runInRepository(cubArguments + ["--json"]))
        #expect(json.dataset == "cub" && json.method == "random" && json.alpha == 0.1)
        #expect(json.images == 3 && json.keypoints == 31 && json.skipped == 0)  // 11 + 10 + 10 visible parts
        let table = try KeypointsExecutable.runInRepository(cubArguments)
        #expect(table.status == 0, "\(table.stderr)")
        #expect(table.stdout.contains("PCK@0.1  cub (all), method random"))
        #expect(table.stdout.contains("018.Spotted_Catbird") && table.stdout.contains("left wing"))
    }

    @Test func argumentChecks() throws {
        guard KeypointsExecutable.available() else { return }
        // Without --model the default model is used; in an empty cache the error names the fetch command.
        let emptyHome = FileManager.default.temporaryDirectory.appendingPathComponent("kp-home-\(UUID().uuidString)")
        let noModel = try KeypointsExecutable.runInRepository(
            ["eval", "--dataset", "cub", "--root", Fixtures.cub.path],
            environment: ["KEYPOINTS_HOME": emptyHome.path])
        #expect(
            noModel.status != 0 && noModel.stderr.contains("keypoints model fetch ViT-L/14-336"), "\(noModel.stderr)")
        let shard = try KeypointsExecutable.runInRepository(cubArguments + ["--shard", "2/2"])
        #expect(shard.status != 0 && shard.stderr.contains("expected i/n"), "\(shard.stderr)")
        let split = try KeypointsExecutable.runInRepository([
            "eval", "--dataset", "faces", "--root", Fixtures.faces.path, "--method", "random",
            "--split", "test",
        ])
        #expect(split.status != 0 && split.stderr.contains("has no test split"), "\(split.stderr)")
        let missing = try KeypointsExecutable.runInRepository([
            "eval", "--dataset", "cub", "--root", "/nonexistent/CUB", "--method", "random",
        ])
        #expect(
            missing.status != 0 && missing.stderr.contains("/nonexistent/CUB/images.txt: cannot read"),
            "\(missing.stderr)")
    }

    @Test func shardsMergedByReportEqualOneRun() throws {
        guard KeypointsExecutable.available() else { return }
        let folder = try Fixtures.temporaryFolder()
        let whole = try report(try KeypointsExecutable.runInRepository(cubArguments + ["--json"]))
        var files: [String] = []
        for i in 0..<2 {
            let out = folder.appendingPathComponent("s\(i).jsonl").path
            let r = try KeypointsExecutable.runInRepository(cubArguments + ["--shard", "\(i)/2", "--out", out])
            #expect(r.status == 0, "\(r.stderr)")
            files.append(out)
        }
        let curve = folder.appendingPathComponent("curve.png").path
        let merged = try report(
            try KeypointsExecutable.runInRepository(["report"] + files + ["--json", "--curve", curve]))
        #expect(merged.pck == whole.pck && merged.images == 3 && merged.perKeypoint == whole.perKeypoint)
        #expect(FileManager.default.fileExists(atPath: curve))
        let alpha = try report(
            try KeypointsExecutable.runInRepository(["report"] + files + ["--json", "--alpha", "0.2"]))
        #expect(alpha.alpha == 0.2 && alpha.correct >= merged.correct)
        // Another seed is another run: refused, unless compared.
        let other = folder.appendingPathComponent("seed1.jsonl").path
        #expect(try KeypointsExecutable.runInRepository(cubArguments + ["--seed", "1", "--out", other]).status == 0)
        let refused = try KeypointsExecutable.runInRepository(["report", files[0], other])
        #expect(refused.status != 0 && refused.stderr.contains("come from different runs"), "\(refused.stderr)")
        let compared = try KeypointsExecutable.runInRepository(["report", "--compare", "--json"] + files + [other])
        #expect(compared.status == 0, "\(compared.stderr)")
        // Issue 14: one table, rows overall / keypoints, one column per run; also as JSON and CSV.
        let comparison = try JSONDecoder().decode(PCKComparison.self, from: Data(compared.stdout.utf8))
        #expect(comparison.reports.count == 2 && comparison.runs.count == 2)
        #expect(comparison.rows.first?.kind == "overall" && comparison.rows.allSatisfy { $0.values.count == 2 })
        #expect(comparison.rows.contains { $0.kind == "keypoint" && $0.name == "beak" })
        let table = try KeypointsExecutable.runInRepository(["report", "--compare"] + files + [other])
        #expect(table.status == 0 && table.stdout.contains("runs compared (columns)"), "\(table.stderr)")
        #expect(
            table.stdout.components(separatedBy: "PCK@").count == 2,
            "one table, not one report per run: \(table.stdout)")
        let csv = try KeypointsExecutable.runInRepository(["report", "--compare", "--csv"] + files + [other])
        let lines = csv.stdout.split(separator: "\n")
        // Header, the rows, and the mean of the categories (the sample has several categories).
        #expect(comparison.meanPerCategory?.count == 2)
        #expect(
            csv.status == 0 && lines.first?.hasPrefix("row,name,") == true && lines.count == comparison.rows.count + 2)
        #expect(table.stdout.contains("mean of categories"), "\(table.stdout)")
    }

    /// Issue 14: `report --curve` writes PNG or SVG by the file's extension; anything else is refused
    /// in one line before the results are read.
    @Test func curveFormatFollowsTheExtension() throws {
        guard KeypointsExecutable.available() else { return }
        let folder = try Fixtures.temporaryFolder()
        let results = folder.appendingPathComponent("random.jsonl").path
        #expect(try KeypointsExecutable.runInRepository(cubArguments + ["--out", results]).status == 0)
        let svg = folder.appendingPathComponent("plots/pck.svg")
        let png = folder.appendingPathComponent("pck.PNG")
        for url in [svg, png] {
            let r = try KeypointsExecutable.runInRepository(["report", results, "--curve", url.path])
            #expect(r.status == 0 && r.stderr.contains("wrote \(url.path)"), "\(r.stderr)")
        }
        let svgText = try String(contentsOf: svg, encoding: .utf8)
        #expect(svgText.hasPrefix("<?xml") && svgText.components(separatedBy: "<polyline").count == 2)
        let pngBytes = try Data(contentsOf: png)
        #expect(pngBytes.prefix(4) == Data([0x89, 0x50, 0x4E, 0x47]))
        for bad in ["pck.jpg", "pck"] {
            let r = try KeypointsExecutable.runInRepository([
                "report", results, "--curve", folder.appendingPathComponent(bad).path,
            ])
            let lines = r.stderr.split(separator: "\n").filter { $0.hasPrefix("Error:") }
            #expect(r.status != 0 && lines.count == 1 && lines[0].contains(".png or .svg"), "\(r.stderr)")
            #expect(!FileManager.default.fileExists(atPath: folder.appendingPathComponent(bad).path))
        }
    }

    /// `--out` is read once, under its lock, before any model is loaded: a damaged file, or one
    /// another run holds, is what fails, not the missing model; a new file is not created.
    @Test func theResultsFileIsReadBeforeTheModelIsLoaded() throws {
        guard KeypointsExecutable.available() else { return }
        let folder = try Fixtures.temporaryFolder()
        let arguments = [
            "eval", "--dataset", "cub", "--root", Fixtures.cub.path, "--split", "all", "--model", "/nonexistent/model",
        ]
        let damaged = folder.appendingPathComponent("damaged.jsonl")
        try Data("not a results file\nnor this\n".utf8).write(to: damaged)
        let bad = try KeypointsExecutable.runInRepository(arguments + ["--out", damaged.path])
        #expect(bad.status != 0)
        #expect(bad.stderr.contains("\(damaged.path) line 1"), "\(bad.stderr)")
        #expect(!bad.stderr.contains("/nonexistent/model"), "\(bad.stderr)")

        let held = folder.appendingPathComponent("held.jsonl")
        let other = try ResultStore.open(url: held)
        let locked = try KeypointsExecutable.runInRepository(arguments + ["--out", held.path])
        // Not yet created by `other`, the file is created by nobody: the model is what fails.
        #expect(locked.status != 0 && locked.stderr.contains("/nonexistent/model"), "\(locked.stderr)")
        #expect(!FileManager.default.fileExists(atPath: held.path))
        try other.start(settings: ["method": "random"])
        let refused = try KeypointsExecutable.runInRepository(arguments + ["--out", held.path])
        #expect(refused.status != 0 && refused.stderr.contains("being written by another"), "\(refused.stderr)")
        other.close()
    }

    /// Issue 14: Ctrl-C during `eval --out` says how many images are saved and that rerunning
    /// resumes, and exits 130. Interrupted at four moments (within the first, second and third
    /// image, and near an image's end), the count is what the file holds: the handler lets a
    /// record being appended finish and no later one start before it counts (it once counted
    /// first, and a record landing before the exit made it say "holds 0" of a file holding 1).
    ///
    /// The moments are events seen in the file, not times since the start (a start takes
    /// hundreds of ms on a busy machine: a Ctrl-C before the handler was live ended the run
    /// silently or went unseen): the header, written once the handler is live, and then image
    /// records. 15 images of 400 ms leave the run seconds of work after each, so it cannot end
    /// before the signal lands, however long the test is held up in between.
    @Test func sigintSaysHowToResume() throws {
        guard KeypointsExecutable.available() else { return }
        let folder = try Fixtures.temporaryFolder()
        let data = try Fixtures.cubCopies(5)
        // (records to wait for, then ms to wait): the first, second and third image, and 380 ms
        // into the second of 400 ms, near its end.
        for (round, (records, pause)) in [(0, 0), (1, 0), (2, 0), (1, 380)].enumerated() {
            let out = folder.appendingPathComponent("interrupted-\(round).jsonl").path
            let p = KeypointsExecutable.processInRepository(
                cubArguments(root: data.root) + ["--out", out],
                environment: [RandomPredictor.delayEnvironmentVariable: "400"])
            let err = Pipe()
            p.standardOutput = FileHandle.nullDevice
            p.standardError = err
            try p.run()
            let seen = Self.waitForRecords(records, in: out, of: p)
            usleep(useconds_t(pause) * 1_000)
            kill(p.processIdentifier, SIGINT)
            let text = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            p.waitUntilExit()
            let moment = "after \(records) record(s) and \(pause) ms"
            #expect(seen, "\(moment): the run ended first: \(text)")
            #expect(p.terminationStatus == 130, "\(moment): \(text)")
            let saved = try ResultFile.read(URL(fileURLWithPath: out)).images.count
            #expect(saved >= records && saved < data.ids.count, "\(moment): \(saved) saved")
            #expect(
                text.contains(
                    "interrupted: \(out) holds \(saved) finished image(s); run the same command again to resume"),
                "\(moment): \(text)")
        }
    }

    /// Waits until the results file at `path` holds its header and `images` image records
    /// (polled every 2 ms); false if `process` ended first.
    static func waitForRecords(_ images: Int, in path: String, of process: Process) -> Bool {
        while process.isRunning {
            if let data = FileManager.default.contents(atPath: path) {
                let lines = String(decoding: data, as: UTF8.self).split(
                    separator: "\n", omittingEmptySubsequences: false)
                // Complete lines only: the last piece is what follows the last newline.
                let complete = lines.dropLast()
                if !complete.isEmpty && complete.filter({ $0.contains("\"type\":\"image\"") }).count >= images {
                    return true
                }
            }
            usleep(2_000)
        }
        return false
    }

    /// Kills `keypoints eval` with SIGKILL at random moments, restarts it each time, and checks
    /// that the final summary equals an uninterrupted run's and that no image is recorded twice.
    @Test func survivesSIGKILL() throws {
        guard KeypointsExecutable.available() else { return }
        let folder = try Fixtures.temporaryFolder()
        let out = folder.appendingPathComponent("killed.jsonl").path
        // 21 images of 150 ms: kills land before, between and after images, and the first one,
        // 20-350 ms after the run wrote its header, seconds before the run could end.
        let data = try Fixtures.cubCopies(7)
        let arguments = cubArguments(root: data.root)
        let reference = try report(try KeypointsExecutable.runInRepository(arguments + ["--json"]))
        let slow = [RandomPredictor.delayEnvironmentVariable: "150"]
        var generator = SystemRandomNumberGenerator()
        var kills = 0
        for attempt in 0..<4 {
            let p = KeypointsExecutable.processInRepository(arguments + ["--out", out], environment: slow)
            p.standardOutput = FileHandle.nullDevice
            p.standardError = FileHandle.nullDevice
            try p.run()
            if attempt == 0 {
                #expect(Self.waitForRecords(0, in: out, of: p), "the first run ended before writing its header")
            }
            // The first kill lands within the first run; later ones anywhere.
            usleep(UInt32.random(in: attempt == 0 ? 20_000...350_000 : 20_000...500_000, using: &generator))
            if p.isRunning {
                kill(p.processIdentifier, SIGKILL)
                kills += 1
            }
            p.waitUntilExit()
            if attempt == 0 {
                #expect(
                    try ResultFile.read(URL(fileURLWithPath: out)).images.count < data.ids.count,
                    "the first run was not interrupted")
            }
        }
        #expect(kills >= 1)
        let final = try report(try KeypointsExecutable.runInRepository(arguments + ["--out", out, "--json"]))
        #expect(
            final.pck == reference.pck && final.images == reference.images && final.keypoints == reference.keypoints)
        #expect(final.perKeypoint == reference.perKeypoint && final.perCategory == reference.perCategory)
        let file = try ResultFile.read(URL(fileURLWithPath: out))
        #expect(file.tornTail == nil)
        // Each image once (duplicates throw on read).
        #expect(file.images.map(\.value.id).sorted() == data.ids.sorted())
        let lines = try String(contentsOfFile: out, encoding: .utf8).split(separator: "\n")
        #expect(lines.filter { $0.contains("\"type\":\"image\"") }.count == data.ids.count)
        #expect(lines.filter { $0.contains("\"type\":\"header\"") }.count == 1)
        print("survivesSIGKILL: \(kills) kills, \(file.sessions.count) sessions")
    }
}
