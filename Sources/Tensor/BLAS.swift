import COpenBLAS

/// Errors of the tensor layer.
public enum TensorError: Error, CustomStringConvertible {
    case blasUnavailable(String)
    /// A LAPACK routine failed: its name, the problem size and LAPACK's `info`.
    case lapack(routine: String, n: Int, info: Int, meaning: String)

    public var description: String {
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

    /// Sets the number of OpenBLAS threads (the CLI's `--threads`).
    public static func setThreads(_ n: Int) throws(TensorError) {
        try load()
        kp_blas_set_threads(Int32(max(1, n)))
    }

    public static var threads: Int { Int(kp_blas_get_threads()) }

    /// Runs `body` with OpenBLAS single-threaded, for regions where our own workers each call
    /// sgemm: a multi-threaded OpenBLAS called from several threads at once oversubscribes the
    /// cores (measured: ViT-L/14-336 attention spent most of its time in the kernel scheduler).
    @inline(__always)
    public static func singleThreaded<R>(_ body: () throws -> R) rethrows -> R {
        let n = kp_blas_get_threads()
        if n <= 1 { return try body() }
        kp_blas_set_threads(1)
        defer { kp_blas_set_threads(n) }
        return try body()
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
