import COpenBLAS
import KeypointsSupport
import Synchronization

/// Errors of the tensor layer.
public enum TensorError: RawMessageError {
    case blasUnavailable(String)
    /// A LAPACK routine failed: its name, the problem size and LAPACK's `info`.
    case lapack(routine: String, n: Int, info: Int, meaning: String)

    /// The message, its outside text (paths, keys, names) as it is (`RawMessageError`).
    public var rawMessage: String {
        switch self {
        case .blasUnavailable(let message): return "BLAS: \(message)"
        case .lapack(let routine, let n, let info, let meaning):
            return "LAPACK \(routine) (n = \(n)): info \(info): \(meaning)"
        }
    }
}

/// What was loaded and how it was configured: printed by `keypoints info` and `--verbose`.
public struct BLASInfo: Sendable, Codable, Equatable {
    /// The soname or path that was dlopened.
    public var library: String
    /// OpenBLAS' kernel family in use ("Cooperlake", "SkylakeX", "Haswell", "Prescott", ...).
    public var core: String
    /// Who chose `core`: "user" (OPENBLAS_CORETYPE was set), "keypoints" (from CPUID), "openblas".
    public var coreSource: String
    /// OpenBLAS' build configuration string.
    public var config: String
    public var threads: Int
}

/// The process-wide OpenBLAS binding. Loading happens once, on first use, before any sgemm.
///
/// OpenBLAS 0.3.21 misdetects recent CPUs (AMD Zen 4 as "Prescott") and then runs sgemm about 8x
/// slower; the C side sets OPENBLAS_CORETYPE from CPUID before dlopen unless the user set it.
public enum BLAS {
    /// Loads OpenBLAS (idempotent, thread-safe).
    public static func load() throws(TensorError) {
        var buffer = [CChar](repeating: 0, count: 512)
        let status = buffer.withUnsafeMutableBufferPointer { kp_blas_load($0.baseAddress, $0.count) }
        if status != 0 {
            let message = buffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
            throw .blasUnavailable(message)
        }
    }

    /// Sets the number of OpenBLAS threads (the CLI's `--threads`; OpenBLAS lowers a count above
    /// the one it was built for, so read `threads` back, with no `singleThreaded` region open, to
    /// see what it took).
    ///
    /// While a `singleThreaded` region is open on any thread, OpenBLAS stays on one thread: the
    /// count is then recorded as the one the last region to close restores (a later call wins),
    /// never applied inside the region nor overwritten by the region's restore; `threads` reads 1
    /// until then, and OpenBLAS applies (and may lower) the count only then.
    public static func setThreads(_ n: Int) throws(TensorError) {
        try load()
        let count = max(1, n)
        singleThreadedRegions.withLock { regions in
            if regions.open > 0 {
                regions.threadsAfter = count
            } else {
                kp_blas_set_threads(Int32(count))
            }
        }
    }

    /// The thread count OpenBLAS runs with now: 1 while any `singleThreaded` region is open.
    public static var threads: Int { Int(kp_blas_get_threads()) }

    /// Runs `body` with OpenBLAS single-threaded, for regions where our own workers each call
    /// sgemm: a multi-threaded OpenBLAS called from several threads at once oversubscribes the
    /// cores (measured: ViT-L/14-336 attention spent most of its time in the kernel scheduler).
    ///
    /// OpenBLAS's thread count is process-wide and several callers (one `Localizer` per task)
    /// may be in such regions at once, overlapping in any order, or nested: the regions are
    /// counted under one lock, the first to open saves the count and sets 1, the last to close
    /// restores the saved count (or the one `setThreads` recorded meanwhile). So every body runs
    /// with OpenBLAS on one thread, and the count is what it was once all have closed. Cost: two
    /// uncontended lock operations per call (attention calls it once per layer).
    @inline(__always)
    public static func singleThreaded<R>(_ body: () throws -> R) rethrows -> R {
        openSingleThreadedRegion()
        defer { closeSingleThreadedRegion() }
        return try body()
    }

    /// The `singleThreaded` regions open over all threads, and the thread count to restore when
    /// the last closes (meaningful while `open > 0`).
    struct SingleThreadedRegions {
        var open = 0
        var threadsAfter = 1
    }

    private static let singleThreadedRegions = Mutex(SingleThreadedRegions())

    private static func openSingleThreadedRegion() {
        singleThreadedRegions.withLock { regions in
            if regions.open == 0 {
                // Loaded first, so that OpenBLAS cannot appear later with its default count.
                _ = kp_blas_load(nil, 0)
                regions.threadsAfter = Int(kp_blas_get_threads())
                if regions.threadsAfter > 1 { kp_blas_set_threads(1) }
            }
            regions.open += 1
        }
    }

    private static func closeSingleThreadedRegion() {
        singleThreadedRegions.withLock { regions in
            regions.open -= 1
            if regions.open == 0, regions.threadsAfter > 1 { kp_blas_set_threads(Int32(regions.threadsAfter)) }
        }
    }

    /// One consistent reading, for tests: the regions open, OpenBLAS's count now, and the count
    /// outside regions (the one to restore while some are open, else the count now).
    static func threadState() -> (openRegions: Int, threads: Int, threadsOutsideRegions: Int) {
        singleThreadedRegions.withLock { regions in
            let now = Int(kp_blas_get_threads())
            return (regions.open, now, regions.open > 0 ? regions.threadsAfter : now)
        }
    }

    public static func info() throws(TensorError) -> BLASInfo {
        try load()
        return BLASInfo(
            library: String(cString: kp_blas_library_name()),
            core: String(cString: kp_blas_corename()).trimmingCharacters(in: " "),
            coreSource: String(cString: kp_blas_coretype_source()),
            config: String(cString: kp_blas_config()).trimmingCharacters(in: " "),
            threads: Int(kp_blas_get_threads()))
    }

    /// The core type keypoints would choose for this CPU, or nil to trust OpenBLAS.
    public static var suggestedCore: String? {
        guard let p = kp_blas_suggested_coretype() else { return nil }
        return String(cString: p)
    }

    public static var cpuHasAVX512BF16: Bool { kp_cpu_has_avx512_bf16() != 0 }
    public static var cpuHasAMXBF16: Bool { kp_cpu_has_amx_bf16() != 0 }
}

extension String {
    fileprivate func trimmingCharacters(in set: Character) -> String {
        var s = Substring(self)
        while s.first == set { s.removeFirst() }
        while s.last == set { s.removeLast() }
        return String(s)
    }
}
