import Foundation
import Testing

@testable import KeypointsCLI

/// `--backend invariant` on the command line: chosen, named, resumed, measured, and its promise
/// (the same photo's scores bit for bit whatever --batch and --threads) kept end to end.
@Suite struct InvariantBackendCLITests {
    static var model: String { CLIRunner.clipFixtures.appendingPathComponent("models/tiny-quickgelu").path }
    static var bird: String { CLIRunner.clipFixtures.appendingPathComponent("images/bird.jpg").path }

    /// Every sample score of `localize --scores` for the bird, as written (shortest round-trip
    /// decimal, so equal text means equal bits).
    func sampleScores(_ extra: [String]) throws -> [String] {
        let dir = try CLIRunner.tempDirectory()
        let file = dir.appendingPathComponent("scores.json")
        let r = try CLIRunner.run(
            [
                "localize", Self.bird, "--model", Self.model, "--vocabulary", "cub", "--only", "beak,tail",
                "--scores", file.path,
            ] + extra, cwd: CLIRunner.repositoryRoot)
        #expect(r.status == 0, "\(r.stderr)")
        let text = try String(contentsOf: file, encoding: .utf8)
        // "score" : value pairs in file order (samples of each keypoint, then the answers).
        return text.components(separatedBy: "\"score\"").dropFirst().map { part in
            String(part.drop { $0 == ":" || $0 == " " }.prefix { $0 != "," && $0 != "}" && $0 != "\n" })
        }
    }

    @Test func localizeScoresDoNotDependOnBatchOrThreads() throws {
        let a = try sampleScores(["--backend", "invariant", "--batch", "7", "--threads", "2"])
        let b = try sampleScores(["--backend", "invariant", "--batch", "64", "--threads", "1"])
        #expect(a.count > 200)
        #expect(a == b)
        // For the log only (depends on the OpenBLAS build): the same on OpenBLAS.
        let c = try sampleScores(["--backend", "openblas", "--batch", "7", "--threads", "2"])
        let d = try sampleScores(["--backend", "openblas", "--batch", "64", "--threads", "1"])
        print(
            "OpenBLAS: \(zip(c, d).filter { $0 != $1 }.count) of \(c.count) sample scores differ between --batch 7 --threads 2 and --batch 64 --threads 1"
        )
    }

    @Test func invariantMeansFP32AndResumesAsInvariant() throws {
        for units in [false, true] {
            #expect(Precision.requested(nil, library: .invariant, bf16Units: units) == .fp32)
        }
        #expect(FP32Library(backendName: "fp32-invariant") == .invariant)
        let plain = try ComputeOptions.parse([])
        let resumed = plain.resuming(recorded: ["precision": "fp32", "backend": "fp32-invariant"])
        #expect(resumed.backend == .invariant)
        let refused = try CLIRunner.run([
            "info", "--precision", "bf16", "--backend", "invariant",
        ])
        #expect(refused.status != 0)
        #expect(refused.stderr.contains("--backend invariant computes in fp32 only"), "\(refused.stderr)")
    }

    struct InfoOutput: Decodable {
        let fp32_backend: String
        let fp32_implementation: String
    }

    struct BenchOutput: Decodable {
        struct Throughput: Decodable { let items_per_s: Double }
        struct PrecisionReport: Decodable {
            let precision: String
            let backend: String
            let attention: String
            let image: Throughput
            let gemm_gflops: Double
        }
        let precisions: [PrecisionReport]
    }

    @Test func infoAndBenchNameTheBackend() throws {
        let info = try CLIRunner.run(["info", "--json", "--backend", "invariant"])
        #expect(info.status == 0, "\(info.stderr)")
        let i = try JSONDecoder().decode(InfoOutput.self, from: info.stdoutData)
        #expect(i.fp32_backend == "fp32-invariant")
        #expect(i.fp32_implementation.hasPrefix("keypoints' invariant kernels"), "\(i.fp32_implementation)")
        let bench = try CLIRunner.run([
            "bench", "--model", Self.model, "--batch", "3", "--text-batch", "2", "--seconds", "0.05",
            "--backend", "invariant", "--json",
        ])
        #expect(bench.status == 0, "\(bench.stderr)")
        let b = try JSONDecoder().decode(BenchOutput.self, from: bench.stdoutData)
        #expect(b.precisions.map(\.backend) == ["fp32-invariant"])
        #expect(b.precisions.first?.precision == "fp32")
        #expect(b.precisions.first?.attention == "invariant FMA-chain tiles (per head)")
        #expect((b.precisions.first?.gemm_gflops ?? 0) > 0 && (b.precisions.first?.image.items_per_s ?? 0) > 0)
    }
}
