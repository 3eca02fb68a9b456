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
extension BF16Backend {
    // qkv: (B, T, 3C) -> out: (B, T, C)
    public func attention(qkv: UnsafePointer<Float>, batch b: Int, tokens t: Int, width c: Int, heads: Int,
                          causal: Bool, out: UnsafeMutablePointer<Float>, scratch: UnsafeMutablePointer<Float>,
                          workers: Int) {
        guard b > 0, t > 0 else { return }
        guard t >= minimumAttentionTokens else {
            Kernels.attention(qkv: qkv, batch: b, tokens: t, width: c, heads: heads, causal: causal,
                              out: out, scratch: scratch, workers: workers)
            return
        }
        let plan: AttentionPlan
        do {
            plan = try attentionPlan(tokens: t, width: c, heads: heads)
        } catch {
            recordNotice("\(error) (attention T \(t), C \(c), \(heads) heads): computed in fp32")
            Kernels.attention(qkv: qkv, batch: b, tokens: t, width: c, heads: heads, causal: causal,
                              out: out, scratch: scratch, workers: workers)
            return
        }
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
                    (Args.from, plan.qkvF32, UnsafeMutableRawPointer(mutating: qkv + image * imageBytes)),
                    (Args.to, plan.qkvBF16, qkvBF16 + image * imageBytes * 2),
                ]
                if let pad = plan.qkvScratchpad {
                    arguments.append((Args.scratchpad, pad.descriptor,
                                      context.buffer(.attentionScratchpad, bytes: pad.bytes)))
                }
                run(plan.toBF16QKV, arguments, context: context, problem: plan.problem)
            }
        }
        let d = c / heads
        parallelRanges(b * heads, workers: w) { worker, tiles in
            let context = takeContext()
            defer { returnContext(context) }
            OpenMP.setThreads(1)
            let s = scratch + worker * t * t
            let p = context.buffer(.attentionProbabilities, bytes: t * t * 2)
            let pad = context.buffer(.attentionScratchpad, bytes: plan.scratchpadBytes)
            for tile in tiles {
                let image = tile / heads, head = tile % heads
                let base = qkvBF16 + (image * imageBytes + head * d) * 2
                // S (T, T) = scale · q (T, D) · kᵀ (D, T)
                run(plan.scores, plan.scoresArguments(q: base, k: base + c * 2, s: s, scratchpad: pad),
                    context: context, problem: plan.problem)
                Kernels.softmaxRowsBF16(s, rows: t, cols: t, ld: t, causal: causal,
                                        p: p.assumingMemoryBound(to: UInt16.self), ldp: t)
                // out[image, :, h D ..< (h+1) D] (T, D) = P (T, T) · v (T, D)
                run(plan.values, plan.valuesArguments(p: p, v: base + 2 * c * 2,
                                                      out: out + image * t * c + head * d, scratchpad: pad),
                    context: context, problem: plan.problem)
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
    func attentionPlan(tokens: Int, width: Int, heads: Int) throws(BF16Error) -> AttentionPlan {
        let key = AttentionKey(tokens: tokens, width: width, heads: heads)
        return try state.withLock { (s) throws(BF16Error) -> AttentionPlan in
            if let found = s.attentionPlans[key] { return found }
            OpenMP.setThreads(1)
            let plan = try AttentionPlan(engine: engine, key: key)
            s.attentionPlans[key] = plan
            return plan
        }
    }

    private func run(_ primitive: dnnl_primitive_t, _ arguments: [(Int32, dnnl_memory_desc_t, UnsafeMutableRawPointer)],
                     context: ExecutionContext, problem: String) {
        do {
            try context.run(primitive, arguments, problem: problem)
        } catch {
            // The primitive was created for exactly these descriptors: failing now is a oneDNN
            // fault, and the output may be half written, so there is no safe fallback.
            fatalError("\(error)")
        }
    }
}

struct AttentionKey: Hashable {
    let tokens: Int
    let width: Int
    let heads: Int
}

/// The primitives of bf16 attention for one shape (see `BF16Backend.attention`).
final class AttentionPlan: @unchecked Sendable {
    let problem: String
    // qkv (T, 3C) f32 -> bf16
    let qkvF32: dnnl_memory_desc_t
    let qkvBF16: dnnl_memory_desc_t
    let toBF16QKV: dnnl_primitive_t
    let qkvScratchpad: Scratchpad?
    // S (T, T) = scale · q (T, D; row stride 3C) · kᵀ (D, T; column stride 3C)
    let q: dnnl_memory_desc_t
    let kT: dnnl_memory_desc_t
    let s: dnnl_memory_desc_t
    let scores: dnnl_primitive_t
    // P (T, T) bf16 = round(softmax(S)), written by Kernels.softmaxRowsBF16
    let p: dnnl_memory_desc_t
    // out (T, D; row stride C) = P · v (T, D; row stride 3C)
    let v: dnnl_memory_desc_t
    let o: dnnl_memory_desc_t
    let values: dnnl_primitive_t
    /// The largest scratchpad any of the tile primitives needs (they run one after another).
    let scratchpadBytes: Int
    private let pads: [Scratchpad?]
    /// oneDNN's implementations of the two products, e.g. ["gemm:jit", "gemm:jit"].
    let implementations: [String]

    init(engine: dnnl_engine_t, key: AttentionKey) throws(BF16Error) {
        let t = key.tokens, c = key.width, d = key.width / key.heads
        problem = "bf16 attention (T \(t), C \(c), \(key.heads) heads)"
        qkvF32 = try DNNL.matrix(t, 3 * c, dnnl_f32, dnnl_ab)
        qkvBF16 = try DNNL.matrix(t, 3 * c, dnnl_bf16, dnnl_ab)
        q = try DNNL.matrix(t, d, dnnl_bf16, rowStride: 3 * c)
        kT = try DNNL.strided(d, t, dnnl_bf16, strides: (1, 3 * c))
        s = try DNNL.matrix(t, t, dnnl_f32, dnnl_ab)
        p = try DNNL.matrix(t, t, dnnl_bf16, dnnl_ab)
        v = try DNNL.matrix(t, d, dnnl_bf16, rowStride: 3 * c)
        o = try DNNL.matrix(t, d, dnnl_f32, rowStride: c)

        var created: [dnnl_primitive_t] = []
        do {
            let qkvReorder = try DNNL.reorder(from: qkvF32, to: qkvBF16, engine: engine, problem: problem)
            created.append(qkvReorder.primitive)
            let scores = try DNNL.matmul(src: q, weights: kT, dst: s, outputScale: 1 / Float(d).squareRoot(),
                                         engine: engine, problem: problem)
            created.append(scores.primitive)
            let values = try DNNL.matmul(src: p, weights: v, dst: o, outputScale: nil, engine: engine,
                                         problem: problem)
            created.append(values.primitive)
            toBF16QKV = qkvReorder.primitive
            qkvScratchpad = qkvReorder.scratchpad
            self.scores = scores.primitive
            self.values = values.primitive
            pads = [scores.scratchpad, values.scratchpad]
            scratchpadBytes = max(64, pads.map { $0?.bytes ?? 0 }.max() ?? 0, qkvReorder.scratchpad?.bytes ?? 0)
            implementations = [scores.implementation, values.implementation]
        } catch {
            for primitive in created { dnnl_primitive_destroy(primitive) }
            throw error
        }
    }

    deinit {
        for primitive in [toBF16QKV, scores, values] { dnnl_primitive_destroy(primitive) }
    }

    private func withPad(_ index: Int, _ buffer: UnsafeMutableRawPointer,
                         _ arguments: [(Int32, dnnl_memory_desc_t, UnsafeMutableRawPointer)])
        -> [(Int32, dnnl_memory_desc_t, UnsafeMutableRawPointer)] {
        guard let pad = pads[index] else { return arguments }
        return arguments + [(Args.scratchpad, pad.descriptor, buffer)]
    }

    func scoresArguments(q qPointer: UnsafeMutableRawPointer, k: UnsafeMutableRawPointer, s sPointer: UnsafeMutablePointer<Float>,
                         scratchpad: UnsafeMutableRawPointer) -> [(Int32, dnnl_memory_desc_t, UnsafeMutableRawPointer)] {
        withPad(0, scratchpad, [(Args.src, q, qPointer), (Args.weights, kT, k), (Args.dst, s, UnsafeMutableRawPointer(sPointer))])
    }

    func valuesArguments(p pPointer: UnsafeMutableRawPointer, v vPointer: UnsafeMutableRawPointer,
                         out: UnsafeMutablePointer<Float>, scratchpad: UnsafeMutableRawPointer)
        -> [(Int32, dnnl_memory_desc_t, UnsafeMutableRawPointer)] {
        withPad(1, scratchpad, [(Args.src, p, pPointer), (Args.weights, v, vPointer), (Args.dst, o, UnsafeMutableRawPointer(out))])
    }
}
