import ArgumentParser
import CLIP
import Foundation
import ModelStore
import Tensor
import TensorDNNL

struct InfoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "info",
        abstract: "Show the compute backend (BLAS library, core, threads) and, with --model, the model.",
        discussion: """
            Example:
              keypoints info --model ~/models/clip-vit-large-patch14-336
            """
    )

    @Option(help: ArgumentHelp("A model name, ORG/NAME or a model directory.", valueName: "name|dir"))
    var model: String?
    @Flag(help: "Print exactly one JSON document.")
    var json = false
    @OptionGroup var compute: ComputeOptions

    struct Output: Encodable {
        struct Model: Encodable {
            let path: String, architecture: String, parameters: Int, dtype: String
            let imageSize: Int, embeddingDim: Int, activation: String, warnings: [String]
            enum CodingKeys: String, CodingKey {
                case path, architecture, parameters, dtype, warnings, activation
                case imageSize = "image_size"
                case embeddingDim = "embedding_dim"
            }
        }
        let blas: BLASInfo
        let suggestedCore: String?
        let avx512BF16: Bool
        let amxBF16: Bool
        let model: Model?
        let defaultPrecision: String
        let bf16Implementation: String?
        /// The fp32 backend (`--backend`, default OpenBLAS) and what runs its products.
        let fp32Backend: String
        let fp32Implementation: String
        enum CodingKeys: String, CodingKey {
            case blas, model
            case defaultPrecision = "default_precision"
            case bf16Implementation = "bf16_implementation"
            case fp32Backend = "fp32_backend"
            case fp32Implementation = "fp32_implementation"
            case suggestedCore = "suggested_core"
            case avx512BF16 = "cpu_avx512_bf16"
            case amxBF16 = "cpu_amx_bf16"
        }
    }

    func run() throws {
        _ = try compute.configure()
        var modelInfo: Output.Model?
        if let model {
            // fp32: describing the model needs no bf16 copy of its weights.
            let m = try compute.loadModel(precision: .fp32) {
                try CLIPModel(directory: ModelStore().resolve(model, option: "--model"), backend: $0)
            }.model
            modelInfo = Output.Model(
                path: model, architecture: m.configuration.architectureName, parameters: m.parameterCount,
                dtype: m.weightDType, imageSize: m.imageSize, embeddingDim: m.embeddingDim,
                activation: m.configuration.vision.hiddenAct.rawValue, warnings: m.warnings)
        }
        let bf16 = DNNLBackend.isSupported ? try? DNNLBackend(threads: compute.resolvedThreads) : nil
        // What the other commands would compute in with these options: bf16 asked for on a CPU
        // without bf16 units runs fp32, with the same notice.
        let requested = Precision.requested(compute.precision, library: compute.backend, bf16Units: bf16 != nil)
        let precision: Precision = bf16 == nil ? .fp32 : requested
        if requested == .bf16 && bf16 == nil {
            Console.note(
                "notice: bf16 unavailable (\(DNNLError.unsupportedCPU(detail: DNNLBackend.cpuFeatures))); using fp32")
        }
        let library = compute.backend ?? .automatic
        let fp32 = library == .onednn ? try? DNNLBackend(threads: compute.resolvedThreads, operand: .f32) : nil
        func describe(_ backend: DNNLBackend) -> String {
            "oneDNN \(backend.oneDNNVersion) \(backend.implementationName)"
                + (backend.attentionImplementation().map { ", attention \($0)" } ?? "")
        }
        let blas = try BLAS.info()
        // oneDNN that cannot start runs OpenBLAS, as the other commands would.
        let fp32Backend = library == .invariant ? InvariantBackend.name : fp32?.name ?? SgemmBackend().name
        let fp32Implementation =
            library == .invariant
            ? "keypoints' invariant kernels (products \(InvariantBackend.kernelISA), elementwise \(Kernels.isa)), one fused multiply-add chain per element"
            : fp32.map(describe) ?? "OpenBLAS sgemm, core \(blas.core)"
        let output = Output(
            blas: blas, suggestedCore: BLAS.suggestedCore, avx512BF16: BLAS.cpuHasAVX512BF16,
            amxBF16: BLAS.cpuHasAMXBF16, model: modelInfo,
            defaultPrecision: precision.rawValue,
            bf16Implementation: bf16.map(describe),
            fp32Backend: fp32Backend, fp32Implementation: fp32Implementation)
        if json {
            try Console.printJSON(output)
            return
        }
        let b = output.blas
        print("BLAS        \(b.library)")
        print("core        \(b.core) (chosen by \(b.coreSource); CPUID suggests \(output.suggestedCore ?? "none"))")
        print("threads     \(b.threads)")
        print("config      \(b.config)")
        print("cpu bf16    avx512_bf16 \(output.avx512BF16 ? "yes" : "no"), amx_bf16 \(output.amxBF16 ? "yes" : "no")")
        let bf16Text = output.bf16Implementation.map { "bf16 via \($0)" } ?? "bf16 unavailable on this CPU"
        let asked = compute.precision.map { "(--precision \($0.rawValue))" } ?? "by default"
        print(
            "precision   \(output.defaultPrecision) "
                + (precision == requested
                    ? "\(asked); \(bf16Text)" : "(--precision \(requested.rawValue) asked for; \(bf16Text))"))
        print("fp32        via \(output.fp32Implementation)")
        if let m = modelInfo {
            Console.result("model       \(m.path)")
            Console.result(
                "arch        \(m.architecture), \(m.activation), input \(m.imageSize) px, embedding \(m.embeddingDim)")
            Console.result(
                "parameters  \(m.parameters) (\(String(format: "%.1f", Double(m.parameters) / 1e6)) M), weights \(m.dtype)"
            )
        }
    }
}
