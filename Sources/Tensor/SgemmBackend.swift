/// The exact fp32 path: OpenBLAS sgemm.
public struct SgemmBackend: LinearBackend {
    public let profiler: Profiler?

    public init(profiler: Profiler? = nil) { self.profiler = profiler }
    public var name: String { "fp32-openblas" }

    public func profiled(by profiler: Profiler) -> any LinearBackend { SgemmBackend(profiler: profiler) }

    // x: (R, K) -> y: (R, N)
    public func apply(
        _ layer: Linear, x: UnsafePointer<Float>, rows: Int,
        y: UnsafeMutablePointer<Float>, accumulate: Bool
    ) {
        profiler.measure(.linearProducts, flops: layer.flops(rows: rows)) {
            product(layer, x: x, rows: rows, y: y, accumulate: accumulate)
        }
    }

    // x: (R, K) -> y: (R, N)
    private func product(
        _ layer: Linear, x: UnsafePointer<Float>, rows: Int, y: UnsafeMutablePointer<Float>,
        accumulate: Bool
    ) {
        let n = layer.outFeatures
        let k = layer.inFeatures
        var beta: Float = accumulate ? 1 : 0
        if let bias = layer.bias {
            // Broadcast the bias into y first so that sgemm adds onto it (beta = 1): one pass.
            bias.withUnsafeBufferPointer { b in
                for r in 0..<rows {
                    let row = y + r * n
                    if accumulate {
                        for j in 0..<n { row[j] += b[j] }
                    } else {
                        row.update(from: b.baseAddress!, count: n)
                    }
                }
            }
            beta = 1
        }
        layer.weight.withUnsafeBufferPointer { w in
            GEMM.sgemm(
                transB: true, m: rows, n: n, k: k, a: x, lda: k, b: w.baseAddress!, ldb: k,
                beta: beta, c: y, ldc: n)
        }
    }
}
