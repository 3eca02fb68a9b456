/// One (sequence, head) tile of multi-head self-attention over a fused projection qkv (B, T, 3C),
/// laid out [q | k | v] per token: where its queries, keys, values and output are. Shared by
/// `Kernels.attention` and `InvariantBackend`, which compute the same tiles with other products.
///
/// Without `queryRows` the tile has all T queries and T keys (a causal tile masks S's upper
/// triangle in its softmax); with them, the one query row `queryRows[b]` of sequence b, which
/// sees keys 0 ... that row when causal, else all T, and writes row b of an (B, C) output.
struct AttentionTile {
    /// q (m, D), row stride 3C.
    let queries: UnsafePointer<Float>
    /// k (n, D), row stride 3C.
    let keys: UnsafePointer<Float>
    /// v (n, D), row stride 3C.
    let values: UnsafePointer<Float>
    /// out (m, D), row stride C.
    let out: UnsafeMutablePointer<Float>
    /// Queries.
    let m: Int
    /// Keys.
    let n: Int
    /// Whether the softmax of S (m, n) masks its upper triangle.
    let masksUpperTriangle: Bool
    /// Multiply-add FLOPs of one of the tile's two products (q kᵀ or P v).
    var productFLOPs: Double { 2 * Double(m) * Double(n) * Double(headWidth) }
    /// D.
    let headWidth: Int

    // qkv (B, T, 3C), tile `pair` = b H + h -> out (B, T, C) or, with queryRows, (B, C)
    init(
        pair: Int, qkv: UnsafePointer<Float>, tokens t: Int, width c: Int, heads: Int, causal: Bool,
        queryRows: [Int]?, out: UnsafeMutablePointer<Float>
    ) {
        let d = c / heads
        let bi = pair / heads
        let h = pair % heads
        let ld = 3 * c
        let base = qkv + bi * t * ld
        let first = queryRows?[bi] ?? 0
        m = queryRows == nil ? t : 1
        n = queryRows != nil && causal ? first + 1 : t
        queries = base + first * ld + h * d
        keys = base + c + h * d
        values = base + 2 * c + h * d
        self.out = out + (queryRows == nil ? bi * t * c : bi * c) + h * d
        masksUpperTriangle = causal && queryRows == nil
        headWidth = d
    }
}

extension AttentionTile {
    /// Runs every tile of an attention: workers split the (b, h) tiles; for each, `scores` writes
    /// S (m, n) = scale q kᵀ into the worker's T x T part of `scratch`, softmax runs on it (masked
    /// as the tile says), then `mix` writes S v to the tile's output. Each worker's products get
    /// `productScratch` floats of their own (allocated once per worker per call; nil when 0).
    /// qkv (B, T, 3C) -> out (B, T, C), or with `queryRows` (B, C).
    static func forEach(
        qkv: UnsafePointer<Float>, batch b: Int, tokens t: Int, width c: Int, heads: Int, causal: Bool,
        queryRows: [Int]?, out: UnsafeMutablePointer<Float>, scratch: UnsafeMutablePointer<Float>, workers: Int,
        profiler: Profiler?, productScratch: Int,
        scores: (AttentionTile, _ s: UnsafeMutablePointer<Float>, _ work: UnsafeMutablePointer<Float>?) -> Void,
        mix: (AttentionTile, _ s: UnsafePointer<Float>, _ work: UnsafeMutablePointer<Float>?) -> Void
    ) {
        parallelRanges(b * heads, workers: workers) { worker, range in
            let s = scratch + worker * t * t
            let work = productScratch > 0 ? UnsafeMutablePointer<Float>.allocate(capacity: productScratch) : nil
            defer { work?.deallocate() }
            for pair in range {
                let tile = AttentionTile(
                    pair: pair, qkv: qkv, tokens: t, width: c, heads: heads, causal: causal, queryRows: queryRows,
                    out: out)
                profiler.measure(.attentionProducts, flops: tile.productFLOPs) { scores(tile, s, work) }
                profiler.measure(.softmax) {
                    Kernels.softmaxRows(s, rows: tile.m, cols: tile.n, ld: tile.n, causal: tile.masksUpperTriangle)
                }
                profiler.measure(.attentionProducts, flops: tile.productFLOPs) { mix(tile, s, work) }
            }
        }
    }
}
