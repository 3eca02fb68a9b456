import ArgumentParser
import CLIP
import Foundation
import Imaging
import KeypointsSupport
import Localization
import ModelStore
import Tensor
import TensorDNNL

struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure encoder throughput in fp32 and bf16 against the machine's raw matrix-product rates.",
        discussion: """
            --arch builds a random-weight model of a known shape in memory, so speed can be measured \
            without downloading weights. Both precisions are measured in one run (bf16 only where \
            the CPU has bf16 units) unless --precision picks one, and fp32 on both libraries \
            (OpenBLAS and oneDNN) unless --backend picks one (--backend invariant measures \
            keypoints' batch-invariant kernels, their raw rate on their own product). --localize IMAGE adds seconds per \
            image for 15 CUB keypoints with grids/fast.json (run) and grids/dense30.json (900 passes \
            at the measured rate), with the visual prompt --prompt names (an ensemble of M: M \
            passes per location). "ceiling" is the images/s the encoder would reach if every \
            FLOP ran at the raw matrix-product rate: what this machine allows in that precision. \
            --profile adds, per precision, the image encoder's seconds per image by operation class \
            (linear-layer products, attention products, softmax, LayerNorm, activation, precision \
            conversions and reorders, everything else), their shares and the products' GFLOP/s, \
            from a separate profiled run.

            Example:
              keypoints bench --arch ViT-B/32 --batch 64 --profile
            """
    )

    @Option(help: ArgumentHelp("A model name, ORG/NAME or a model directory.", valueName: "name|dir"))
    var model: String?
    @Option(
        help: ArgumentHelp(
            "A known architecture: \(CLIPConfiguration.openAINames.joined(separator: ", ")).", valueName: "name"))
    var arch: String?
    // `.unconditional` on numbers (as --threads): "--batch -1" reaches validate().
    @Option(parsing: .unconditional, help: "Images per forward pass.")
    var batch = 64
    @Option(name: .customLong("text-batch"), parsing: .unconditional, help: "Texts per forward pass.")
    var textBatch = 64
    @Option(parsing: .unconditional, help: "Minimum seconds to measure each workload.")
    var seconds = 3.0
    @Option(help: ArgumentHelp("Also time localizing 15 CUB keypoints in this photo.", valueName: "image"))
    var localize: String?
    @Option(
        help: ArgumentHelp(
            "The visual prompt of --localize, as localize's --prompt: circle, circle+blur, circle+grey, ensemble or a comma list (an ensemble of M costs M passes per location).",
            valueName: "kind"))
    var prompt: String?
    @Flag(
        help:
            "Also split the image encoder's time per image by operation class (products, softmax, LayerNorm, activation, conversions, other)."
    )
    var profile = false
    @Option(
        name: .customLong("attention-batching"),
        help: ArgumentHelp(
            "How oneDNN backends cut attention into calls: one batched product over an image's heads (fp32's default) or one per head (bf16's default).",
            valueName: "all-heads|per-head"))
    var attentionBatching: DNNLBackend.AttentionBatching?
    @Option(
        name: .customLong("dnnl-threading"),
        help: ArgumentHelp(
            "How oneDNN backends use the threads: rows split across workers, each product single-threaded (bf16's default), or oneDNN's own OpenMP threads per product (fp32's default).",
            valueName: "workers|openmp"))
    var dnnlThreading: DNNLBackend.Threading?
    @Flag(help: "Print exactly one JSON document.")
    var json = false
    @OptionGroup var compute: ComputeOptions

    func validate() throws {
        if (model == nil) == (arch == nil) { throw ValidationError("give exactly one of --model or --arch NAME") }
        if let arch, CLIPConfiguration.openAI(arch) == nil {
            throw ValidationError(
                "unknown --arch '\(arch.displaySafe)'; known: \(CLIPConfiguration.openAINames.joined(separator: ", "))")
        }
        if batch < 1 || textBatch < 1 { throw ValidationError("--batch and --text-batch must be at least 1") }
        if seconds <= 0 { throw ValidationError("--seconds must be positive") }
        if let prompt {
            guard localize != nil else { throw ValidationError("--prompt applies to --localize IMAGE") }
            _ = try PromptOptions.parsePromptKinds(prompt)
        }
    }

    /// One precision's measurements.
    struct PrecisionReport: Encodable {
        let precision: Precision
        let backend: String
        /// What computes the image tower's attention products, e.g. "gemm:jit (batched over 16
        /// heads)" or "OpenBLAS tiles (per head)".
        let attention: String
        let image: ThroughputReport
        let text: ThroughputReport
        /// Raw matrix-product rate of this precision (sgemm, or oneDNN bf16 incl. conversion).
        let gemmGFLOPs: Double
        let imageFractionOfGEMM: Double
        /// Images/s if every FLOP of the pass ran at the raw matrix-product rate: the bound this
        /// machine puts on the encoder in this precision.
        let imageCeiling: Double
        let localization: LocalizationBench?
        /// With --profile: the image encoder's time per image by operation class (a separate,
        /// profiled run; `image` is measured without the profiler).
        let profile: OperationProfile?
        enum CodingKeys: String, CodingKey {
            case precision, backend, attention, image, text, localization, profile
            case gemmGFLOPs = "gemm_gflops"
            case imageFractionOfGEMM = "image_fraction_of_gemm"
            case imageCeiling = "image_ceiling_items_per_s"
        }
    }

    struct LocalizationBench: Encodable {
        let keypoints: Int
        /// The visual prompt scored (`--prompt`, else fast.json's marker).
        let visualPrompt: String
        let fastPasses: Int
        let fastSeconds: Double
        /// dense30.json's locations times the visual prompt's images per location.
        let dense30Passes: Int
        let dense30SecondsProjected: Double
        enum CodingKeys: String, CodingKey {
            case keypoints
            case visualPrompt = "visual_prompt"
            case fastPasses = "fast_passes"
            case fastSeconds = "fast_seconds"
            case dense30Passes = "dense30_passes"
            case dense30SecondsProjected = "dense30_seconds_projected"
        }
    }

    struct Output: Encodable {
        let model: String
        let batch: Int
        let threads: Int
        let blasCore: String
        // The fp32 figures at the top level (the reference path), when measured.
        let image: ThroughputReport?
        let text: ThroughputReport?
        let sgemmGFLOPs: Double?
        let precisions: [PrecisionReport]
        enum CodingKeys: String, CodingKey {
            case model, batch, threads, image, text, precisions
            case blasCore = "blas_core"
            case sgemmGFLOPs = "sgemm_gflops"
        }
    }

    func run() throws {
        let threads = try compute.configure()
        let config: CLIPConfiguration
        let name: String
        var directory: URL?
        if let arch, let c = CLIPConfiguration.openAI(arch) {
            config = c
            name = c.architectureName
        } else {
            let url = try ModelStore().resolve(model ?? "")
            config = try CLIPConfiguration.load(from: url.appendingPathComponent("config.json"))
            name = model ?? ""
            directory = url
        }
        var precisions: [Precision] = compute.precision.map { [$0] } ?? [.fp32]
        if compute.precision == nil && DNNLBackend.isSupported { precisions.append(.bf16) }
        // fp32 on OpenBLAS and oneDNN unless --backend picks one (the invariant kernels only when
        // picked), the default first.
        let libraries =
            compute.backend.map { [$0] }
            ?? [.automatic] + FP32Library.allCases.filter { $0 != .automatic && $0 != .invariant }
        let runs: [(precision: Precision, library: FP32Library?)] = precisions.flatMap { p in
            p == .fp32 ? libraries.map { (p, $0) } : [(p, nil)]
        }

        var reports: [PrecisionReport] = []
        for (p, library) in runs {
            let label = library?.backendName ?? p.rawValue
            Console.note("[\(label)] loading \(name) ...")
            let tuning = DNNLTuning(attention: attentionBatching, threading: dnnlThreading)
            let loaded = try compute.loadModel(precision: p, library: library, tuning: tuning) {
                backend in
                try directory.map { try CLIPModel(directory: $0, backend: backend) }
                    ?? CLIPModel(synthetic: config, backend: backend)
            }
            let clip = loaded.model
            let backend = clip.backend
            // A precision or library this machine lacks fell back to one measured already.
            guard loaded.precision == p, !reports.contains(where: { $0.backend == backend.name }) else { continue }
            let v = config.vision
            let (m, n, k) = (batch * v.visionTokens, v.intermediateSize, v.hiddenSize)
            Console.note("[\(label)] measuring the raw matrix product \(m) x \(n) x \(k) ...")
            let gemm =
                try (backend as? DNNLBackend).map { try $0.gemmGFLOPs(m: m, n: n, k: k, minSeconds: seconds) }
                ?? (backend is InvariantBackend
                    ? Benchmark.linearGFLOPs(backend, m: m, n: n, k: k, minSeconds: seconds)
                    : Benchmark.sgemmGFLOPs(m: m, n: n, k: k, minSeconds: seconds))
            Console.note("[\(label)] measuring the image encoder (batch \(batch)) ...")
            let image = Benchmark.imageEncoder(clip, batch: batch, workers: threads, minSeconds: seconds)
            Console.note("[\(label)] measuring the text encoder (batch \(textBatch)) ...")
            let text = try Benchmark.textEncoder(clip, batch: textBatch, workers: threads, minSeconds: seconds)
            let loc = try localize.map {
                try localizationBench(clip, image: $0, perImageSeconds: 1 / image.itemsPerSecond)
            }
            var profiled: OperationProfile?
            if profile {
                Console.note("[\(label)] profiling the image encoder (batch \(batch)) ...")
                profiled = Benchmark.imageEncoderProfile(clip, batch: batch, workers: threads, minSeconds: seconds)
            }
            reports.append(
                PrecisionReport(
                    precision: p, backend: backend.name,
                    attention: Self.attention(
                        of: backend, tokens: v.visionTokens, width: v.hiddenSize,
                        heads: v.numAttentionHeads),
                    image: image, text: text, gemmGFLOPs: gemm,
                    imageFractionOfGEMM: image.gflops / gemm,
                    imageCeiling: gemm / (image.gflops / image.itemsPerSecond), localization: loc,
                    profile: profiled))
        }
        let fp32 = reports.first { $0.precision == .fp32 }
        let output = Output(
            model: name, batch: batch, threads: threads, blasCore: try BLAS.info().core,
            image: fp32?.image, text: fp32?.text, sgemmGFLOPs: fp32?.gemmGFLOPs, precisions: reports)
        if json {
            try Console.printJSON(output)
            return
        }
        Console.result("model \(name), batch \(batch), \(threads) threads, OpenBLAS core \(output.blasCore)")
        print("backend        workload        items/s    GFLOP/s   raw GEMM GFLOP/s   fraction   ceiling items/s")
        for r in reports {
            let p = r.backend.padding(toLength: 14, withPad: " ", startingAt: 0)
            print(
                p
                    + String(
                        format: " image encoder %9.2f %10.1f %14.1f %10.0f%% %17.2f", r.image.itemsPerSecond,
                        r.image.gflops, r.gemmGFLOPs, 100 * r.imageFractionOfGEMM, r.imageCeiling))
            print(p + String(format: " text encoder  %9.2f %10.1f", r.text.itemsPerSecond, r.text.gflops))
        }
        for r in reports {
            guard let profile = r.profile else { continue }
            print(
                String(
                    format: "\n%@ image encoder by operation (batch %d, %.4f s per image, profiled run):",
                    r.backend, batch, profile.secondsPerItem))
            print("operation            s/image    share   GFLOP/s")
            for e in profile.operations {
                print(
                    e.operation.rawValue.padding(toLength: 18, withPad: " ", startingAt: 0)
                        + String(format: " %9.5f %7.1f%%", e.secondsPerItem, 100 * e.share)
                        + (e.gflops.map { String(format: " %9.1f", $0) } ?? ""))
            }
        }
        for r in reports {
            if let l = r.localization {
                print(
                    String(
                        format:
                            "%@: localizing %d keypoints: fast.json %d passes in %.1f s; dense30.json %d passes ~ %.0f s (projected)",
                        r.backend, l.keypoints, l.fastPasses, l.fastSeconds, l.dense30Passes,
                        l.dense30SecondsProjected) + (prompt == nil ? "" : "; visual prompt \(l.visualPrompt)"))
            }
        }
    }

    /// What computes attention of (T, C, heads) on `backend`: oneDNN's products and how heads are
    /// cut into calls, the invariant kernels' tiles, or the OpenBLAS tiles (any backend below its
    /// oneDNN threshold).
    static func attention(of backend: any LinearBackend, tokens: Int, width: Int, heads: Int) -> String {
        if backend is InvariantBackend { return "invariant FMA-chain tiles (per head)" }
        let tiles = "OpenBLAS tiles (per head)"
        guard let dnnl = backend as? DNNLBackend else { return tiles }
        guard tokens >= dnnl.minimumAttentionTokens else {
            return "\(tiles): \(tokens) tokens < \(dnnl.minimumAttentionTokens)"
        }
        return dnnl.attentionImplementation(tokens: tokens, width: width, heads: heads) ?? tiles
    }

    /// Seconds to localize CUB's 15 parts with fast.json (run for real on random text
    /// embeddings: a random model has no tokenizer), and dense30's 900 locations at the measured
    /// rate, times the images per location of `--prompt` (fast.json's marker alone without it).
    func localizationBench(_ clip: CLIPModel, image path: String, perImageSeconds: Double) throws -> LocalizationBench {
        let photo = try ImageCodec.decode(contentsOf: DataFiles.fileURL(path))
        var preset = try GridPreset.load(from: try DataFiles.resolve("fast", folder: "grids"))
        let dense = try GridPreset.load(from: try DataFiles.resolve("dense30", folder: "grids"))
        let k = 15
        let e = clip.embeddingDim
        var texts = [Float](repeating: 0, count: k * e)
        for i in texts.indices { texts[i] = Float((i * 7919) % 1000) / 1000 - 0.5 }
        texts.withUnsafeMutableBufferPointer { Kernels.l2NormalizeRows($0.baseAddress!, rows: k, width: e) }
        let queries = (0..<k).map { KeypointQuery(id: nil, name: "keypoint \($0 + 1)", prompt: "keypoint \($0 + 1)") }
        preset.batch = batch
        let localizer = Localizer(bundle: CLIPBundle(model: clip), preset: preset, workers: compute.resolvedThreads)
        localizer.provideTextEmbeddings(texts, prompts: queries.map(\.prompt))
        var options = Localizer.defaultOptions(for: preset)
        if let prompt {
            options.prompt = PromptOptions.visualPrompt(
                try PromptOptions.parsePromptKinds(prompt), marker: preset.marker)
        }
        Console.note("localizing 15 keypoints with fast.json ...")
        let watch = Stopwatch()
        let result = try localizer.localize(photo, path: path, keypoints: queries, options: options)
        let seconds = watch.seconds
        let densePasses = try SearchPlan(preset: dense).firstStagePoints().count * options.prompt.members.count
        return LocalizationBench(
            keypoints: k, visualPrompt: options.prompt.description, fastPasses: result.passes, fastSeconds: seconds,
            dense30Passes: densePasses, dense30SecondsProjected: Double(densePasses) * perImageSeconds)
    }
}
