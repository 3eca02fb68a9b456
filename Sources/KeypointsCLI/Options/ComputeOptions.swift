import ArgumentParser
import CLIP
import Foundation
import ModelStore
import Tensor
import TensorBF16

/// Arithmetic of the matrix products.
enum Precision: String, ExpressibleByArgument, CaseIterable, Codable {
    /// OpenBLAS sgemm: the exact reference path.
    case fp32
    /// bf16 weights and activations through oneDNN, fp32 accumulation (AVX512-BF16 or AMX CPUs).
    case bf16

    /// bf16 where the CPU has bf16 units, else fp32.
    static var automatic: Precision { BF16Backend.isSupported ? .bf16 : .fp32 }
}

/// --threads, --precision and --verbose: shared by every command that runs the model.
struct ComputeOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Matrix-product arithmetic: fp32 (exact reference) or bf16 (faster; default where the CPU has bf16 units).", valueName: "fp32|bf16"))
    var precision: Precision?

    @Option(help: "Threads for matrix products and kernels (default: all cores).")
    var threads: Int?

    @Flag(help: "Print the compute backend (BLAS core, threads) to stderr.")
    var verbose = false

    func validate() throws {
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1, got \(threads)") }
    }

    var resolvedThreads: Int { threads ?? ProcessInfo.processInfo.activeProcessorCount }

    /// The backend for `precision` (automatic when not given); bf16 on a CPU without bf16 units
    /// falls back to fp32 with a notice.
    func makeBackend() -> (backend: any LinearBackend, precision: Precision) {
        let wanted = precision ?? .automatic
        guard wanted == .bf16 else { return (SgemmBackend(), .fp32) }
        do {
            let b = try BF16Backend(threads: resolvedThreads)
            if verbose { Console.note("precision: bf16 (oneDNN \(b.oneDNNVersion), \(b.implementationName))") }
            return (b, .bf16)
        } catch {
            Console.note("notice: bf16 unavailable (\(error)); using fp32")
            return (SgemmBackend(), .fp32)
        }
    }

    /// Warns about products a bf16 backend had to compute in fp32 (shapes oneDNN could not plan).
    func reportNotices(_ backend: any LinearBackend) {
        if let b = backend as? BF16Backend { for n in b.notices { Console.warning(n) } }
    }

    /// Converts a bf16 backend's weights at load time rather than on the first batch.
    func prepare(_ backend: any LinearBackend, for model: CLIPModel) throws {
        if let b = backend as? BF16Backend { try b.prepare(model.linearLayers) }
    }

    /// Loads OpenBLAS, sets its threads and returns the worker count for our own kernels.
    func configure() throws -> Int {
        let n = resolvedThreads
        try BLAS.setThreads(n)
        if verbose {
            let info = try BLAS.info()
            Console.note("backend: \(info.library), core \(info.core) (chosen by \(info.coreSource)), \(info.threads) threads")
        }
        return n
    }
}

/// The --model option: a model name (see `keypoints model list`), a Hugging Face repository id
/// fetched with `keypoints model fetch`, or a model directory.
struct ModelOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("A model name (keypoints model list), ORG/NAME, or a Hugging Face CLIP directory (config.json, model.safetensors, vocab.json, merges.txt).", valueName: "name|dir"))
    var model: String = ModelRegistry.defaultModelName

    /// The model directory; a model that is not installed is an error naming the fetch command.
    var url: URL { get throws { try ModelStore().resolve(model) } }
}
