import Tensor

/// bf16 rounding and the naive reference of `DNNLBackend` (tests only; plain loops).
public enum BF16 {
    /// `x` rounded to bf16 (8 significant bits, round to nearest even, as `vcvtneps2bf16` and
    /// oneDNN's reorders do), returned as the Float of equal value. NaN stays NaN.
    @inline(__always)
    public static func rounded(_ x: Float) -> Float {
        let bits = x.bitPattern
        if x.isNaN { return Float(bitPattern: (bits | 0x0040_0000) & 0xFFFF_0000) }
        let rounding = 0x7FFF + ((bits >> 16) & 1)
        return Float(bitPattern: (bits &+ rounding) & 0xFFFF_0000)
    }

    /// Naive y (R, N) (+)= round(x) (R, K) · round(W)ᵀ + b with double accumulation: what the
    /// backend computes up to its fp32 accumulation order.
    public static func referenceApply(_ layer: Linear, x: [Float], rows: Int, y: inout [Float], accumulate: Bool) {
        let n = layer.outFeatures
        let k = layer.inFeatures
        precondition(x.count == rows * k && y.count == rows * n, "BF16.referenceApply: sizes")
        let w = layer.weight.map(rounded)
        let xr = x.map(rounded)
        for r in 0..<rows {
            for j in 0..<n {
                var acc = 0.0
                for p in 0..<k { acc += Double(xr[r * k + p]) * Double(w[j * k + p]) }
                if let b = layer.bias { acc += Double(b[j]) }
                if accumulate { acc += Double(y[r * n + j]) }
                y[r * n + j] = Float(acc)
            }
        }
    }
}
