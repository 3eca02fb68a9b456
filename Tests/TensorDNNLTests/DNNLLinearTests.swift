import Foundation
import Tensor
import Testing

@testable import TensorDNNL

// MARK: - Tolerances

/// bf16 keeps 8 significant bits: rounding x and w each moves a product by at most 2^-9 of its
/// size, so one product by at most 2^-8 + 2^-18 (worst case, every rounding in the same direction).
let bf16ProductBound = 0x1p-8 + 0x1p-18
/// fp32 accumulation of K terms: at most K·2^-24 of the sum of their magnitudes (Higham's
/// (K-1)·u bound, rounded up; oneDNN's summation order is its own).
func accumulationBound(k: Int) -> Double { Double(k + 2) * 0x1p-24 }
/// On random data the rounding errors of the K products have random signs, so the error grows like
/// sqrt(K) as the output does and their ratio does not depend on K: measured RMS error / RMS of
/// x · Wᵀ was 2.2e-3 (2^-8.8) on the cases with >= 6000 outputs and 1.8e-3 to 2.9e-3 on the noisier
/// one-row cases, for K = 37 to 768. 2^-7 leaves a 2.7x margin; a wrong layout or a dropped bias
/// gives errors of order 1, and a wrong rounding mode fails the bf16-reference check instead.
let bf16RelativeRMSTolerance = 0x1p-7

// MARK: - Helpers

/// The operand types this CPU runs: f32 everywhere, bf16 where it has bf16 units.
let testedOperands = DNNLBackend.availableOperands

/// What the backend computes for `operand` up to its fp32 accumulation order, in double:
/// y (R, N) (+)= x · Wᵀ + b with x and W rounded to bf16 for bf16 operands.
func operandReference(
    _ operand: OperandType, _ layer: Linear, x: [Float], rows: Int, y: [Float], accumulate: Bool
) -> [Float] {
    guard operand == .bf16 else { return fp32Reference(layer, x: x, rows: rows, y: y, accumulate: accumulate) }
    var out = y
    BF16.referenceApply(layer, x: x, rows: rows, y: &out, accumulate: accumulate)
    return out
}

/// Deterministic values in [-1, 1) (an LCG; the seed names the case).
func randomValues(_ count: Int, seed: UInt32) -> [Float] {
    var s = seed &* 2_654_435_761 &+ 12_345
    return (0..<count).map { _ in
        s = s &* 1_664_525 &+ 1_013_904_223
        return Float(s >> 8) / 8_388_608 - 1
    }
}

func randomLinear(n: Int, k: Int, bias: Bool, seed: UInt32) -> Linear {
    // Weights scaled like the model's (std ~ K^-1/2) so outputs are of order 1.
    let scale = Float(3.0 / Double(k)).squareRoot()
    return Linear(
        weight: randomValues(n * k, seed: seed).map { $0 * scale },
        bias: bias ? randomValues(n, seed: seed &+ 1) : nil, outFeatures: n, inFeatures: k)
}

func runBackend(_ backend: DNNLBackend, _ layer: Linear, x: [Float], rows: Int, y: [Float], accumulate: Bool) -> [Float]
{
    var out = y
    x.withUnsafeBufferPointer { px in
        out.withUnsafeMutableBufferPointer { py in
            backend.apply(layer, x: px.baseAddress!, rows: rows, y: py.baseAddress!, accumulate: accumulate)
        }
    }
    return out
}

/// Σ_k |x_k w_k| + |b| + |y_prior| per output: the scale that bounds every rounding error.
func magnitudes(_ layer: Linear, x: [Float], rows: Int, prior: [Float]?, rounded: Bool) -> [Double] {
    let n = layer.outFeatures
    let k = layer.inFeatures
    let xs = rounded ? x.map { BF16.rounded($0) } : x
    let ws = rounded ? layer.weight.map { BF16.rounded($0) } : layer.weight
    var out = [Double](repeating: 0, count: rows * n)
    for i in 0..<rows {
        for j in 0..<n {
            var s = 0.0
            for p in 0..<k { s += abs(Double(xs[i * k + p]) * Double(ws[j * k + p])) }
            if let b = layer.bias { s += abs(Double(b[j])) }
            if let prior { s += abs(Double(prior[i * n + j])) }
            out[i * n + j] = s
        }
    }
    return out
}

/// The exact product in double: y (R, N) (+)= x · Wᵀ + b from the fp32 values.
func fp32Reference(_ layer: Linear, x: [Float], rows: Int, y: [Float], accumulate: Bool) -> [Float] {
    let n = layer.outFeatures
    let k = layer.inFeatures
    var out = y
    for i in 0..<rows {
        for j in 0..<n {
            var acc = 0.0
            for p in 0..<k { acc += Double(x[i * k + p]) * Double(layer.weight[j * k + p]) }
            if let b = layer.bias { acc += Double(b[j]) }
            if accumulate { acc += Double(y[i * n + j]) }
            out[i * n + j] = Float(acc)
        }
    }
    return out
}

struct LinearCase: Sendable, CustomTestStringConvertible {
    let rows: Int
    let n: Int
    let k: Int
    let bias: Bool
    let accumulate: Bool
    let threading: DNNLBackend.Threading
    var testDescription: String {
        "rows \(rows), N \(n), K \(k)\(bias ? ", bias" : "")\(accumulate ? ", accumulate" : ""), \(threading.rawValue)"
    }
}

// MARK: - Tests

@Suite struct BF16RoundingTests {
    /// Values from the IEEE 754 definition of round-to-nearest-even at 8 significant bits.
    @Test func roundsToNearestEven() {
        #expect(BF16.rounded(1) == 1)
        #expect(BF16.rounded(1 + 0x1p-8) == 1)  // halfway, 1 is even
        #expect(BF16.rounded(1 + 0x1p-8 + 0x1p-20) == 1 + 0x1p-7)  // just above halfway
        #expect(BF16.rounded(1 + 3 * 0x1p-8) == 1 + 0x1p-6)  // halfway, 1 + 2^-6 is even
        #expect(BF16.rounded(-(1 + 3 * 0x1p-8)) == -(1 + 0x1p-6))
        #expect(BF16.rounded(0x1.FFp0) == 2)  // carries into the exponent
        #expect(BF16.rounded(Float.greatestFiniteMagnitude) == .infinity)
        #expect(BF16.rounded(.nan).isNaN)
        #expect(BF16.rounded(0x1p-130) == 0x1p-130)  // a bf16 subnormal (k · 2^-133)
        #expect(BF16.rounded(0x1p-140) == 0)  // below half of 2^-133
    }
}

@Suite struct DNNLLinearTests {
    static let cases: [LinearCase] = {
        var cases: [LinearCase] = []
        // Rows not multiples of any tile (1, 7, 65, 197), K around oneDNN's 16/32 blocks, and N with
        // a tail after the 64-column panels (50 < 64, 130 = 2·64 + 2).
        for rows in [1, 7, 65, 197] {
            for k in [48, 64, 768] {
                for n in [50, 130] {
                    cases.append(
                        LinearCase(
                            rows: rows, n: n, k: k, bias: cases.count % 2 == 0,
                            accumulate: false, threading: .workers))
                }
            }
        }
        // Bias and accumulate in every combination, with both threading modes; K = 37 is odd
        // (bf16 pairs need padding) and 300 is tiny-gelu-fp16's patch size 3·10·10.
        for (bias, accumulate) in [(false, false), (true, false), (false, true), (true, true)] {
            for threading in DNNLBackend.Threading.allCases {
                cases.append(
                    LinearCase(rows: 65, n: 96, k: 37, bias: bias, accumulate: accumulate, threading: threading))
                cases.append(
                    LinearCase(rows: 197, n: 64, k: 300, bias: bias, accumulate: accumulate, threading: threading))
            }
        }
        return cases
    }()

    @Test(arguments: testedOperands, cases)
    func matchesReferences(_ operand: OperandType, _ c: LinearCase) throws {
        let backend = try DNNLBackend(threads: 2, threading: c.threading, operand: operand)
        let layer = randomLinear(n: c.n, k: c.k, bias: c.bias, seed: UInt32(c.rows * 1000 + c.k + c.n))
        let x = randomValues(c.rows * c.k, seed: UInt32(c.k * 7 + c.rows))
        let prior = c.accumulate ? randomValues(c.rows * c.n, seed: 99) : [Float](repeating: .nan, count: c.rows * c.n)
        let y = runBackend(backend, layer, x: x, rows: c.rows, y: prior, accumulate: c.accumulate)
        #expect(backend.notices.isEmpty, "\(backend.notices)")

        // 1. Against the same math on the operands (bf16-rounded or not): only fp32 accumulation
        // order differs.
        let yb = operandReference(operand, layer, x: x, rows: c.rows, y: prior, accumulate: c.accumulate)
        let scaleB = magnitudes(
            layer, x: x, rows: c.rows, prior: c.accumulate ? prior : nil, rounded: operand == .bf16)
        var worstB = 0.0
        for i in 0..<y.count {
            worstB = max(worstB, abs(Double(y[i]) - Double(yb[i])) / max(scaleB[i], 1e-30))
        }
        #expect(worstB <= accumulationBound(k: c.k), "vs \(operand) reference: error / magnitude \(worstB)")
        guard operand == .bf16 else { return }

        // 2. bf16 only: against the exact fp32 product: the bf16 rounding bound, and the typical (RMS) error.
        let y32 = fp32Reference(layer, x: x, rows: c.rows, y: prior, accumulate: c.accumulate)
        let scale = magnitudes(layer, x: x, rows: c.rows, prior: c.accumulate ? prior : nil, rounded: false)
        var worst = 0.0
        var errorSquares = 0.0
        var valueSquares = 0.0
        for i in 0..<y.count {
            let e = Double(y[i]) - Double(y32[i])
            worst = max(worst, abs(e) / max(scale[i], 1e-30))
            errorSquares += e * e
            // Relative to x · Wᵀ alone: bias and prior are added in fp32, exactly enough.
            let product =
                Double(y32[i]) - (c.accumulate ? Double(prior[i]) : 0)
                - (layer.bias.map { Double($0[i % c.n]) } ?? 0)
            valueSquares += product * product
        }
        let relativeRMS = (errorSquares / valueSquares).squareRoot()
        #expect(worst <= bf16ProductBound + accumulationBound(k: c.k), "vs fp32: error / magnitude \(worst)")
        #expect(relativeRMS <= bf16RelativeRMSTolerance, "vs fp32: relative RMS error \(relativeRMS)")
    }

    /// The weight cache is keyed by storage identity: a new layer of the same shape (possibly at
    /// a reused address) must never get another layer's weights.
    @Test(arguments: testedOperands)
    func cacheNeverServesStaleWeights(_ operand: OperandType) throws {
        let backend = try DNNLBackend(threads: 2, operand: operand)
        let rows = 40
        let n = 64
        let k = 64
        let x = randomValues(rows * k, seed: 5)
        let zeros = [Float](repeating: 0, count: rows * n)
        for round in 0..<6 {
            // Each layer's array is freed at the end of the iteration unless the cache holds it.
            let layer = randomLinear(n: n, k: k, bias: true, seed: UInt32(1000 + round))
            let y = runBackend(backend, layer, x: x, rows: rows, y: zeros, accumulate: false)
            let expected = operandReference(operand, layer, x: x, rows: rows, y: zeros, accumulate: false)
            let worst = zip(y, expected).map { abs($0 - $1) }.max() ?? 0
            #expect(worst < 1e-4, "round \(round): max abs \(worst) against this layer's own weights")
        }
        #expect(backend.cachedLayerCount == 6)
        backend.clearCache()
        #expect(backend.cachedLayerCount == 0)
    }

    @Test(arguments: testedOperands)
    func prepareConvertsOnceAndReportsImplementation(_ operand: OperandType) throws {
        let backend = try DNNLBackend(threads: 1, operand: operand)
        let layers = (0..<3).map { randomLinear(n: 130, k: 48, bias: false, seed: UInt32($0)) }
        try backend.prepare(layers)
        try backend.prepare(layers)
        #expect(backend.cachedLayerCount == 3)
        // 2 or 4 bytes per weight, plus oneDNN's zero padding of N to its panels (130 -> at most
        // 192) and of K to its block (at most the next multiple of 64).
        #expect(backend.cachedWeightBytes >= 3 * 130 * 48 * operand.bytes)
        #expect(backend.cachedWeightBytes <= 3 * 192 * 64 * operand.bytes)
        if operand == .bf16 {
            #expect(
                backend.implementationName.contains("bf16") || backend.implementationName.contains("amx"),
                "oneDNN chose \(backend.implementationName)")
        } else {
            // A JIT kernel (gemm:jit, brg:avx2, ...), never the reference loops.
            #expect(!backend.implementationName.contains("ref"), "oneDNN chose \(backend.implementationName)")
        }
        #expect(backend.oneDNNVersion.hasPrefix("2."))
    }

    /// Two threads applying the same layer at once (as concurrent localization workers do).
    @Test(arguments: testedOperands)
    func concurrentCallsAgree(_ operand: OperandType) async throws {
        let backend = try DNNLBackend(threads: 2, operand: operand)
        let layer = randomLinear(n: 130, k: 64, bias: true, seed: 77)
        let rows = 97
        let x = randomValues(rows * 64, seed: 3)
        let zeros = [Float](repeating: 0, count: rows * 130)
        let expected = runBackend(backend, layer, x: x, rows: rows, y: zeros, accumulate: false)
        let results = await withTaskGroup(of: [Float].self) { group in
            for _ in 0..<4 {
                group.addTask { runBackend(backend, layer, x: x, rows: rows, y: zeros, accumulate: false) }
            }
            return await group.reduce(into: [[Float]]()) { $0.append($1) }
        }
        for r in results { #expect(r == expected) }
    }

    /// Regression: with oneDNN's library-managed scratchpad, two threads executing the same
    /// matmul with a row count that is not a multiple of 16 crashed (SIGSEGV) in Debian's 2.6.3.
    /// ViT-L/14-336 at batch 8 splits 4616 rows into two halves of 2308 exactly like this.
    @Test(arguments: testedOperands, DNNLBackend.Threading.allCases)
    func concurrentHalvesWithRowTail(_ operand: OperandType, _ threading: DNNLBackend.Threading) async throws {
        let backend = try DNNLBackend(threads: 2, threading: threading, operand: operand)
        let rows = 4616
        let n = 768
        let k = 768
        let layer = randomLinear(n: n, k: k, bias: true, seed: 11)
        let x = randomValues(rows * k, seed: 12)
        let prior = randomValues(rows * n, seed: 13)
        // Two callers at once as well, so even .openMP executes one primitive concurrently.
        let results = await withTaskGroup(of: [Float].self) { group in
            for _ in 0..<2 {
                group.addTask { runBackend(backend, layer, x: x, rows: rows, y: prior, accumulate: true) }
            }
            return await group.reduce(into: [[Float]]()) { $0.append($1) }
        }
        // Rows on both sides of the split and at the ends, against the operand reference.
        let sampled = [0, 1, 2307, 2308, 2309, 4615]
        for y in results {
            for r in sampled {
                let expected = operandReference(
                    operand, layer, x: Array(x[(r * k)..<((r + 1) * k)]), rows: 1,
                    y: Array(prior[(r * n)..<((r + 1) * n)]), accumulate: true)
                let worst = (0..<n).map { abs(y[r * n + $0] - expected[$0]) }.max() ?? 0
                #expect(worst < 1e-4, "row \(r): max abs \(worst)")
            }
        }
    }

    @Test(arguments: testedOperands)
    func gemmRateIsMeasured(_ operand: OperandType) throws {
        let backend = try DNNLBackend(threads: 2, operand: operand)
        let withConversion = try backend.gemmGFLOPs(m: 128, n: 256, k: 256, minSeconds: 0.05)
        let raw = try backend.gemmGFLOPs(m: 128, n: 256, k: 256, minSeconds: 0.05, includeConversion: false)
        #expect(withConversion > 0.01 && withConversion.isFinite)
        #expect(raw > 0.01 && raw.isFinite)
        #expect(backend.cachedLayerCount == 0)
    }
}

@Suite struct DNNLSupportTests {
    /// On any CPU: construction either succeeds (bf16 units present) or says why it cannot.
    @Test func constructionMatchesDetection() {
        do {
            let backend = try DNNLBackend()
            #expect(DNNLBackend.isSupported)
            #expect(backend.name == "bf16-onednn")
        } catch {
            #expect(!DNNLBackend.isSupported)
            #expect(error.description.contains("fp32"))
        }
    }

    /// f32 operands need no bf16 units: the backend is made on every x86-64 CPU.
    @Test func f32OperandsOnEveryCPU() throws {
        let backend = try DNNLBackend(threads: 1, operand: .f32)
        #expect(backend.name == "fp32-onednn")
        #expect(backend.operand == .f32)
    }
}
