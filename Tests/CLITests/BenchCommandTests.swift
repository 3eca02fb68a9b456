import Foundation
import Testing
import TensorBF16

/// `keypoints bench --json` on a committed tiny model: every precision the CPU has is measured,
/// and the derived figures agree with the measured ones. No timing is asserted (speed belongs to
/// benchmarks), only that the numbers exist, are positive and are consistent.
@Suite struct BenchCommandTests {
    struct Output: Decodable {
        struct Throughput: Decodable {
            let items_per_s: Double
            let gflops: Double
        }
        struct PrecisionReport: Decodable {
            let precision: String
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
        let result = try CLIRunner.run(["bench", "--model", model, "--batch", "3", "--text-batch", "2",
                                        "--seconds", "0.05", "--json"])
        #expect(result.status == 0, "stderr: \(result.stderr)")
        let output = try JSONDecoder().decode(Output.self, from: result.stdoutData)
        #expect(output.batch == 3)
        #expect(output.precisions.map(\.precision) == (BF16Backend.isSupported ? ["fp32", "bf16"] : ["fp32"]))
        for p in output.precisions {
            #expect(p.image.items_per_s > 0 && p.text.items_per_s > 0 && p.gemm_gflops > 0)
            // fraction = encoder GFLOP/s / raw GEMM GFLOP/s; ceiling = raw GEMM rate / GFLOP per image.
            #expect(abs(p.image_fraction_of_gemm - p.image.gflops / p.gemm_gflops) <= 1e-9 * p.image_fraction_of_gemm)
            let flopsPerImage = p.image.gflops / p.image.items_per_s
            #expect(abs(p.image_ceiling_items_per_s * flopsPerImage - p.gemm_gflops) <= 1e-9 * p.gemm_gflops)
        }
    }

    @Test func refusesBothModelAndArch() throws {
        let result = try CLIRunner.run(["bench", "--model", "x", "--arch", "ViT-B/32"])
        #expect(result.status != 0)
        #expect(result.stderr.contains("exactly one of --model or --arch"))
    }
}
