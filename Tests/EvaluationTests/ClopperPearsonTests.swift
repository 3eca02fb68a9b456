import Foundation
import Testing

@testable import Evaluation

/// The exact binomial (Clopper-Pearson) interval at any count x of n
/// (`PCKBootstrap.exactBinomial(successes:trials:level:)`) and the beta functions under it
/// (`BetaDistribution`): against scipy on a committed table, against the naive reference, and
/// the interval's order properties.
@Suite struct ClopperPearsonTests {
    /// Relative to the bound (absolute below 1e-300, where only 0 lands): scipy's Boost
    /// `ibeta_inv` is good to about 1e-15; ours loses to rounding in the continued fraction's
    /// factor, exp of terms up to about n log n (1e5 at n = 10,000: an ulp there is 1.5e-11),
    /// measured 2.0e-11 at worst over the table (n = 10,000).
    static let scipyTolerance = 1e-10

    static func relativeError(_ a: Double, _ b: Double) -> Double {
        abs(a - b) / max(abs(b), 1e-300)
    }

    /// Every case of clopper_pearson.json (made by make_clopper_pearson.py beside it, scipy
    /// 1.17.1 `beta.ppf`, checked there against `binomtest(x, n).proportion_ci(level, 'exact')`):
    /// n from 1 to 10,000, x at 0, 1, 2, about n / 2, n - 2, n - 1 and n, levels 0.5, 0.9,
    /// 0.95 and 0.99. The interval records n.
    @Test func matchesScipyOnTheCommittedTable() throws {
        let url = Fixtures.folder.appendingPathComponent("bootstrap/clopper_pearson.json")
        let table = try #require(JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
        #expect(table["scipy"] as? String == "1.17.1", "re-run make_clopper_pearson.py: \(url.path)")
        let cases = try #require(table["cases"] as? [[String: Any]], "cases in \(url.path)")
        #expect(cases.count == 388, "re-run make_clopper_pearson.py")
        #expect(Set(cases.compactMap { $0["level"] as? Double }) == [0.5, 0.9, 0.95, 0.99])
        #expect(cases.compactMap { $0["n"] as? Int }.max() == 10_000)
        for c in cases {
            let (x, n, level) = (
                try #require(c["x"] as? Int), try #require(c["n"] as? Int), try #require(c["level"] as? Double)
            )
            let (low, high) = (try #require(c["low"] as? Double), try #require(c["high"] as? Double))
            let ci = PCKBootstrap.exactBinomial(successes: x, trials: n, level: level)
            let errors = (Self.relativeError(ci.low, low), Self.relativeError(ci.high, high))
            #expect(
                errors.0 < Self.scipyTolerance && errors.1 < Self.scipyTolerance,
                "\(x) of \(n) at \(level): [\(ci.low), \(ci.high)], scipy [\(low), \(high)]")
            #expect(ci.method == .exactBinomial && ci.images == n, "\(x) of \(n)")
        }
    }

    /// The general bounds agree with the closed forms at x = 0 and x = n (1e-12, as
    /// PCKExactIntervalTests compares them): the quantile at x = 1 of n = 1 is the closed form's
    /// 0-of-1 mirror, and the 0 and n ends are the closed form itself.
    @Test func generalBoundsMeetTheClosedFormsAtTheEnds() {
        for n in [1, 2, 10, 98] {
            for level in [0.5, 0.95] {
                let tail = (1 - level) / 2
                let end = exp(log(tail) / Double(n))
                let none = PCKBootstrap.exactBinomial(successes: 0, trials: n, level: level)
                let all = PCKBootstrap.exactBinomial(successes: n, trials: n, level: level)
                #expect(none.low == 0 && abs(none.high - (1 - end)) < 1e-12, "0 of \(n)")
                #expect(all.high == 1 && abs(all.low - end) < 1e-12, "\(n) of \(n)")
                // The quantiles without the closed form give the same bounds.
                #expect(abs(BetaDistribution.quantile(tail, a: Double(n), b: 1) - end) < 1e-12, "n = \(n)")
                #expect(abs(BetaDistribution.quantile(1 - tail, a: 1, b: Double(n)) - (1 - end)) < 1e-12, "n = \(n)")
            }
        }
    }

    /// For whole a and b, the continued fraction equals the binomial tail sum
    /// (`referenceCDF`), and the quantile inverts it: I at the quantile is p, and the quantile
    /// equals the reference's bisection.
    @Test func cdfAndQuantileMatchTheNaiveReference() {
        for (a, b) in [(1, 1), (1, 7), (7, 1), (2, 44), (45, 9), (30, 30), (3, 150), (150, 151)] {
            for x in [1e-6, 0.001, 0.02, 0.2, 0.5, 0.7, 0.93, 0.999] {
                let fast = BetaDistribution.cdf(x, a: Double(a), b: Double(b))
                let naive = BetaDistribution.referenceCDF(x, a: a, b: b)
                #expect(abs(fast - naive) < Self.referenceTolerance, "I_\(x)(\(a), \(b)): \(fast) against \(naive)")
            }
            for p in [0.005, 0.025, 0.25, 0.75, 0.975, 0.995] {
                let q = BetaDistribution.quantile(p, a: Double(a), b: Double(b))
                let naive = BetaDistribution.referenceQuantile(p, a: a, b: b)
                #expect(abs(BetaDistribution.cdf(q, a: Double(a), b: Double(b)) - p) < Self.referenceTolerance)
                #expect(Self.relativeError(q, naive) < 1e-9, "Q(\(p); \(a), \(b)): \(q) against \(naive)")
            }
        }
    }

    /// The tail sum's terms rounded one by one: a few hundred ulps of 1 at most, for the sums
    /// here (a + b up to 301).
    static let referenceTolerance = 1e-12

    /// For a fixed n and level, both bounds rise strictly with x, and x / n lies inside: every
    /// x of n = 1, 2, 7, 45, 200 and 1,000 at four levels.
    @Test func boundsRiseWithSuccessesAndHoldTheProportion() {
        for n in [1, 2, 7, 45, 200, 1000] {
            for level in [0.5, 0.9, 0.95, 0.99] {
                var previous: ConfidenceInterval?
                for x in 0...n {
                    let ci = PCKBootstrap.exactBinomial(successes: x, trials: n, level: level)
                    let p = Double(x) / Double(n)
                    #expect(ci.low <= p && p <= ci.high, "\(x) of \(n) at \(level): [\(ci.low), \(ci.high)]")
                    #expect(ci.low >= 0 && ci.high <= 1 && ci.low < ci.high)
                    if let previous {
                        #expect(
                            previous.low < ci.low && previous.high < ci.high,
                            "\(x - 1) to \(x) of \(n) at \(level): [\(previous.low), \(previous.high)] to [\(ci.low), \(ci.high)]"
                        )
                    }
                    previous = ci
                }
            }
        }
    }
}
