import Dispatch
import Foundation
import Testing

@testable import Tensor

/// Softmax: probabilities <= 1 from a ~1 ulp exp and a Float row sum (measured 1.8e-7).
let softmaxTolerance: Float = 5e-7
/// exp: the degree-6 minimax polynomial measures 1.1 ulp without FMA, 0.85 with; the Taylor
/// coefficients of the former Swift VectorExp measured 3.
let expMaxULP = 1.5
/// QuickGELU / GELU per unit of |x|: ~1 ulp exp, 5e-7 erf, a division (measured 2.3e-7).
let vectorActivationTolerance: Float = 5e-7
/// Sum of a row of exp results vs the Double sum: Float lane sums of <= 577 terms.
let expSumRelativeTolerance = 1e-6

extension ReferenceKernels {
    /// s (R, N), row stride ld -> softmax over each row's first n(r) entries (n(r) = min(N, r + 1)
    /// when causal), the rest of the row 0, columns N ..< ld copied; in Double.
    static func softmaxRows(_ s: [Float], rows: Int, cols: Int, ld: Int, causal: Bool) -> [Float] {
        var out = s
        for r in 0..<rows {
            let n = causal ? min(cols, r + 1) : cols
            let row = (0..<n).map { Double(s[r * ld + $0]) }
            let m = row.max() ?? 0
            let e = row.map { Foundation.exp($0 - m) }
            let sum = e.reduce(0, +)
            for j in 0..<cols { out[r * ld + j] = j < n ? Float(e[j] / sum) : 0 }
        }
        return out
    }
}

/// Every instruction-set variant of the C kernels (CKernels) against the Double references.
/// `Kernels.withISA` forces the variant on the calling thread only, so kernels run with
/// `workers: 1` here and other suites, running in parallel, keep the CPU's best variant; the
/// suite is serialized anyway so that at most one forced test runs at a time.
@Suite(.serialized) struct KernelVariantTests {
    /// Variants this CPU cannot run are skipped (withISA returns nil): generic always runs.
    static let variants = KernelISA.allCases

    @Test func forcingIsThreadLocalAndUndone() {
        final class Box: @unchecked Sendable { var isa = KernelISA.generic }
        let best = Kernels.isa
        let other = Box()
        let inside = Kernels.withISA(.generic) { () -> KernelISA in
            // A new thread, started and joined while this one is forced, keeps the best variant.
            let done = DispatchSemaphore(value: 0)
            Thread.detachNewThread {
                other.isa = Kernels.isa
                done.signal()
            }
            done.wait()
            return Kernels.isa
        }
        #expect(inside == .generic)
        #expect(other.isa == best)
        #expect(Kernels.isa == best)
    }

    @Test(arguments: variants)
    func expWithinULPOfDoubleExp(isa: KernelISA) {
        // 250 007 points over [-87, 88]: not a multiple of 16, so the masked tail runs too.
        let n = 250_007
        let x = (0..<n).map { Float(-87 + 175 * Double($0) / Double(n - 1)) }
        var y = x
        let ran: Void? = Kernels.withISA(isa) {
            _ = y.withUnsafeMutableBufferPointer { VectorExp.expShiftedSum($0.baseAddress!, count: n, shift: 0) }
        }
        guard ran != nil else { return }
        var worst = 0.0
        var worstX: Float = 0
        for i in 0..<n {
            let want = Foundation.exp(Double(x[i]))
            let ulps = abs(Double(y[i]) - want) / Double(Float(want).ulp)
            if !(ulps <= worst) {
                worst = ulps
                worstX = x[i]
            }
        }
        #expect(worst <= expMaxULP, "\(isa): worst \(worst) ulp at x = \(worstX)")
    }

    @Test(arguments: variants)
    func expShiftedSumMatchesDouble(isa: KernelISA) {
        for n in [1, 7, 15, 16, 17, 50, 577] {
            var v = testData(n, seed: UInt64(n) + 100).map { $0 * 20 }
            let m = v.max() ?? 0
            let want = v.map { Foundation.exp(Double($0 - m)) }.reduce(0, +)
            let sum = Kernels.withISA(isa) {
                v.withUnsafeMutableBufferPointer { VectorExp.expShiftedSum($0.baseAddress!, count: n, shift: m) }
            }
            guard let sum else { return }
            #expect(abs(Double(sum) - want) <= expSumRelativeTolerance * want, "\(isa) n \(n)")
            #expect(abs(Double(v.reduce(0, +)) - want) <= expSumRelativeTolerance * want, "\(isa) n \(n)")
        }
    }

    /// The bf16 softmax is the same variant's fp32 softmax rounded to nearest even, bit for bit
    /// (so the Double reference above covers its accuracy); masked entries are 0 and the columns
    /// of p past `cols` are untouched.
    @Test(arguments: variants)
    func softmaxBF16IsRoundedSoftmax(isa: KernelISA) {
        func bf16Bits(_ x: Float) -> UInt16 {
            let bits = x.bitPattern
            return UInt16(truncatingIfNeeded: (bits &+ 0x7FFF &+ ((bits >> 16) & 1)) >> 16)
        }
        let sentinel: UInt16 = 0xBEEF
        for cols in [1, 7, 16, 50, 577] {
            for causal in [false, true] {
                let rows = cols + 2
                let ld = cols + 3
                let ldp = cols + 1
                let s = testData(rows * ld, seed: UInt64(cols) + 7).map { $0 * 10 }
                var fp32 = s
                var scratch = s
                var p = [UInt16](repeating: sentinel, count: rows * ldp)
                let ran: Void? = Kernels.withISA(isa) {
                    fp32.withUnsafeMutableBufferPointer {
                        Kernels.softmaxRows($0.baseAddress!, rows: rows, cols: cols, ld: ld, causal: causal)
                    }
                    scratch.withUnsafeMutableBufferPointer { ps in
                        p.withUnsafeMutableBufferPointer { pp in
                            Kernels.softmaxRowsBF16(
                                ps.baseAddress!, rows: rows, cols: cols, ld: ld, causal: causal,
                                p: pp.baseAddress!, ldp: ldp)
                        }
                    }
                }
                guard ran != nil else { return }
                var mismatches = 0
                var padding = true
                for r in 0..<rows {
                    for j in 0..<cols where p[r * ldp + j] != bf16Bits(fp32[r * ld + j]) { mismatches += 1 }
                    for j in cols..<ldp where p[r * ldp + j] != sentinel { padding = false }
                }
                #expect(mismatches == 0, "\(isa) cols \(cols) causal \(causal): \(mismatches) entries differ")
                #expect(padding, "\(isa) cols \(cols) causal \(causal)")
            }
        }
    }

    @Test(arguments: variants)
    func softmaxMatchesReference(isa: KernelISA) {
        let sentinel: Float = 12_345
        for cols in [1, 7, 16, 50, 577] {
            for causal in [false, true] {
                // More rows than columns: causal rows past `cols` see the whole row.
                let rows = cols + 2
                let ld = cols + 3
                var s = testData(rows * ld, seed: UInt64(cols)).map { $0 * 10 }
                for r in 0..<rows { for j in cols..<ld { s[r * ld + j] = sentinel } }
                let want = ReferenceKernels.softmaxRows(s, rows: rows, cols: cols, ld: ld, causal: causal)
                let ran: Void? = Kernels.withISA(isa) {
                    s.withUnsafeMutableBufferPointer {
                        Kernels.softmaxRows($0.baseAddress!, rows: rows, cols: cols, ld: ld, causal: causal)
                    }
                }
                guard ran != nil else { return }
                #expect(maxAbsDiff(s, want) < softmaxTolerance, "\(isa) cols \(cols) causal \(causal)")
                // Masked entries are exactly 0 and the padding is untouched.
                var masked = true
                var padding = true
                for r in 0..<rows {
                    let n = causal ? min(cols, r + 1) : cols
                    for j in n..<cols where s[r * ld + j] != 0 { masked = false }
                    for j in cols..<ld where s[r * ld + j] != sentinel { padding = false }
                }
                #expect(masked, "\(isa) cols \(cols) causal \(causal)")
                #expect(padding, "\(isa) cols \(cols) causal \(causal)")
            }
        }
    }

    @Test(arguments: variants)
    func activationsMatchReference(isa: KernelISA) {
        // 10 001 values in [-8, 8) and the far ends (not a multiple of 16 or 8).
        let x = testData(10_001, seed: 13).map { $0 * 8 } + [0, -0, 1e-3, -1e-3, 30, -30, 100, -100]
        var q = x
        var g = x
        let ran: Void? = Kernels.withISA(isa) {
            q.withUnsafeMutableBufferPointer { Kernels.quickGELU($0.baseAddress!, count: $0.count, workers: 1) }
            g.withUnsafeMutableBufferPointer { Kernels.gelu($0.baseAddress!, count: $0.count, workers: 1) }
        }
        guard ran != nil else { return }
        let wantQ = ReferenceKernels.quickGELU(x)
        let wantG = ReferenceKernels.gelu(x)
        var worstQ: Float = 0
        var worstG: Float = 0
        for i in x.indices {
            let scale = max(1, abs(x[i]))
            worstQ = max(worstQ, abs(q[i] - wantQ[i]) / scale)
            worstG = max(worstG, abs(g[i] - wantG[i]) / scale)
        }
        #expect(worstQ < vectorActivationTolerance, "\(isa) QuickGELU")
        #expect(worstG < vectorActivationTolerance, "\(isa) GELU")
    }

    @Test(arguments: variants)
    func layerNormMatchesReference(isa: KernelISA) {
        for (rows, c) in [(1, 1), (1, 7), (5, 64), (4, 17), (77, 48), (197, 130), (3, 1024)] {
            let x = testData(rows * c, seed: 14).map { $0 * 3 + 0.5 }
            let g = testData(c, seed: 15).map { 1 + $0 * 0.2 }
            let b = testData(c, seed: 16)
            var y = [Float](repeating: .nan, count: x.count)
            var inPlace = x
            let ran: Void? = Kernels.withISA(isa) {
                x.withUnsafeBufferPointer { px in
                    g.withUnsafeBufferPointer { pg in
                        b.withUnsafeBufferPointer { pb in
                            y.withUnsafeMutableBufferPointer { py in
                                Kernels.layerNorm(
                                    px.baseAddress!, rows: rows, width: c, gamma: pg.baseAddress!,
                                    beta: pb.baseAddress!, eps: 1e-5, y: py.baseAddress!, workers: 1)
                            }
                            inPlace.withUnsafeMutableBufferPointer { p in
                                Kernels.layerNorm(
                                    p.baseAddress!, rows: rows, width: c, gamma: pg.baseAddress!,
                                    beta: pb.baseAddress!, eps: 1e-5, y: p.baseAddress!, workers: 1)
                            }
                        }
                    }
                }
            }
            guard ran != nil else { return }
            let want = ReferenceKernels.layerNorm(x, rows: rows, width: c, gamma: g, beta: b, eps: 1e-5)
            #expect(maxAbsDiff(y, want) < layerNormTolerance, "\(isa) rows \(rows) c \(c)")
            #expect(inPlace == y, "\(isa) rows \(rows) c \(c): y aliasing x")
        }
    }
}
