import Foundation

/// Elementwise and row-wise kernels of the transformer, fp32, in place where possible.
/// Letters: R rows (= B x T), C width. Every kernel has a naive twin in Kernels+Reference.swift.
public enum Kernels {
    // MARK: - LayerNorm

    /// y (R, C) = (x - mean) / sqrt(var + eps) * gamma + beta, per row; y may alias x.
    /// Two-pass mean/variance in Float with a Double row sum: matches PyTorch to ~1e-6 relative.
    public static func layerNorm(
        _ x: UnsafePointer<Float>, rows: Int, width c: Int, gamma: UnsafePointer<Float>,
        beta: UnsafePointer<Float>, eps: Float, y: UnsafeMutablePointer<Float>, workers: Int
    ) {
        parallelRanges(rows, workers: workers, minimumPerWorker: 8) { _, range in
            for r in range {
                let xr = x + r * c, yr = y + r * c
                var sum: Float = 0
                for j in 0..<c { sum += xr[j] }
                let mean = sum / Float(c)
                var sq: Float = 0
                for j in 0..<c { let d = xr[j] - mean; sq += d * d }
                let inv = 1 / (sq / Float(c) + eps).squareRoot()
                for j in 0..<c { yr[j] = (xr[j] - mean) * inv * gamma[j] + beta[j] }
            }
        }
    }

    // MARK: - Activations

    /// x (N) <- x * sigmoid(1.702 x): OpenAI CLIP's QuickGELU.
    public static func quickGELU(_ x: UnsafeMutablePointer<Float>, count: Int, workers: Int) {
        parallelRanges(count, workers: workers, minimumPerWorker: 4096) { _, range in
            var i = range.lowerBound
            while i + 8 <= range.upperBound {
                let v = UnsafeRawPointer(x + i).loadUnaligned(as: VectorExp.V.self)
                let y = v / (1 + VectorExp.exp(-1.702 * v))
                UnsafeMutableRawPointer(x + i).storeBytes(of: y, as: VectorExp.V.self)
                i += 8
            }
            while i < range.upperBound {
                let v = x[i]
                x[i] = v / (1 + expf(-1.702 * v))
                i += 1
            }
        }
    }

    /// x (N) <- 0.5 x (1 + erf(x / sqrt 2)): exact GELU (PyTorch's default, OpenCLIP LAION models).
    public static func gelu(_ x: UnsafeMutablePointer<Float>, count: Int, workers: Int) {
        parallelRanges(count, workers: workers, minimumPerWorker: 4096) { _, range in
            for i in range {
                let v = x[i]
                x[i] = 0.5 * v * (1 + erff(v * 0.70710678118654752))
            }
        }
    }

    // MARK: - Softmax

    /// s (R, N) <- softmax over each row's first `valid(r)` entries; entries past it become 0
    /// (the causal mask of the text tower: row r sees columns 0...r).
    @inline(__always)
    public static func softmaxRows(_ s: UnsafeMutablePointer<Float>, rows: Int, cols: Int,
                                   ld: Int, causal: Bool) {
        for r in 0..<rows {
            let row = s + r * ld
            let n = causal ? min(cols, r + 1) : cols
            var m = -Float.infinity
            for j in 0..<n { m = max(m, row[j]) }
            let sum = VectorExp.expShiftedSum(row, count: n, shift: m)
            let inv = 1 / sum
            for j in 0..<n { row[j] *= inv }
            if n < cols { for j in n..<cols { row[j] = 0 } }
        }
    }

    // MARK: - Attention

    /// Multi-head self-attention over a fused projection.
    ///
    /// qkv: (B, T, 3C), laid out [q | k | v] per token, q not yet scaled -> out: (B, T, C).
    /// Heads H, head width D = C / H. Each (b, h) pair is one tile: S = q kᵀ (T, T) in the
    /// worker's own scratch, softmax, then S v written straight into `out` at columns h D.
    /// Memory is workers x T x T, never B x H x T x T.
    /// - Parameter scratch: at least `workers * T * T` floats.
    public static func attention(
        qkv: UnsafePointer<Float>, batch b: Int, tokens t: Int, width c: Int, heads: Int,
        causal: Bool, out: UnsafeMutablePointer<Float>, scratch: UnsafeMutablePointer<Float>,
        workers: Int
    ) {
        let d = c / heads
        let scale = 1 / Float(d).squareRoot()
        let ld = 3 * c
        // Workers split the (b, h) tiles; each tile's sgemms then run single-threaded.
        let run = { parallelRanges(b * heads, workers: workers) { worker, range in
            let s = scratch + worker * t * t
            for pair in range {
                let bi = pair / heads, h = pair % heads
                let base = qkv + bi * t * ld
                let q = base + h * d, k = base + c + h * d, v = base + 2 * c + h * d
                // S (T, T) = scale * q (T, D) · kᵀ
                GEMM.sgemm(transB: true, m: t, n: t, k: d, alpha: scale, a: q, lda: ld, b: k,
                           ldb: ld, beta: 0, c: s, ldc: t)
                softmaxRows(s, rows: t, cols: t, ld: t, causal: causal)
                // out[b, :, h D ..< (h+1) D] (T, D) = S (T, T) · v (T, D)
                GEMM.sgemm(m: t, n: d, k: t, a: s, lda: t, b: v, ldb: ld, beta: 0,
                           c: out + bi * t * c + h * d, ldc: c)
            }
        } }
        if workers > 1 { BLAS.singleThreaded(run) } else { run() }
    }

    // MARK: - Vectors

    /// x (R, C) <- x / ||x||₂ per row (rows of zeros stay zero).
    public static func l2NormalizeRows(_ x: UnsafeMutablePointer<Float>, rows: Int, width c: Int) {
        for r in 0..<rows {
            let row = x + r * c
            var sq: Double = 0
            for j in 0..<c { sq += Double(row[j]) * Double(row[j]) }
            let n = sq.squareRoot()
            if n > 0 { let inv = Float(1 / n); for j in 0..<c { row[j] *= inv } }
        }
    }
}
