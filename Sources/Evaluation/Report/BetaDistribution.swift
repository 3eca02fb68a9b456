import Foundation

/// The beta distribution's CDF (the regularized incomplete beta function I_x(a, b)) and its
/// quantile, for the exact binomial (Clopper-Pearson) intervals of `PCKBootstrap.exactBinomial`:
/// x successes in n trials at `level` give [Q((1 - level) / 2; x, n - x + 1), Q(1 - (1 - level) / 2;
/// x + 1, n - x)].
///
/// Method: I_x(a, b) = x^a (1 - x)^b / (a B(a, b)) times a continued fraction (the one of
/// Numerical Recipes' `betacf`, DLMF 8.17.22), evaluated by the modified Lentz algorithm where it
/// converges fast, x < (a + 1) / (a + b + 2), and through I_x(a, b) = 1 - I_{1-x}(b, a) beyond;
/// log B(a, b) from Foundation's `lgamma`. The quantile is a safeguarded Newton iteration: a
/// Newton step on I_x(a, b) - p (the derivative is the density) taken only while it stays inside
/// the bracket that every evaluation narrows, a bisection step otherwise, until the bracket or
/// the step is within `quantileTolerance` of x. `BetaDistribution+Reference.swift` has a naive
/// reference for integer a and b (a binomial tail sum) to test against.
///
/// Accuracy: the continued fraction converges to `Double.ulpOfOne`; the factor before it is
/// exp of a sum of terms as large as n log n (about 1e5 at n = 10,000), whose rounding leaves a
/// relative error near 1e-11 there (1e-15 for small n), the quantile's error likewise.
public enum BetaDistribution {
    /// I_x(a, b) for a, b > 0 and x in [0, 1]: P(X <= x) for X ~ Beta(a, b).
    public static func cdf(_ x: Double, a: Double, b: Double) -> Double {
        precondition(a > 0 && b > 0 && x >= 0 && x <= 1, "I_x(a, b) needs a, b > 0 and x in [0, 1]")
        if x == 0 { return 0 }
        if x == 1 { return 1 }
        if x < (a + 1) / (a + b + 2) {
            return front(x, a: a, b: b) * continuedFraction(x, a: a, b: b) / a
        }
        return 1 - front(1 - x, a: b, b: a) * continuedFraction(1 - x, a: b, b: a) / b
    }

    /// The density x^(a-1) (1 - x)^(b-1) / B(a, b) at x in (0, 1): the derivative of `cdf`.
    public static func density(_ x: Double, a: Double, b: Double) -> Double {
        exp((a - 1) * log(x) + (b - 1) * log1p(-x) - logBeta(a, b))
    }

    /// log B(a, b) = log Γ(a) + log Γ(b) - log Γ(a + b).
    static func logBeta(_ a: Double, _ b: Double) -> Double {
        lgamma(a) + lgamma(b) - lgamma(a + b)
    }

    /// x^a (1 - x)^b / B(a, b), in logs: the factor of the continued fraction.
    static func front(_ x: Double, a: Double, b: Double) -> Double {
        exp(a * log(x) + b * log1p(-x) - logBeta(a, b))
    }

    /// Lentz's guard against a zero denominator (Numerical Recipes' FPMIN).
    static let tiny = 1e-300
    /// Iterations of the continued fraction at most: it needs O(sqrt(max(a, b))) where it is
    /// used (x below the mean's neighbourhood), a few hundred at n = 10,000.
    static let maxIterations = 100_000

    /// The continued fraction of I_x(a, b) (DLMF 8.17.22), modified Lentz: terms
    /// d_{2m+1} = -(a + m)(a + b + m) x / ((a + 2m)(a + 2m + 1)) and
    /// d_{2m} = m (b - m) x / ((a + 2m - 1)(a + 2m)), until a step changes it by under an ulp.
    static func continuedFraction(_ x: Double, a: Double, b: Double) -> Double {
        func guarded(_ v: Double) -> Double { abs(v) < tiny ? tiny : v }
        var c = 1.0
        var d = 1 / guarded(1 - (a + b) * x / (a + 1))
        var h = d
        for m in 1...maxIterations {
            let m = Double(m)
            let even = m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m))
            d = 1 / guarded(1 + even * d)
            c = guarded(1 + even / c)
            h *= d * c
            let odd = -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1))
            d = 1 / guarded(1 + odd * d)
            c = guarded(1 + odd / c)
            let step = d * c
            h *= step
            if abs(step - 1) <= Double.ulpOfOne { break }
        }
        return h
    }

    /// Where `quantile` stops: the bracket, or the last Newton step, within this fraction of x.
    public static let quantileTolerance = 1e-14
    /// Newton or bisection steps of `quantile` at most: bisection alone halves [0, 1] to a
    /// relative 1e-14 at x near 1e-300 in about 1,050 steps.
    static let maxQuantileSteps = 2_000

    /// The x in [0, 1] with I_x(a, b) = p (a, b > 0, p in [0, 1]): Beta(a, b)'s p quantile.
    public static func quantile(_ p: Double, a: Double, b: Double) -> Double {
        precondition(a > 0 && b > 0 && p >= 0 && p <= 1, "the beta quantile needs a, b > 0 and p in [0, 1]")
        if p == 0 { return 0 }
        if p == 1 { return 1 }
        // I(lo) < p < I(hi) throughout; x the current point.
        var (lo, hi) = (0.0, 1.0)
        var x = a / (a + b)
        var lastStep = hi - lo
        for _ in 0..<maxQuantileSteps {
            let f = cdf(x, a: a, b: b) - p
            if f == 0 { return x }
            if f < 0 { lo = x } else { hi = x }
            if hi - lo <= quantileTolerance * x { return x }
            let step = f / density(x, a: a, b: b)
            let next: Double
            // Newton while it stays inside the bracket and at least halves the last step (so it
            // cannot wander); else (also a density of 0 or infinity: no step) bisect.
            if x - step > lo && x - step < hi && abs(step) <= lastStep / 2 {
                next = x - step
                lastStep = abs(step)
            } else {
                next = lo + (hi - lo) / 2
                lastStep = (hi - lo) / 2
            }
            if abs(next - x) <= quantileTolerance * next { return next }
            x = next
        }
        return x
    }
}
