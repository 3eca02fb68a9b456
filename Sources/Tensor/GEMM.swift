import COpenBLAS

/// Row-major single-precision matrix products: the only way the model multiplies matrices.
///
/// Every call is one cblas_sgemm over the whole batch (B x T rows), never a loop of row products.
/// A second backend (bf16 through oneDNN) plugs in behind `LinearBackend` (LinearBackend.swift).
public enum GEMM {
    /// c (M, N) = alpha * op(a) · op(b) + beta * c, row-major.
    /// a: (M, K) or, when `transA`, (K, M); b: (K, N) or, when `transB`, (N, K).
    /// - Precondition: BLAS.load() succeeded (Linear/Model constructors ensure it).
    @inline(__always)
    public static func sgemm(
        transA: Bool = false, transB: Bool = false, m: Int, n: Int, k: Int, alpha: Float = 1,
        a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
        beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        kp_sgemm(
            transA ? 1 : 0, transB ? 1 : 0, Int32(m), Int32(n), Int32(k), alpha,
            a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }

    /// Naive reference of `sgemm` (llm.c style), for tests only: plain loops, double accumulation.
    public static func referenceSgemm(
        transA: Bool = false, transB: Bool = false, m: Int, n: Int, k: Int, alpha: Float = 1,
        a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
        beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        for i in 0..<m {
            for j in 0..<n {
                var acc = 0.0
                for p in 0..<k {
                    let av = transA ? a[p * lda + i] : a[i * lda + p]
                    let bv = transB ? b[j * ldb + p] : b[p * ldb + j]
                    acc += Double(av) * Double(bv)
                }
                let prior = beta == 0 ? 0 : Double(beta) * Double(c[i * ldc + j])
                c[i * ldc + j] = Float(Double(alpha) * acc + prior)
            }
        }
    }
}
