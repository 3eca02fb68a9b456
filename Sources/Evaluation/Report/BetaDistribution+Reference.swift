import Foundation

extension BetaDistribution {
    /// Naive twin of `cdf` for whole a and b, written for clarity: I_x(a, b) is the chance of at
    /// least a successes in a + b - 1 trials of chance x, summed term by term (each binomial
    /// coefficient from a running sum of logs). Tests compare `cdf` and `quantile` with it.
    static func referenceCDF(_ x: Double, a: Int, b: Int) -> Double {
        precondition(a >= 1 && b >= 1 && x >= 0 && x <= 1)
        let n = a + b - 1
        if x == 0 { return 0 }
        if x == 1 { return 1 }
        // logFactorial[k] = log k!
        var logFactorial = [0.0]
        for k in 1...n { logFactorial.append(logFactorial[k - 1] + log(Double(k))) }
        var sum = 0.0
        for j in a...n {
            let logChoose = logFactorial[n] - logFactorial[j] - logFactorial[n - j]
            sum += exp(logChoose + Double(j) * log(x) + Double(n - j) * log1p(-x))
        }
        return min(sum, 1)
    }

    /// Naive twin of `quantile` for whole a and b: plain bisection of `referenceCDF` on [0, 1],
    /// `steps` halvings.
    static func referenceQuantile(_ p: Double, a: Int, b: Int, steps: Int = 200) -> Double {
        var (lo, hi) = (0.0, 1.0)
        for _ in 0..<steps {
            let mid = lo + (hi - lo) / 2
            if referenceCDF(mid, a: a, b: b) < p { lo = mid } else { hi = mid }
        }
        return lo + (hi - lo) / 2
    }
}
