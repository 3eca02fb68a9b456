import ArgumentParser
import Foundation
import ModelStore
import Tensor

/// --threads and --verbose: shared by every command that runs the model.
struct ComputeOptions: ParsableArguments {
    @Option(help: "Threads for matrix products and kernels (default: all cores).")
    var threads: Int?

    @Flag(help: "Print the compute backend (BLAS core, threads) to stderr.")
    var verbose = false

    func validate() throws {
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1, got \(threads)") }
    }

    var resolvedThreads: Int { threads ?? ProcessInfo.processInfo.activeProcessorCount }

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
