import CDNNL
import Tensor

/// Multi-head self-attention with oneDNN products in the operand type (fp32 accumulation, fp32
/// softmax).
///
/// Per call, for bf16 operands: every image's qkv (T, 3C) is rounded to bf16 once (one reorder
/// per image, images split across workers); f32 operands are read where they are. Then each
/// (image, head) tile, on the worker that owns it:
///   S (T, T) f32   = scale · q (T, D) · kᵀ        matmul, the scale as an output scale
///   P (T, T)       = softmax(S) rows                bf16: `Kernels.softmaxRowsBF16` (fp32 softmax,
///                                                   causal mask, rounded to bf16 in its last pass);
///                                                   f32: `Kernels.softmaxRows` in place of S
///   out (T, D) f32 = P · v (T, D)                   matmul, written at columns h D of out
/// q, k and v are read in place through strided descriptors (row stride 3C), so nothing is
/// gathered per head. This is what PyTorch's bf16 autocast does for attention (bf16 operands,
/// fp32 softmax), without materialising B x H x T x T.
///
/// Measured single-threaded on the AVX512-BF16 machine with ViT-L/14-336's tile (T 577, D 64):
/// 190 GFLOP/s per product (oneDNN `gemm:jit`), about twice OpenBLAS sgemm on one core.
/// Sequences shorter than `minimumAttentionTokens` (the text tower's 77, ViT-B/32's 50) keep the
/// fp32 tiles of `Kernels.attention`: there the bf16 tiles measured no faster or slower.
extension DNNLBackend {
    // qkv: (B, T, 3C) -> out: (B, T, C)
    public func attention(
        qkv: UnsafePointer<Float>, batch b: Int, tokens t: Int, width c: Int, heads: Int,
        causal: Bool, out: UnsafeMutablePointer<Float>, scratch: UnsafeMutablePointer<Float>,
        workers: Int
    ) {
        guard b > 0, t > 0 else { return }
        guard t >= minimumAttentionTokens else {
            Kernels.attention(
                qkv: qkv, batch: b, tokens: t, width: c, heads: heads, causal: causal,
                out: out, scratch: scratch, workers: workers, profiler: profiler)
            return
        }
        let plan: AttentionPlan
        do {
            plan = try attentionPlan(tokens: t, width: c, heads: heads, batching: attentionBatching)
        } catch {
            recordNotice("\(error) (attention T \(t), C \(c), \(heads) heads): computed in fp32")
            Kernels.attention(
                qkv: qkv, batch: b, tokens: t, width: c, heads: heads, causal: causal,
                out: out, scratch: scratch, workers: workers, profiler: profiler)
            return
        }
        profiler.measureComposite(remainder: .attentionProducts) {
            tiles(
                plan, qkv: qkv, batch: b, tokens: t, width: c, heads: heads, causal: causal, out: out,
                scratch: scratch, workers: workers)
        }
    }

    /// The oneDNN attention of `attention` once its plan is made.
    // qkv: (B, T, 3C) -> out: (B, T, C)
    private func tiles(
        _ plan: AttentionPlan, qkv: UnsafePointer<Float>, batch b: Int, tokens t: Int, width c: Int,
        heads: Int, causal: Bool, out: UnsafeMutablePointer<Float>, scratch: UnsafeMutablePointer<Float>,
        workers: Int
    ) {
        let w = max(1, workers)
        let bytes = plan.operand.bytes
        let imageElements = plan.qkvElements
        // f32 operands are read where they are; for bf16 one context holds the bf16 copy of the
        // whole qkv for the call.
        let shared = plan.toOperandQKV == nil ? nil : takeContext()
        defer { if let shared { returnContext(shared) } }
        let operands =
            shared?.buffer(.attentionQKV, bytes: b * imageElements * bytes) ?? UnsafeMutableRawPointer(mutating: qkv)
        if let toOperand = plan.toOperandQKV {
            convert(plan, toOperand, qkv: qkv, batch: b, into: operands, workers: w)
        }
        let d = c / heads
        let g = plan.headsPerCall
        let groups = heads / g
        let productFLOPs = 2 * Double(g) * Double(t) * Double(t) * Double(d)
        parallelRanges(b * groups, workers: w) { worker, units in
            let context = takeContext()
            defer { returnContext(context) }
            OpenMP.setThreads(1)
            // One head's scores fit the caller's T x T per worker; G heads' take a buffer.
            let s =
                g == 1
                ? scratch + worker * t * t
                : context.buffer(.attentionScores, bytes: g * t * t * MemoryLayout<Float>.stride)
                    .assumingMemoryBound(to: Float.self)
            // f32 probabilities overwrite S; bf16 ones go to a buffer of their own.
            let p =
                plan.operand == .f32
                ? UnsafeMutableRawPointer(s) : context.buffer(.attentionProbabilities, bytes: g * t * t * bytes)
            let pad = context.buffer(.attentionScratchpad, bytes: plan.scratchpadBytes)
            for unit in units {
                let image = unit / groups
                let head = (unit % groups) * g
                let base = operands + (image * imageElements + head * d) * bytes
                // S (G, T, T) = scale · q (G, T, D) · kᵀ (G, D, T)
                profiler.measure(.attentionProducts, flops: productFLOPs) {
                    run(
                        plan.scores, plan.scoresArguments(q: base, k: base + c * bytes, s: s, scratchpad: pad),
                        context: context, problem: plan.problem)
                }
                profiler.measure(.softmax) {
                    for h in 0..<g {
                        if plan.operand == .f32 {
                            Kernels.softmaxRows(s + h * t * t, rows: t, cols: t, ld: t, causal: causal)
                        } else {
                            Kernels.softmaxRowsBF16(
                                s + h * t * t, rows: t, cols: t, ld: t, causal: causal,
                                p: p.assumingMemoryBound(to: UInt16.self) + h * t * t, ldp: t)
                        }
                    }
                }
                // out[image, :, h D ..< (h+G) D] (G, T, D) = P (G, T, T) · v (G, T, D)
                profiler.measure(.attentionProducts, flops: productFLOPs) {
                    run(
                        plan.values,
                        plan.valuesArguments(
                            p: p, v: base + 2 * c * bytes,
                            out: out + image * t * c + head * d, scratchpad: pad),
                        context: context, problem: plan.problem)
                }
            }
        }
    }

    /// qkv (B, T, 3C) f32 -> operands (B, T, 3C) bf16, one reorder per image, images split across
    /// workers.
    private func convert(
        _ plan: AttentionPlan, _ toOperand: dnnl_primitive_t, qkv: UnsafePointer<Float>, batch b: Int,
        into operands: UnsafeMutableRawPointer, workers w: Int
    ) {
        let imageElements = plan.qkvElements
        parallelRanges(b, workers: w) { _, images in
            let context = takeContext()
            defer { returnContext(context) }
            OpenMP.setThreads(1)
            for image in images {
                var arguments: [(Int32, dnnl_memory_desc_t, UnsafeMutableRawPointer)] = [
                    (DNNL.Arg.from, plan.qkvF32, UnsafeMutableRawPointer(mutating: qkv + image * imageElements)),
                    (DNNL.Arg.to, plan.qkvOperand, operands + image * imageElements * plan.operand.bytes),
                ]
                if let pad = plan.qkvScratchpad {
                    arguments.append(
                        (
                            DNNL.Arg.scratchpad, pad.descriptor,
                            context.buffer(.attentionScratchpad, bytes: pad.bytes)
                        ))
                }
                profiler.measure(.conversions) {
                    run(toOperand, arguments, context: context, problem: plan.problem)
                }
            }
        }
    }

    /// oneDNN's implementations of the two attention products for a shape (default ViT-L/14-336's
    /// tile: 577 tokens, width 1024, 16 heads) and how heads are cut into calls, e.g. "gemm:jit
    /// (batched over 16 heads)"; nil when oneDNN has none.
    public func attentionImplementation(tokens: Int = 577, width: Int = 1024, heads: Int = 16) -> String? {
        guard let plan = try? attentionPlan(tokens: tokens, width: width, heads: heads, batching: attentionBatching)
        else { return nil }
        return Array(Set(plan.implementations)).sorted().joined(separator: ", ")
            + (plan.headsPerCall > 1 ? " (batched over \(plan.headsPerCall) heads)" : " (per head)")
    }

    /// The attention primitives for one (T, C, heads) shape, created once. With `.allHeads` a
    /// shape oneDNN cannot batch, or batches only with its reference loops (a small fraction of
    /// the per-head tiles' speed), gets the per-head plan, with a notice; that decision is cached
    /// under the batched key too, so it is made once, not on every call.
    func attentionPlan(tokens: Int, width: Int, heads: Int, batching: AttentionBatching) throws(DNNLError)
        -> AttentionPlan
    {
        func key(_ headsPerCall: Int) -> AttentionKey {
            AttentionKey(tokens: tokens, width: width, heads: heads, operand: operand, headsPerCall: headsPerCall)
        }
        let wanted = key(batching == .allHeads && heads > 1 ? heads : 1)
        return try core.state.withLock { (s) throws(DNNLError) -> AttentionPlan in
            if let found = s.attentionPlans[wanted] { return found }
            OpenMP.setThreads(1)
            if wanted.headsPerCall > 1 {
                let why: String
                do {
                    let plan = try AttentionPlan(engine: engine, key: wanted)
                    if !plan.implementations.contains(where: { $0.hasPrefix("ref") }) {
                        s.attentionPlans[wanted] = plan
                        return plan
                    }
                    why = "\(plan.problem): oneDNN has only \(plan.implementations.joined(separator: ", "))"
                } catch {
                    why = "\(error)"
                }
                s.note("\(why); attention per head instead")
            }
            let single = key(1)
            let plan: AttentionPlan
            if let found = s.attentionPlans[single] {
                plan = found
            } else {
                plan = try AttentionPlan(engine: engine, key: single)
            }
            s.attentionPlans[single] = plan
            s.attentionPlans[wanted] = plan
            return plan
        }
    }

    private func run(
        _ primitive: dnnl_primitive_t, _ arguments: [(Int32, dnnl_memory_desc_t, UnsafeMutableRawPointer)],
        context: ExecutionContext, problem: String
    ) {
        do {
            try context.run(primitive, arguments, problem: problem)
        } catch {
            // The primitive was created for exactly these descriptors: failing now is a oneDNN
            // fault, and the output may be half written, so there is no safe fallback.
            fatalError("\(error)")
        }
    }
}
