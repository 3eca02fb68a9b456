import CKernels
import Synchronization

/// fp32 products whose every bit is independent of the batch, the thread count and the shard:
/// keypoints' own kernels (Sources/CKernels/kp_fma_gemm.c), never OpenBLAS.
///
/// The contract (include/kp_fma_gemm.h): every output element is one fused-multiply-add chain in
/// ascending k, starting from the bias (plus y's value for the residual products; 0 without bias),
/// so an element's bits depend only on its own row of x and column of W. The batch around a
/// row, its position in the batch, how rows or panels are split between threads and the CPU's
/// variant (AVX2 or generic C) cannot change them. OpenBLAS's sgemm, by contrast, changes the
/// last bits of a row with M, with the row's offset and with its thread count.
///
/// - Linear products: W is packed once (`prepare`, or on first use) into 16-column panels and
///   kept, keyed like `DNNLBackend`'s cache by the identity of the weight storage; the activation
///   of `applyActivated` runs after the chain on the existing elementwise kernels.
/// - Attention: per (image, head) tile, keys are packed into panels and S = (q · kᵀ) · scale
///   (the scale multiplies the finished chain), softmax by the existing row kernel, then the
///   values are packed and out = P · v; the pooled last layer (one query row per sequence) runs
///   the same way (`pooledAttention`).
/// - Rows around the products (LayerNorm, softmax, activations, l2 normalisation, im2col,
///   embedding sums) are computed row by row or element by element, so they are batch-invariant
///   too. In the causal text tower a sequence's masked keys contribute exact zeros
///   (fma(0, v, acc) = acc) to P · v, so a text's embedding does not depend on the other texts'
///   lengths either, up to the sign of an exactly zero sum.
///
/// Not promised: the same bits as OpenBLAS or oneDNN (other summation orders), nor across CPU
/// types whose elementwise kernels run another variant (AVX-512, AVX2, generic: `Kernels.isa`).
public struct InvariantBackend: LinearBackend {
    /// The `name` every InvariantBackend reports, recorded in results headers.
    public static let name = "fp32-invariant"
    public var name: String { Self.name }

    /// Threads for the linear products (attention tiles use the `workers` they are given).
    public let threads: Int
    public let profiler: Profiler?
    /// The packed weights, shared by the copies `profiled(by:)` makes.
    let cache: PanelCache
    /// The workers' x pack buffers, shared like `cache`.
    let packs: XPackPool

    /// Fewest row microtiles (6 rows each) per thread before rows are split between threads;
    /// smaller products split their panels instead. Either split gives the same bits.
    static let minimumRowTilesPerWorker = 4

    public init(threads: Int, profiler: Profiler? = nil) {
        self.init(threads: threads, profiler: profiler, cache: PanelCache(), packs: XPackPool())
    }

    private init(threads: Int, profiler: Profiler?, cache: PanelCache, packs: XPackPool) {
        self.threads = max(1, threads)
        self.profiler = profiler
        self.cache = cache
        self.packs = packs
    }

    public func profiled(by profiler: Profiler) -> any LinearBackend {
        InvariantBackend(threads: threads, profiler: profiler, cache: cache, packs: packs)
    }

    /// The variant of the product kernel on this thread: "avx2" (also on AVX-512 CPUs) or "generic".
    public static var kernelISA: String { String(cString: kp_fma_gemm_isa()) }

    /// Layers whose packed weights are cached (for tests).
    public var cachedLayerCount: Int { cache.count }

    public func prepare(_ layers: [Linear]) throws {
        for layer in layers { _ = cache.panels(for: layer) }
    }

    // x: (R, K) -> y: (R, N)
    public func apply(
        _ layer: Linear, x: UnsafePointer<Float>, rows: Int, y: UnsafeMutablePointer<Float>,
        accumulate: Bool
    ) {
        profiler.measure(.linearProducts, flops: layer.flops(rows: rows)) {
            let packed = cache.panels(for: layer)
            func run(bias: UnsafePointer<Float>?) {
                Self.product(
                    x: x, rows: rows, k: layer.inFeatures, ldx: layer.inFeatures, panels: packed.panels,
                    n: layer.outFeatures, bias: bias, accumulate: accumulate, y: y, ldy: layer.outFeatures,
                    workers: threads, packs: packs)
            }
            if let bias = layer.bias {
                bias.withUnsafeBufferPointer { run(bias: $0.baseAddress) }
            } else {
                run(bias: nil)
            }
        }
    }

    /// y (R, N) <- the contract's chains (times alpha) for x (R, K) and the packed W (N, K), split between
    /// `workers`: many rows in chunks that the workers take in turn (so a worker slowed by other
    /// processes on its core takes fewer of them), each chunk's x packed into one of `packs`' buffers;
    /// few rows by panels. No split changes a bit.
    // x: (R, K), panels of W (N, K) -> y: (R, N), row strides ldx, ldy
    static func product(
        x: UnsafePointer<Float>, rows: Int, k: Int, ldx: Int, panels: UnsafePointer<Float>, n: Int,
        bias: UnsafePointer<Float>?, accumulate: Bool, alpha: Float = 1, y: UnsafeMutablePointer<Float>, ldy: Int,
        workers: Int, packs: XPackPool
    ) {
        let panelCount = Self.panelCount(n)
        let tileRows = 6
        let rowTiles = (rows + tileRows - 1) / tileRows
        if rowTiles >= workers * minimumRowTilesPerWorker {
            // Chunks of at most one row block of the kernel (packed once, then swept over all
            // panels), and at most a worker's share, so every worker gets one.
            let chunkRows = max(tileRows, min(kp_fma_gemm_row_block(k), rows / workers / tileRows * tileRows))
            let chunks = (rows + chunkRows - 1) / chunkRows
            let next = Atomic<Int>(0)
            parallelRanges(workers, workers: workers) { _, _ in
                packs.withBuffer { pack in
                    while true {
                        let chunk = next.add(1, ordering: .relaxed).oldValue
                        guard chunk < chunks else { return }
                        let lo = chunk * chunkRows
                        let hi = min(rows, lo + chunkRows)
                        // x[lo..<hi] (h, K) -> y[lo..<hi] (h, N)
                        kp_fma_gemm(
                            x + lo * ldx, hi - lo, k, ldx, panels, n, 0, panelCount, bias, accumulate ? 1 : 0,
                            alpha, y + lo * ldy, ldy, pack)
                    }
                }
            }
        } else {
            parallelRanges(panelCount, workers: workers) { _, columns in
                packs.withBuffer { pack in
                    // x (R, K) -> y[:, 16 columns] (R, 16 |columns|)
                    kp_fma_gemm(
                        x, rows, k, ldx, panels, n, columns.lowerBound, columns.upperBound, bias, accumulate ? 1 : 0,
                        alpha, y, ldy, pack)
                }
            }
        }
    }

    // MARK: - Attention

    // qkv: (B, T, 3C) -> out: (B, T, C)
    public func attention(
        qkv: UnsafePointer<Float>, batch: Int, tokens: Int, width: Int, heads: Int, causal: Bool,
        out: UnsafeMutablePointer<Float>, scratch: UnsafeMutablePointer<Float>, workers: Int
    ) {
        attend(
            qkv: qkv, batch: batch, tokens: tokens, width: width, heads: heads, causal: causal, queryRows: nil,
            out: out, scratch: scratch, workers: workers)
    }

    // qkv: (B, T, 3C), one query row per sequence -> out: (B, C)
    public func pooledAttention(
        qkv: UnsafePointer<Float>, batch: Int, tokens: Int, width: Int, heads: Int, causal: Bool,
        queryRows: [Int], out: UnsafeMutablePointer<Float>, scratch: UnsafeMutablePointer<Float>, workers: Int
    ) {
        attend(
            qkv: qkv, batch: batch, tokens: tokens, width: width, heads: heads, causal: causal,
            queryRows: queryRows, out: out, scratch: scratch, workers: workers)
    }

    /// `Kernels.attention` on the invariant kernel: the same tiles, masks and outputs.
    /// qkv (B, T, 3C) -> out (B, T, C), or with `queryRows` out (B, C).
    /// Each worker owns T x T floats of `scratch` for S and allocates one panel buffer
    /// (max(ceil(T/16) 16 D, ceil(D/16) 16 T) floats) per call, reused by all its tiles.
    private func attend(
        qkv: UnsafePointer<Float>, batch b: Int, tokens t: Int, width c: Int, heads: Int, causal: Bool,
        queryRows: [Int]?, out: UnsafeMutablePointer<Float>, scratch: UnsafeMutablePointer<Float>, workers: Int
    ) {
        guard b > 0, t > 0 else { return }
        let d = c / heads
        let scale = 1 / Float(d).squareRoot()
        let ld = 3 * c
        let panelFloats = max(kp_fma_panel_floats(t, d), kp_fma_panel_floats(d, t))
        profiler.measureComposite(remainder: .attentionProducts) {
            AttentionTile.forEach(
                qkv: qkv, batch: b, tokens: t, width: c, heads: heads, causal: causal, queryRows: queryRows, out: out,
                scratch: scratch, workers: workers, profiler: profiler, productScratch: panelFloats
            ) { tile, s, work in
                guard let panels = work else { return }
                // k (n, D) -> panels; S (m, n) = (q (m, D) · k (n, D)ᵀ) · scale
                kp_fma_pack_rows(tile.keys, tile.n, d, ld, panels)
                kp_fma_gemm(
                    tile.queries, tile.m, d, ld, panels, tile.n, 0, Self.panelCount(tile.n), nil, 0, scale, s, tile.n,
                    nil)
            } mix: { tile, s, work in
                guard let panels = work else { return }
                // v (n, D) -> panels; out[b, rows, h D ..< (h+1) D] (m, D) = S (m, n) · v (n, D)
                kp_fma_pack_cols(tile.values, tile.n, d, ld, panels)
                kp_fma_gemm(
                    s, tile.m, tile.n, tile.n, panels, d, 0, Self.panelCount(d), nil, 0, 1, tile.out, c, nil)
            }
        }
    }

    /// Panels of 16 columns covering `columns`.
    static func panelCount(_ columns: Int) -> Int { (columns + Int(KP_FMA_PANEL) - 1) / Int(KP_FMA_PANEL) }
}

/// Scratch for kp_fma_gemm's x packing: buffers of KP_FMA_X_PACK_FLOATS floats (64-byte aligned),
/// one per worker running at a time. A worker takes one and puts it back, so after the first
/// products no product allocates; there are never more buffers than workers ever ran at once.
final class XPackPool: Sendable {
    /// Buffer addresses not in use (as integers: pointers are not Sendable).
    private let free = Mutex<[UInt]>([])

    private static let byteCount = Int(KP_FMA_X_PACK_FLOATS) * MemoryLayout<Float>.stride

    /// Runs `body` with a buffer no other worker uses meanwhile.
    func withBuffer<R>(_ body: (UnsafeMutablePointer<Float>) -> R) -> R {
        let address =
            free.withLock { $0.popLast() }
            ?? UInt(bitPattern: UnsafeMutableRawPointer.allocate(byteCount: Self.byteCount, alignment: 64))
        defer { free.withLock { $0.append(address) } }
        // The address came from `allocate` above (now or in an earlier call), so it is not null.
        let buffer = UnsafeMutableRawPointer(bitPattern: address).unsafelyUnwrapped
        return body(buffer.bindMemory(to: Float.self, capacity: Int(KP_FMA_X_PACK_FLOATS)))
    }

    deinit {
        for address in free.withLock({ $0 }) { UnsafeMutableRawPointer(bitPattern: address)?.deallocate() }
    }
}

/// One layer's weights packed into 16-column panels (`kp_fma_pack_rows`), 64-byte aligned.
final class PackedPanels: @unchecked Sendable {
    /// The fp32 weights, held so their storage (the cache key) stays allocated.
    let source: [Float]
    let panels: UnsafeMutablePointer<Float>

    // W (N, K) row-major -> ceil(N / 16) panels of (K, 16)
    init(_ layer: Linear) {
        let n = layer.outFeatures
        let k = layer.inFeatures
        source = layer.weight
        let count = max(1, kp_fma_panel_floats(n, k))
        panels = UnsafeMutableRawPointer.allocate(byteCount: count * MemoryLayout<Float>.stride, alignment: 64)
            .bindMemory(to: Float.self, capacity: count)
        layer.weight.withUnsafeBufferPointer { w in
            if let base = w.baseAddress { kp_fma_pack_rows(base, n, k, k, panels) }
        }
    }

    deinit { UnsafeMutableRawPointer(panels).deallocate() }
}

/// The packed weights of every layer seen, keyed by the identity of the weight storage (its base
/// address, with N and K); each entry keeps that storage alive, so the address cannot be reused
/// by another layer while the entry exists. Layers are immutable, so the address identifies them.
final class PanelCache: Sendable {
    private struct Key: Hashable {
        let address: UInt
        let n: Int
        let k: Int
    }

    private let entries = Mutex<[Key: PackedPanels]>([:])

    var count: Int { entries.withLock { $0.count } }

    /// The panels of `layer`, packed now if this is its first use.
    func panels(for layer: Linear) -> PackedPanels {
        let address = layer.weight.withUnsafeBufferPointer { UInt(bitPattern: $0.baseAddress) }
        let key = Key(address: address, n: layer.outFeatures, k: layer.inFeatures)
        return entries.withLock { cache in
            if let found = cache[key] { return found }
            let packed = PackedPanels(layer)
            cache[key] = packed
            return packed
        }
    }
}
