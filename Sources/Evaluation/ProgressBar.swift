import Foundation
import KeypointsSupport

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// One-line progress of an evaluation: bar, images done, rate, ETA and the running PCK.
///
/// `[########--------------]  37/100 images  2.3 img/s  ETA 0:27  PCK@0.1 41.2%  (12 resumed, 1 skipped)`
public struct ProgressBar: Sendable {
    public var barWidth: Int
    public var alpha: Double

    public init(alpha: Double, barWidth: Int = 24) {
        self.alpha = alpha
        self.barWidth = barWidth
    }

    public func render(_ p: EvalProgress) -> String {
        let fraction = p.total > 0 ? Double(p.finished) / Double(p.total) : 1
        var s = ProgressText.bar(fraction: fraction, width: barWidth)
        s += " \(p.finished)/\(p.total) images"
        let doneNow = p.finished - p.alreadyDone
        if doneNow > 0 && p.elapsed > 0 {
            let rate = Double(doneNow) / p.elapsed
            s += rate >= 1 ? String(format: "  %.1f img/s", rate) : String(format: "  %.1f s/img", 1 / rate)
            s += "  ETA " + ProgressText.duration(Double(p.total - p.finished) / rate)
        }
        s += "  PCK@\(String(format: "%g", alpha)) " + (p.runningPCK.map { String(format: "%.1f%%", 100 * $0) } ?? "-")
        var extra: [String] = []
        if p.alreadyDone > 0 { extra.append("\(p.alreadyDone) resumed") }
        if p.skipped > 0 { extra.append("\(p.skipped) skipped") }
        if !extra.isEmpty { s += "  (" + extra.joined(separator: ", ") + ")" }
        return s
    }
}

/// Writes a `ProgressBar` to stderr: redrawn in place at most `interval` apart on a terminal;
/// otherwise (logs, pipes) one line per 10% of the work.
public final class ProgressReporter {
    public let bar: ProgressBar
    public let interval: Double
    private let isTerminal: Bool
    /// When the bar was last drawn (`Stopwatch.now()` seconds).
    private var lastDraw = -Double.infinity
    private var lastDecile = -1
    private var drewInPlace = false

    public init(bar: ProgressBar, interval: Double = 0.1) {
        self.bar = bar
        self.interval = interval
        self.isTerminal = isatty(STDERR_FILENO) == 1
    }

    public func update(_ p: EvalProgress) {
        let finishedAll = p.finished >= p.total
        if isTerminal {
            let now = Stopwatch.now()
            guard finishedAll || now - lastDraw >= interval else { return }
            lastDraw = now
            emit("\r" + bar.render(p) + "\u{1B}[K")
            drewInPlace = true
        } else {
            let decile = p.total > 0 ? p.finished * 10 / p.total : 10
            guard decile > lastDecile else { return }
            lastDecile = decile
            emit(bar.render(p) + "\n")
        }
    }

    /// Ends an in-place line.
    public func finish() {
        if drewInPlace { emit("\n") }
        drewInPlace = false
    }

    private func emit(_ s: String) {
        FileHandle.standardError.write(Data(s.utf8))
    }
}
