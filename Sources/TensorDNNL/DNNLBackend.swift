import CDNNL
import Glibc
import KeypointsSupport
import Synchronization
import Tensor

/// Matrix products through oneDNN (Debian's libdnnl 2.6), with bf16 or f32 operands
/// (`OperandType`): the second `LinearBackend`.
///
/// For y (R, N) = x (R, K) · Wᵀ + b:
/// - W is converted to the operand type and reordered into the layout oneDNN's matmul prefers
///   (bf16 on AVX512-BF16: `BA16a64b2a`, 64-column panels of K pairs, as `vdpbf16ps` consumes
///   them) once per `Linear`, on its first use or in `prepare(_:)`, so no product packs W again;
/// - bf16: x is converted on every call (a oneDNN reorder, round to nearest even); f32 x is read
///   as it is;
/// - products accumulate in fp32, the bias is added in fp32 and y is written in fp32;
///   `accumulate` is a sum post-op (y += x · Wᵀ + b) for the residual connections.
/// - the MLP activation runs as an eltwise post-op of the first MLP product, which writes the
///   operand type that the second product reads directly (`mlp`);
/// - the attention products run on oneDNN too (`attention`, DNNLBackend+Attention.swift).
/// LayerNorm and softmax stay fp32.
///
/// Weight cache: the model cannot hand its layers to the backend ahead of time, so prepared
/// weights are keyed by the identity of the `Linear`'s weight array storage (its base address,
/// with N and K). The cache keeps a reference to that array, so its storage cannot be freed and
/// its address reused by another layer while the entry exists. Layers are immutable, so the
/// address identifies the weights. `clearCache()` drops everything.
///
/// Threads: Debian's oneDNN uses OpenMP (libgomp), whose idle threads spin next to OpenBLAS' and
/// Dispatch's threads. With `Threading.workers` the rows are split into `threads` contiguous
/// blocks, each executed single-threaded on a Dispatch worker; `.openMP` hands the whole product
/// to oneDNN's own OpenMP threads. Which is faster depends on the operand type
/// (`Threading.preferred`): bf16 measured workers 36.5 images/s, OpenMP 32.5 (2-core AVX512-BF16
/// EPYC, ViT-B/32, batch 64, median of 3; the raw 3200x3072x768 product ~400 GFLOP/s either way);
/// f32 measured OpenMP faster (2-core AVX2 EPYC Zen 3, `keypoints bench --backend onednn`,
/// ViT-B/32 batch 64: images 17.4-18.5/s vs 14.9-16.7, texts 156-175/s vs 130-135).
///
/// Thread safety: `apply` may be called from several threads at once. Primitives are shared and
/// immutable; every primitive is created with a user-managed scratchpad
/// (`dnnl_scratchpad_mode_user`), and each execution brings its own stream, operand buffer and
/// scratchpad from a locked pool. With oneDNN's default library-managed scratchpad, Debian's
/// 2.6.3 crashes (SIGSEGV in the brgemm kernel) when two threads execute the same matmul whose
/// row count is not a multiple of 16, e.g. ViT-L/14-336's 2308-row halves (reproduced in plain C).
/// oneDNN sizes a primitive's work split by the OpenMP thread count of the thread that creates
/// it, so primitives are created with the count they will be executed with.
public final class DNNLBackend: LinearBackend, @unchecked Sendable {
    public enum Threading: String, Sendable, CaseIterable {
        /// Rows split across Dispatch workers, oneDNN single-threaded in each.
        case workers
        /// One oneDNN call per product with `threads` OpenMP threads.
        case openMP = "openmp"

        /// The faster mode for `operand` as measured (see the type's documentation): workers for
        /// bf16, OpenMP for f32.
        public static func preferred(for operand: OperandType) -> Threading {
            operand == .bf16 ? .workers : .openMP
        }
    }

    /// How attention products are cut into oneDNN calls.
    public enum AttentionBatching: String, Sendable, CaseIterable {
        /// One (T, D) · (D, T) and one (T, T) · (T, D) product per (image, head).
        case perHead = "per-head"
        /// One batched product over all H heads of an image: H times fewer calls, S (H, T, T).
        case allHeads = "all-heads"

        /// The default for `operand`. f32: all heads (measured on the 2-core AVX2 EPYC, ViT-L/14-336
        /// batch 8, `keypoints bench --profile`: attention products 111-118 GFLOP/s batched vs
        /// 110-119 per head in two alternated runs each: the same, with 16x fewer calls). bf16: per
        /// head, the tiles measured on the AVX512-BF16 machine; batched bf16 is still to be
        /// measured there and on AMX (`keypoints bench --precision bf16 --attention-batching
        /// all-heads`).
        public static func preferred(for operand: OperandType) -> AttentionBatching {
            operand == .f32 ? .allHeads : .perHead
        }
    }

    /// Whether the CPU has bf16 dot-product instructions (AVX512-BF16 or AMX-BF16). Without them
    /// oneDNN would emulate bf16 at a fraction of the fp32 speed, so callers should use fp32.
    ///
    /// `KEYPOINTS_NO_BF16=1` in the environment makes it false: a user can opt out globally, and
    /// tests use it to exercise the fp32 fallback on machines that do have bf16 units.
    public static var isSupported: Bool {
        if let v = getenv("KEYPOINTS_NO_BF16"), String(cString: v) == "1" { return false }
        return BLAS.cpuHasAVX512BF16 || BLAS.cpuHasAMXBF16
    }

    /// The operand types this CPU runs: f32 everywhere, bf16 where `isSupported`.
    public static var availableOperands: [OperandType] { isSupported ? [.f32, .bf16] : [.f32] }

    /// Which bf16 units the CPU has, e.g. "avx512_bf16 yes, amx_bf16 no".
    public static var cpuFeatures: String {
        "avx512_bf16 \(BLAS.cpuHasAVX512BF16 ? "yes" : "no"), amx_bf16 \(BLAS.cpuHasAMXBF16 ? "yes" : "no")"
    }

    /// Rows below which a product is not split across workers.
    static let minimumRowsPerWorker = 32
    /// The row count used to ask oneDNN for its weights layout (the layout does not depend on
    /// it: `BA16a64b2a` for 1 to 3200 rows and every N, K of the CLIP models on AVX512-BF16).
    static let layoutProbeRows = 256

    public let threads: Int
    public let threading: Threading
    /// The element type of the product operands: bf16, or f32 (oneDNN's fp32 kernels on
    /// prepacked weights, on any CPU).
    public let operand: OperandType
    /// How attention products are cut into calls (see `AttentionBatching`).
    public let attentionBatching: AttentionBatching
    /// oneDNN's implementation for a ViT-B-sized product (768 x 768), e.g. "brg:avx512_core_bf16".
    public let implementationName: String
    /// oneDNN's version, e.g. "2.6.3".
    public let oneDNNVersion: String
    /// The instruction set oneDNN dispatches to, e.g. "avx512_core_bf16" or "avx512_core_amx".
    public let isa: String

    public var name: String { Self.name(operand: operand) }

    /// The `name` of the backend with `operand`s: "bf16-onednn" or "fp32-onednn".
    public static func name(operand: OperandType) -> String { operand == .bf16 ? "bf16-onednn" : "fp32-onednn" }

    /// The oneDNN engine and the caches, shared by the copies `profiled(by:)` makes.
    let core: Core
    var engine: dnnl_engine_t { core.engine }
    /// Where operations report their time (`profiled(by:)`); nil measures nothing.
    public let profiler: Profiler?

    /// Sequences shorter than this keep fp32 attention tiles. Measured on the AVX512-BF16 machine
    /// (`keypoints bench --precision bf16`, bf16 vs fp32 attention, images or texts/s): T 577
    /// (ViT-L/14-336) 1.03-1.06 vs 0.84-0.96; T 257 (ViT-L/14) 2.49-2.53 vs 2.38-2.43; T 197
    /// (ViT-B/16) 10.7 vs 10.9; T 77 (text, batch 64) 356-373 vs 409-444. Small tiles are a few
    /// microseconds of arithmetic, so oneDNN's per-call cost outweighs the faster products.
    public static let defaultMinimumAttentionTokens = 128

    /// Attention runs on oneDNN for sequences of at least this many tokens (see
    /// `defaultMinimumAttentionTokens`); tests lower it to exercise the oneDNN tiles on small shapes.
    public let minimumAttentionTokens: Int

    /// - Parameters:
    ///   - threads: threads per product (the CLI's `--threads`); default all online CPUs.
    ///   - threading: how those threads are used (see the type's documentation); default
    ///     `Threading.preferred(for: operand)`.
    ///   - minimumAttentionTokens: the shortest sequence whose attention runs on oneDNN.
    ///   - operand: bf16 (the default) or f32 operands.
    ///   - attentionBatching: per-head tiles or one batched product per image; default
    ///     `AttentionBatching.preferred(for: operand)`.
    /// - Throws: `DNNLError.unsupportedCPU` for bf16 without AVX512-BF16 or AMX-BF16, `.dnnl` when
    ///   oneDNN cannot create its CPU engine or has no matmul for the operand type.
    public init(
        threads: Int? = nil, threading: Threading? = nil,
        minimumAttentionTokens: Int = DNNLBackend.defaultMinimumAttentionTokens,
        operand: OperandType = .bf16, attentionBatching: AttentionBatching? = nil
    ) throws(DNNLError) {
        guard operand == .f32 || Self.isSupported else { throw .unsupportedCPU(detail: Self.cpuFeatures) }
        // Products oneDNN cannot set up fall back to OpenBLAS sgemm, so it must be loaded.
        do { try BLAS.load() } catch { throw .blas(rawMessage(of: error)) }
        self.threads = max(1, threads ?? Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
        self.threading = threading ?? .preferred(for: operand)
        self.minimumAttentionTokens = minimumAttentionTokens
        self.operand = operand
        self.attentionBatching = attentionBatching ?? .preferred(for: operand)
        var engine: dnnl_engine_t? = nil
        try DNNL.check(dnnl_engine_create(&engine, dnnl_cpu, 0), "dnnl_engine_create", "the CPU engine")
        guard let engine else {
            throw .dnnl(call: "dnnl_engine_create", status: "null engine", problem: "the CPU engine")
        }
        core = Core(engine: engine)  // destroys the engine when the backend is dropped, or if init throws now
        profiler = nil
        oneDNNVersion = DNNL.version
        isa = DNNL.effectiveISA
        let probe = try Self.matmulDescriptor(
            engine: engine, operand: operand, rows: Self.layoutProbeRows, n: 768, k: 768,
            weights: nil, bias: true, epilogue: .none)
        implementationName = DNNL.implementation(probe)
        dnnl_primitive_desc_destroy(probe)
    }

    /// `other` reporting to `profiler`, with the same engine, weights and primitives.
    private init(sharing other: DNNLBackend, profiler: Profiler) {
        threads = other.threads
        threading = other.threading
        operand = other.operand
        attentionBatching = other.attentionBatching
        minimumAttentionTokens = other.minimumAttentionTokens
        implementationName = other.implementationName
        oneDNNVersion = other.oneDNNVersion
        isa = other.isa
        core = other.core
        self.profiler = profiler
    }

    public func profiled(by profiler: Profiler) -> any LinearBackend { DNNLBackend(sharing: self, profiler: profiler) }

    // MARK: - LinearBackend

    // x: (R, K) -> y: (R, N)
    public func apply(
        _ layer: Linear, x: UnsafePointer<Float>, rows: Int, y: UnsafeMutablePointer<Float>,
        accumulate: Bool
    ) {
        product(layer, x: x, rows: rows, y: y, epilogue: accumulate ? .accumulate : .none)
    }

    /// The activation runs as a oneDNN eltwise post-op on the fp32 accumulator (swish with
    /// alpha 1.702 is exactly QuickGELU; gelu_erf is GELU): no second pass over y.
    // x: (R, K) -> y: (R, N)
    public func applyActivated(
        _ layer: Linear, activation: Activation, x: UnsafePointer<Float>, rows: Int,
        y: UnsafeMutablePointer<Float>, workers: Int
    ) {
        product(layer, x: x, rows: rows, y: y, epilogue: .activation(activation))
    }

    /// fc1 with its activation writes the operand type (bf16: rounded once, after the activation in
    /// fp32) that fc2 reads as it is: no fp32 round trip and no conversion pass between the two
    /// products. Each worker runs both products on its own block of rows, one after the other.
    // h: (R, C) -> hidden (R, I) operand type -> x: (R, C) +=
    public func mlp(
        fc1: Linear, fc2: Linear, activation: Activation, h: UnsafePointer<Float>, rows: Int,
        x: UnsafeMutablePointer<Float>, hidden: UnsafeMutablePointer<Float>, workers: Int
    ) {
        guard rows > 0 else { return }
        let parts = rowParts(rows)
        let rowCounts = (rows / parts, (rows + parts - 1) / parts)
        let first: (weights: PreparedWeights, small: Plan, large: Plan)
        let second: (weights: PreparedWeights, small: Plan, large: Plan)
        do {
            first = try resolve(fc1, rowCounts: rowCounts, epilogue: .activationToOperand(activation))
            second = try resolve(fc2, rowCounts: rowCounts, epilogue: .accumulate)
        } catch {
            recordNotice(
                "\(error) (MLP \(fc1.inFeatures)x\(fc1.outFeatures)x\(fc2.outFeatures), \(rows) rows): "
                    + "two separate products instead")
            applyActivated(fc1, activation: activation, x: h, rows: rows, y: hidden, workers: workers)
            apply(fc2, x: hidden, rows: rows, y: x, accumulate: true)
            return
        }
        // The R x I floats the caller provides hold R x I operands (bf16 needs half of them).
        let hiddenOperands = UnsafeMutableRawPointer(hidden)
        let ompThreads = executionThreads
        profiler.measureComposite(remainder: .linearProducts) {
            withBias(fc1) { bias1 in
                withBias(fc2) { bias2 in
                    parallelRanges(rows, workers: parts) { _, range in
                        let plan1 = range.count == first.small.rows ? first.small : first.large
                        let plan2 = range.count == second.small.rows ? second.small : second.large
                        precondition(
                            plan1.rows == range.count && plan2.rows == range.count,
                            "DNNLBackend: row split \(range.count) has no plan")
                        let block = hiddenOperands + range.lowerBound * plan1.n * operand.bytes
                        execute(
                            plan1, x: h + range.lowerBound * plan1.k, y: block, weights: first.weights,
                            bias: bias1, ompThreads: ompThreads)
                        execute(
                            plan2, x: UnsafeRawPointer(block), y: x + range.lowerBound * plan2.n,
                            weights: second.weights, bias: bias2, ompThreads: ompThreads, xIsOperand: true)
                    }
                }
            }
        }
    }

    // x: (R, K) -> y: (R, N)
    private func product(
        _ layer: Linear, x: UnsafePointer<Float>, rows: Int, y: UnsafeMutablePointer<Float>,
        epilogue: Epilogue
    ) {
        guard rows > 0 else { return }
        let parts = rowParts(rows)
        let resolved: (weights: PreparedWeights, small: Plan, large: Plan)
        do {
            resolved = try resolve(layer, rowCounts: (rows / parts, (rows + parts - 1) / parts), epilogue: epilogue)
        } catch {
            // Nothing was written yet: the exact path computes the same product.
            recordNotice("\(error) (layer \(layer.outFeatures)x\(layer.inFeatures), \(rows) rows): computed in fp32")
            switch epilogue {
            case .none, .accumulate:
                SgemmBackend(profiler: profiler).apply(
                    layer, x: x, rows: rows, y: y, accumulate: epilogue == .accumulate)
            case .activation(let activation), .activationToOperand(let activation):
                // (product() never asks for operand-type output: only mlp() does, and it has its own fallback.)
                SgemmBackend(profiler: profiler).applyActivated(
                    layer, activation: activation, x: x, rows: rows, y: y, workers: threads)
            }
            return
        }
        let ompThreads = executionThreads
        profiler.measureComposite(remainder: .linearProducts) {
            withBias(layer) { bias in
                if parts == 1 {
                    execute(resolved.large, x: x, y: y, weights: resolved.weights, bias: bias, ompThreads: ompThreads)
                    return
                }
                // parallelRanges splits `rows` into `parts` ranges of rows / parts or that plus one rows.
                parallelRanges(rows, workers: parts) { _, range in
                    let plan = range.count == resolved.small.rows ? resolved.small : resolved.large
                    precondition(plan.rows == range.count, "DNNLBackend: row split \(range.count) has no plan")
                    execute(
                        plan, x: x + range.lowerBound * plan.k, y: y + range.lowerBound * plan.n,
                        weights: resolved.weights, bias: bias, ompThreads: ompThreads)
                }
            }
        }
    }

    // MARK: - Preparation and cache

    /// Converts and reorders the weights of `layers` now instead of on first use (load time).
    public func prepare(_ layers: [Linear]) throws(DNNLError) {
        for layer in layers { _ = try preparedWeights(layer) }
    }

    /// Layers whose prepared (converted, reordered) weights are cached.
    public var cachedLayerCount: Int { core.state.withLock { $0.weights.count } }

    /// Bytes of prepared weights held (including oneDNN's padding of its panels).
    public var cachedWeightBytes: Int { core.state.withLock { $0.weights.values.reduce(0) { $0 + $1.bytes } } }

    /// Every oneDNN implementation used so far, sorted (normally one: `implementationName`).
    public var implementationsUsed: [String] {
        core.state.withLock { $0.plans.values.map(\.implementation) }.uniqueSorted()
    }

    /// Products that oneDNN could not set up and that ran in fp32 instead (empty normally).
    public var notices: [String] { core.state.withLock { $0.notices } }

    /// Drops every cached weight and primitive.
    public func clearCache() { core.state.withLock { $0 = State() } }

    func resolve(_ layer: Linear, rowCounts: (Int, Int), epilogue: Epilogue)
        throws(DNNLError) -> (weights: PreparedWeights, small: Plan, large: Plan)
    {
        let weights = try preparedWeights(layer)
        let bias = layer.bias != nil
        let small = try plan(rows: rowCounts.0, weights: weights, bias: bias, epilogue: epilogue)
        let large =
            rowCounts.1 == rowCounts.0
            ? small
            : try plan(rows: rowCounts.1, weights: weights, bias: bias, epilogue: epilogue)
        return (weights, small, large)
    }

    private func preparedWeights(_ layer: Linear) throws(DNNLError) -> PreparedWeights {
        let address = layer.weight.withUnsafeBufferPointer { UInt(bitPattern: $0.baseAddress) }
        let key = WeightKey(address: address, n: layer.outFeatures, k: layer.inFeatures)
        return try core.state.withLock { (s) throws(DNNLError) -> PreparedWeights in
            if let found = s.weights[key] { return found }
            let context = try s.takeContext(engine: engine)
            defer { s.contexts.append(context) }
            OpenMP.setThreads(threads)
            let prepared = try PreparedWeights(layer, operand: operand, engine: engine, stream: context.stream)
            s.weights[key] = prepared
            return prepared
        }
    }

    private func plan(rows: Int, weights: PreparedWeights, bias: Bool, epilogue: Epilogue) throws(DNNLError) -> Plan {
        let key = PlanKey(rows: rows, n: weights.n, k: weights.k, bias: bias, epilogue: epilogue)
        return try core.state.withLock { (s) throws(DNNLError) -> Plan in
            if let found = s.plans[key] { return found }
            OpenMP.setThreads(executionThreads)
            let plan = try Plan(engine: engine, rows: rows, weights: weights, bias: bias, epilogue: epilogue)
            s.plans[key] = plan
            return plan
        }
    }

    /// Row blocks a product of `rows` rows is split into: one per thread (each at least
    /// `minimumRowsPerWorker` rows) with `.workers`, one with `.openMP`.
    func rowParts(_ rows: Int) -> Int {
        threading == .workers ? max(1, min(threads, rows / Self.minimumRowsPerWorker)) : 1
    }

    /// OpenMP threads per oneDNN call: one per worker, or all of them in `.openMP` mode.
    var executionThreads: Int { threading == .workers ? 1 : threads }

    private func withBias(_ layer: Linear, _ body: (UnsafeRawPointer?) -> Void) {
        if let bias = layer.bias {
            bias.withUnsafeBufferPointer { body(UnsafeRawPointer($0.baseAddress)) }
        } else {
            body(nil)
        }
    }

    // MARK: - Execution

    /// Records that a product fell back to another path (each distinct notice once).
    func recordNotice(_ notice: String) {
        core.state.withLock { $0.note(notice) }
    }

    /// An idle execution context (stream and buffers) for the calling thread; give it back with
    /// `returnContext`.
    func takeContext() -> ExecutionContext {
        do {
            return try core.state.withLock { (s) throws(DNNLError) -> ExecutionContext in
                try s.takeContext(engine: engine)
            }
        } catch {
            // Only a oneDNN stream that cannot be created (out of memory) gets here.
            fatalError("\(error)")
        }
    }

    func returnContext(_ context: ExecutionContext) { core.state.withLock { $0.contexts.append(context) } }

    /// One matmul on the calling thread: x (rows, K) f32 (-> bf16 scratch for bf16 operands) ->
    /// y (rows, N), f32 (or the operand type for `.activationToOperand`). With `xIsOperand` x
    /// already holds operands (the raw GEMM benchmark, the second MLP product).
    func execute(
        _ plan: Plan, x: UnsafeRawPointer, y: UnsafeMutableRawPointer, weights: PreparedWeights,
        bias: UnsafeRawPointer?, ompThreads: Int, xIsOperand: Bool = false
    ) {
        let context = takeContext()
        defer { returnContext(context) }
        OpenMP.setThreads(ompThreads)
        do {
            let source: UnsafeRawPointer
            if xIsOperand {
                source = x
            } else if let toOperand = plan.toOperand {
                let scratch = context.buffer(.activations, bytes: plan.rows * plan.k * plan.operand.bytes)
                var arguments: [(Int32, dnnl_memory_desc_t, UnsafeMutableRawPointer)] = [
                    (DNNL.Arg.from, plan.sourceF32, UnsafeMutableRawPointer(mutating: x)),
                    (DNNL.Arg.to, plan.source, scratch),
                ]
                if let pad = plan.reorderScratchpad {
                    arguments.append(
                        (DNNL.Arg.scratchpad, pad.descriptor, context.buffer(.scratchpad, bytes: pad.bytes)))
                }
                let start = profiler == nil ? 0 : Stopwatch.now()
                try context.run(toOperand, arguments, problem: plan.problem)
                profiler?.record(.conversions, seconds: Stopwatch.now() - start)
                source = UnsafeRawPointer(scratch)
            } else {
                source = x
            }
            var arguments: [(Int32, dnnl_memory_desc_t, UnsafeMutableRawPointer)] = [
                (DNNL.Arg.src, plan.source, UnsafeMutableRawPointer(mutating: source)),
                (DNNL.Arg.weights, weights.layout, weights.data),
                (DNNL.Arg.dst, plan.destination, y),
            ]
            if let bias { arguments.append((DNNL.Arg.bias, plan.bias, UnsafeMutableRawPointer(mutating: bias))) }
            if let pad = plan.matmulScratchpad {
                arguments.append((DNNL.Arg.scratchpad, pad.descriptor, context.buffer(.scratchpad, bytes: pad.bytes)))
            }
            let start = profiler == nil ? 0 : Stopwatch.now()
            try context.run(plan.matmul, arguments, problem: plan.problem)
            profiler?.record(
                .linearProducts, seconds: Stopwatch.now() - start,
                flops: 2 * Double(plan.rows) * Double(plan.n) * Double(plan.k))
        } catch {
            // The primitive was created for exactly these descriptors: failing now is a oneDNN
            // fault (or out of memory), and y may be half written, so there is no safe fallback.
            fatalError("\(error)")
        }
    }

    // MARK: - Primitive descriptors

    /// A matmul primitive descriptor: x (rows, K) · W (K, N) in the operand type (+ bias (1, N) f32)
    /// -> (rows, N) f32, then the epilogue as a post-op (sum into y, or an activation). `weights`
    /// nil lets oneDNN choose the weights layout.
    static func matmulDescriptor(
        engine: dnnl_engine_t, operand: OperandType, rows: Int, n: Int, k: Int,
        weights: dnnl_memory_desc_t?, bias: Bool, epilogue: Epilogue
    ) throws(DNNLError) -> dnnl_primitive_desc_t {
        let output = epilogue.outputsOperand ? operand : .f32
        let problem =
            "matmul (\(rows), \(k)) x (\(k), \(n)) \(operand.rawValue) -> \(output.rawValue)"
            + "\(bias ? " + bias" : "")\(epilogue.label)"
        var src = try DNNL.matrix(rows, k, operand.dnnl, dnnl_ab)
        var wei: dnnl_memory_desc_t
        if let weights { wei = weights } else { wei = try DNNL.matrix(k, n, operand.dnnl, dnnl_format_tag_any) }
        var bia = try DNNL.matrix(1, n, dnnl_f32, dnnl_ab)
        var dst = try DNNL.matrix(rows, n, output.dnnl, dnnl_ab)
        var desc = dnnl_matmul_desc_t()
        if bias {
            try DNNL.check(dnnl_matmul_desc_init(&desc, &src, &wei, &bia, &dst), "dnnl_matmul_desc_init", problem)
        } else {
            try DNNL.check(dnnl_matmul_desc_init(&desc, &src, &wei, nil, &dst), "dnnl_matmul_desc_init", problem)
        }
        let attr = try DNNL.userScratchpadAttribute(problem)
        defer { dnnl_primitive_attr_destroy(attr) }
        if epilogue != .none {
            var ops: dnnl_post_ops_t? = nil
            try DNNL.check(dnnl_post_ops_create(&ops), "dnnl_post_ops_create", problem)
            defer { dnnl_post_ops_destroy(ops) }
            switch epilogue {
            case .none: break
            case .accumulate:
                try DNNL.check(dnnl_post_ops_append_sum(ops, 1), "dnnl_post_ops_append_sum", problem)
            case .activation(.quickGELU), .activationToOperand(.quickGELU):
                // swish: x * sigmoid(alpha x)
                try DNNL.check(
                    dnnl_post_ops_append_eltwise(ops, 1, dnnl_eltwise_swish, 1.702, 0),
                    "dnnl_post_ops_append_eltwise", problem)
            case .activation(.gelu), .activationToOperand(.gelu):
                try DNNL.check(
                    dnnl_post_ops_append_eltwise(ops, 1, dnnl_eltwise_gelu_erf, 0, 0),
                    "dnnl_post_ops_append_eltwise", problem)
            }
            try DNNL.check(dnnl_primitive_attr_set_post_ops(attr, ops), "dnnl_primitive_attr_set_post_ops", problem)
        }
        var pd: dnnl_primitive_desc_t? = nil
        try DNNL.check(dnnl_primitive_desc_create(&pd, &desc, attr, engine, nil), "dnnl_primitive_desc_create", problem)
        guard let pd else {
            throw .dnnl(call: "dnnl_primitive_desc_create", status: "null descriptor", problem: problem)
        }
        return pd
    }
}

extension Array where Element == String {
    fileprivate func uniqueSorted() -> [String] { Array(Set(self)).sorted() }
}
