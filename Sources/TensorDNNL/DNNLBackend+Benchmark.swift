import Glibc
import KeypointsSupport
import Tensor

extension DNNLBackend {
    /// GFLOP/s of one product in the operand type shaped like the model's largest (rows x k) ·
    /// (k x n), the counterpart of `Benchmark.sgemmGFLOPs` (same default shape and timing rule:
    /// one warm-up, then repeat until `minSeconds` have passed, at least twice).
    ///
    /// - Parameter includeConversion: true (default) times `apply` as the model calls it, for
    ///   bf16 with fp32 x converted on every call; false times the matmul alone (x already in
    ///   the operand type), the figure oneDNN's own benchmarks quote. The same for f32 operands.
    /// - Returns: 2·m·n·k / seconds per product / 1e9.
    public func gemmGFLOPs(
        m: Int = 3200, n: Int = 3072, k: Int = 768, minSeconds: Double = 2,
        includeConversion: Bool = true
    ) throws(DNNLError) -> Double {
        var seed: UInt32 = 7
        func next() -> Float {
            seed = seed &* 1_664_525 &+ 1_013_904_223
            return Float(seed >> 8) / 8_388_608 - 1
        }
        let layer = Linear(weight: (0..<(n * k)).map { _ in next() }, bias: nil, outFeatures: n, inFeatures: k)
        let x = (0..<(m * k)).map { _ in next() }
        var y = [Float](repeating: 0, count: m * n)
        defer { clearCache() }
        if includeConversion {
            let seconds = x.withUnsafeBufferPointer { px in
                y.withUnsafeMutableBufferPointer { py in
                    Self.measure(minSeconds: minSeconds) {
                        apply(layer, x: px.baseAddress!, rows: m, y: py.baseAddress!, accumulate: false)
                    }
                }
            }
            return 2 * Double(m) * Double(n) * Double(k) / seconds / 1e9
        }
        // The matmul alone: x pre-rounded to bf16 (the upper halves of the fp32 bit patterns), or
        // x itself for f32 operands.
        let parts = rowParts(m)
        let (weights, small, large) = try resolve(
            layer, rowCounts: (m / parts, (m + parts - 1) / parts), epilogue: .none)
        func timed(_ px: UnsafeRawPointer) -> Double {
            y.withUnsafeMutableBufferPointer { py in
                Self.measure(minSeconds: minSeconds) {
                    parallelRanges(m, workers: parts) { _, range in
                        let plan = range.count == small.rows ? small : large
                        execute(
                            plan, x: px + range.lowerBound * k * operand.bytes,
                            y: py.baseAddress! + range.lowerBound * n, weights: weights, bias: nil,
                            ompThreads: executionThreads, xIsOperand: true)
                    }
                }
            }
        }
        let seconds: Double
        if operand == .bf16 {
            let xb = x.map { UInt16(truncatingIfNeeded: BF16.rounded($0).bitPattern >> 16) }
            seconds = xb.withUnsafeBytes { timed($0.baseAddress!) }
        } else {
            seconds = x.withUnsafeBytes { timed($0.baseAddress!) }
        }
        return 2 * Double(m) * Double(n) * Double(k) / seconds / 1e9
    }

    /// Seconds per call of `body` after one warm-up call, repeated for at least `minSeconds`.
    static func measure(minSeconds: Double, _ body: () -> Void) -> Double {
        Stopwatch.measure(warmup: 1, minIterations: 2, minSeconds: minSeconds, body).seconds
    }
}
