import Foundation
import Imaging
import Testing

@testable import Evaluation

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
