import Tensor

/// One pre-norm transformer block of CLIP: x += attn(ln1(x)); x += mlp(ln2(x)).
/// q, k and v are fused into one (3C, C) projection at load time so that one sgemm serves all three.
public struct TransformerLayer: Sendable {
    public let layerNorm1: (gamma: [Float], beta: [Float])
    public let qkv: Linear  // (3C, C): rows [q; k; v]
    public let out: Linear  // (C, C)
    public let layerNorm2: (gamma: [Float], beta: [Float])
    public let fc1: Linear  // (I, C)
    public let fc2: Linear  // (C, I)
}

/// A stack of `TransformerLayer`s with its shape; immutable after loading.
public struct TransformerEncoder: Sendable {
    public let width: Int
    public let heads: Int
    public let intermediate: Int
    public let activation: Activation
    public let eps: Float
    public let layers: [TransformerLayer]

    /// Multiply-add FLOPs of a full pass over `rows` rows in sequences of `tokens` tokens.
    public func flops(batch: Int, tokens: Int) -> Double {
        let r = Double(batch * tokens)
        let c = Double(width)
        let i = Double(intermediate)
        let linear = 2 * r * (3 * c * c + c * c + 2 * c * i)
        let attention = 2 * 2 * Double(batch) * Double(tokens) * Double(tokens) * c
        return Double(layers.count) * (linear + attention)
    }

    /// Runs every layer in place on x: (B, T, C) -> (B, T, C).
    ///
    /// With `pooledRows` (one token index per sequence), the last layer is computed for those
    /// rows only (keys and values still use every token) and the result, (B, C), is written to
    /// `pooledOut`; x is then left after the second-to-last layer. This skips (T - 1) / T of the
    /// last layer's projections and MLP, which only feed tokens that are never read.
    ///
    /// With `lastKeys`, the key projection of the last layer (its `layerNorm1` output times Wkᵀ
    /// plus bias, all heads side by side) is copied there: (B, T, C). With `stopAfterLastKeys` the
    /// pass ends right after that copy and x is left after the second-to-last layer.
    func forward(
        _ x: UnsafeMutablePointer<Float>, batch b: Int, tokens t: Int, causal: Bool,
        backend: any LinearBackend, workspace ws: Workspace,
        pooledRows: [Int]? = nil, pooledOut: UnsafeMutablePointer<Float>? = nil,
        lastKeys: UnsafeMutablePointer<Float>? = nil, stopAfterLastKeys: Bool = false
    ) {
        let c = width
        let rows = b * t
        let w = ws.workers
        let h = ws.buffer(.normed, count: rows * c)
        let qkv = ws.buffer(.qkv, count: rows * 3 * c)
        let attn = ws.buffer(.attention, count: rows * c)
        let mlp = ws.buffer(.mlp, count: rows * intermediate)
        let scores = ws.buffer(.scores, count: w * t * t)
        for (index, layer) in layers.enumerated() {
            let last = index == layers.count - 1
            Kernels.layerNorm(
                x, rows: rows, width: c, parameters: layer.layerNorm1, eps: eps, y: h, workers: w,
                profiler: backend.profiler)
            // h (B T, C) -> qkv (B T, 3C)
            backend.apply(layer.qkv, x: h, rows: rows, y: qkv, accumulate: false)
            if last, let lastKeys {
                // qkv (B T, [q | k | v]) -> lastKeys (B T, C)
                for r in 0..<rows { (lastKeys + r * c).update(from: qkv + r * 3 * c + c, count: c) }
                if stopAfterLastKeys { return }
            }
            if last, let pooledRows, let pooledOut {
                lastLayerPooled(
                    layer, x: x, qkv: qkv, batch: b, tokens: t, causal: causal,
                    rows: pooledRows, out: pooledOut, backend: backend, ws: ws)
                return
            }
            // qkv (B, T, 3C) -> attn (B, T, C)
            backend.attention(
                qkv: qkv, batch: b, tokens: t, width: c, heads: heads, causal: causal,
                out: attn, scratch: scores, workers: w)
            // x (B T, C) += attn · Woᵀ + bo
            backend.apply(layer.out, x: attn, rows: rows, y: x, accumulate: true)
            // x (B T, C) += fc2(act(fc1(LayerNorm2(x)))), through h (B T, C) and mlp (B T, I)
            feedForward(layer, x: x, rows: rows, normed: h, hidden: mlp, backend: backend, workers: w)
        }
    }

    /// The last layer for one query row per sequence.
    /// qkv: (B, T, 3C), rows[b] = query token of sequence b -> out: (B, C).
    private func lastLayerPooled(
        _ layer: TransformerLayer, x: UnsafeMutablePointer<Float>,
        qkv: UnsafePointer<Float>, batch b: Int, tokens t: Int, causal: Bool,
        rows: [Int], out: UnsafeMutablePointer<Float>,
        backend: any LinearBackend, ws: Workspace
    ) {
        let c = width
        let w = ws.workers
        let attn = ws.buffer(.pooledAttention, count: b * c)
        let scores = ws.buffer(.scores, count: w * t * t)
        // qkv (B, T, 3C), one query row per sequence -> attn (B, C)
        backend.pooledAttention(
            qkv: qkv, batch: b, tokens: t, width: c, heads: heads, causal: causal, queryRows: rows, out: attn,
            scratch: scores, workers: w)
        // out (B, C) = x[b, rows[b]] + attn · Woᵀ + bo
        for bi in 0..<b { (out + bi * c).update(from: x + (bi * t + rows[bi]) * c, count: c) }
        backend.apply(layer.out, x: attn, rows: b, y: out, accumulate: true)
        let h = ws.buffer(.pooledMLP, count: b * (c + intermediate))
        feedForward(layer, x: out, rows: b, normed: h, hidden: h + b * c, backend: backend, workers: w)
    }

    /// The MLP half of a pre-norm layer, in place: x (R, C) += fc2(act(fc1(LayerNorm2(x)))).
    /// normed (R, C) and hidden (R, I) are scratch.
    private func feedForward(
        _ layer: TransformerLayer, x: UnsafeMutablePointer<Float>, rows: Int, normed: UnsafeMutablePointer<Float>,
        hidden: UnsafeMutablePointer<Float>, backend: any LinearBackend, workers w: Int
    ) {
        Kernels.layerNorm(
            x, rows: rows, width: width, parameters: layer.layerNorm2, eps: eps, y: normed, workers: w,
            profiler: backend.profiler)
        backend.mlp(
            fc1: layer.fc1, fc2: layer.fc2, activation: activation, h: normed, rows: rows, x: x, hidden: hidden,
            workers: w)
    }
}
