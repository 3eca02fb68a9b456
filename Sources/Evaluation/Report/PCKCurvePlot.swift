import Foundation
import Imaging

/// One line of a PCK-against-alpha plot.
public struct CurveSeries: Sendable, Equatable {
    public var label: String
    public var alphas: [Double]
    /// PCK at each alpha (nil: no keypoints).
    public var values: [Double?]
    /// A pointwise bootstrap band, one interval per alpha (`PCKBootstrap.curveBand`), drawn as a
    /// translucent region around the line; nil: none (the plot is as without intervals).
    public var band: CurveBand? = nil

    public init(label: String, alphas: [Double], values: [Double?]) {
        precondition(alphas.count == values.count, "CurveSeries: \(alphas.count) alphas, \(values.count) values")
        self.label = label
        self.alphas = alphas
        self.values = values
    }

    /// The curve of `records` at `alphas`.
    public init(label: String, records: [ImageRecord], alphas: [Double] = PCKCurvePlot.defaultAlphas) {
        self.init(
            label: label, alphas: alphas,
            values: PCK.curve(sortedDistances: PCK.normalizedDistances(records), alphas: alphas))
    }
}

/// Rasterises PCK-against-alpha curves into an `RGBImage` (no plotting library): axes with ticks
/// and labels, light grid lines, a dashed line at the reported alpha, one coloured line per
/// series over its translucent bootstrap band (when it has one: all bands under all lines) and
/// a legend, which names the bands' level.
public enum PCKCurvePlot {
    /// 0 to 0.2 in steps of 0.001.
    public static let defaultAlphas: [Double] = (0...200).map { Double($0) / 1000 }

    /// `defaultAlphas`, extended (same step) to the next multiple of 0.05 above `alpha` when
    /// `alpha` is beyond 0.2, so that the dashed line and the legend's PCK@alpha lie on the plot,
    /// clear of its right edge (`report --alpha 0.5 --curve` plots 0 to 0.55).
    public static func alphas(reaching alpha: Double) -> [Double] {
        guard alpha.isFinite, alpha > 0.2 else { return defaultAlphas }
        let end = (Int((min(alpha, 1) * 20 + 1e-9).rounded(.down)) + 1) * 50  // thousandths
        return (0...end).map { Double($0) / 1000 }
    }

    /// Line colours (matplotlib's tab10).
    public static let palette: [RGB] = [
        RGB(31, 119, 180), RGB(255, 127, 14), RGB(44, 160, 44), RGB(214, 39, 40), RGB(148, 103, 189),
        RGB(140, 86, 75), RGB(227, 119, 194), RGB(127, 127, 127), RGB(188, 189, 34), RGB(23, 190, 207),
    ]

    /// A band's fill: its line's colour at this opacity over what is below. Light enough that
    /// two overlapping bands and the grid stay visible, dark enough to see on white (about
    /// 80% white on the palette's colours).
    public static let bandOpacity = 0.2

    /// The legend's line for bands: "shaded: pointwise 95% interval over images" (a bootstrap
    /// interval, exact binomial where the curve is 0% or 100% or each image holds one keypoint:
    /// the legend does not name a method).
    public static func bandNote(level: Double) -> String {
        "shaded: pointwise " + String(format: "%g", 100 * level) + "% interval over images"
    }

    /// The level of the first series with a band: the legend's note (nil: no band).
    static func bandLevel(_ series: [CurveSeries]) -> Double? { series.lazy.compactMap(\.band).first?.level }

    static let black = RGB(0, 0, 0)
    static let grid = RGB(226, 226, 226)
    static let axisGrey = RGB(120, 120, 120)

    /// Draws the plot.
    /// - Parameters:
    ///   - series: one line each (colours cycle through `palette`).
    ///   - title: text above the plot.
    ///   - markAlpha: a dashed vertical line with a label (e.g. the 0.1 the paper reports), or nil.
    public static func render(
        _ series: [CurveSeries], title: String, markAlpha: Double? = 0.1,
        width: Int = 960, height: Int = 600
    ) -> RGBImage {
        var image = RGBImage(width: width, height: height, fill: RGB(255, 255, 255))
        let font = TextStyle(height: 17, color: black)
        let small = TextStyle(height: 15, color: black)
        let grey = TextStyle(height: 15, color: axisGrey)
        let layout = PCKCurveLayout(series, width: width, height: height)
        let (left, right, top, bottom) = (layout.left, layout.right, layout.top, layout.bottom)
        func px(_ a: Double) -> Double { layout.x(a) }
        func py(_ v: Double) -> Double { layout.y(v) }

        // Title.
        let t = font.fitted(title, maxWidth: Double(width - 20))
        font.draw(t, on: &image, x: (Double(width) - font.width(of: t)) / 2, y: 18)

        // Grid and ticks: x every 0.01 (labels every 0.05), y in 5 or 10 steps.
        for (a, labelled) in layout.xTicks {
            let x = Int(px(a).rounded())
            if labelled { fillRect(&image, x: x, y: top, w: 1, h: bottom - top, color: grid) }
            fillRect(&image, x: x, y: bottom, w: 1, h: labelled ? 8 : 4, color: black)
            if labelled {
                let s = PCKCurveLayout.xLabel(a)
                small.draw(s, on: &image, x: Double(x) - small.width(of: s) / 2, y: Double(bottom + 14))
            }
        }
        for v in layout.yTicks {
            let y = Int(py(v).rounded())
            fillRect(&image, x: left, y: y, w: right - left, h: 1, color: grid)
            fillRect(&image, x: left - 8, y: y, w: 8, h: 1, color: black)
            let s = PCKCurveLayout.yLabel(v)
            small.draw(s, on: &image, x: Double(left - 14) - small.width(of: s), y: Double(y) - small.height / 2)
        }

        // Reported alpha.
        if let m = markAlpha, m > 0, m <= layout.xMax {
            let x = Int(px(m).rounded())
            var y = top
            while y < bottom {
                fillRect(&image, x: x, y: y, w: 2, h: min(8, bottom - y), color: axisGrey)
                y += 14
            }
            // Label above the plot area, where no curve can cross it.
            let s = PCKCurveLayout.markLabel(m)
            let labelX = min(Double(x) - grey.width(of: s) / 2, Double(width - 4) - grey.width(of: s))
            grey.draw(s, on: &image, x: labelX, y: Double(top - 6) - grey.height)
        }

        // Axes and labels.
        fillRect(&image, x: left, y: top, w: 2, h: bottom - top + 1, color: black)
        fillRect(&image, x: left, y: bottom, w: right - left + 1, h: 2, color: black)
        let xLabel = PCKCurveLayout.xAxisTitle
        font.draw(xLabel, on: &image, x: (Double(left + right) - font.width(of: xLabel)) / 2, y: Double(bottom + 44))
        let yTitle = PCKCurveLayout.yAxisTitle
        font.draw(yTitle, on: &image, x: Double(left) - font.width(of: yTitle) / 2, y: Double(top - 28))

        // Bands, all under all the curves.
        for (n, s) in series.enumerated() {
            guard let band = s.band else { continue }
            fillBand(
                &image, xs: s.alphas.map(px), intervals: band.intervals.map { $0.map { (py($0.high), py($0.low)) } },
                color: palette[n % palette.count], opacity: bandOpacity)
        }

        // Curves.
        for (n, s) in series.enumerated() {
            let color = palette[n % palette.count]
            var previous: (Double, Double)? = nil
            for (a, v) in zip(s.alphas, s.values) {
                guard let v else {
                    previous = nil
                    continue
                }
                let p = (px(a), py(v))
                if let q = previous {
                    line(&image, from: q, to: p, radius: 1.6, color: color)
                } else {
                    line(&image, from: p, to: p, radius: 1.6, color: color)
                }
                previous = p
            }
        }

        // Legend, top left inside the plot; a label too long for one line wraps onto more.
        if !series.isEmpty {
            let rowHeight = Int(small.height.rounded(.up)) + 10
            let lineHeight = Int(small.height.rounded(.up)) + 4
            let labels = series.map {
                PCKCurveLayout.legendLines($0.label, maxWidth: layout.legendTextWidth) { small.width(of: $0) }
            }
            // With bands, a last row: a swatch of band fill and what the shading is.
            let note = bandLevel(series).map { bandNote(level: $0) }
            let texts = labels.joined() + (note.map { [$0] } ?? [])
            let boxW = 56 + Int((texts.map { small.width(of: $0) }.max() ?? 0).rounded(.up))
            let boxH =
                labels.reduce(10) { $0 + rowHeight + ($1.count - 1) * lineHeight } + (note == nil ? 0 : rowHeight)
            let bx = left + 14
            let by = top + 10
            fillRect(&image, x: bx, y: by, w: boxW, h: boxH, color: RGB(255, 255, 255))
            strokeRect(&image, x: bx, y: by, w: boxW, h: boxH, color: axisGrey)
            var rowTop = by + 5
            for (n, lines) in labels.enumerated() {
                let cy = rowTop + rowHeight / 2
                line(
                    &image, from: (Double(bx + 10), Double(cy)), to: (Double(bx + 42), Double(cy)), radius: 1.6,
                    color: palette[n % palette.count])
                for (i, text) in lines.enumerated() {
                    small.draw(
                        text, on: &image, x: Double(bx + 50), y: Double(cy + i * lineHeight) - small.height / 2)
                }
                rowTop += rowHeight + (lines.count - 1) * lineHeight
            }
            if let note {
                let cy = rowTop + rowHeight / 2
                fillBand(
                    &image, xs: [Double(bx + 10), Double(bx + 42)],
                    intervals: Array(repeating: (Double(cy - 7), Double(cy + 7)), count: 2), color: axisGrey,
                    opacity: bandOpacity)
                small.draw(note, on: &image, x: Double(bx + 50), y: Double(cy) - small.height / 2)
            }
        }
        return image
    }

    /// Blends `color` at `opacity` over the region between two edges given at the x pixel
    /// positions `xs` (ascending): at each, the (top, bottom) y pixels, nil for a gap. Each pixel
    /// whose centre lies between the edges (linearly interpolated between neighbouring
    /// positions, both present) is blended once.
    static func fillBand(
        _ image: inout RGBImage, xs: [Double], intervals: [(top: Double, bottom: Double)?], color: RGB,
        opacity: Double
    ) {
        let count = min(xs.count, intervals.count)
        guard count > 1 else { return }
        let W = image.width
        let H = image.height
        let firstColumn = max(0, Int(xs[0].rounded(.down)))
        let lastColumn = min(W - 1, Int(xs[count - 1].rounded(.up)))
        guard firstColumn <= lastColumn else { return }
        func blend(_ under: UInt8, _ over: UInt8) -> UInt8 {
            UInt8((Double(under) * (1 - opacity) + Double(over) * opacity).rounded())
        }
        var segment = 0
        image.pixels.withUnsafeMutableBufferPointer { p in
            for x in firstColumn...lastColumn {
                let cx = Double(x) + 0.5
                while segment < count - 2 && xs[segment + 1] < cx { segment += 1 }
                let (x0, x1) = (xs[segment], xs[segment + 1])
                guard cx >= x0, cx <= x1, x1 > x0, let a = intervals[segment], let b = intervals[segment + 1] else {
                    continue
                }
                let t = (cx - x0) / (x1 - x0)
                let top = a.top + (b.top - a.top) * t
                let bottom = a.bottom + (b.bottom - a.bottom) * t
                let firstRow = max(0, Int((top - 0.5).rounded(.up)))
                let lastRow = min(H - 1, Int((bottom - 0.5).rounded(.down)))
                guard firstRow <= lastRow else { continue }
                for y in firstRow...lastRow {
                    let o = (y * W + x) * 3
                    p[o] = blend(p[o], color.r)
                    p[o + 1] = blend(p[o + 1], color.g)
                    p[o + 2] = blend(p[o + 2], color.b)
                }
            }
        }
    }

    // MARK: - Drawing

    static func fillRect(_ image: inout RGBImage, x: Int, y: Int, w: Int, h: Int, color: RGB) {
        let x0 = max(0, x)
        let y0 = max(0, y)
        let x1 = min(image.width, x + w)
        let y1 = min(image.height, y + h)
        guard x1 > x0, y1 > y0 else { return }
        let W = image.width
        image.pixels.withUnsafeMutableBufferPointer { p in
            for yy in y0..<y1 {
                for xx in x0..<x1 {
                    let o = (yy * W + xx) * 3
                    p[o] = color.r
                    p[o + 1] = color.g
                    p[o + 2] = color.b
                }
            }
        }
    }

    static func strokeRect(_ image: inout RGBImage, x: Int, y: Int, w: Int, h: Int, color: RGB) {
        fillRect(&image, x: x, y: y, w: w, h: 1, color: color)
        fillRect(&image, x: x, y: y + h - 1, w: w, h: 1, color: color)
        fillRect(&image, x: x, y: y, w: 1, h: h, color: color)
        fillRect(&image, x: x + w - 1, y: y, w: 1, h: h, color: color)
    }

    /// A thick line: disks of `radius` stamped every half pixel along the segment (pixel (i, j)
    /// is inked when its centre (i + 0.5, j + 0.5) lies within `radius` of a stamp).
    static func line(
        _ image: inout RGBImage, from a: (Double, Double), to b: (Double, Double), radius: Double, color: RGB
    ) {
        let length = max(abs(b.0 - a.0), abs(b.1 - a.1))
        let steps = max(1, Int((length * 2).rounded(.up)))
        let W = image.width
        let H = image.height
        let r2 = radius * radius
        image.pixels.withUnsafeMutableBufferPointer { p in
            for s in 0...steps {
                let t = Double(s) / Double(steps)
                let cx = a.0 + (b.0 - a.0) * t
                let cy = a.1 + (b.1 - a.1) * t
                let xs = max(0, Int((cx - radius).rounded(.down)))
                let xe = min(W - 1, Int((cx + radius).rounded(.up)))
                let ys = max(0, Int((cy - radius).rounded(.down)))
                let ye = min(H - 1, Int((cy + radius).rounded(.up)))
                guard xs <= xe, ys <= ye else { continue }
                for yy in ys...ye {
                    for xx in xs...xe {
                        let dx = Double(xx) + 0.5 - cx
                        let dy = Double(yy) + 0.5 - cy
                        if dx * dx + dy * dy <= r2 {
                            let o = (yy * W + xx) * 3
                            p[o] = color.r
                            p[o + 1] = color.g
                            p[o + 2] = color.b
                        }
                    }
                }
            }
        }
    }
}
