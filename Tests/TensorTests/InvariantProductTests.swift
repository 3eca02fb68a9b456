import CKernels
import Foundation
import Testing

@testable import Tensor

/// One problem of the invariant product: x (R, K) with row stride ldx starting `xOffset` floats
/// into its buffer, W (N, K), y (R, N) with row stride ldy.
struct ChainProblem: CustomTestStringConvertible {
    let rows: Int
    let k: Int
    let n: Int
    var testDescription: String { "R \(rows), K \(k), N \(n)" }

    var ldx: Int { k + 3 }
    var ldy: Int { n + 5 }
    /// x starts one float into its buffer: not 32-byte aligned.
    var xOffset: Int { 1 }

    func x(seed: UInt64) -> [Float] { ChainProblem.spread(testData(xOffset + rows * ldx, seed: seed)) }
    var w: [Float] { ChainProblem.spread(testData(n * k, seed: 7 + UInt64(k))) }
    var bias: [Float] { testData(n, seed: 11) }
    var yInitial: [Float] { testData(rows * ldy, seed: 13).map { $0 * 4 } }

    /// Values over several orders of magnitude, so that summation order changes the last bits.
    static func spread(_ v: [Float]) -> [Float] {
        v.enumerated().map { i, x in x * Float(1 << (i % 7)) }
    }
}

/// The contract's options: bias or not, accumulate or not, alpha.
struct ChainMode: CustomTestStringConvertible, Sendable {
    let bias: Bool
    let accumulate: Bool
    let alpha: Float
    var testDescription: String { "bias \(bias), accumulate \(accumulate), alpha \(alpha)" }

    static let all = [
        ChainMode(bias: false, accumulate: false, alpha: 1), ChainMode(bias: true, accumulate: false, alpha: 1),
        ChainMode(bias: false, accumulate: true, alpha: 1), ChainMode(bias: true, accumulate: true, alpha: 1),
        ChainMode(bias: false, accumulate: false, alpha: 0.125),
    ]
}

/// The bit patterns of y, for `==` comparisons that treat NaN and -0 as bits.
func bits(_ y: [Float]) -> [UInt32] { y.map(\.bitPattern) }

/// The naive reference of the invariant product (kp_fma_gemm_reference) on `problem`.
func referenceChains(_ p: ChainProblem, mode: ChainMode, x: [Float]) -> [Float] {
    var y = p.yInitial
    let w = p.w
    let bias = p.bias
    x.withUnsafeBufferPointer { xp in
        w.withUnsafeBufferPointer { wp in
            bias.withUnsafeBufferPointer { bp in
                y.withUnsafeMutableBufferPointer { yp in
                    kp_fma_gemm_reference(
                        xp.baseAddress! + p.xOffset, p.rows, p.k, p.ldx, wp.baseAddress!, p.n, p.k,
                        mode.bias ? bp.baseAddress : nil, mode.accumulate ? 1 : 0, mode.alpha, yp.baseAddress!,
                        p.ldy)
                }
            }
        }
    }
    return y
}

/// The fast invariant product on `problem`: W packed, rows split between `workers` (x packed in
/// `InvariantBackend.product`'s pack buffers), or with `xInPlace` one kp_fma_gemm call that reads x
/// in place (as attention calls it).
func fastChains(_ p: ChainProblem, mode: ChainMode, x: [Float], workers: Int, xInPlace: Bool = false) -> [Float] {
    var y = p.yInitial
    let w = p.w
    let bias = p.bias
    var panels = [Float](repeating: .nan, count: kp_fma_panel_floats(p.n, p.k))
    w.withUnsafeBufferPointer { wp in
        panels.withUnsafeMutableBufferPointer { kp_fma_pack_rows(wp.baseAddress!, p.n, p.k, p.k, $0.baseAddress!) }
    }
    x.withUnsafeBufferPointer { xp in
        panels.withUnsafeBufferPointer { pp in
            bias.withUnsafeBufferPointer { bp in
                y.withUnsafeMutableBufferPointer { yp in
                    if xInPlace {
                        kp_fma_gemm(
                            xp.baseAddress! + p.xOffset, p.rows, p.k, p.ldx, pp.baseAddress!, p.n, 0,
                            InvariantBackend.panelCount(p.n), mode.bias ? bp.baseAddress : nil, mode.accumulate ? 1 : 0,
                            mode.alpha, yp.baseAddress!, p.ldy, nil)
                    } else {
                        InvariantBackend.product(
                            x: xp.baseAddress! + p.xOffset, rows: p.rows, k: p.k, ldx: p.ldx, panels: pp.baseAddress!,
                            n: p.n, bias: mode.bias ? bp.baseAddress : nil, accumulate: mode.accumulate,
                            alpha: mode.alpha, y: yp.baseAddress!, ldy: p.ldy, workers: workers, packs: XPackPool())
                    }
                }
            }
        }
    }
    return y
}

/// The batch-invariant product (Sources/CKernels/kp_fma_gemm.c) against its naive reference, bit
/// for bit: every variant, odd shapes, unaligned and strided operands, 1 and 2 workers.
@Suite(.serialized) struct InvariantProductTests {
    static let problems: [ChainProblem] =
        [1, 5, 7, 13].flatMap { r in
            [1, 3, 64, 768].flatMap { k in [1, 16, 33, 70].map { n in ChainProblem(rows: r, k: k, n: n) } }
        } + [ChainProblem(rows: 577, k: 64, n: 33), ChainProblem(rows: 577, k: 768, n: 40)] + sliced + rowBlocks

    /// x is packed a row block at a time (kp_fma_gemm_row_block rows: 126 for K = 768, 252 for
    /// K = 385) and rows are split in chunks of at most one row block: one block exactly, one row
    /// and 5 rows past it (a last micro-panel of 1 and of 5 rows), two blocks and one row, and a
    /// chunk size that is not a row block (rows / 2 for 2 workers when that is less).
    static let rowBlocks: [ChainProblem] = {
        let block768 = kp_fma_gemm_row_block(768)
        let block385 = kp_fma_gemm_row_block(385)
        return [block768, block768 + 1, block768 + 5, 2 * block768 + 1].map { ChainProblem(rows: $0, k: 768, n: 33) }
            + [ChainProblem(rows: block385 + 7, k: 385, n: 16), ChainProblem(rows: 100, k: 768, n: 17)]
    }()

    /// Chains run in k slices of at most KP_FMA_K_SLICE steps: one step short of a slice, one
    /// slice, one step over (a 1-step-shorter second slice), three slices of unequal lengths,
    /// ViT-B's 3072 (8 slices), some over several row blocks.
    static let sliced: [ChainProblem] = {
        let slice = Int(KP_FMA_K_SLICE)
        return [slice - 1, slice, slice + 1, 2 * slice + 1].flatMap { k in
            [1, 7].flatMap { r in [16, 33].map { n in ChainProblem(rows: r, k: k, n: n) } }
        } + [ChainProblem(rows: 577, k: 2 * slice + 1, n: 40), ChainProblem(rows: 13, k: 3072, n: 33)]
    }()

    @Test(arguments: problems)
    func fastKernelEqualsNaiveChainsBitForBit(_ p: ChainProblem) {
        let x = p.x(seed: UInt64(p.rows))
        for mode in ChainMode.all {
            let want = bits(referenceChains(p, mode: mode, x: x))
            // Rows split between 2 workers (or panels, for few rows), on the CPU's best variant.
            for workers in [1, 2] {
                #expect(bits(fastChains(p, mode: mode, x: x, workers: workers)) == want, "\(mode), \(workers) workers")
            }
            // x read in place (no pack buffer), as the attention products call the kernel.
            #expect(bits(fastChains(p, mode: mode, x: x, workers: 1, xInPlace: true)) == want, "\(mode), x in place")
            // Every variant this CPU runs (avx512 runs the AVX2 kernel), on this thread only.
            for isa in KernelISA.allCases {
                for xInPlace in [false, true] {
                    let got = Kernels.withISA(isa) { fastChains(p, mode: mode, x: x, workers: 1, xInPlace: xInPlace) }
                    if let got { #expect(bits(got) == want, "\(mode), \(isa), x in place \(xInPlace)") }
                }
            }
        }
    }

    /// The reference is what the header says: Swift's fused `addingProduct` chain from the bias,
    /// and the order matters on this data (a Double dot product disagrees somewhere), so the
    /// bitwise comparisons above can fail.
    @Test func referenceIsTheAscendingFusedChain() {
        let p = ChainProblem(rows: 5, k: 768, n: 33)
        let x = p.x(seed: 3)
        let w = p.w
        let bias = p.bias
        let y = referenceChains(p, mode: ChainMode(bias: true, accumulate: false, alpha: 1), x: x)
        var orderMatters = false
        for r in 0..<p.rows {
            for j in 0..<p.n {
                var acc = bias[j]
                var exact = Double(bias[j])
                for kk in 0..<p.k {
                    let a = x[p.xOffset + r * p.ldx + kk]
                    acc = acc.addingProduct(a, w[j * p.k + kk])
                    exact += Double(a) * Double(w[j * p.k + kk])
                }
                #expect(y[r * p.ldy + j].bitPattern == acc.bitPattern, "row \(r) column \(j)")
                if Float(exact) != acc { orderMatters = true }
            }
        }
        #expect(orderMatters)
    }

    /// Any rows of a batch, computed alone or at another offset, give the bits they get in the
    /// whole batch: the property OpenBLAS's sgemm lacks (see `openBLASRowsDependOnTheBatch`).
    @Test func rowsDoNotDependOnTheirBatch() {
        let whole = ChainProblem(rows: 577, k: 768, n: 70)
        let x = whole.x(seed: 5)
        let mode = ChainMode(bias: true, accumulate: false, alpha: 1)
        let all = fastChains(whole, mode: mode, x: x, workers: 2)
        for (start, count) in [(0, 1), (13, 1), (100, 7), (571, 6), (200, 377)] {
            let part = ChainProblem(rows: count, k: 768, n: 70)
            // The same rows, now the whole of a smaller x (its buffer starts 1 float earlier).
            let slice = Array(x[(start * whole.ldx)..<((start + count) * whole.ldx + part.xOffset)])
            var got = fastChains(part, mode: mode, x: slice, workers: 1)
            got = (0..<count).flatMap { r in got[(r * part.ldy)..<(r * part.ldy + part.n)] }
            let want = (0..<count).flatMap { r in all[((start + r) * whole.ldy)..<((start + r) * whole.ldy + whole.n)] }
            #expect(bits(got) == bits(want), "rows \(start) ..< \(start + count)")
        }
    }

    /// A measurement, not an assertion: how many elements of rows computed by OpenBLAS alone or
    /// in a smaller batch differ from the same rows in a batch of 2100 (the lead measured 2,606 of
    /// 768,000 at M = 1000 in C with Debian's OpenBLAS 0.3.21 on Zen 3). Printed for the log; it
    /// may be 0 on another OpenBLAS build or core, so nothing is expected of it.
    @Test func openBLASRowsDependOnTheBatch() throws {
        try BLAS.load()
        let k = 768
        let n = 768
        let a = testData(2100 * k, seed: 21)
        let b = testData(n * k, seed: 22)
        func sgemm(rows: Int, from start: Int) -> [Float] {
            var c = [Float](repeating: 0, count: rows * n)
            a.withUnsafeBufferPointer { ap in
                b.withUnsafeBufferPointer { bp in
                    c.withUnsafeMutableBufferPointer { cp in
                        GEMM.sgemm(
                            transB: true, m: rows, n: n, k: k, a: ap.baseAddress! + start * k, lda: k,
                            b: bp.baseAddress!, ldb: k, c: cp.baseAddress!, ldc: n)
                    }
                }
            }
            return c
        }
        let all = sgemm(rows: 2100, from: 0)
        for (start, rows) in [(0, 1000), (13, 1000), (0, 577)] {
            let part = sgemm(rows: rows, from: start)
            let differing = zip(part, all[(start * n)..<((start + rows) * n)]).filter { $0.bitPattern != $1.bitPattern }
                .count
            print(
                "OpenBLAS: rows \(start) ..< \(start + rows) alone vs within M = 2100: \(differing) of \(rows * n) elements differ"
            )
        }
    }
}

/// InvariantBackend's attention: the same tiles as `Kernels.attention` on the invariant kernel.
@Suite struct InvariantAttentionTests {
    /// qkv (B, T, 3C) -> out (B, T, C) or, with queryRows, (B, C), on `backend` with `workers`.
    func attend(
        _ backend: any LinearBackend, qkv: [Float], shape: (b: Int, t: Int, c: Int, h: Int, causal: Bool),
        queryRows: [Int]? = nil, workers: Int
    ) -> [Float] {
        let (b, t, c, h, causal) = shape
        var out = [Float](repeating: .nan, count: queryRows == nil ? b * t * c : b * c)
        var scratch = [Float](repeating: 0, count: workers * t * t)
        qkv.withUnsafeBufferPointer { pq in
            out.withUnsafeMutableBufferPointer { po in
                scratch.withUnsafeMutableBufferPointer { ps in
                    if let queryRows {
                        backend.pooledAttention(
                            qkv: pq.baseAddress!, batch: b, tokens: t, width: c, heads: h, causal: causal,
                            queryRows: queryRows, out: po.baseAddress!, scratch: ps.baseAddress!, workers: workers)
                    } else {
                        backend.attention(
                            qkv: pq.baseAddress!, batch: b, tokens: t, width: c, heads: h, causal: causal,
                            out: po.baseAddress!, scratch: ps.baseAddress!, workers: workers)
                    }
                }
            }
        }
        return out
    }

    @Test(arguments: [
        (1, 1, 8, 1, false), (2, 7, 12, 3, true), (3, 37, 64, 4, false), (2, 77, 48, 3, true), (1, 50, 96, 12, false),
    ])
    func matchesReferenceAndIsInvariant(shape: (Int, Int, Int, Int, Bool)) throws {
        let (b, t, c, h, causal) = shape
        let backend = InvariantBackend(threads: 2)
        let qkv = testData(b * t * 3 * c, seed: 12).map { $0 * 2 }
        let out = attend(backend, qkv: qkv, shape: shape, workers: 2)
        let r = ReferenceKernels.attention(qkv: qkv, batch: b, tokens: t, width: c, heads: h, causal: causal)
        #expect(maxAbsDiff(out, r) < attentionTolerance)
        // 1 worker, and the last sequence alone: the same bits.
        #expect(bits(attend(backend, qkv: qkv, shape: shape, workers: 1)) == bits(out))
        let last = Array(qkv[((b - 1) * t * 3 * c)...])
        let alone = attend(backend, qkv: last, shape: (1, t, c, h, causal), workers: 1)
        #expect(bits(alone) == bits(Array(out[((b - 1) * t * c)...])))

        // The pooled form (one query row per sequence) matches Kernels.attention's.
        let rows = (0..<b).map { (t - 1 + $0 * 5) % t }
        let pooled = attend(backend, qkv: qkv, shape: shape, queryRows: rows, workers: 2)
        try BLAS.load()
        let expected = attend(SgemmBackend(), qkv: qkv, shape: shape, queryRows: rows, workers: 2)
        #expect(maxAbsDiff(pooled, expected) < attentionTolerance)
        let pooledAlone = attend(backend, qkv: last, shape: (1, t, c, h, causal), queryRows: [rows[b - 1]], workers: 1)
        #expect(bits(pooledAlone) == bits(Array(pooled[((b - 1) * c)...])))
    }
}
