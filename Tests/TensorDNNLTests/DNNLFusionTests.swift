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
/// f32 operands against OpenBLAS or the double reference: only the fp32 accumulation order (and
/// the exp polynomials, 0.85 ulp) differ, so errors are a few fp32 ulp of outputs of order 1.
/// 1e-5 relative RMS / absolute is ~100 ulp; a bf16 rounding anywhere (~2e-3) fails it.
let fp32OperandTolerance = 1e-5

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
    var batching: DNNLBackend.AttentionBatching = .allHeads
    var testDescription: String {
        "B \(batch), T \(tokens), C \(width), \(heads) heads\(causal ? ", causal" : ""), \(batching.rawValue)"
    }
}

// MARK: - Tests

/// The activation, MLP and attention paths of `DNNLBackend`, for every operand type this CPU runs
/// (`testedOperands`: f32 everywhere, bf16 with bf16 units).
@Suite struct DNNLFusionTests {
    static let activatedCases: [(Activation, (Int, Int, Int))] = [Activation.quickGELU, .gelu].flatMap { a in
        [(65, 130, 64), (197, 96, 768), (1, 50, 37)].map { (a, $0) }
    }

    /// fc1 with its activation as a oneDNN post-op equals activation(product).
    @Test(arguments: testedOperands, activatedCases)
    func activatedProductMatchesReference(_ operand: OperandType, _ c: (Activation, (Int, Int, Int))) throws {
        let (activation, (rows, n, k)) = c
        let backend = try DNNLBackend(threads: 2, operand: operand)
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
        let z = operandReference(
            operand, layer, x: x, rows: rows, y: [Float](repeating: 0, count: rows * n), accumulate: false)
        let scale = magnitudes(layer, x: x, rows: rows, prior: nil, rounded: operand == .bf16)
        var worst = 0.0
        for i in 0..<y.count {
            let allowed = activationSlopeBound * accumulationBound(k: k) * scale[i] + activationEvaluationTolerance
            worst = max(worst, abs(Double(y[i]) - activated(activation, Double(z[i]))) / allowed)
        }
        #expect(worst <= 1, "error / allowed \(worst)")
        // The OpenBLAS backend's default implementation of the same call agrees to the operands'
        // precision.
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
        let relativeRMS = (errorSquares / valueSquares).squareRoot()
        #expect(relativeRMS <= (operand == .bf16 ? bf16RelativeRMSTolerance : fp32OperandTolerance), "\(relativeRMS)")
    }

    static let mlpCases: [(Activation, Int)] = [Activation.quickGELU, .gelu].flatMap { a in
        [1, 65, 197].map { (a, $0) }
    }

    /// The fused MLP (fc1 + activation written in the operand type, read by fc2 as it is) equals
    /// the backend's two separate products (which, for bf16, round the same fp32 activations in
    /// fc2's conversion), and is as close to the exact fp32 MLP as any product in that type.
    @Test(arguments: testedOperands, mlpCases)
    func fusedMLPMatchesTwoProducts(_ operand: OperandType, _ c: (Activation, Int)) throws {
        let (activation, rows) = c
        try BLAS.load()
        let backend = try DNNLBackend(threads: 2, operand: operand)
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
        #expect(worst <= fusedMLPTolerance, "fused vs separate \(operand) products: max abs \(worst)")
        var errorSquares = 0.0
        var valueSquares = 0.0
        for j in exact.indices {
            let e = Double(fused[j]) - Double(exact[j])
            let v = Double(exact[j]) - Double(prior[j])
            errorSquares += e * e
            valueSquares += v * v
        }
        let relativeRMS = (errorSquares / valueSquares).squareRoot()
        #expect(relativeRMS <= (operand == .bf16 ? bf16RelativeRMSTolerance : fp32OperandTolerance), "\(relativeRMS)")
    }

    /// Each shape per head and batched over heads.
    static let attentionCases: [AttentionCase] = [
        AttentionCase(batch: 3, tokens: 50, width: 64, heads: 2, causal: false),  // ViT-B/32's 50 tokens
        AttentionCase(batch: 2, tokens: 77, width: 96, heads: 3, causal: true),  // the text tower's 77
        AttentionCase(batch: 1, tokens: 7, width: 32, heads: 1, causal: false),  // below every tile
        AttentionCase(batch: 2, tokens: 145, width: 128, heads: 2, causal: false),  // 144 patches + class
        AttentionCase(batch: 2, tokens: 20, width: 64, heads: 4, causal: true),  // causal in every head
    ].flatMap { c in
        DNNLBackend.AttentionBatching.allCases.map { b in
            var c = c
            c.batching = b
            return c
        }
    }

    /// Below `minimumAttentionTokens` the backend's attention is exactly the fp32 kernel's.
    @Test(arguments: testedOperands)
    func shortSequencesKeepFP32Attention(_ operand: OperandType) throws {
        let backend = try DNNLBackend(threads: 2, operand: operand)
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

    @Test(arguments: testedOperands, attentionCases)
    func attentionMatchesReferences(_ operand: OperandType, _ c: AttentionCase) throws {
        // Every case on oneDNN, however short (by default short sequences use Kernels.attention).
        let backend = try DNNLBackend(
            threads: 2, minimumAttentionTokens: 1, operand: operand, attentionBatching: c.batching)
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
        if operand == .f32 {
            let exact = referenceAttention(
                qkv: qkv, batch: c.batch, tokens: c.tokens, width: c.width,
                heads: c.heads, causal: c.causal, bf16: false)
            let worst = zip(out, exact).map { abs(Double($0) - $1) }.max() ?? .infinity
            #expect(worst <= fp32OperandTolerance, "vs fp32 reference: max abs \(worst)")
            if c.causal {
                // Causal rows must not see later tokens: every head's first output row is exactly v₀.
                for p in 0..<c.width { #expect(out[p] == qkv[2 * c.width + p], "row 0 of a causal head is v₀") }
            }
            return
        }
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
        // Causal rows must not see later tokens: every head's first output row is exactly (bf16) v₀.
        if c.causal {
            for p in 0..<c.width {
                #expect(out[p] == BF16.rounded(qkv[2 * c.width + p]), "row 0 of a causal head is v₀")
            }
        }
    }
}
