/// exp over 8 lanes at a time: Cody-Waite range reduction and a degree-6 polynomial, within
/// 2 ulp of expf on [-87, 88] (tested against Double exp in KernelTests). Softmax and QuickGELU
/// call it so that their exponentials do not dominate attention at long sequences
/// (ViT-L/14-336: 16 heads x 577 x 577 per layer).
public enum VectorExp {
    public typealias V = SIMD8<Float>

    @inline(__always)
    public static func exp(_ x: V) -> V {
        let log2e: Float = 1.442_695_04
        let ln2Hi: Float = 0.693_145_751_953_125
        let ln2Lo: Float = 1.428_606_765_330_187_045e-06
        let xc = x.clamped(lowerBound: V(repeating: -87.336_544), upperBound: V(repeating: 88.376_26))
        // Round to nearest even with the 1.5 * 2^23 trick: the low mantissa bits of t hold n.
        let magic = V(repeating: 12_582_912)
        let t = xc * log2e + magic
        let n = t - magic
        let r = xc - n * ln2Hi - n * ln2Lo
        // Taylor coefficients of e^r on [-ln2/2, ln2/2].
        var p = V(repeating: 1.0 / 720)
        p = p * r + 1.0 / 120
        p = p * r + 1.0 / 24
        p = p * r + 1.0 / 6
        p = p * r + 0.5
        p = p * r + 1
        p = p * r + 1
        let nBits = unsafeBitCast(t, to: SIMD8<Int32>.self) &- unsafeBitCast(magic, to: SIMD8<Int32>.self)
        let scale = unsafeBitCast((nBits &+ 127) &<< 23, to: V.self)
        return p * scale
    }

    /// x[i] <- exp(x[i] - shift) for i < count; returns the sum of the results.
    @inline(__always)
    public static func expShiftedSum(_ x: UnsafeMutablePointer<Float>, count: Int, shift: Float) -> Float {
        var acc = V(repeating: 0)
        var i = 0
        let s = V(repeating: shift)
        while i + 8 <= count {
            let v = exp(UnsafeRawPointer(x + i).loadUnaligned(as: V.self) - s)
            UnsafeMutableRawPointer(x + i).storeBytes(of: v, as: V.self)
            acc += v
            i += 8
        }
        var sum = acc.sum()
        while i < count {
            let e = expf(x[i] - shift)
            x[i] = e
            sum += e
            i += 1
        }
        return sum
    }
}

#if canImport(Glibc)
import Glibc
#endif
