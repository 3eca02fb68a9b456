import Foundation
import Imaging

/// The PCK-against-alpha plot as SVG (hand-written, no library): the same layout, ticks, labels,
/// colours and data as the PNG of `PCKCurvePlot.render`, in vector form for papers. Each series
/// is one `<polyline class="curve">` whose points are (x, y) pixels of the layout
/// (`PCKCurveLayout.x(alpha)`, `PCKCurveLayout.y(pck)`), in the order of the series' alphas;
/// alphas without keypoints (nil PCK) are left out. A series with a bootstrap band has, before
/// all the polylines, one `<path class="band">` with `fill-opacity` (`bandOpacity`): per stretch
/// of alphas with intervals, a closed outline along the interval's high ends, left to right,
/// and back along its low ends; the legend then ends with the band's note.
extension PCKCurvePlot {
    /// The SVG document (UTF-8 text).
    public static func svg(
        _ series: [CurveSeries], title: String, markAlpha: Double? = 0.1,
        width: Int = 960, height: Int = 600
    ) -> String {
        let layout = PCKCurveLayout(series, width: width, height: height)
        let (left, right, top, bottom) = (
            Double(layout.left), Double(layout.right), Double(layout.top), Double(layout.bottom)
        )
        var out = """
            <?xml version="1.0" encoding="UTF-8"?>
            <svg xmlns="http://www.w3.org/2000/svg" width="\(width)" height="\(height)" \
            viewBox="0 0 \(width) \(height)" font-family="DejaVu Sans, Helvetica, Arial, sans-serif">

            """
        func line(_ s: String) { out += s + "\n" }
        line(##"<rect x="0" y="0" width="\##(width)" height="\##(height)" fill="#ffffff"/>"##)
        line(
            ##"<text x="\##(fmt(Double(width) / 2))" y="34" font-size="20" text-anchor="middle">\##(escaped(title))</text>"##
        )

        // Grid and ticks.
        line(##"<g class="x-ticks" stroke-width="1">"##)
        for (a, labelled) in layout.xTicks {
            let x = fmt(layout.x(a))
            if labelled {
                line(
                    ##"<line x1="\##(x)" y1="\##(fmt(top))" x2="\##(x)" y2="\##(fmt(bottom))" stroke="\##(hex(grid))"/>"##
                )
                line(
                    ##"<text x="\##(x)" y="\##(fmt(bottom + 30))" font-size="14" text-anchor="middle" stroke="none">\##(PCKCurveLayout.xLabel(a))</text>"##
                )
            }
            line(
                ##"<line x1="\##(x)" y1="\##(fmt(bottom))" x2="\##(x)" y2="\##(fmt(bottom + (labelled ? 8 : 4)))" stroke="#000000"/>"##
            )
        }
        line("</g>")
        line(##"<g class="y-ticks" stroke-width="1">"##)
        for v in layout.yTicks {
            let y = fmt(layout.y(v))
            line(##"<line x1="\##(fmt(left))" y1="\##(y)" x2="\##(fmt(right))" y2="\##(y)" stroke="\##(hex(grid))"/>"##)
            line(##"<line x1="\##(fmt(left - 8))" y1="\##(y)" x2="\##(fmt(left))" y2="\##(y)" stroke="#000000"/>"##)
            line(
                ##"<text x="\##(fmt(left - 14))" y="\##(y)" font-size="14" text-anchor="end" dominant-baseline="middle" stroke="none">\##(PCKCurveLayout.yLabel(v))</text>"##
            )
        }
        line("</g>")

        // Reported alpha.
        if let m = markAlpha, m > 0, m <= layout.xMax {
            let x = fmt(layout.x(m))
            line(
                ##"<line class="mark" x1="\##(x)" y1="\##(fmt(top))" x2="\##(x)" y2="\##(fmt(bottom))" stroke="\##(hex(axisGrey))" stroke-width="2" stroke-dasharray="8 6"/>"##
            )
            // Centred on the line, or ending at the right margin where centring would cut it
            // (0.55 em per character at 14 px, as the legend estimates).
            let label = PCKCurveLayout.markLabel(m)
            let overflows = layout.x(m) + 7.7 * Double(label.count) / 2 > Double(width - 4)
            let anchor = overflows ? ##"x="\##(width - 4)" text-anchor="end""## : ##"x="\##(x)" text-anchor="middle""##
            line(
                ##"<text \##(anchor) y="\##(fmt(top - 8))" font-size="14" fill="\##(hex(axisGrey))">\##(escaped(label))</text>"##
            )
        }

        // Axes and their titles.
        line(
            ##"<path class="axes" d="M \##(fmt(left)) \##(fmt(top)) V \##(fmt(bottom)) H \##(fmt(right))" fill="none" stroke="#000000" stroke-width="2"/>"##
        )
        line(
            ##"<text x="\##(fmt((left + right) / 2))" y="\##(fmt(bottom + 62))" font-size="16" text-anchor="middle">\##(escaped(PCKCurveLayout.xAxisTitle))</text>"##
        )
        line(
            ##"<text x="\##(fmt(left))" y="\##(fmt(top - 24))" font-size="16" text-anchor="middle">\##(PCKCurveLayout.yAxisTitle)</text>"##
        )

        // Bands, all under all the curves.
        for (n, s) in series.enumerated() {
            guard let band = s.band else { continue }
            var outline = ""
            var stretch: [(x: Double, ci: ConfidenceInterval)] = []
            func close() {
                defer { stretch = [] }
                guard stretch.count > 1 else { return }
                let upper = stretch.map { "\(fmt($0.x)),\(fmt(layout.y($0.ci.high)))" }
                let lower = stretch.reversed().map { "\(fmt($0.x)),\(fmt(layout.y($0.ci.low)))" }
                outline += (outline.isEmpty ? "" : " ") + "M " + (upper + lower).joined(separator: " L ") + " Z"
            }
            for (a, ci) in zip(s.alphas, band.intervals) {
                if let ci { stretch.append((layout.x(a), ci)) } else { close() }
            }
            close()
            line(
                ##"<path class="band" data-label="\##(escaped(s.label))" d="\##(outline)" fill="\##(hex(palette[n % palette.count]))" fill-opacity="\##(bandOpacity)" stroke="none"/>"##
            )
        }

        // Curves.
        for (n, s) in series.enumerated() {
            let points = zip(s.alphas, s.values).compactMap { a, v in
                v.map { "\(fmt(layout.x(a))),\(fmt(layout.y($0)))" }
            }
            line(
                ##"<polyline class="curve" data-label="\##(escaped(s.label))" points="\##(points.joined(separator: " "))" fill="none" stroke="\##(hex(palette[n % palette.count]))" stroke-width="3" stroke-linejoin="round" stroke-linecap="round"/>"##
            )
        }

        // Legend, top left inside the plot; a label too long for one line wraps onto more.
        if !series.isEmpty {
            let rowHeight = 24.0
            let lineHeight = 18.0
            // Text width estimate: 0.55 em per character at 14 px (DejaVu Sans and Helvetica
            // average about 0.5 to 0.55 em on such labels).
            func textWidth(_ s: String) -> Double { 7.7 * Double(s.count) }
            let labels = series.map {
                PCKCurveLayout.legendLines($0.label, maxWidth: layout.legendTextWidth, width: textWidth)
            }
            // With bands, a last row: a swatch of band fill and what the shading is.
            let note = bandLevel(series).map { bandNote(level: $0) }
            let boxW = 56 + ((labels.joined() + (note.map { [$0] } ?? [])).map(textWidth).max() ?? 0)
            let boxH =
                labels.reduce(10) { $0 + rowHeight + Double($1.count - 1) * lineHeight } + (note == nil ? 0 : rowHeight)
            let bx = left + 14
            let by = top + 10
            line(##"<g class="legend">"##)
            line(
                ##"<rect x="\##(fmt(bx))" y="\##(fmt(by))" width="\##(fmt(boxW))" height="\##(fmt(boxH))" fill="#ffffff" stroke="\##(hex(axisGrey))"/>"##
            )
            var rowTop = by + 5
            for (n, lines) in labels.enumerated() {
                let cy = rowTop + rowHeight / 2
                line(
                    ##"<line x1="\##(fmt(bx + 10))" y1="\##(fmt(cy))" x2="\##(fmt(bx + 42))" y2="\##(fmt(cy))" stroke="\##(hex(palette[n % palette.count]))" stroke-width="3" stroke-linecap="round"/>"##
                )
                for (i, text) in lines.enumerated() {
                    line(
                        ##"<text x="\##(fmt(bx + 50))" y="\##(fmt(cy + Double(i) * lineHeight))" font-size="14" dominant-baseline="middle">\##(escaped(text))</text>"##
                    )
                }
                rowTop += rowHeight + Double(lines.count - 1) * lineHeight
            }
            if let note {
                let cy = rowTop + rowHeight / 2
                line(
                    ##"<rect class="band-swatch" x="\##(fmt(bx + 10))" y="\##(fmt(cy - 7))" width="32" height="14" fill="\##(hex(axisGrey))" fill-opacity="\##(bandOpacity)"/>"##
                )
                line(
                    ##"<text x="\##(fmt(bx + 50))" y="\##(fmt(cy))" font-size="14" dominant-baseline="middle">\##(escaped(note))</text>"##
                )
            }
            line("</g>")
        }
        line("</svg>")
        return out
    }

    /// A coordinate with at most two decimals ("96", "374.75").
    static func fmt(_ v: Double) -> String {
        let s = String(format: "%.2f", v)
        var t = Substring(s)
        while t.hasSuffix("0") { t = t.dropLast() }
        if t.hasSuffix(".") { t = t.dropLast() }
        return t == "-0" ? "0" : String(t)
    }

    /// "#1f77b4".
    static func hex(_ c: RGB) -> String { String(format: "#%02x%02x%02x", c.r, c.g, c.b) }

    /// Text made safe for XML character data and attribute values.
    static func escaped(_ s: String) -> String {
        var out = ""
        for ch in s.unicodeScalars {
            switch ch {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            default:
                // Control characters are not allowed in XML 1.0; drop them.
                if ch.value < 0x20 && ch != "\t" && ch != "\n" { continue }
                out.unicodeScalars.append(ch)
            }
        }
        return out
    }
}
