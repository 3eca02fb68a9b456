import CDNNL

/// The element type of the backend's product operands (x, W, the MLP's hidden activations and the
/// attention operands). Accumulation, bias, LayerNorm and softmax are fp32 in both.
public enum OperandType: String, Sendable, CaseIterable {
    /// bfloat16: twice the fp32 rate on AVX512-BF16, more on AMX; rounds operands to 8 bits.
    case bf16
    /// fp32: oneDNN's fp32 kernels on prepacked weights; exact to float precision, any x86-64 CPU.
    case f32

    var dnnl: dnnl_data_type_t { self == .bf16 ? dnnl_bf16 : dnnl_f32 }

    /// Bytes per element.
    var bytes: Int { self == .bf16 ? 2 : 4 }
}
