import Foundation
import Tensor
import Testing

@testable import TensorDNNL

// MARK: - Tolerances

/// The activation's slope: |QuickGELU'| <= 1.10 and |GELU'| <= 1.13 everywhere, so an error e in
/// the product moves the activated value by at most 1.13 e.
let activationSlopeBound = 1.13
/// oneDNN evaluates swish and gelu_erf with its own polynomial exp / erf (a few fp32 ulp); 1e-5
/// absolute on outputs of order 1 covers that. With it the worst error used 1.6% of the allowance
/// (measured); a wrong alpha (1 instead of 1.702) is off by ~0.1 and fails.
let activationEvaluationTolerance = 1e-5
/// The fused MLP against the backend's two separate products: both round the same fp32
/// activations to bf16 (round to nearest even), so only oneDNN's accumulation order may differ;
/// measured bit-identical on every case here, 1e-5 leaves room for another oneDNN build.
let fusedMLPTolerance: Float = 1e-5
/// bf16 attention against the same math on bf16-rounded q, k, v and P in double: only the fp32
/// accumulation of the two products and the rounding of P from a slightly different fp32 softmax
/// differ. On outputs of order 1 (v in [-1, 1]) measured at most 1.2e-4 (T 145); 1e-3 is the bar.
let bf16AttentionReferenceTolerance = 1e-3
/// bf16 attention against the exact fp32 attention: relative RMS error over all outputs. Rounding
/// q, k, v and P each costs ~2^-9 relative; measured 2.2e-3 to 3.4e-3 on these cases (4.5x margin).
let bf16AttentionRelativeRMSTolerance = 0x1p-6

// MARK: - Helpers

func activated(_ activation: Activation, _ z: Double) -> Double {
    switch activation {
    case .quickGELU: return z / (1 + exp(-1.702 * z))
    case .gelu: return 0.5 * z * (1 + erf(z / 2.0.squareRoot()))
    }
}

/// Naive attention in double on q, k, v (and optionally the probabilities) rounded to bf16.
/// qkv: (B, T, 3C) -> (B, T, C)
func referenceAttention(
    qkv: [Float], batch b: Int, tokens t: Int, width c: Int, heads: Int, causal: Bool,
    bf16: Bool
) -> [Double] {
    let d = c / heads
    let r: (Float) -> Double = { bf16 ? Double(BF16.rounded($0)) : Double($0) }
    var out = [Double](repeating: 0, count: b * t * c)
    for bi in 0..<b {
        for h in 0..<heads {
            for i in 0..<t {
                let visible = causal ? i + 1 : t
                var logits = [Double](repeating: 0, count: visible)
                for j in 0..<visible {
                    var dot = 0.0
                    for p in 0..<d {
                        dot += r(qkv[(bi * t + i) * 3 * c + h * d + p]) * r(qkv[(bi * t + j) * 3 * c + c + h * d + p])
                    }
                    logits[j] = dot / Double(d).squareRoot()
                }
                let m = logits.max() ?? 0
                let e = logits.map { exp($0 - m) }
                let sum = e.reduce(0, +)
                let probabilities = e.map { bf16 ? Double(BF16.rounded(Float($0 / sum))) : $0 / sum }
                for p in 0..<d {
                    var acc = 0.0
                    for j in 0..<visible { acc += probabilities[j] * r(qkv[(bi * t + j) * 3 * c + 2 * c + h * d + p]) }
                    out[(bi * t + i) * c + h * d + p] = acc
                }
            }
        }
    }
    return out
}

struct AttentionCase: Sendable, CustomTestStringConvertible {
    let batch: Int
    let tokens: Int
    let width: Int
    let heads: Int
    let causal: Bool
    var testDescription: String { "B \(batch), T \(tokens), C \(width), \(heads) heads\(causal ? ", causal" : "")" }
}

// MARK: - Tests

@Suite(.enabled(if: DNNLBackend.isSupported, "CPU has neither AVX512-BF16 nor AMX-BF16: bf16 backend not tested"))
struct BF16FusionTests {
    /// fc1 with its activation as a oneDNN post-op equals activation(bf16 product).
    @Test(arguments: [Activation.quickGELU, .gelu], [(65, 130, 64), (197, 96, 768), (1, 50, 37)])
    func activatedProductMatchesReference(_ activation: Activation, _ shape: (Int, Int, Int)) throws {
        let (rows, n, k) = shape
        let backend = try DNNLBackend(threads: 2)
        // Inputs scaled up so that products reach the activations' curved part (|z| up to ~4).
        let layer = randomLinear(n: n, k: k, bias: true, seed: UInt32(n + k))
        let x = randomValues(rows * k, seed: UInt32(rows)).map { $0 * 3 }
        var y = [Float](repeating: .nan, count: rows * n)
        x.withUnsafeBufferPointer { px in
            y.withUnsafeMutableBufferPointer { py in
                backend.applyActivated(
                    layer, activation: activation, x: px.baseAddress!, rows: rows,
                    y: py.baseAddress!, workers: 2)
            }
        }
        #expect(backend.notices.isEmpty, "\(backend.notices)")
        var z = [Float](repeating: 0, count: rows * n)
        BF16.referenceApply(layer, x: x, rows: rows, y: &z, accumulate: false)
        let scale = magnitudes(layer, x: x, rows: rows, prior: nil, rounded: true)
        var worst = 0.0
        for i in 0..<y.count {
            let allowed = activationSlopeBound * accumulationBound(k: k) * scale[i] + activationEvaluationTolerance
            worst = max(worst, abs(Double(y[i]) - activated(activation, Double(z[i]))) / allowed)
        }
        #expect(worst <= 1, "error / allowed \(worst)")
        // The fp32 backend's default implementation of the same call agrees to bf16 precision.
        try BLAS.load()
        var y32 = [Float](repeating: .nan, count: rows * n)
        x.withUnsafeBufferPointer { px in
            y32.withUnsafeMutableBufferPointer { py in
                SgemmBackend().applyActivated(
                    layer, activation: activation, x: px.baseAddress!, rows: rows,
                    y: py.baseAddress!, workers: 2)
            }
        }
        let errorSquares = zip(y, y32).map { Double($0 - $1) * Double($0 - $1) }.reduce(0, +)
        let valueSquares = y32.map { Double($0) * Double($0) }.reduce(0, +)
        #expect((errorSquares / valueSquares).squareRoot() <= bf16RelativeRMSTolerance)
    }

    /// The fused MLP (fc1 + activation written in bf16, read by fc2 as it is) equals the backend's
    /// two separate products (which round the same fp32 activations to bf16 in fc2's conversion),
    /// and is as close to the exact fp32 MLP as any bf16 product.
    @Test(arguments: [Activation.quickGELU, .gelu], [1, 65, 197])
    func fusedMLPMatchesTwoProducts(_ activation: Activation, _ rows: Int) throws {
        try BLAS.load()
        let backend = try DNNLBackend(threads: 2)
        let (c, i) = (64, 256)
        let fc1 = randomLinear(n: i, k: c, bias: true, seed: 21)
        let fc2 = randomLinear(n: c, k: i, bias: true, seed: 22)
        let h = randomValues(rows * c, seed: UInt32(rows)).map { $0 * 3 }
        let prior = randomValues(rows * c, seed: 23)
        func run(_ body: (UnsafePointer<Float>, UnsafeMutablePointer<Float>, UnsafeMutablePointer<Float>) -> Void)
            -> [Float]
        {
            var x = prior
            var hidden = [Float](repeating: .nan, count: rows * i)
            h.withUnsafeBufferPointer { ph in
                x.withUnsafeMutableBufferPointer { px in
                    hidden.withUnsafeMutableBufferPointer { body(ph.baseAddress!, px.baseAddress!, $0.baseAddress!) }
                }
            }
            return x
        }
        let fused = run { h, x, hidden in
            backend.mlp(fc1: fc1, fc2: fc2, activation: activation, h: h, rows: rows, x: x, hidden: hidden, workers: 2)
        }
        let separate = run { h, x, hidden in
            backend.applyActivated(fc1, activation: activation, x: h, rows: rows, y: hidden, workers: 2)
            backend.apply(fc2, x: hidden, rows: rows, y: x, accumulate: true)
        }
        let exact = run { h, x, hidden in
            SgemmBackend().mlp(
                fc1: fc1, fc2: fc2, activation: activation, h: h, rows: rows, x: x, hidden: hidden,
                workers: 2)
        }
        #expect(backend.notices.isEmpty, "\(backend.notices)")
        let worst = zip(fused, separate).map { abs($0 - $1) }.max() ?? .infinity
        #expect(worst <= fusedMLPTolerance, "fused vs separate bf16 products: max abs \(worst)")
        var errorSquares = 0.0
        var valueSquares = 0.0
        for j in exact.indices {
            let e = Double(fused[j]) - Double(exact[j])
            let v = Double(exact[j]) - Double(prior[j])
            errorSquares += e * e
            valueSquares += v * v
        }
        #expect((errorSquares / valueSquares).squareRoot() <= bf16RelativeRMSTolerance)
    }

    static let attentionCases: [AttentionCase] = [
        AttentionCase(batch: 3, tokens: 50, width: 64, heads: 2, causal: false),  // ViT-B/32's 50 tokens
        AttentionCase(batch: 2, tokens: 77, width: 96, heads: 3, causal: true),  // the text tower's 77
        AttentionCase(batch: 1, tokens: 7, width: 32, heads: 1, causal: false),  // below every tile
        AttentionCase(batch: 2, tokens: 145, width: 128, heads: 2, causal: false),  // 144 patches + class
    ]

    /// Below `minimumAttentionTokens` the backend's attention is exactly the fp32 kernel's.
    @Test func shortSequencesKeepFP32Attention() throws {
        let backend = try DNNLBackend(threads: 2)
        let (b, t, c, heads) = (2, 77, 96, 3)
        #expect(t < backend.minimumAttentionTokens)
        let qkv = randomValues(b * t * 3 * c, seed: 5)
        var viaBackend = [Float](repeating: .nan, count: b * t * c)
        var viaKernel = viaBackend
        var scratch = [Float](repeating: 0, count: 2 * t * t)
        qkv.withUnsafeBufferPointer { pq in
            scratch.withUnsafeMutableBufferPointer { ps in
                viaBackend.withUnsafeMutableBufferPointer { po in
                    backend.attention(
                        qkv: pq.baseAddress!, batch: b, tokens: t, width: c, heads: heads, causal: true,
                        out: po.baseAddress!, scratch: ps.baseAddress!, workers: 2)
                }
                viaKernel.withUnsafeMutableBufferPointer { po in
                    Kernels.attention(
                        qkv: pq.baseAddress!, batch: b, tokens: t, width: c, heads: heads, causal: true,
                        out: po.baseAddress!, scratch: ps.baseAddress!, workers: 2)
                }
            }
        }
        #expect(viaBackend == viaKernel)
    }

    @Test(arguments: attentionCases)
    func attentionMatchesReferences(_ c: AttentionCase) throws {
        // Every case in bf16, however short (by default short sequences stay fp32).
        let backend = try DNNLBackend(threads: 2, minimumAttentionTokens: 1)
        // q and k scaled so that the logits spread over several units (peaked softmax rows).
        let qkv = randomValues(c.batch * c.tokens * 3 * c.width, seed: UInt32(c.tokens * 31 + c.width))
            .enumerated().map { i, v in (i % (3 * c.width)) < 2 * c.width ? v * 2 : v }
        let workers = 2
        var out = [Float](repeating: .nan, count: c.batch * c.tokens * c.width)
        var scratch = [Float](repeating: 0, count: workers * c.tokens * c.tokens)
        qkv.withUnsafeBufferPointer { pq in
            out.withUnsafeMutableBufferPointer { po in
                scratch.withUnsafeMutableBufferPointer { ps in
                    backend.attention(
                        qkv: pq.baseAddress!, batch: c.batch, tokens: c.tokens, width: c.width,
                        heads: c.heads, causal: c.causal, out: po.baseAddress!,
                        scratch: ps.baseAddress!, workers: workers)
                }
            }
        }
        #expect(backend.notices.isEmpty, "\(backend.notices)")
        let rounded = referenceAttention(
            qkv: qkv, batch: c.batch, tokens: c.tokens, width: c.width,
            heads: c.heads, causal: c.causal, bf16: true)
        let worst = zip(out, rounded).map { abs(Double($0) - $1) }.max() ?? .infinity
        #expect(worst <= bf16AttentionReferenceTolerance, "vs bf16 reference: max abs \(worst)")
        let exact = referenceAttention(
            qkv: qkv, batch: c.batch, tokens: c.tokens, width: c.width,
            heads: c.heads, causal: c.causal, bf16: false)
        let errorSquares = zip(out, exact).map { (Double($0) - $1) * (Double($0) - $1) }.reduce(0, +)
        let valueSquares = exact.map { $0 * $0 }.reduce(0, +)
        let relativeRMS = (errorSquares / valueSquares).squareRoot()
        #expect(relativeRMS <= bf16AttentionRelativeRMSTolerance, "vs fp32: relative RMS \(relativeRMS)")
        // Causal rows must not see later tokens: the first output row is exactly (bf16) v₀.
        if c.causal {
            let d = c.width / c.heads
            for p in 0..<d {
                #expect(out[p] == BF16.rounded(qkv[2 * c.width + p]), "row 0 of a causal head is v₀")
            }
        }
    }
}
