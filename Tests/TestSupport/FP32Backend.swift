import Tensor

/// The fp32 backends held to the same fidelity bars in tests: OpenBLAS's sgemm and keypoints'
/// own batch-invariant kernels (`InvariantBackend`).
public enum FP32Backend: String, CaseIterable, Sendable, CustomStringConvertible {
    case openblas
    case invariant

    public var description: String { rawValue }

    /// A new backend of this kind (the invariant one with 2 threads, so products are split).
    public func make() -> any LinearBackend { self == .openblas ? SgemmBackend() : InvariantBackend(threads: 2) }
}
