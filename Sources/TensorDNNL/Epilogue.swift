import Tensor

/// What a product does after x · Wᵀ + b, as a oneDNN post-op.
enum Epilogue: Hashable {
    /// y = x · Wᵀ + b
    case none
    /// y += x · Wᵀ + b (sum post-op: the residual connections)
    case accumulate
    /// y = activation(x · Wᵀ + b) (eltwise post-op: the first MLP product)
    case activation(Activation)
    /// The same with y written in the operand type (bf16: rounded after the activation), for the
    /// second MLP product to read as it is
    case activationToOperand(Activation)

    var outputsOperand: Bool { if case .activationToOperand = self { true } else { false } }

    var label: String {
        switch self {
        case .none: return ""
        case .accumulate: return " + sum"
        case .activation(let a): return " + \(a.rawValue)"
        case .activationToOperand(let a): return " + \(a.rawValue) -> operand type"
        }
    }
}
