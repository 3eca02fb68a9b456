import KeypointsSupport

/// Errors of the oneDNN backend.
public enum DNNLError: RawMessageError, Equatable {
    /// The CPU lacks the instructions the backend needs (`detail` says which were found).
    case unsupportedCPU(detail: String)
    /// A oneDNN call failed: the C function, its status and the problem it was given.
    case dnnl(call: String, status: String, problem: String)
    /// OpenBLAS, which the fp32 fallbacks (and the model's other products) need, did not load.
    case blas(String)

    /// The message, its outside text (paths, keys, names) as it is (`RawMessageError`).
    public var rawMessage: String {
        switch self {
        case .unsupportedCPU(let detail):
            return "bf16: this CPU has neither AVX512-BF16 nor AMX-BF16 (\(detail)); use --precision fp32"
        case .dnnl(let call, let status, let problem):
            return "oneDNN \(call) failed with \(status) for \(problem)"
        case .blas(let message):
            return "oneDNN backend: \(message)"
        }
    }
}
