import Foundation

/// Naive twins of `Kernels`, written for clarity in Double: tests compare the fast kernels with
/// these on shapes that are not tile multiples.
public enum ReferenceKernels {
    // x: (R, C) -> (R, C)
    public static func layerNorm(
        _ x: [Float], rows: Int, width c: Int, gamma: [Float],
        beta: [Float], eps: Float
    ) -> [Float] {
        var y = [Float](repeating: 0, count: x.count)
        for r in 0..<rows {
            let row = (0..<c).map { Double(x[r * c + $0]) }
            let mean = row.reduce(0, +) / Double(c)
            let variance = row.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(c)
            for j in 0..<c {
                y[r * c + j] = Float(
                    (row[j] - mean) / (variance + Double(eps)).squareRoot()
                        * Double(gamma[j]) + Double(beta[j]))
            }
        }
        return y
    }

    public static func quickGELU(_ x: [Float]) -> [Float] {
        x.map { v in Float(Double(v) / (1 + exp(-1.702 * Double(v)))) }
    }

    public static func gelu(_ x: [Float]) -> [Float] {
        x.map { v in Float(0.5 * Double(v) * (1 + erf(Double(v) / 2.0.squareRoot()))) }
    }

    /// qkv: (B, T, 3C) -> (B, T, C), one head at a time, explicit loops.
    public static func attention(
        qkv: [Float], batch b: Int, tokens t: Int, width c: Int,
        heads: Int, causal: Bool
    ) -> [Float] {
        let d = c / heads
        var out = [Float](repeating: 0, count: b * t * c)
        for bi in 0..<b {
            for h in 0..<heads {
                func q(_ i: Int, _ j: Int) -> Double { Double(qkv[(bi * t + i) * 3 * c + h * d + j]) }
                func k(_ i: Int, _ j: Int) -> Double { Double(qkv[(bi * t + i) * 3 * c + c + h * d + j]) }
                func v(_ i: Int, _ j: Int) -> Double { Double(qkv[(bi * t + i) * 3 * c + 2 * c + h * d + j]) }
                for i in 0..<t {
                    let visible = causal ? i + 1 : t
                    var logits = [Double](repeating: 0, count: visible)
                    for j in 0..<visible {
                        var dot = 0.0
                        for p in 0..<d { dot += q(i, p) * k(j, p) }
                        logits[j] = dot / Double(d).squareRoot()
                    }
                    let m = logits.max() ?? 0
                    let e = logits.map { exp($0 - m) }
                    let sum = e.reduce(0, +)
                    for p in 0..<d {
                        var acc = 0.0
                        for j in 0..<visible { acc += e[j] / sum * v(j, p) }
                        out[(bi * t + i) * c + h * d + p] = Float(acc)
                    }
                }
            }
        }
        return out
    }
}
