import ArgumentParser
import CLIP
import Foundation
import ModelStore
import Synchronization
import Tensor
import TensorDNNL

/// Arithmetic of the matrix products.
enum Precision: String, ExpressibleByArgument, CaseIterable, Codable {
    /// OpenBLAS sgemm: the exact reference path.
    case fp32
    /// bf16 weights and activations through oneDNN, fp32 accumulation (AVX512-BF16 or AMX CPUs).
    case bf16

    /// bf16 where the CPU has bf16 units, else fp32.
    static var automatic: Precision { automatic(bf16Units: DNNLBackend.isSupported) }

    static func automatic(bf16Units: Bool) -> Precision { bf16Units ? .bf16 : .fp32 }

    /// The precision asked for: `wanted` (--precision) if given; else fp32 when `library`
    /// (--backend) computes fp32 only (OpenBLAS, the invariant kernels), even where bf16 would be
    /// the default; else the CPU's default.
    static func requested(_ wanted: Precision?, library: FP32Library?, bf16Units: Bool) -> Precision {
        wanted ?? (library?.computesFP32Only == true ? .fp32 : automatic(bf16Units: bf16Units))
    }
}

/// The library behind fp32 matrix products (bf16 always runs on oneDNN).
enum FP32Library: String, ExpressibleByArgument, CaseIterable, Codable {
    /// OpenBLAS sgemm on the weights as loaded, attention per (image, head) tile.
    case openblas
    /// oneDNN's fp32 kernels on weights prepacked at load time, fused activations, attention batched
    /// over heads.
    case onednn
    /// keypoints' own kernels (`InvariantBackend`): one fused-multiply-add chain per output
    /// element, so scores are bit-identical whatever --batch, --threads or shard; slower.
    case invariant

    /// The default on every CPU (one default everywhere, so shards run on different node types
    /// still merge): OpenBLAS, the reference path. oneDNN measured no faster on the image encoder
    /// (2-core AVX2 EPYC, `keypoints bench --arch ViT-B/32 --batch 64`, both libraries in each of 3
    /// runs: 16.3-17.9 vs 15.8-17.9 images/s), only on the text encoder (154-163 vs 144-157).
    static let automatic: FP32Library = .openblas

    /// The `LinearBackend.name` of this library's fp32 backend.
    var backendName: String {
        switch self {
        case .openblas: SgemmBackend().name
        case .onednn: DNNLBackend.name(operand: .f32)
        case .invariant: InvariantBackend.name
        }
    }

    /// Whether the library computes fp32 only (bf16 runs on oneDNN): OpenBLAS and the invariant
    /// kernels. Asking for one of them means fp32.
    var computesFP32Only: Bool { self != .onednn }

    /// The library whose fp32 backend is called `name` ("fp32-openblas", "fp32-onednn"), if any.
    init?(backendName name: String) {
        guard let found = Self.allCases.first(where: { $0.backendName == name }) else { return nil }
        self = found
    }
}

extension DNNLBackend.AttentionBatching: ExpressibleByArgument {}
extension DNNLBackend.Threading: ExpressibleByArgument {}

/// bench's tuning switches for the oneDNN backends; nil keeps the backend's default for the
/// operand type.
struct DNNLTuning {
    var attention: DNNLBackend.AttentionBatching?
    var threading: DNNLBackend.Threading?
}

/// --threads, --precision, --backend and --verbose: shared by every command that runs the model.
struct ComputeOptions: ParsableArguments {
    @Option(
        help: ArgumentHelp(
            "Matrix-product arithmetic: fp32 (exact reference) or bf16 (faster; default where the CPU has bf16 units).",
            valueName: "fp32|bf16"))
    var precision: Precision?

    @Option(
        help: ArgumentHelp(
            "Library for fp32 matrix products: openblas (sgemm; the default), onednn (weights prepacked at load time), or invariant (fp32 by keypoints' own kernels, one fixed summation order: bit-identical scores whatever --batch, --threads or shard; slower). bf16 always runs on oneDNN, so --backend openblas or invariant without --precision means fp32.",
            valueName: "openblas|onednn|invariant"))
    var backend: FP32Library?

    // `.unconditional`: "--threads -2" reaches validate() (a clear range error) instead of
    // being read as an unknown option and reported as a missing value.
    @Option(
        parsing: .unconditional,
        help: "Threads for matrix products and kernels, 1 up to OpenBLAS's limit (default: all cores).")
    var threads: Int?

    @Flag(help: "Print the compute backend (BLAS core, threads) to stderr.")
    var verbose = false

    func validate() throws {
        if precision == .bf16, let backend, backend.computesFP32Only {
            throw ValidationError(
                "--backend \(backend.rawValue) computes in fp32 only and --precision bf16 runs on oneDNN: drop one of them"
            )
        }
        if let threads, threads < 1 {
            throw ValidationError(
                "--threads must be at least 1 (and at most OpenBLAS's limit, 64 in Debian's build), got \(threads)")
        }
    }

    var resolvedThreads: Int { threads ?? ProcessInfo.processInfo.activeProcessorCount }

    /// These options for resuming a results file whose header recorded `settings` (`eval --out`,
    /// `localize --out`): without --precision the file's precision is kept (when this CPU has
    /// it), so a requeued shard landing on another node type still resumes; without --backend an
    /// fp32 file keeps its library (one written with `--backend onednn` resumes on oneDNN, one
    /// with `--backend invariant` on the invariant kernels). `--backend openblas` (or invariant)
    /// means fp32, so a bf16 file is then another run, refused by name.
    func resuming(recorded settings: [String: String]?) -> ComputeOptions {
        guard let settings else { return self }
        var compute = self
        let recorded = settings["precision"].flatMap(Precision.init(rawValue:))
        if compute.precision == nil, compute.backend?.computesFP32Only != true, let recorded {
            compute.precision = recorded
        }
        if compute.backend == nil, (compute.precision ?? .automatic) == .fp32,
            let library = settings["backend"].flatMap(FP32Library.init(backendName:))
        {
            compute.backend = library
        }
        return compute
    }

    /// The one way a command gets a model: sets the threads, makes the backend for `precision`
    /// (or `override`), loads the model on it with `load`, converts its weights for the backend
    /// now rather than on the first batch, and prints its loading warnings, once. Any model family
    /// conforming to `BackendModel` loads this way (a CLIP bundle or model, a DINO ViT).
    /// - Parameters:
    ///   - override: the precision to use instead of `--precision` (bench measures each).
    ///   - library: the fp32 library to use instead of `--backend` (bench measures each).
    ///   - tuning: how oneDNN backends cut attention into calls and use threads (bench's switches).
    func loadModel<Model: BackendModel>(
        precision override: Precision? = nil, library: FP32Library? = nil, tuning: DNNLTuning = DNNLTuning(),
        _ load: (any LinearBackend) throws -> Model
    ) throws -> LoadedModel<Model> {
        let workers = try configure()
        let (backend, precision) = makeBackend(
            override ?? precision, library: library ?? self.backend, tuning: tuning)
        let model = try load(backend)
        try model.prepareBackend()
        for w in model.warnings { Console.warning(w) }
        return LoadedModel(model: model, precision: precision, workers: workers)
    }

    /// The backend for `wanted` (automatic when nil); bf16 on a CPU without bf16 units falls back
    /// to fp32 with a notice.
    private func makeBackend(
        _ wanted: Precision?, library: FP32Library?, tuning: DNNLTuning
    ) -> (backend: any LinearBackend, precision: Precision) {
        let precision = Precision.requested(wanted, library: library, bf16Units: DNNLBackend.isSupported)
        guard precision == .bf16 else { return (makeFP32Backend(library, tuning: tuning), .fp32) }
        do {
            let b = try DNNLBackend(
                threads: resolvedThreads, threading: tuning.threading, attentionBatching: tuning.attention)
            if verbose { Console.note("precision: bf16 (oneDNN \(b.oneDNNVersion), \(b.implementationName))") }
            return (b, .bf16)
        } catch {
            Console.note("notice: bf16 unavailable (\(error)); using fp32")
            return (makeFP32Backend(library, tuning: tuning), .fp32)
        }
    }

    /// The fp32 backend on `library` (automatic when nil); oneDNN that cannot start falls back to
    /// OpenBLAS with a notice.
    private func makeFP32Backend(_ library: FP32Library?, tuning: DNNLTuning) -> any LinearBackend {
        switch library ?? .automatic {
        case .openblas: return SgemmBackend()
        case .invariant:
            if verbose {
                Console.note(
                    "precision: fp32 (keypoints' invariant kernels, \(InvariantBackend.kernelISA), \(resolvedThreads) threads)"
                )
            }
            return InvariantBackend(threads: resolvedThreads)
        case .onednn: break
        }
        do {
            let b = try DNNLBackend(
                threads: resolvedThreads, threading: tuning.threading, operand: .f32,
                attentionBatching: tuning.attention)
            if verbose { Console.note("precision: fp32 (oneDNN \(b.oneDNNVersion), \(b.implementationName))") }
            return b
        } catch {
            Console.note("notice: oneDNN unavailable for fp32 (\(error)); using OpenBLAS")
            return SgemmBackend()
        }
    }

    /// Warns about products `backend` had to compute another way than asked (shapes oneDNN could
    /// not plan); call once, after the work.
    static func reportNotices(of backend: any LinearBackend) {
        for n in backend.notices { Console.warning(n) }
    }

    /// Whether the BLAS backend line of --verbose was printed (once per process, however many
    /// models a command loads).
    private static let backendAnnounced = Atomic<Bool>(false)

    /// Loads OpenBLAS, sets its threads and returns the worker count for our own kernels.
    func configure() throws -> Int {
        let n = resolvedThreads
        try BLAS.setThreads(n)
        // OpenBLAS clamps silently to the thread count it was built for: refuse instead.
        if BLAS.threads < n {
            throw CLIError(
                "--threads \(n): this OpenBLAS runs at most \(BLAS.threads) threads; use --threads 1...\(BLAS.threads)")
        }
        if verbose && !Self.backendAnnounced.exchange(true, ordering: .relaxed) {
            let info = try BLAS.info()
            Console.note(
                "backend: \(info.library), core \(info.core) (chosen by \(info.coreSource)), \(info.threads) threads")
        }
        return n
    }
}

/// A model made ready by `ComputeOptions.loadModel`.
struct LoadedModel<Model: BackendModel> {
    let model: Model
    /// The precision its backend computes in (fp32 when bf16 was asked for but is unavailable).
    let precision: Precision
    /// Workers for the elementwise kernels and attention tiles (`--threads`).
    let workers: Int

    /// Warns about products the backend had to compute another way; call once, after the work.
    func reportNotices() { ComputeOptions.reportNotices(of: model.backend) }
}

/// The --model option: a model name (see `keypoints model list`), a Hugging Face repository id
/// fetched with `keypoints model fetch`, or a model directory.
struct ModelOptions: ParsableArguments {
    @Option(
        name: .long,
        help: ArgumentHelp(
            "A model name (keypoints model list), ORG/NAME, or a Hugging Face CLIP directory (config.json, model.safetensors or model.safetensors.index.json and its shards, vocab.json, merges.txt).",
            valueName: "name|dir"))
    var model: String = ModelRegistry.defaultModelName

    /// The model directory; a model that is not installed is an error naming the fetch command.
    var url: URL { get throws { try ModelStore().resolve(model, option: "--model") } }
}
