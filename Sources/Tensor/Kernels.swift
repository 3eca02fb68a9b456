import CKernels
import Foundation

/// The MLP activation, as `hidden_act` names it in a Hugging Face CLIP config.
public enum Activation: String, Codable, Sendable {
    /// x * sigmoid(1.702 x): OpenAI CLIP.
    case quickGELU = "quick_gelu"
    /// 0.5 x (1 + erf(x / sqrt 2)): OpenCLIP LAION models.
    case gelu = "gelu"
}

/// Elementwise and row-wise kernels of the transformer, fp32, in place where possible.
/// Letters: R rows (= B x T), C width. Every kernel has a naive twin in Kernels+Reference.swift.
/// LayerNorm, the activations and softmax run in C (Sources/CKernels): AVX-512, AVX2 or generic,
/// chosen once for the CPU (`Kernels.isa`); these wrappers only split the work between workers.
public enum Kernels {
    // MARK: - LayerNorm

    /// y (R, C) = (x - mean) / sqrt(var + eps) * gamma + beta, per row; y may alias x.
    /// Two-pass mean/variance in Float over 16 (or 8) lane partial sums: within ~1e-6 of Double.
    public static func layerNorm(
        _ x: UnsafePointer<Float>, rows: Int, width c: Int, gamma: UnsafePointer<Float>,
        beta: UnsafePointer<Float>, eps: Float, y: UnsafeMutablePointer<Float>, workers: Int,
        profiler: Profiler? = nil
    ) {
        profiler.measure(.layerNorm) {
            parallelRanges(rows, workers: workers, minimumPerWorker: 8) { _, range in
                // x[range] (n, C) -> y[range] (n, C)
                kp_layer_norm(
                    x + range.lowerBound * c, range.count, c, gamma, beta, eps,
                    y + range.lowerBound * c)
            }
        }
    }

    /// `layerNorm` with the parameters as arrays (gamma, beta: (C)).
    // x: (R, C) -> y: (R, C)
    public static func layerNorm(
        _ x: UnsafePointer<Float>, rows: Int, width c: Int, parameters: (gamma: [Float], beta: [Float]), eps: Float,
        y: UnsafeMutablePointer<Float>, workers: Int, profiler: Profiler? = nil
    ) {
        parameters.gamma.withUnsafeBufferPointer { g in
            parameters.beta.withUnsafeBufferPointer { b in
                layerNorm(
                    x, rows: rows, width: c, gamma: g.baseAddress!, beta: b.baseAddress!, eps: eps, y: y,
                    workers: workers, profiler: profiler)
            }
        }
    }

    // MARK: - Activations

    /// x (N) <- activation(x).
    public static func activate(
        _ activation: Activation, _ x: UnsafeMutablePointer<Float>, count: Int,
        workers: Int, profiler: Profiler? = nil
    ) {
        profiler.measure(.activation) {
            switch activation {
            case .quickGELU: quickGELU(x, count: count, workers: workers)
            case .gelu: gelu(x, count: count, workers: workers)
            }
        }
    }

    /// x (N) <- x * sigmoid(1.702 x): OpenAI CLIP's QuickGELU.
    public static func quickGELU(_ x: UnsafeMutablePointer<Float>, count: Int, workers: Int) {
        parallelRanges(count, workers: workers, minimumPerWorker: 4096) { _, range in
            // x[range] (n) -> x[range] (n)
            kp_quick_gelu(x + range.lowerBound, range.count)
        }
    }

    /// x (N) <- 0.5 x (1 + erf(x / sqrt 2)): exact GELU (PyTorch's default, OpenCLIP LAION models).
    /// erf is a rational approximation within ~5e-7 absolute.
    public static func gelu(_ x: UnsafeMutablePointer<Float>, count: Int, workers: Int) {
        parallelRanges(count, workers: workers, minimumPerWorker: 4096) { _, range in
            // x[range] (n) -> x[range] (n)
            kp_gelu(x + range.lowerBound, range.count)
        }
    }

    // MARK: - Softmax

    /// s (R, N) <- softmax over each row's first `valid(r)` entries; entries past it become 0
    /// (the causal mask of the text tower: row r sees columns 0...r). Row stride `ld`; columns
    /// N ..< ld are not touched. Single-threaded: attention calls it once per (batch, head) tile.
    public static func softmaxRows(
        _ s: UnsafeMutablePointer<Float>, rows: Int, cols: Int,
        ld: Int, causal: Bool
    ) {
        kp_softmax_rows(s, rows, cols, ld, causal ? 1 : 0)
    }

    /// p (R, N) bf16 bit patterns, row stride ldp <- softmax of each row of s (as `softmaxRows`),
    /// rounded to nearest even; s is scratch afterwards. For bf16 attention.
    // s: (R, N) f32 -> p: (R, N) bf16
    public static func softmaxRowsBF16(
        _ s: UnsafeMutablePointer<Float>, rows: Int, cols: Int, ld: Int,
        causal: Bool, p: UnsafeMutablePointer<UInt16>, ldp: Int
    ) {
        kp_softmax_rows_bf16(s, rows, cols, ld, causal ? 1 : 0, p, ldp)
    }

    // MARK: - Instruction set

    /// The variant the calling thread's C kernels run: the CPU's best unless forced by `withISA`.
    public static var isa: KernelISA {
        switch String(cString: kp_kernels_isa()) {
        case "avx512": .avx512
        case "avx2": .avx2
        default: .generic
        }
    }

    /// Runs `body` with the calling thread's kernels forced to `isa`, then returns to the CPU's
    /// best; for tests. The setting is thread-local: only kernels running on this thread see it
    /// (pass `workers: 1`), and other threads are unaffected. Returns nil without running `body`
    /// when the CPU cannot run `isa`.
    public static func withISA<Result>(_ isa: KernelISA, _ body: () throws -> Result) rethrows -> Result? {
        kp_kernels_force_isa(isa.rawValue)
        defer { kp_kernels_force_isa(0) }
        guard Self.isa == isa else { return nil }
        return try body()
    }

    // MARK: - Attention

    /// Multi-head self-attention over a fused projection.
    ///
    /// qkv: (B, T, 3C), laid out [q | k | v] per token, q not yet scaled -> out: (B, T, C), or with
    /// `queryRows` out: (B, C), only query row `queryRows[b]` of each sequence b (a pooled tower's
    /// last layer; causal, it sees keys 0 ... that row).
    /// Heads H, head width D = C / H. Each (b, h) pair is one tile: S = q kᵀ (T, T) in the
    /// worker's own scratch, softmax, then S v written straight into `out` at columns h D.
    /// Memory is workers x T x T, never B x H x T x T.
    /// - Parameter scratch: at least `workers * T * T` floats.
    public static func attention(
        qkv: UnsafePointer<Float>, batch b: Int, tokens t: Int, width c: Int, heads: Int,
        causal: Bool, queryRows: [Int]? = nil, out: UnsafeMutablePointer<Float>,
        scratch: UnsafeMutablePointer<Float>, workers: Int, profiler: Profiler? = nil
    ) {
        let d = c / heads
        let scale = 1 / Float(d).squareRoot()
        let ld = 3 * c
        // Workers split the (b, h) tiles; each tile's sgemms then run single-threaded.
        let run = {
            AttentionTile.forEach(
                qkv: qkv, batch: b, tokens: t, width: c, heads: heads, causal: causal, queryRows: queryRows, out: out,
                scratch: scratch, workers: workers, profiler: profiler, productScratch: 0
            ) { tile, s, _ in
                // S (m, n) = scale * q (m, D) · k (n, D)ᵀ
                GEMM.sgemm(
                    transB: true, m: tile.m, n: tile.n, k: d, alpha: scale, a: tile.queries, lda: ld, b: tile.keys,
                    ldb: ld, beta: 0, c: s, ldc: tile.n)
            } mix: { tile, s, _ in
                // out[b, rows, h D ..< (h+1) D] (m, D) = S (m, n) · v (n, D)
                GEMM.sgemm(
                    m: tile.m, n: d, k: tile.n, a: s, lda: tile.n, b: tile.values, ldb: ld, beta: 0, c: tile.out,
                    ldc: c)
            }
        }
        profiler.measureComposite(remainder: .attentionProducts) {
            if workers > 1 { BLAS.singleThreaded(run) } else { run() }
        }
    }

    // MARK: - Vectors

    /// x (R, C) <- x / ||x||₂ per row (rows of zeros stay zero).
    public static func l2NormalizeRows(_ x: UnsafeMutablePointer<Float>, rows: Int, width c: Int) {
        for r in 0..<rows {
            let row = x + r * c
            var sq: Double = 0
            for j in 0..<c { sq += Double(row[j]) * Double(row[j]) }
            let n = sq.squareRoot()
            if n > 0 {
                let inv = Float(1 / n)
                for j in 0..<c { row[j] *= inv }
            }
        }
    }
}

/// Instruction-set variant of the C kernels (LayerNorm, activations, softmax, exp).
public enum KernelISA: Int32, CaseIterable, Sendable {
    case generic = 1
    case avx2 = 2
    case avx512 = 3
}
