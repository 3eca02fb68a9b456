import Foundation
import KeypointsSupport
import Testing

@testable import Tensor

/// Tolerances (per op, as in llama.cpp's backend tests).
/// sgemm accumulates in Float with blocked summation; the reference in Double: relative error
/// grows like sqrt(K) * eps32 ~ 1e-6 for K <= 300 on O(1) data.
let gemmTolerance: Float = 2e-5
/// LayerNorm: Float passes over C <= 1024 values vs Double (measured 4.8e-7 at C = 1024).
let layerNormTolerance: Float = 2e-5
/// QuickGELU / GELU over |x| <= 8 (times 8 at use): vector exp and rational erf vs Double.
let activationTolerance: Float = 2e-6
/// Attention: two sgemms and a softmax in Float vs all-Double.
let attentionTolerance: Float = 2e-5

/// Deterministic test data in [-1, 1) (SplitMix64).
func testData(_ n: Int, seed: UInt64) -> [Float] {
    var rng = SplitMix64(seed: seed)
    return (0..<n).map { _ in Float(rng.next() >> 40) / 8_388_608 - 1 }
}

func maxAbsDiff(_ a: [Float], _ b: [Float]) -> Float {
    precondition(a.count == b.count)
    return zip(a, b).map { abs($0 - $1) }.max() ?? 0
}

@Suite struct KernelTests {
    init() throws { try BLAS.load() }

    @Test(arguments: [(1, 1, 1), (7, 5, 3), (65, 33, 17), (197, 77, 64), (50, 768, 96)])
    func sgemmMatchesReference(shape: (Int, Int, Int)) {
        let (m, n, k) = shape
        for (ta, tb) in [(false, false), (false, true), (true, false), (true, true)] {
            let a = testData(m * k, seed: 1)
            let b = testData(k * n, seed: 2)
            var c = testData(m * n, seed: 3)
            var r = c
            let lda = ta ? m : k
            let ldb = tb ? k : n
            a.withUnsafeBufferPointer { pa in
                b.withUnsafeBufferPointer { pb in
                    c.withUnsafeMutableBufferPointer { pc in
                        GEMM.sgemm(
                            transA: ta, transB: tb, m: m, n: n, k: k, alpha: 0.5, a: pa.baseAddress!, lda: lda,
                            b: pb.baseAddress!, ldb: ldb, beta: 0.25, c: pc.baseAddress!, ldc: n)
                    }
                    r.withUnsafeMutableBufferPointer { pr in
                        GEMM.referenceSgemm(
                            transA: ta, transB: tb, m: m, n: n, k: k, alpha: 0.5, a: pa.baseAddress!, lda: lda,
                            b: pb.baseAddress!, ldb: ldb, beta: 0.25, c: pr.baseAddress!, ldc: n)
                    }
                }
            }
            #expect(maxAbsDiff(c, r) < gemmTolerance * Float(k).squareRoot(), "m \(m) n \(n) k \(k) ta \(ta) tb \(tb)")
        }
    }

    @Test func linearBackendAddsBiasAndAccumulates() {
        let rows = 13
        let k = 9
        let n = 11
        let w = testData(n * k, seed: 4)
        let bias = testData(n, seed: 5)
        let x = testData(rows * k, seed: 6)
        let layer = Linear(weight: w, bias: bias, outFeatures: n, inFeatures: k)
        var y = testData(rows * n, seed: 7)
        let start = y
        x.withUnsafeBufferPointer { px in
            y.withUnsafeMutableBufferPointer { py in
                SgemmBackend().apply(layer, x: px.baseAddress!, rows: rows, y: py.baseAddress!, accumulate: true)
            }
        }
        for r in 0..<rows {
            for j in 0..<n {
                var acc = Double(start[r * n + j]) + Double(bias[j])
                for p in 0..<k { acc += Double(x[r * k + p]) * Double(w[j * k + p]) }
                #expect(abs(Float(acc) - y[r * n + j]) < gemmTolerance)
            }
        }
    }

    @Test(arguments: [(1, 7), (5, 64), (77, 48), (197, 130)])
    func layerNormMatchesReference(shape: (Int, Int)) {
        let (rows, c) = shape
        let x = testData(rows * c, seed: 8).map { $0 * 3 + 0.5 }
        let g = testData(c, seed: 9).map { 1 + $0 * 0.2 }
        let b = testData(c, seed: 10)
        var y = [Float](repeating: 0, count: x.count)
        x.withUnsafeBufferPointer { px in
            g.withUnsafeBufferPointer { pg in
                b.withUnsafeBufferPointer { pb in
                    y.withUnsafeMutableBufferPointer { py in
                        Kernels.layerNorm(
                            px.baseAddress!, rows: rows, width: c, gamma: pg.baseAddress!, beta: pb.baseAddress!,
                            eps: 1e-5, y: py.baseAddress!, workers: 2)
                    }
                }
            }
        }
        let r = ReferenceKernels.layerNorm(x, rows: rows, width: c, gamma: g, beta: b, eps: 1e-5)
        #expect(maxAbsDiff(y, r) < layerNormTolerance)
    }

    @Test func activationsMatchReference() {
        let x = testData(10_001, seed: 11).map { $0 * 8 }
        var q = x
        var g = x
        q.withUnsafeMutableBufferPointer { Kernels.quickGELU($0.baseAddress!, count: $0.count, workers: 2) }
        g.withUnsafeMutableBufferPointer { Kernels.gelu($0.baseAddress!, count: $0.count, workers: 2) }
        #expect(maxAbsDiff(q, ReferenceKernels.quickGELU(x)) < activationTolerance * 8)
        #expect(maxAbsDiff(g, ReferenceKernels.gelu(x)) < activationTolerance * 8)
        // The two activations differ: a swapped dispatch would be caught.
        #expect(maxAbsDiff(q, g) > 1e-2)
    }

    @Test(arguments: [
        (1, 1, 8, 1, false), (2, 7, 12, 3, true), (3, 37, 64, 4, false), (2, 77, 48, 3, true), (1, 50, 96, 12, false),
    ])
    func attentionMatchesReference(shape: (Int, Int, Int, Int, Bool)) {
        let (b, t, c, h, causal) = shape
        let qkv = testData(b * t * 3 * c, seed: 12).map { $0 * 2 }
        var out = [Float](repeating: .nan, count: b * t * c)
        var scratch = [Float](repeating: 0, count: 2 * t * t)
        qkv.withUnsafeBufferPointer { pq in
            out.withUnsafeMutableBufferPointer { po in
                scratch.withUnsafeMutableBufferPointer { ps in
                    Kernels.attention(
                        qkv: pq.baseAddress!, batch: b, tokens: t, width: c, heads: h, causal: causal,
                        out: po.baseAddress!, scratch: ps.baseAddress!, workers: 2)
                }
            }
        }
        let r = ReferenceKernels.attention(qkv: qkv, batch: b, tokens: t, width: c, heads: h, causal: causal)
        #expect(maxAbsDiff(out, r) < attentionTolerance)
    }
}

/// VectorExp with the CPU's best variant; KernelVariantTests checks every variant's ulp error.
@Suite struct VectorExpTests {
    @Test func expShiftedSumMatchesScalar() {
        for n in [1, 7, 8, 9, 50, 577] {
            var v = testData(n, seed: UInt64(n)).map { $0 * 20 }
            let m = v.max() ?? 0
            let want = v.map { Foundation.exp(Double($0 - m)) }
            let sum = v.withUnsafeMutableBufferPointer { VectorExp.expShiftedSum($0.baseAddress!, count: n, shift: m) }
            #expect(abs(Double(sum) - want.reduce(0, +)) < 1e-5 * Double(n))
            for i in 0..<n { #expect(abs(Double(v[i]) - want[i]) <= 3e-7 * max(want[i], 1e-30) + 1e-38) }
        }
    }
}
