import Foundation
import Imaging
import Testing

@testable import Evaluation

#if canImport(FoundationXML)
    import FoundationXML
#endif

@Suite struct CurvePlotTests {
    @Test func curvesAxesAndLegendAreDrawn() throws {
        let alphas = PCKCurvePlot.defaultAlphas
        let a = CurveSeries(label: "linear", alphas: alphas, values: alphas.map { $0 * 4 })  // 0 ... 0.8
        let b = CurveSeries(label: "flat", alphas: alphas, values: alphas.map { _ in 0.25 })
        let image = PCKCurvePlot.render([a, b], title: "test", markAlpha: 0.1, width: 960, height: 600)
        #expect(image.width == 960 && image.height == 600)
        // Plot area: x from 96 (alpha 0) to 928 (alpha 0.2); y from 516 (0) to 64 (0.8, the
        // next tenth above the highest value). "flat" = 0.25 lies at y = 516 - 0.25 / 0.8 * 452 = 374.75.
        let blue = PCKCurvePlot.palette[0]
        let orange = PCKCurvePlot.palette[1]
        #expect(image[700, 374] == orange || image[700, 375] == orange)
        // "linear" at alpha 0.15 (x = 720): value 0.6 -> y = 516 - 0.6 / 0.8 * 452 = 177.
        #expect((175...179).contains { image[720, $0] == blue })
        // Axes are black; the legend has both colours in its sample lines.
        #expect(image[96, 300] == RGB(0, 0, 0) && image[500, 516] == RGB(0, 0, 0))
        let legend = (74...130).flatMap { y in (120...150).map { image[$0, y] } }
        #expect(legend.contains(blue) && legend.contains(orange))
    }

    /// Writes the sample plot used for the visual check (kept in the temporary folder).
    @Test func writesAPNG() throws {
        let out = try Fixtures.temporaryFolder().appendingPathComponent("curve.png")
        let dataset = try Fixtures.dataset(.cub, split: .all)
        let runner = EvalRunner(dataset: dataset)
        var p: any KeypointPredictor = RandomPredictor()
        let store = ResultStore.inMemory(settings: try runner.settings(for: p))
        try runner.run(predictor: &p, store: store)
        let s = CurveSeries(label: "random on CUB fixture", records: store.images)
        try ImageCodec.writePNG(PCKCurvePlot.render([s], title: "PCK against alpha"), to: out)
        let decoded = try ImageCodec.decode(contentsOf: out)
        #expect(decoded.width == 960 && decoded.height == 600)
    }
}

/// Bootstrap bands (`report --curve --ci`) in the PNG and the SVG.
@Suite struct CurveBandPlotTests {
    /// "flat" at 0.25 with a band [0.15, 0.35] at every alpha but a gap at 0.12 ... 0.13;
    /// "linear" without one.
    static func series() -> [CurveSeries] {
        let alphas = PCKCurvePlot.defaultAlphas
        var flat = CurveSeries(label: "flat", alphas: alphas, values: alphas.map { _ in 0.25 })
        flat.band = CurveBand(
            level: 0.9,
            intervals: alphas.map { (0.12...0.13).contains($0) ? nil : ConfidenceInterval(low: 0.15, high: 0.35) })
        let linear = CurveSeries(label: "linear", alphas: alphas, values: alphas.map { $0 })
        return [flat, linear]
    }

    /// Inside the band, away from the line and the grid, the PNG has the line's colour at
    /// `bandOpacity` over white; without the band, white. The y axis reaches the band's top
    /// (0.35: up to 0.4). Plot area: x 96 (alpha 0) to 928 (0.2), y 516 (0) to 64 (0.4).
    @Test func pngFillsTheBandTranslucently() throws {
        var plain = Self.series()
        plain[0].band = nil
        let banded = PCKCurvePlot.render(Self.series(), title: "t")
        let without = PCKCurvePlot.render(plain, title: "t")
        let blue = PCKCurvePlot.palette[0]
        func over(_ c: UInt8) -> UInt8 {
            UInt8((255 * (1 - PCKCurvePlot.bandOpacity) + Double(c) * PCKCurvePlot.bandOpacity).rounded())
        }
        let fill = RGB(over(blue.r), over(blue.g), over(blue.b))
        #expect(fill == RGB(210, 228, 240))
        // alpha 0.17 (x = 803.2, right of the legend), PCK 0.32 (y = 516 - 0.32 / 0.4 * 452 =
        // 154.4) above the line and PCK 0.19 (y 301.3) below it (0.2 is a grid line).
        #expect(banded[803, 154] == fill && banded[803, 301] == fill)
        #expect(without[803, 154] == RGB(255, 255, 255) && without[803, 301] == RGB(255, 255, 255))
        // The line over the band (PCK 0.25, y 233.5); outside the band (PCK 0.37, y 97.9) and in
        // its gap (alpha 0.125, x 616): white.
        #expect(banded[803, 233] == blue)
        #expect(banded[803, 97] == RGB(255, 255, 255) && banded[616, 301] == RGB(255, 255, 255))
        // Only the series with a band has one: under "linear" at alpha 0.054 (x 320; PCK 0.04 at y 470) nothing.
        #expect(banded[320, 470] == RGB(255, 255, 255))
    }

    @Test func svgHasOneBandPathPerBandBeforeTheCurvesAndALegendNote() throws {
        let svg = PCKCurvePlot.svg(Self.series(), title: "t")
        let parsed = try SVGElements.parse(svg)
        let bands = parsed.paths.filter { $0["class"] == "band" }
        #expect(bands.count == 1 && bands[0]["data-label"] == "flat")
        #expect(bands[0]["fill"] == parsed.polylines[0]["stroke"] && bands[0]["fill-opacity"] == "0.2")
        #expect(bands[0]["stroke"] == "none")
        #expect(parsed.drawn.filter { $0 != "axes" } == ["band", "curve", "curve"])
        // Two stretches (the gap splits it): each its high edge from alpha 0 rightwards, then its
        // low edge back. PCK 0.35 -> y 120.5, 0.15 -> 346.5; alpha 0.119 -> x 591.04, 0.131 -> 640.96.
        let d = try #require(bands[0]["d"])
        let stretches = d.split(separator: "M ").map { String($0).trimmingCharacters(in: .whitespaces) }
        #expect(stretches.count == 2 && stretches.allSatisfy { $0.hasSuffix("Z") })
        #expect(stretches[0].hasPrefix("96,120.5 L ") && stretches[0].hasSuffix("L 96,346.5 Z"))
        #expect(stretches[0].contains("591.04,120.5 L 591.04,346.5"))
        #expect(stretches[1].hasPrefix("640.96,120.5 L ") && stretches[1].hasSuffix("L 640.96,346.5 Z"))
        #expect(parsed.texts.contains("shaded: pointwise 90% interval over images"))

        var plain = Self.series()
        plain[0].band = nil
        let without = PCKCurvePlot.svg(plain, title: "t")
        #expect(!without.contains("band") && !without.contains("fill-opacity") && !without.contains("shaded"))
    }
}

/// The elements of an SVG document that the tests look at (FoundationXML's parser on Linux).
final class SVGElements: NSObject, XMLParserDelegate {
    var polylines: [[String: String]] = []
    /// `<path>` elements (the axes, the bands) and, in document order, the classes of the
    /// paths and polylines.
    var paths: [[String: String]] = []
    var drawn: [String] = []
    var texts: [String] = []
    private var text: String?

    static func parse(_ svg: String) throws -> SVGElements {
        let collector = SVGElements()
        let parser = XMLParser(data: Data(svg.utf8))
        parser.delegate = collector
        guard parser.parse() else {
            throw CLIErrorForTest("SVG does not parse as XML: \(String(describing: parser.parserError))")
        }
        return collector
    }

    func parser(
        _ parser: XMLParser, didStartElement elementName: String, namespaceURI: String?, qualifiedName: String?,
        attributes: [String: String] = [:]
    ) {
        if elementName == "polyline" { polylines.append(attributes) }
        if elementName == "path" { paths.append(attributes) }
        if elementName == "polyline" || elementName == "path" { drawn.append(attributes["class"] ?? "") }
        if elementName == "text" { text = "" }
    }

    func parser(_ parser: XMLParser, foundCharacters string: String) { text? += string }

    func parser(_ parser: XMLParser, didEndElement elementName: String, namespaceURI: String?, qualifiedName: String?) {
        if elementName == "text", let t = text { texts.append(t) }
        text = nil
    }
}

struct CLIErrorForTest: Error, CustomStringConvertible {
    let description: String
    init(_ d: String) { description = d }
}

@Suite struct CurveSVGTests {
    /// Coordinates are written with two decimals.
    static let coordinateTolerance = 0.006

    @Test func polylinesMapThePCKValues() throws {
        let alphas = PCKCurvePlot.defaultAlphas
        let a = CurveSeries(label: "linear", alphas: alphas, values: alphas.map { $0 * 4 })  // 0 ... 0.8
        // A gap (no keypoints at small alphas) and a label that needs escaping.
        let b = CurveSeries(
            label: "flat <b> & \"c\"", alphas: alphas, values: alphas.map { $0 < 0.05 ? nil : 0.25 })
        let svg = PCKCurvePlot.svg([a, b], title: "PCK & co", markAlpha: 0.1, width: 960, height: 600)
        let parsed = try SVGElements.parse(svg)
        #expect(parsed.polylines.count == 2)
        #expect(parsed.texts.contains("PCK & co") && parsed.texts.contains("flat <b> & \"c\""))
        #expect(parsed.texts.contains("alpha = 0.1") && parsed.texts.contains("20%") && parsed.texts.contains("0.15"))
        let colours = parsed.polylines.map { $0["stroke"] ?? "" }
        #expect(colours == ["#1f77b4", "#ff7f0e"])  // PCKCurvePlot.palette[0], [1], as in the PNG
        // The same plot area as the PNG: x from 96 (alpha 0) to 928 (alpha 0.2), y from 516 (PCK 0)
        // to 64 (0.8, the next tenth above the highest value).
        for (polyline, series) in zip(parsed.polylines, [a, b]) {
            let points = try (polyline["points"] ?? "").split(separator: " ").map { pair -> (Double, Double) in
                let xy = pair.split(separator: ",").compactMap { Double($0) }
                guard xy.count == 2 else { throw CLIErrorForTest("bad point \(pair)") }
                return (xy[0], xy[1])
            }
            let expected = zip(series.alphas, series.values).compactMap { alpha, v in
                v.map { (96 + alpha / 0.2 * 832, 516 - $0 / 0.8 * 452) }
            }
            #expect(points.count == expected.count)
            for (p, e) in zip(points, expected) {
                #expect(abs(p.0 - e.0) <= Self.coordinateTolerance && abs(p.1 - e.1) <= Self.coordinateTolerance)
            }
        }
        // "flat" starts at alpha 0.05: 151 points; it lies at y = 516 - 0.25 / 0.8 * 452 = 374.75.
        #expect(parsed.polylines[1]["points"]?.hasPrefix("304,374.75 ") == true)
    }

    /// A legend label naming a visual prompt was cut at 70 characters, losing its PCK value:
    /// it wraps onto several lines and keeps it, in SVG and PNG alike.
    @Test func longLegendLabelsWrapAndKeepThePCKValue() throws {
        let alphas = PCKCurvePlot.defaultAlphas
        let label =
            "redcircle (visual_prompt marker cross rgb(255,0,0) r 0.06H t 0.01H, grid dense30.json, "
            + "precision fp32, backend fp32-onednn): PCK@0.1 12.3%, 31 keypoints"
        let series = [
            CurveSeries(label: "random: PCK@0.1 1.8%, 31 keypoints", alphas: alphas, values: alphas.map { $0 }),
            CurveSeries(label: label, alphas: alphas, values: alphas.map { $0 * 2 }),
        ]
        let parsed = try SVGElements.parse(PCKCurvePlot.svg(series, title: "t", markAlpha: 0.1))
        let layout = PCKCurveLayout(series, width: 960, height: 600)
        let svgLines = PCKCurveLayout.legendLines(label, maxWidth: layout.legendTextWidth) { 7.7 * Double($0.count) }
        #expect(svgLines.count > 1 && svgLines.joined(separator: " ") == label)
        #expect(svgLines.allSatisfy { parsed.texts.contains($0) }, "\(parsed.texts)")
        #expect(svgLines.last?.hasSuffix("PCK@0.1 12.3%, 31 keypoints") == true)
        // The PNG's font: every line fits the legend, none is cut.
        let font = TextStyle(height: 15, color: RGB(0, 0, 0))
        let pngLines = PCKCurveLayout.legendLines(label, maxWidth: layout.legendTextWidth) { font.width(of: $0) }
        #expect(pngLines.joined(separator: " ") == label)
        #expect(pngLines.allSatisfy { font.width(of: $0) <= layout.legendTextWidth })
        // Short labels stay on one line; a word longer than a line is split, not dropped.
        #expect(PCKCurveLayout.legendLines("random: PCK@0.1 1.8%", maxWidth: 500) { 7.7 * Double($0.count) }.count == 1)
        let word = String(repeating: "x", count: 30)
        let split = PCKCurveLayout.legendLines(word, maxWidth: 77) { 7.7 * Double($0.count) }
        #expect(split.joined() == word && split.allSatisfy { $0.count <= 10 })
        // The PNG legend grows to hold the extra lines: the second series' sample line is below
        // the first's, inside the white box, and the plot is drawn.
        let image = PCKCurvePlot.render(series, title: "t", markAlpha: 0.1)
        #expect(image.width == 960 && image.height == 600)
    }

    /// `report --alpha 0.5 --curve`: the axis reaches the report's alpha, so its dashed line is drawn.
    @Test func xAxisReachesTheReportsAlpha() throws {
        #expect(PCKCurvePlot.alphas(reaching: 0.1) == PCKCurvePlot.defaultAlphas)
        let alphas = PCKCurvePlot.alphas(reaching: 0.42)
        #expect(alphas.first == 0 && alphas.last == 0.45 && alphas.count == 451)
        #expect(PCKCurvePlot.alphas(reaching: 0.5).last == 0.55)
        let series = [CurveSeries(label: "a", alphas: alphas, values: alphas.map { _ in 0.5 })]
        let layout = PCKCurveLayout(series, width: 960, height: 600)
        #expect(layout.xMax == 0.45)
        let labelled = layout.xTicks.filter(\.labelled).map { PCKCurveLayout.xLabel($0.alpha) }
        #expect(labelled == ["0.00", "0.10", "0.20", "0.30", "0.40"])
        let parsed = try SVGElements.parse(PCKCurvePlot.svg(series, title: "t", markAlpha: 0.42))
        #expect(parsed.texts.contains("alpha = 0.42"))
    }
}
