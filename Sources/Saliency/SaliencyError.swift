import KeypointsSupport

/// Errors of the saliency layer. Every case names what was wrong and what was expected.
public enum SaliencyError: RawMessageError {
    /// An image too small for one patch, or a size/tau out of range.
    case badInput(String)
    /// A TokenCut graph the eigensolver could not handle.
    case eigensolver(String)
    /// A preprocessor_config.json field out of range.
    case badPreprocessor(path: String, field: String, reason: String)

    /// The message, its outside text (paths, keys, names) as it is (`RawMessageError`).
    public var rawMessage: String {
        switch self {
        case .badInput(let m): return m
        case .eigensolver(let m): return "TokenCut: \(m)"
        case .badPreprocessor(let p, let f, let r): return "\(p): field '\(f)': \(r)"
        }
    }
}
