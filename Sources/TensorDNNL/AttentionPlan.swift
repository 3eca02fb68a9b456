import CDNNL

/// The primitives of oneDNN attention for one shape and operand type (see `DNNLBackend.attention`).
final class AttentionPlan: @unchecked Sendable {
    let problem: String
    let operand: OperandType
    // qkv (T, 3C) f32 -> bf16 (bf16 operands only; f32 operands are read in place)
    let qkvF32: dnnl_memory_desc_t
    let qkvOperand: dnnl_memory_desc_t
    let toOperandQKV: dnnl_primitive_t?
    let qkvScratchpad: Scratchpad?
    /// Elements of one image's qkv: T x 3C.
    let qkvElements: Int
    /// Heads per product call, G: 1 (2-D tiles) or all H (one batched product per image).
    let headsPerCall: Int
    // With G heads per call every descriptor below gains a leading dimension of G (head h at
    // element offset h D in q, k, v and out, h T² in S and P).
    // S (T, T) = scale · q (T, D; row stride 3C) · kᵀ (D, T; column stride 3C)
    let q: dnnl_memory_desc_t
    let kT: dnnl_memory_desc_t
    let s: dnnl_memory_desc_t
    let scores: dnnl_primitive_t
    // P (T, T) = softmax(S): bf16 written by Kernels.softmaxRowsBF16, or f32 in place of S
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
        let type = key.operand.dnnl
        operand = key.operand
        let g = key.headsPerCall
        problem =
            "\(key.operand.rawValue) attention (T \(t), C \(c), \(key.heads) heads, \(g) per call)"
        qkvElements = t * 3 * c
        headsPerCall = g
        qkvF32 = try DNNL.matrix(t, 3 * c, dnnl_f32, dnnl_ab)
        qkvOperand = try DNNL.matrix(t, 3 * c, type, dnnl_ab)
        if g == 1 {
            q = try DNNL.matrix(t, d, type, rowStride: 3 * c)
            kT = try DNNL.strided(d, t, type, strides: (1, 3 * c))
            s = try DNNL.matrix(t, t, dnnl_f32, dnnl_ab)
            p = try DNNL.matrix(t, t, type, dnnl_ab)
            v = try DNNL.matrix(t, d, type, rowStride: 3 * c)
            o = try DNNL.matrix(t, d, dnnl_f32, rowStride: c)
        } else {
            q = try DNNL.tensor([g, t, d], type, strides: [d, 3 * c, 1])
            kT = try DNNL.tensor([g, d, t], type, strides: [d, 1, 3 * c])
            s = try DNNL.tensor([g, t, t], dnnl_f32, strides: [t * t, t, 1])
            p = try DNNL.tensor([g, t, t], type, strides: [t * t, t, 1])
            v = try DNNL.tensor([g, t, d], type, strides: [d, 3 * c, 1])
            o = try DNNL.tensor([g, t, d], dnnl_f32, strides: [d, c, 1])
        }

        var created: [dnnl_primitive_t] = []
        do {
            let qkvReorder =
                key.operand == .bf16
                ? try DNNL.reorder(from: qkvF32, to: qkvOperand, engine: engine, problem: problem) : nil
            if let qkvReorder { created.append(qkvReorder.primitive) }
            let scores = try DNNL.matmul(
                src: q, weights: kT, dst: s, outputScale: 1 / Float(d).squareRoot(),
                engine: engine, problem: problem)
            created.append(scores.primitive)
            let values = try DNNL.matmul(
                src: p, weights: v, dst: o, outputScale: nil, engine: engine,
                problem: problem)
            created.append(values.primitive)
            toOperandQKV = qkvReorder?.primitive
            qkvScratchpad = qkvReorder?.scratchpad
            self.scores = scores.primitive
            self.values = values.primitive
            pads = [scores.scratchpad, values.scratchpad]
            scratchpadBytes = max(64, pads.map { $0?.bytes ?? 0 }.max() ?? 0, qkvReorder?.scratchpad?.bytes ?? 0)
            implementations = [scores.implementation, values.implementation]
        } catch {
            for primitive in created { dnnl_primitive_destroy(primitive) }
            throw error
        }
    }

    deinit {
        for primitive in [toOperandQKV, scores, values] { if let primitive { dnnl_primitive_destroy(primitive) } }
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

/// The attention plan cache's key: one (T, C, heads) shape in one operand type, with G heads per
/// product call.
struct AttentionKey: Hashable {
    let tokens: Int
    let width: Int
    let heads: Int
    let operand: OperandType
    let headsPerCall: Int
}
