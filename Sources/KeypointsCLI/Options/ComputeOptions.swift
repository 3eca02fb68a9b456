import ArgumentParser
import Foundation
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

/// A model directory option.
struct ModelOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("A Hugging Face CLIP model directory (config.json, model.safetensors, vocab.json, merges.txt).", valueName: "dir"))
    var model: String

    var url: URL { URL(fileURLWithPath: (model as NSString).expandingTildeInPath) }
}
