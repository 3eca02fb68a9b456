import COpenBLAS

/// Row-major single-precision matrix products: the only way the model multiplies matrices.
///
/// Every call is one cblas_sgemm over the whole batch (B x T rows), never a loop of row products.
/// A second backend (bf16 through oneDNN) plugs in behind `LinearBackend`.
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
        kp_sgemm(transA ? 1 : 0, transB ? 1 : 0, Int32(m), Int32(n), Int32(k), alpha,
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

/// A fully connected layer in PyTorch's layout: weight (N, K) = (out, in), bias (N) or none.
/// Immutable after loading.
public struct Linear: Sendable {
    public let outFeatures: Int
    public let inFeatures: Int
    public let weight: [Float]
    public let bias: [Float]?

    public init(weight: [Float], bias: [Float]?, outFeatures: Int, inFeatures: Int) {
        precondition(weight.count == outFeatures * inFeatures, "Linear: weight count")
        precondition(bias == nil || bias!.count == outFeatures, "Linear: bias count")
        self.weight = weight
        self.bias = bias
        self.outFeatures = outFeatures
        self.inFeatures = inFeatures
    }

    /// Floating-point operations of one application to `rows` rows (multiply-adds count 2).
    public func flops(rows: Int) -> Double { 2 * Double(rows) * Double(inFeatures) * Double(outFeatures) }
}

/// The arithmetic behind the model's matrix products: every `Linear` and the attention products.
///
/// A backend implements `apply`; `applyActivated`, `mlp` and `attention` have exact fp32 defaults
/// (`apply` then the fp32 activation; the two products in turn; `Kernels.attention`) that a backend
/// may replace with fused or lower-precision versions.
public protocol LinearBackend: Sendable {
    var name: String { get }
    /// y (R, N) = x (R, K) · Wᵀ + b, or with `accumulate` y += x · Wᵀ + b (residual connections).
    func apply(_ layer: Linear, x: UnsafePointer<Float>, rows: Int, y: UnsafeMutablePointer<Float>,
               accumulate: Bool)
    /// y (R, N) = activation(x (R, K) · Wᵀ + b): the first MLP product with its activation.
    func applyActivated(_ layer: Linear, activation: Activation, x: UnsafePointer<Float>, rows: Int,
                        y: UnsafeMutablePointer<Float>, workers: Int)
    /// The MLP block with its residual: x (R, C) += fc2(activation(fc1(h (R, C)))); `hidden` is
    /// scratch for R x I floats (I = fc1's outputs).
    func mlp(fc1: Linear, fc2: Linear, activation: Activation, h: UnsafePointer<Float>, rows: Int,
             x: UnsafeMutablePointer<Float>, hidden: UnsafeMutablePointer<Float>, workers: Int)
    /// Multi-head self-attention, as `Kernels.attention`:
    /// qkv (B, T, 3C) -> out (B, T, C); `scratch` holds at least `workers * T * T` floats.
    func attention(qkv: UnsafePointer<Float>, batch: Int, tokens: Int, width: Int, heads: Int, causal: Bool,
                   out: UnsafeMutablePointer<Float>, scratch: UnsafeMutablePointer<Float>, workers: Int)
}

extension LinearBackend {
    // x: (R, K) -> y: (R, N)
    public func applyActivated(_ layer: Linear, activation: Activation, x: UnsafePointer<Float>, rows: Int,
                               y: UnsafeMutablePointer<Float>, workers: Int) {
        apply(layer, x: x, rows: rows, y: y, accumulate: false)
        Kernels.activate(activation, y, count: rows * layer.outFeatures, workers: workers)
    }

    // h: (R, C) -> hidden (R, I) -> x: (R, C) +=
    public func mlp(fc1: Linear, fc2: Linear, activation: Activation, h: UnsafePointer<Float>, rows: Int,
                    x: UnsafeMutablePointer<Float>, hidden: UnsafeMutablePointer<Float>, workers: Int) {
        applyActivated(fc1, activation: activation, x: h, rows: rows, y: hidden, workers: workers)
        apply(fc2, x: hidden, rows: rows, y: x, accumulate: true)
    }

    // qkv: (B, T, 3C) -> out: (B, T, C)
    public func attention(qkv: UnsafePointer<Float>, batch: Int, tokens: Int, width: Int, heads: Int, causal: Bool,
                          out: UnsafeMutablePointer<Float>, scratch: UnsafeMutablePointer<Float>, workers: Int) {
        Kernels.attention(qkv: qkv, batch: batch, tokens: tokens, width: width, heads: heads, causal: causal,
                          out: out, scratch: scratch, workers: workers)
    }
}

/// The exact fp32 path: OpenBLAS sgemm.
public struct SgemmBackend: LinearBackend {
    public init() {}
    public var name: String { "fp32-openblas" }

    // x: (R, K) -> y: (R, N)
    public func apply(_ layer: Linear, x: UnsafePointer<Float>, rows: Int,
                      y: UnsafeMutablePointer<Float>, accumulate: Bool) {
        let n = layer.outFeatures, k = layer.inFeatures
        var beta: Float = accumulate ? 1 : 0
        if let bias = layer.bias {
            // Broadcast the bias into y first so that sgemm adds onto it (beta = 1): one pass.
            bias.withUnsafeBufferPointer { b in
                for r in 0..<rows {
                    let row = y + r * n
                    if accumulate {
                        for j in 0..<n { row[j] += b[j] }
                    } else {
                        row.update(from: b.baseAddress!, count: n)
                    }
                }
            }
            beta = 1
        }
        layer.weight.withUnsafeBufferPointer { w in
            GEMM.sgemm(transB: true, m: rows, n: n, k: k, a: x, lda: k, b: w.baseAddress!, ldb: k,
                       beta: beta, c: y, ldc: n)
        }
    }
}
