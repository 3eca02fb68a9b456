/// The arithmetic behind the model's matrix products: every `Linear` and the attention products.
///
/// A backend implements `apply`; `applyActivated`, `mlp`, `attention` and `pooledAttention` have
/// exact fp32 defaults (`apply` then the fp32 activation; the two products in turn;
/// `Kernels.attention`) that a backend
/// may replace with fused or lower-precision versions. `prepare` (nothing by default) converts
/// weights ahead of the first product; `notices` (none by default) lists products the backend had
/// to compute another way than asked, for the caller to show.
public protocol LinearBackend: Sendable {
    var name: String { get }
    /// Converts or reorders the weights of `layers` now (load time) instead of on first use.
    func prepare(_ layers: [Linear]) throws
    /// Products computed another way than asked (e.g. in fp32 because a faster plan failed),
    /// each distinct notice once; empty normally.
    var notices: [String] { get }
    /// Where this backend reports the time of its operations; nil (the default) measures nothing.
    var profiler: Profiler? { get }
    /// The same backend, sharing its prepared weights, reporting to `profiler`.
    func profiled(by profiler: Profiler) -> any LinearBackend
    /// y (R, N) = x (R, K) · Wᵀ + b, or with `accumulate` y += x · Wᵀ + b (residual connections).
    func apply(
        _ layer: Linear, x: UnsafePointer<Float>, rows: Int, y: UnsafeMutablePointer<Float>,
        accumulate: Bool)
    /// y (R, N) = activation(x (R, K) · Wᵀ + b): the first MLP product with its activation.
    func applyActivated(
        _ layer: Linear, activation: Activation, x: UnsafePointer<Float>, rows: Int,
        y: UnsafeMutablePointer<Float>, workers: Int)
    /// The MLP block with its residual: x (R, C) += fc2(activation(fc1(h (R, C)))); `hidden` is
    /// scratch for R x I floats (I = fc1's outputs).
    func mlp(
        fc1: Linear, fc2: Linear, activation: Activation, h: UnsafePointer<Float>, rows: Int,
        x: UnsafeMutablePointer<Float>, hidden: UnsafeMutablePointer<Float>, workers: Int)
    /// Multi-head self-attention, as `Kernels.attention`:
    /// qkv (B, T, 3C) -> out (B, T, C); `scratch` holds at least `workers * T * T` floats.
    func attention(
        qkv: UnsafePointer<Float>, batch: Int, tokens: Int, width: Int, heads: Int, causal: Bool,
        out: UnsafeMutablePointer<Float>, scratch: UnsafeMutablePointer<Float>, workers: Int)
    /// Attention for one query row per sequence (a pooled tower's last layer), as
    /// `Kernels.attention` with `queryRows`: qkv (B, T, 3C) -> out (B, C), row `queryRows[b]` of
    /// each sequence b (causal: it sees keys 0 ... that row); `scratch` as in `attention`.
    func pooledAttention(
        qkv: UnsafePointer<Float>, batch: Int, tokens: Int, width: Int, heads: Int, causal: Bool,
        queryRows: [Int], out: UnsafeMutablePointer<Float>, scratch: UnsafeMutablePointer<Float>, workers: Int)
}

extension LinearBackend {
    public func prepare(_ layers: [Linear]) throws {}

    public var notices: [String] { [] }

    public var profiler: Profiler? { nil }

    // x: (R, K) -> y: (R, N)
    public func applyActivated(
        _ layer: Linear, activation: Activation, x: UnsafePointer<Float>, rows: Int,
        y: UnsafeMutablePointer<Float>, workers: Int
    ) {
        apply(layer, x: x, rows: rows, y: y, accumulate: false)
        Kernels.activate(activation, y, count: rows * layer.outFeatures, workers: workers, profiler: profiler)
    }

    // h: (R, C) -> hidden (R, I) -> x: (R, C) +=
    public func mlp(
        fc1: Linear, fc2: Linear, activation: Activation, h: UnsafePointer<Float>, rows: Int,
        x: UnsafeMutablePointer<Float>, hidden: UnsafeMutablePointer<Float>, workers: Int
    ) {
        applyActivated(fc1, activation: activation, x: h, rows: rows, y: hidden, workers: workers)
        apply(fc2, x: hidden, rows: rows, y: x, accumulate: true)
    }

    // qkv: (B, T, 3C) -> out: (B, T, C)
    public func attention(
        qkv: UnsafePointer<Float>, batch: Int, tokens: Int, width: Int, heads: Int, causal: Bool,
        out: UnsafeMutablePointer<Float>, scratch: UnsafeMutablePointer<Float>, workers: Int
    ) {
        Kernels.attention(
            qkv: qkv, batch: batch, tokens: tokens, width: width, heads: heads, causal: causal,
            out: out, scratch: scratch, workers: workers, profiler: profiler)
    }

    // qkv: (B, T, 3C), one query row per sequence -> out: (B, C)
    public func pooledAttention(
        qkv: UnsafePointer<Float>, batch: Int, tokens: Int, width: Int, heads: Int, causal: Bool,
        queryRows: [Int], out: UnsafeMutablePointer<Float>, scratch: UnsafeMutablePointer<Float>, workers: Int
    ) {
        Kernels.attention(
            qkv: qkv, batch: batch, tokens: tokens, width: width, heads: heads, causal: causal,
            queryRows: queryRows, out: out, scratch: scratch, workers: workers, profiler: profiler)
    }
}
