import Foundation

/// SplitMix64 (Steele, Lea, Flood 2014; constants from Vigna's splitmix64.c): a 64-bit state
/// advanced by the golden-ratio increment and mixed by two xor-shift-multiply rounds. Small,
/// fast and fully specified here, so synthetic experiments give the same numbers on every
/// platform and Swift version (the standard library's generators and `random(in:using:)` make
/// no such promise).
///
/// `next()` and `mix` are inlinable: the synthetic weight generator calls them once per weight.
public struct SplitMix64: Sendable {
    @usableFromInline var current: UInt64

    /// The state: the seed advanced by the golden-ratio increment once per `next()`.
    public var state: UInt64 { current }

    public init(seed: UInt64) {
        current = seed
    }

    /// The golden-ratio increment, 2^64 / phi rounded to odd.
    public static let increment: UInt64 = 0x9E37_79B9_7F4A_7C15

    /// The next 64 random bits.
    @inlinable public mutating func next() -> UInt64 {
        current &+= Self.increment
        return Self.mix(current)
    }

    /// The output function on its own: a bijective 64-bit hash (used to hash positions).
    @inlinable public static func mix(_ value: UInt64) -> UInt64 {
        var z = value
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in [0, 1): the top 53 bits scaled by 2^-53.
    public mutating func nextUnit() -> Double {
        Double(next() >> 11) * 0x1p-53
    }

    /// Uniform in [lower, upper).
    public mutating func uniform(_ lower: Double, _ upper: Double) -> Double {
        lower + (upper - lower) * nextUnit()
    }

    /// Log-uniform in [lower, upper) (both > 0): equal odds for each factor of two.
    public mutating func logUniform(_ lower: Double, _ upper: Double) -> Double {
        exp(log(lower) + (log(upper) - log(lower)) * nextUnit())
    }

    /// Uniform integer in `range` (modulo bias is below 2^-50 for the small ranges used here).
    public mutating func integer(in range: ClosedRange<Int>) -> Int {
        let span = UInt64(range.upperBound - range.lowerBound + 1)
        return range.lowerBound + Int(next() % span)
    }

    /// Uniform integer in 0..<`bound` without modulo bias (Lemire 2019, "Fast random integer
    /// generation in an interval"): the high 64 bits of `next() * bound`, drawing again while the
    /// low 64 bits fall below `2^64 mod bound`. Written out here, not `Int.random(in:using:)`,
    /// whose algorithm the standard library does not promise to keep, so a seed draws the same
    /// indices on every platform and Swift version (the bootstrap's resamples depend on it).
    /// - Precondition: `bound > 0` (a programmer error otherwise).
    public mutating func index(below bound: Int) -> Int {
        precondition(bound > 0, "index(below:) needs a positive bound")
        let n = UInt64(bound)
        var product = next().multipliedFullWidth(by: n)
        if product.low < n {
            let threshold = (0 &- n) % n
            while product.low < threshold { product = next().multipliedFullWidth(by: n) }
        }
        return Int(product.high)
    }

    /// True with probability `p`.
    public mutating func chance(_ p: Double) -> Bool {
        nextUnit() < p
    }
}
