import Glibc

/// The OpenMP runtime that Debian's oneDNN 2.6 is built against (libgomp, DNNL_CPU_RUNTIME_OMP).
///
/// oneDNN takes its thread count from `omp_get_max_threads()` of the calling thread. libgomp keeps
/// that setting per thread (a thread that never called `omp_set_num_threads` gets the process
/// default from OMP_NUM_THREADS, read once at load), so the backend sets it on every thread that
/// executes a primitive, just before executing. The symbol is found with dlsym because the C
/// module exposes only dnnl.h; when it is missing (a TBB or threadpool build) this is a no-op.
enum OpenMP {
    private typealias SetThreads = @convention(c) (Int32) -> Void
    private typealias GetThreads = @convention(c) () -> Int32

    nonisolated(unsafe) private static let handle: UnsafeMutableRawPointer? =
        dlopen("libgomp.so.1", RTLD_NOW | RTLD_NOLOAD)
    private static let setFunction: SetThreads? = {
        guard let handle, let symbol = dlsym(handle, "omp_set_num_threads") else { return nil }
        return unsafeBitCast(symbol, to: SetThreads.self)
    }()
    private static let getFunction: GetThreads? = {
        guard let handle, let symbol = dlsym(handle, "omp_get_max_threads") else { return nil }
        return unsafeBitCast(symbol, to: GetThreads.self)
    }()

    /// Whether the OpenMP runtime was found in the process.
    static var isAvailable: Bool { setFunction != nil }

    /// Sets the calling thread's OpenMP thread count (what oneDNN will use on this thread).
    @inline(__always)
    static func setThreads(_ n: Int) { setFunction?(Int32(max(1, n))) }

    /// The calling thread's OpenMP thread count, or nil without OpenMP.
    static var maxThreads: Int? { getFunction.map { Int($0()) } }
}
