import Foundation
import TensorDNNL
import Testing

/// `keypoints bench --json` on a committed tiny model: every precision the CPU has is measured (fp32
/// on both libraries), and the derived figures agree with the measured ones. No timing is asserted (speed belongs to
/// benchmarks), only that the numbers exist, are positive and are consistent.
@Suite struct BenchCommandTests {
    struct Output: Decodable {
        struct Throughput: Decodable {
            let items_per_s: Double
            let gflops: Double
        }
        struct PrecisionReport: Decodable {
            let precision: String
            let backend: String
            let image: Throughput
            let text: Throughput
            let gemm_gflops: Double
            let image_fraction_of_gemm: Double
            let image_ceiling_items_per_s: Double
        }
        let batch: Int
        let precisions: [PrecisionReport]
    }

    @Test func jsonReportIsConsistent() throws {
        let model = CLIRunner.clipFixtures.appendingPathComponent("models/tiny-quickgelu").path
        let result = try CLIRunner.run([
            "bench", "--model", model, "--batch", "3", "--text-batch", "2",
            "--seconds", "0.05", "--json",
        ])
        #expect(result.status == 0, "stderr: \(result.stderr)")
        let output = try JSONDecoder().decode(Output.self, from: result.stdoutData)
        #expect(output.batch == 3)
        // fp32 on OpenBLAS (the default, first) and on oneDNN, then bf16 where the CPU has it.
        let expected = ["fp32-openblas", "fp32-onednn"] + (DNNLBackend.isSupported ? ["bf16-onednn"] : [])
        #expect(output.precisions.map(\.backend) == expected)
        #expect(output.precisions.map(\.precision) == expected.map { String($0.prefix(4)) })
        for p in output.precisions {
            #expect(p.image.items_per_s > 0 && p.text.items_per_s > 0 && p.gemm_gflops > 0)
            // fraction = encoder GFLOP/s / raw GEMM GFLOP/s; ceiling = raw GEMM rate / GFLOP per image.
            #expect(abs(p.image_fraction_of_gemm - p.image.gflops / p.gemm_gflops) <= 1e-9 * p.image_fraction_of_gemm)
            let flopsPerImage = p.image.gflops / p.image.items_per_s
            #expect(abs(p.image_ceiling_items_per_s * flopsPerImage - p.gemm_gflops) <= 1e-9 * p.gemm_gflops)
        }
    }

    struct ProfileOutput: Decodable {
        struct Throughput: Decodable { let items_per_s: Double }
        struct Entry: Decodable {
            let operation: String
            let seconds_per_item: Double
            let share: Double
            let gflops: Double?
        }
        struct Profile: Decodable {
            let items: Int
            let seconds_per_item: Double
            let operations: [Entry]
        }
        struct PrecisionReport: Decodable {
            let precision: String
            let backend: String
            let profile: Profile
        }
        // The top-level fields a single-precision run keeps.
        let image: Throughput
        let text: Throughput
        let sgemm_gflops: Double
        let precisions: [PrecisionReport]
    }

    /// The shares of a profile add up to 1 up to the rounding of a handful of Double sums.
    static let shareSumTolerance = 1e-9

    /// `--profile --json`: every operation class is present once, in the documented order, with
    /// non-negative times whose shares sum to 1 and add up to the total; the linear products
    /// report their rate. No timing is asserted.
    @Test(arguments: ["openblas", "onednn"])
    func profileJSONCoversEveryOperationClass(library: String) throws {
        let model = CLIRunner.clipFixtures.appendingPathComponent("models/tiny-quickgelu").path
        let result = try CLIRunner.run([
            "bench", "--model", model, "--batch", "3", "--text-batch", "2",
            "--seconds", "0.05", "--precision", "fp32", "--backend", library, "--profile", "--json",
        ])
        #expect(result.status == 0, "stderr: \(result.stderr)")
        let output = try JSONDecoder().decode(ProfileOutput.self, from: result.stdoutData)
        #expect(output.image.items_per_s > 0 && output.text.items_per_s > 0 && output.sgemm_gflops > 0)
        #expect(output.precisions.map(\.backend) == ["fp32-\(library)"])
        let classes = [
            "linear_products", "attention_products", "softmax", "layer_norm", "activation", "conversions",
            "other",
        ]
        for p in output.precisions {
            let profile = p.profile
            #expect(profile.items >= 3 && profile.items % 3 == 0, "whole batches of 3: \(profile.items)")
            #expect(profile.operations.map(\.operation) == classes)
            #expect(profile.operations.allSatisfy { $0.share >= 0 && $0.seconds_per_item >= 0 })
            let shares = profile.operations.reduce(0) { $0 + $1.share }
            #expect(abs(shares - 1) <= Self.shareSumTolerance, "shares sum to \(shares)")
            let seconds = profile.operations.reduce(0) { $0 + $1.seconds_per_item }
            #expect(abs(seconds - profile.seconds_per_item) <= Self.shareSumTolerance * profile.seconds_per_item)
            let linear = try #require(profile.operations.first { $0.operation == "linear_products" })
            #expect((linear.gflops ?? 0) > 0 && linear.share > 0)
            // fp32 converts nothing (oneDNN reads f32 activations as they are).
            #expect(profile.operations.first { $0.operation == "conversions" }?.share == 0)
        }
    }

    /// The oneDNN tuning switches run every combination (one fp32-onednn row each); a value that
    /// is not a mode is refused by name.
    @Test(arguments: ["workers", "openmp"], ["per-head", "all-heads"])
    func tuningSwitchesRun(threading: String, batching: String) throws {
        let model = CLIRunner.clipFixtures.appendingPathComponent("models/tiny-quickgelu").path
        let result = try CLIRunner.run([
            "bench", "--model", model, "--batch", "2", "--text-batch", "2", "--seconds", "0.02",
            "--backend", "onednn", "--dnnl-threading", threading, "--attention-batching", batching, "--json",
        ])
        #expect(result.status == 0, "stderr: \(result.stderr)")
        let output = try JSONDecoder().decode(Output.self, from: result.stdoutData)
        #expect(output.precisions.map(\.backend).first == "fp32-onednn")
        let wrong = try CLIRunner.run(["bench", "--arch", "ViT-B/32", "--dnnl-threading", "gomp"])
        #expect(wrong.status != 0 && wrong.stderr.contains("--dnnl-threading"), "\(wrong.stderr)")
    }

    struct AttentionOutput: Decodable {
        struct PrecisionReport: Decodable {
            let backend: String
            let attention: String
        }
        let precisions: [PrecisionReport]
    }

    /// `--attention-batching` reaches the backend: on a shape whose attention runs on oneDNN
    /// (ViT-B/16: 197 tokens, 12 heads) the report names the batched or the per-head products;
    /// below the threshold (the tiny model) and on OpenBLAS it names the OpenBLAS tiles.
    @Test(arguments: ["per-head", "all-heads"])
    func attentionBatchingReachesTheBackend(batching: String) throws {
        let result = try CLIRunner.run([
            "bench", "--arch", "ViT-B/16", "--batch", "1", "--text-batch", "1", "--seconds", "0.01",
            "--precision", "fp32", "--attention-batching", batching, "--json",
        ])
        #expect(result.status == 0, "stderr: \(result.stderr)")
        let output = try JSONDecoder().decode(AttentionOutput.self, from: result.stdoutData)
        let byBackend = Dictionary(uniqueKeysWithValues: output.precisions.map { ($0.backend, $0.attention) })
        #expect(byBackend["fp32-openblas"] == "OpenBLAS tiles (per head)")
        let onednn = try #require(byBackend["fp32-onednn"])
        #expect(onednn.hasSuffix(batching == "per-head" ? "(per head)" : "(batched over 12 heads)"), "\(onednn)")
        #expect(!onednn.contains("OpenBLAS"), "\(onednn)")
    }

    /// `--backend openblas` computes fp32 only: with `--precision bf16` it is refused, naming both.
    @Test func refusesOpenBLASWithBF16() throws {
        let result = try CLIRunner.run(["bench", "--arch", "ViT-B/32", "--precision", "bf16", "--backend", "openblas"])
        #expect(result.status != 0)
        #expect(
            result.stderr.contains("--backend openblas") && result.stderr.contains("--precision bf16"),
            "\(result.stderr)")
    }

    struct LocalizationOutput: Decodable {
        struct Localization: Decodable {
            let visual_prompt: String
            let fast_passes: Int
            let dense30_passes: Int
        }
        struct PrecisionReport: Decodable { let localization: Localization }
        let precisions: [PrecisionReport]
    }

    /// `--localize` with `--prompt ensemble` scores three images per location: its passes are a
    /// multiple of 3 and dense30's projection counts 3 x 900; without `--prompt` fast.json's
    /// marker alone (900). `--prompt` without `--localize`, or not a prompt, is refused.
    @Test func localizeTakesAVisualPrompt() throws {
        let model = CLIRunner.clipFixtures.appendingPathComponent("models/tiny-quickgelu").path
        let bird = CLIRunner.clipFixtures.appendingPathComponent("images/bird.jpg").path
        let base = [
            "bench", "--model", model, "--batch", "8", "--text-batch", "2", "--seconds", "0.01", "--precision", "fp32",
            "--backend", "openblas", "--localize", bird, "--json",
        ]
        var reports: [LocalizationOutput.Localization] = []
        for extra in [[], ["--prompt", "ensemble"]] {
            let r = try CLIRunner.run(base + extra, cwd: CLIRunner.repositoryRoot)
            #expect(r.status == 0, "stderr: \(r.stderr)")
            reports.append(
                try #require(try JSONDecoder().decode(LocalizationOutput.self, from: r.stdoutData).precisions.first)
                    .localization)
        }
        #expect(reports[0].dense30_passes == 900 && reports[1].dense30_passes == 2700)
        #expect(reports[0].visual_prompt.hasPrefix("marker circle"), "\(reports[0].visual_prompt)")
        #expect(reports[1].visual_prompt.hasPrefix("ensemble of 3 (mean score)"), "\(reports[1].visual_prompt)")
        #expect(reports[1].fast_passes % 3 == 0 && reports[1].fast_passes > reports[0].fast_passes)
        let alone = try CLIRunner.run(["bench", "--arch", "ViT-B/32", "--prompt", "ensemble"])
        #expect(alone.status != 0 && alone.stderr.contains("--prompt applies to --localize"), "\(alone.stderr)")
        let bad = try CLIRunner.run(["bench", "--arch", "ViT-B/32", "--localize", bird, "--prompt", "circle,star"])
        #expect(bad.status != 0 && bad.stderr.contains("'star'"), "\(bad.stderr)")
    }

    @Test func refusesBothModelAndArch() throws {
        let result = try CLIRunner.run(["bench", "--model", "x", "--arch", "ViT-B/32"])
        #expect(result.status != 0)
        #expect(result.stderr.contains("exactly one of --model or --arch"))
    }
}
