import CDNNL
import Tensor

/// Multi-head self-attention with bf16 products (fp32 accumulation, fp32 softmax).
///
/// Per call: every image's qkv (T, 3C) is rounded to bf16 once (one reorder per image, images
/// split across workers). Then each (image, head) tile, on the worker that owns it:
///   S (T, T) f32   = scale · q (T, D) · kᵀ        bf16 matmul, the scale as an output scale
///   P (T, T) bf16  = round(softmax(S)) rows         `Kernels.softmaxRowsBF16` (fp32 softmax, causal
///                                                   mask, rounded to bf16 in its last pass)
///   out (T, D) f32 = P · v (T, D)                   bf16 matmul, written at columns h D of out
/// q, k and v are read in place from the bf16 copy through strided descriptors (row stride 3C),
/// so nothing is gathered per head. This is what PyTorch's bf16 autocast does for attention
/// (bf16 operands, fp32 softmax), without materialising B x H x T x T.
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
            plan = try attentionPlan(tokens: t, width: c, heads: heads)
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

    /// The bf16 attention of `attention` once its plan is made.
    // qkv: (B, T, 3C) -> out: (B, T, C)
    private func tiles(
        _ plan: AttentionPlan, qkv: UnsafePointer<Float>, batch b: Int, tokens t: Int, width c: Int,
        heads: Int, causal: Bool, out: UnsafeMutablePointer<Float>, scratch: UnsafeMutablePointer<Float>,
        workers: Int
    ) {
        let w = max(1, workers)
        // One context holds the bf16 copy of the whole qkv for the duration of the call.
        let shared = takeContext()
        defer { returnContext(shared) }
        let qkvBF16 = shared.buffer(.attentionQKV, bytes: b * t * 3 * c * 2)
        let imageBytes = t * 3 * c
        parallelRanges(b, workers: w) { _, images in
            let context = takeContext()
            defer { returnContext(context) }
            OpenMP.setThreads(1)
            for image in images {
                var arguments: [(Int32, dnnl_memory_desc_t, UnsafeMutableRawPointer)] = [
                    (DNNL.Arg.from, plan.qkvF32, UnsafeMutableRawPointer(mutating: qkv + image * imageBytes)),
                    (DNNL.Arg.to, plan.qkvBF16, qkvBF16 + image * imageBytes * 2),
                ]
                if let pad = plan.qkvScratchpad {
                    arguments.append(
                        (
                            DNNL.Arg.scratchpad, pad.descriptor,
                            context.buffer(.attentionScratchpad, bytes: pad.bytes)
                        ))
                }
                profiler.measure(.conversions) {
                    run(plan.toBF16QKV, arguments, context: context, problem: plan.problem)
                }
            }
        }
        let d = c / heads
        let productFLOPs = 2 * Double(t) * Double(t) * Double(d)
        parallelRanges(b * heads, workers: w) { worker, tiles in
            let context = takeContext()
            defer { returnContext(context) }
            OpenMP.setThreads(1)
            let s = scratch + worker * t * t
            let p = context.buffer(.attentionProbabilities, bytes: t * t * 2)
            let pad = context.buffer(.attentionScratchpad, bytes: plan.scratchpadBytes)
            for tile in tiles {
                let image = tile / heads
                let head = tile % heads
                let base = qkvBF16 + (image * imageBytes + head * d) * 2
                // S (T, T) = scale · q (T, D) · kᵀ (D, T)
                profiler.measure(.attentionProducts, flops: productFLOPs) {
                    run(
                        plan.scores, plan.scoresArguments(q: base, k: base + c * 2, s: s, scratchpad: pad),
                        context: context, problem: plan.problem)
                }
                profiler.measure(.softmax) {
                    Kernels.softmaxRowsBF16(
                        s, rows: t, cols: t, ld: t, causal: causal,
                        p: p.assumingMemoryBound(to: UInt16.self), ldp: t)
                }
                // out[image, :, h D ..< (h+1) D] (T, D) = P (T, T) · v (T, D)
                profiler.measure(.attentionProducts, flops: productFLOPs) {
                    run(
                        plan.values,
                        plan.valuesArguments(
                            p: p, v: base + 2 * c * 2,
                            out: out + image * t * c + head * d, scratchpad: pad),
                        context: context, problem: plan.problem)
                }
            }
        }
    }

    /// oneDNN's implementations of the two attention products for a shape (default ViT-L/14-336's
    /// tile: 577 tokens, width 1024, 16 heads), e.g. "gemm:jit"; nil when oneDNN has none.
    public func attentionImplementation(tokens: Int = 577, width: Int = 1024, heads: Int = 16) -> String? {
        guard let plan = try? attentionPlan(tokens: tokens, width: width, heads: heads) else { return nil }
        return Array(Set(plan.implementations)).sorted().joined(separator: ", ")
    }

    /// The attention primitives for one (T, C, heads) shape, created once.
    func attentionPlan(tokens: Int, width: Int, heads: Int) throws(DNNLError) -> AttentionPlan {
        let key = AttentionKey(tokens: tokens, width: width, heads: heads)
        return try core.state.withLock { (s) throws(DNNLError) -> AttentionPlan in
            if let found = s.attentionPlans[key] { return found }
            OpenMP.setThreads(1)
            let plan = try AttentionPlan(engine: engine, key: key)
            s.attentionPlans[key] = plan
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
