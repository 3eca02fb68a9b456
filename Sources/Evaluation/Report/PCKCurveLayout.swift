import Foundation

/// Where a PCK-against-alpha plot puts things: the plot area, the mapping from (alpha, PCK) to
/// pixels and the ticks. Shared by the PNG (`PCKCurvePlot.render`) and SVG (`PCKCurvePlot.svg`)
/// renderers, so both draw the same figure.
public struct PCKCurveLayout: Sendable {
    public let width: Int
    public let height: Int
    /// Plot area edges in pixels (x grows right, y grows down).
    public let left: Int
    public let right: Int
    public let top: Int
    public let bottom: Int
    /// The largest alpha on the x axis: the series' largest (0.2 for `PCKCurvePlot.defaultAlphas`,
    /// more for `PCKCurvePlot.alphas(reaching:)` of a larger report alpha), 0.2 without series.
    public let xMax: Double
    /// The top of the y axis: the next multiple of 0.1 above the highest value, a band's
    /// included (0.1 ... 1).
    public let yMax: Double

    public init(_ series: [CurveSeries], width: Int, height: Int) {
        self.width = width
        self.height = height
        left = 96
        right = width - 32
        top = 64
        bottom = height - 84
        xMax = series.flatMap(\.alphas).max() ?? 0.2
        // A band's top counts too (with no band, the curves' highest value alone).
        let highest =
            series.flatMap { $0.values.compactMap { $0 } + ($0.band?.intervals.compactMap { $0?.high } ?? []) }
            .max() ?? 0
        yMax = min(1, max(0.1, (highest * 10 - 1e-9).rounded(.up) / 10))
    }

    /// The x pixel of `alpha`.
    public func x(_ alpha: Double) -> Double { Double(left) + alpha / xMax * Double(right - left) }
    /// The y pixel of the PCK value `v` (0 ... 1).
    public func y(_ v: Double) -> Double { Double(bottom) - v / yMax * Double(bottom - top) }

    /// x ticks every 0.01, every fifth labelled (and given a grid line); beyond alpha 0.3 (a
    /// report at a larger alpha) every 0.05, every second labelled, so labels never crowd.
    public var xTicks: [(alpha: Double, labelled: Bool)] {
        let (step, labelEvery) = xMax <= 0.3 + 1e-9 ? (0.01, 5) : (0.05, 2)
        return (0...Int((xMax / step).rounded())).map { (Double($0) * step, $0 % labelEvery == 0) }
    }

    /// The widest a legend line may be: the plot area less the legend's margin (14), its sample
    /// line (56) and a right margin (10), so the legend box stays inside the plot.
    public var legendTextWidth: Double { Double(right - left - 14 - 56 - 10) }

    /// A legend label as lines no wider than `maxWidth` (text measured by `width`): broken at
    /// spaces, so the whole label shows, the PCK value at its end included (a label cut at a
    /// fixed length lost it); a word wider than a line is cut where it must be.
    public static func legendLines(_ label: String, maxWidth: Double, width: (String) -> Double) -> [String] {
        var lines: [String] = []
        var current = ""
        for word in label.split(separator: " ", omittingEmptySubsequences: false).map(String.init) {
            let joined = current.isEmpty ? word : current + " " + word
            if width(joined) <= maxWidth {
                current = joined
                continue
            }
            if !current.isEmpty { lines.append(current) }
            current = word
            // A word wider than a line: its longest fitting prefix (at least one character) per line.
            while width(current) > maxWidth && current.count > 1 {
                var n = current.count - 1
                while n > 1 && width(String(current.prefix(n))) > maxWidth { n -= 1 }
                lines.append(String(current.prefix(n)))
                current = String(current.dropFirst(n))
            }
        }
        if !current.isEmpty || lines.isEmpty { lines.append(current) }
        return lines
    }

    /// y ticks: the finest of 1, 2, 5, 10, 20% that gives at most 8 intervals.
    public var yTicks: [Double] {
        let step = [0.01, 0.02, 0.05, 0.1, 0.2].first { yMax / $0 <= 8 + 1e-9 } ?? 0.2
        let steps = max(1, Int((yMax / step).rounded()))
        return (0...steps).map { yMax * Double($0) / Double(steps) }
    }

    /// "0.05" for an x tick.
    public static func xLabel(_ alpha: Double) -> String { String(format: "%.2f", alpha) }

    /// "40%" or "2.5%" for a y tick.
    public static func yLabel(_ v: Double) -> String {
        let percent = v * 100
        return String(format: abs(percent - percent.rounded()) < 1e-6 ? "%.0f%%" : "%.1f%%", percent)
    }

    /// The label of the dashed line at the reported alpha.
    public static func markLabel(_ alpha: Double) -> String { "alpha = \(String(format: "%g", alpha))" }

    public static let xAxisTitle = "alpha  (correct if distance <= alpha x max(box width, box height))"
    public static let yAxisTitle = "PCK"
}
