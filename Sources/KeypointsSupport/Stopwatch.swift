import Foundation

/// Elapsed time on the monotonic clock (CLOCK_MONOTONIC: unaffected by changes of the wall
/// clock, unlike `Date`), for benchmarks, progress rates and run durations.
///
///     let watch = Stopwatch()
///     work()
///     print(watch.seconds)
public struct Stopwatch: Sendable {
    /// When the stopwatch started, in seconds on the monotonic clock.
    public let start: Double

    public init() { start = Self.now() }

    /// Seconds since `init`.
    public var seconds: Double { Self.now() - start }

    /// Seconds on the monotonic clock since an arbitrary fixed point (boot, on Linux).
    public static func now() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
    }

    /// The benchmarks' timing rule: `warmup` untimed calls of `body`, then calls until
    /// `minSeconds` have passed and at least `minIterations` were made.
    /// - Returns: seconds per call and the number of timed calls.
    public static func measure(
        warmup: Int = 1, minIterations: Int = 2, minSeconds: Double,
        _ body: () throws -> Void
    ) rethrows -> (seconds: Double, iterations: Int) {
        for _ in 0..<warmup { try body() }
        var iterations = 0
        let watch = Stopwatch()
        repeat {
            try body()
            iterations += 1
        } while iterations < minIterations || watch.seconds < minSeconds
        return (watch.seconds / Double(iterations), iterations)
    }
}
