import ArgumentParser
import CLIP
import Foundation
import ModelStore
import Tensor

struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure image- and text-encoder throughput against the machine's raw sgemm rate.",
        discussion: """
            --arch builds a random-weight model of a known shape in memory, so speed can be measured \
            without downloading weights. Example: keypoints bench --arch ViT-B/32 --batch 64
            """
    )

    @Option(help: ArgumentHelp("A model name, ORG/NAME or a model directory.", valueName: "name|dir"))
    var model: String?
    @Option(help: ArgumentHelp("A known architecture: \(CLIPConfiguration.openAINames.joined(separator: ", ")).", valueName: "name"))
    var arch: String?
    @Option(help: "Images per forward pass.")
    var batch = 64
    @Option(name: .customLong("text-batch"), help: "Texts per forward pass.")
    var textBatch = 64
    @Option(help: "Minimum seconds to measure each workload.")
    var seconds = 3.0
    @Flag(help: "Print exactly one JSON document.")
    var json = false
    @OptionGroup var compute: ComputeOptions

    func validate() throws {
        if (model == nil) == (arch == nil) { throw ValidationError("give exactly one of --model DIR or --arch NAME") }
        if let arch, CLIPConfiguration.openAI(arch) == nil {
            throw ValidationError("unknown --arch '\(arch)'; known: \(CLIPConfiguration.openAINames.joined(separator: ", "))")
        }
        if batch < 1 || textBatch < 1 { throw ValidationError("--batch and --text-batch must be at least 1") }
        if seconds <= 0 { throw ValidationError("--seconds must be positive") }
    }

    struct Output: Encodable {
        let model: String
        let batch: Int
        let threads: Int
        let blasCore: String
        let image: ThroughputReport
        let text: ThroughputReport
        let sgemmGFLOPs: Double
        let imageFractionOfSgemm: Double
        enum CodingKeys: String, CodingKey {
            case model, batch, threads, image, text
            case blasCore = "blas_core", sgemmGFLOPs = "sgemm_gflops", imageFractionOfSgemm = "image_fraction_of_sgemm"
        }
    }

    func run() throws {
        let threads = try compute.configure()
        let clip: CLIPModel
        let name: String
        if let arch, let config = CLIPConfiguration.openAI(arch) {
            Console.note("building a random-weight \(arch) in memory ...")
            clip = try CLIPModel(synthetic: config)
            name = config.architectureName
        } else {
            let path = model ?? ""
            clip = try CLIPModel(directory: try ModelStore().resolve(path))
            name = path
        }
        let c = clip.configuration.vision
        Console.note("measuring sgemm ...")
        let sgemm = try Benchmark.sgemmGFLOPs(m: batch * c.visionTokens, n: c.intermediateSize, k: c.hiddenSize, minSeconds: seconds)
        Console.note("measuring the image encoder (batch \(batch)) ...")
        let image = Benchmark.imageEncoder(clip, batch: batch, workers: threads, minSeconds: seconds)
        Console.note("measuring the text encoder (batch \(textBatch)) ...")
        let text = try Benchmark.textEncoder(clip, batch: textBatch, workers: threads, minSeconds: seconds)
        let output = Output(model: name, batch: batch, threads: threads, blasCore: try BLAS.info().core, image: image, text: text,
                            sgemmGFLOPs: sgemm, imageFractionOfSgemm: image.gflops / sgemm)
        if json { try Console.printJSON(output); return }
        print("model \(name), batch \(batch), \(threads) threads, OpenBLAS core \(output.blasCore)")
        print("workload        items/s    GFLOP/s   s/iteration")
        print(String(format: "image encoder %9.2f %10.1f %12.3f", image.itemsPerSecond, image.gflops, image.secondsPerIteration))
        print(String(format: "text encoder  %9.2f %10.1f %12.3f", text.itemsPerSecond, text.gflops, text.secondsPerIteration))
        print(String(format: "sgemm (%d x %d x %d)   %10.1f", batch * c.visionTokens, c.intermediateSize, c.hiddenSize, sgemm))
        print(String(format: "image encoder at %.0f%% of the sgemm rate", 100 * image.gflops / sgemm))
    }
}
