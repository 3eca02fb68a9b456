import CKernels

/// exp over a row, in C (Sources/CKernels): Cody-Waite range reduction and a degree-6 polynomial,
/// within 1.2 ulp of the exact exponential on [-87, 88] (tested against Double exp for every
/// instruction-set variant in KernelVariantTests); inputs are clamped to [-87.34, 88.38].
public enum VectorExp {
    /// x (N) <- exp(x - shift) for i < count; returns the sum of the results.
    public static func expShiftedSum(_ x: UnsafeMutablePointer<Float>, count: Int, shift: Float) -> Float {
        kp_exp_shifted_sum(x, count, shift)
    }
}
