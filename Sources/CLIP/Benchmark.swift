import Foundation
import KeypointsSupport
import Tensor

/// Throughput of one measured workload: what `keypoints bench` prints.
public struct ThroughputReport: Codable, Sendable {
    public var itemsPerSecond: Double
    public var gflops: Double
    public var secondsPerIteration: Double
    public var iterations: Int
    public var batch: Int

    enum CodingKeys: String, CodingKey {
        case itemsPerSecond = "items_per_s"
        case gflops
        case secondsPerIteration = "seconds_per_iteration"
        case iterations
        case batch
    }
}

/// Speed measurements (never assertions): raw sgemm and the two encoders.
public enum Benchmark {
    /// Times `body` after `warmup` runs until `minSeconds` have passed (at least `minIterations`).
    public static func measure(
        warmup: Int = 1, minIterations: Int = 2, minSeconds: Double = 2,
        _ body: () throws -> Void
    ) rethrows -> (seconds: Double, iterations: Int) {
        try Stopwatch.measure(warmup: warmup, minIterations: minIterations, minSeconds: minSeconds, body)
    }

    /// GFLOP/s of one sgemm shaped like the model's largest product (rows x k) · (k x n).
    public static func sgemmGFLOPs(m: Int = 3200, n: Int = 3072, k: Int = 768, minSeconds: Double = 2) throws -> Double
    {
        try BLAS.load()
        let a = [Float](repeating: 0.5, count: m * k)
        let b = [Float](repeating: 0.25, count: k * n)
        var c = [Float](repeating: 0, count: m * n)
        let (seconds, _) = a.withUnsafeBufferPointer { pa in
            b.withUnsafeBufferPointer { pb in
                c.withUnsafeMutableBufferPointer { pc in
                    measure(minSeconds: minSeconds) {
                        GEMM.sgemm(
                            m: m, n: n, k: k, a: pa.baseAddress!, lda: k, b: pb.baseAddress!, ldb: n,
                            c: pc.baseAddress!, ldc: n)
                    }
                }
            }
        }
        return 2 * Double(m) * Double(n) * Double(k) / seconds / 1e9
    }

    /// GFLOP/s of `backend.apply` on one product shaped like the model's largest, (rows x k) ·
    /// (k x n), weights prepared first: the raw rate of a backend with its own kernels
    /// (`InvariantBackend`), timed as `sgemmGFLOPs`.
    public static func linearGFLOPs(
        _ backend: any LinearBackend, m: Int = 3200, n: Int = 3072, k: Int = 768, minSeconds: Double = 2
    ) throws -> Double {
        var seed: UInt32 = 7
        func next() -> Float {
            seed = seed &* 1_664_525 &+ 1_013_904_223
            return Float(seed >> 8) / 8_388_608 - 1
        }
        let layer = Linear(weight: (0..<(n * k)).map { _ in next() }, bias: nil, outFeatures: n, inFeatures: k)
        try backend.prepare([layer])
        let x = (0..<(m * k)).map { _ in next() }
        var y = [Float](repeating: 0, count: m * n)
        let (seconds, _) = x.withUnsafeBufferPointer { px in
            y.withUnsafeMutableBufferPointer { py in
                measure(minSeconds: minSeconds) {
                    backend.apply(layer, x: px.baseAddress!, rows: m, y: py.baseAddress!, accumulate: false)
                }
            }
        }
        return 2 * Double(m) * Double(n) * Double(k) / seconds / 1e9
    }

    /// Images per second through the image tower at batch `batch` (random pixels).
    public static func imageEncoder(_ model: CLIPModel, batch: Int, workers: Int, minSeconds: Double = 3)
        -> ThroughputReport
    {
        let pixels = randomPixels(model, batch: batch)
        let ws = Workspace(workers: workers)
        let (seconds, iterations) = pixels.withUnsafeBufferPointer { p in
            measure(minSeconds: minSeconds) {
                _ = model.encodeImages(pixels: p.baseAddress!, count: batch, workspace: ws)
            }
        }
        return ThroughputReport(
            itemsPerSecond: Double(batch) / seconds,
            gflops: model.imageFLOPs * Double(batch) / seconds / 1e9,
            secondsPerIteration: seconds, iterations: iterations, batch: batch)
    }

    /// Where the image tower's time goes at batch `batch`, by operation class: the model's
    /// backend reporting to a profiler, one untimed warm-up pass, then passes for at least
    /// `minSeconds` (and at least one).
    public static func imageEncoderProfile(
        _ model: CLIPModel, batch: Int, workers: Int,
        minSeconds: Double = 3
    ) -> OperationProfile {
        let pixels = randomPixels(model, batch: batch)
        let profiler = Profiler()
        let profiled = model.using(model.backend.profiled(by: profiler))
        let ws = Workspace(workers: workers)
        return pixels.withUnsafeBufferPointer { p in
            _ = profiled.encodeImages(pixels: p.baseAddress!, count: batch, workspace: ws)
            profiler.reset()
            var passes = 0
            let watch = Stopwatch()
            repeat {
                _ = profiled.encodeImages(pixels: p.baseAddress!, count: batch, workspace: ws)
                passes += 1
            } while watch.seconds < minSeconds
            return OperationProfile(totals: profiler.totals, totalSeconds: watch.seconds, items: passes * batch)
        }
    }

    /// Uniform pixels in [-1, 1) for `batch` images, the same every call.
    static func randomPixels(_ model: CLIPModel, batch: Int) -> [Float] {
        let s = model.imageSize
        var seed: UInt32 = 1
        return (0..<(batch * 3 * s * s)).map { _ -> Float in
            seed = seed &* 1_664_525 &+ 1_013_904_223
            return Float(seed >> 8) / 8_388_608 - 1
        }
    }

    /// Texts per second through the text tower: prompts of `tokens` tokens (sot ... eot).
    public static func textEncoder(
        _ model: CLIPModel, batch: Int, tokens: Int = 12, workers: Int,
        minSeconds: Double = 2
    ) throws -> ThroughputReport {
        let t = model.configuration.text
        let eot = Int32(t.poolsAtArgmax ? t.vocabSize - 1 : t.eosTokenId)
        let rows = (0..<batch).map { i -> [Int32] in
            var row = [Int32](repeating: 0, count: t.maxPositionEmbeddings)
            row[0] = eot - 1
            for j in 1..<(tokens - 1) { row[j] = Int32((i * 31 + j * 7) % 40_000 % (t.vocabSize - 2)) }
            row[tokens - 1] = eot
            return row
        }
        let ws = Workspace(workers: workers)
        let (seconds, iterations) = try measure(minSeconds: minSeconds) {
            _ = try model.encodeTexts(tokens: rows, workspace: ws)
        }
        return ThroughputReport(
            itemsPerSecond: Double(batch) / seconds,
            gflops: model.textFLOPs(tokens: tokens) * Double(batch) / seconds / 1e9,
            secondsPerIteration: seconds, iterations: iterations, batch: batch)
    }
}
