import CDNNL

/// The primitives of bf16 attention for one shape (see `DNNLBackend.attention`).
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

    init(engine: dnnl_engine_t, key: AttentionKey) throws(DNNLError) {
        let t = key.tokens
        let c = key.width
        let d = key.width / key.heads
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
            let scores = try DNNL.matmul(
                src: q, weights: kT, dst: s, outputScale: 1 / Float(d).squareRoot(),
                engine: engine, problem: problem)
            created.append(scores.primitive)
            let values = try DNNL.matmul(
                src: p, weights: v, dst: o, outputScale: nil, engine: engine,
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

    private func withPad(
        _ index: Int, _ buffer: UnsafeMutableRawPointer,
        _ arguments: [(Int32, dnnl_memory_desc_t, UnsafeMutableRawPointer)]
    )
        -> [(Int32, dnnl_memory_desc_t, UnsafeMutableRawPointer)]
    {
        guard let pad = pads[index] else { return arguments }
        return arguments + [(DNNL.Arg.scratchpad, pad.descriptor, buffer)]
    }

    func scoresArguments(
        q qPointer: UnsafeMutableRawPointer, k: UnsafeMutableRawPointer, s sPointer: UnsafeMutablePointer<Float>,
        scratchpad: UnsafeMutableRawPointer
    ) -> [(Int32, dnnl_memory_desc_t, UnsafeMutableRawPointer)] {
        withPad(
            0, scratchpad,
            [
                (DNNL.Arg.src, q, qPointer), (DNNL.Arg.weights, kT, k),
                (DNNL.Arg.dst, s, UnsafeMutableRawPointer(sPointer)),
            ])
    }

    func valuesArguments(
        p pPointer: UnsafeMutableRawPointer, v vPointer: UnsafeMutableRawPointer,
        out: UnsafeMutablePointer<Float>, scratchpad: UnsafeMutableRawPointer
    )
        -> [(Int32, dnnl_memory_desc_t, UnsafeMutableRawPointer)]
    {
        withPad(
            1, scratchpad,
            [
                (DNNL.Arg.src, p, pPointer), (DNNL.Arg.weights, v, vPointer),
                (DNNL.Arg.dst, o, UnsafeMutableRawPointer(out)),
            ])
    }
}

/// The attention plan cache's key: one (T, C, heads) shape.
struct AttentionKey: Hashable {
    let tokens: Int
    let width: Int
    let heads: Int
}
