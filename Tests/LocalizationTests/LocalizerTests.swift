import CLIP
import Foundation
import Imaging
import Testing

@testable import Localization

/// The CLIP-backed search against an independent brute force: every dense-30 location is marked
/// by hand (MarkerRenderer on the canvas), encoded one image at a time, and compared with the
/// text embedding; the Localizer's dense30 answer must be that argmax, with the same score.
@Suite struct LocalizerTests {
    static var fixtures: URL { Repo.root.appendingPathComponent("Tests/CLIPTests/Fixtures") }

    /// Batched vs one-at-a-time forward passes: same math, different sgemm blocking (~1e-6).
    static let scoreTolerance: Float = 1e-5

    @Test(arguments: [FitMode.pad, .crop, .stretch])
    func dense30EqualsBruteForceArgmax(fit: FitMode) throws {
        let bundle = try CLIPBundle.load(directory: Self.fixtures.appendingPathComponent("models/tiny-quickgelu"))
        let image = try ImageCodec.decode(contentsOf: Self.fixtures.appendingPathComponent("images/cow.jpg"))
        let preset = try Repo.preset("dense30")
        let localizer = Localizer(bundle: bundle, preset: preset, workers: 2)
        var options = Localizer.defaultOptions(for: preset)
        options.fit = fit
        let queries = try KeypointVocabulary.freeText(
            ["nose", "tail"], template: "This image shows the {part} of the cow")
        let result = try localizer.localize(image, path: "cow.jpg", keypoints: queries, options: options)
        #expect(result.passes == 900)

        // Brute force, sharing no code with the search but the geometry and the marker.
        let (geometry, region, _) = try localizer.geometry(
            width: image.width, height: image.height, path: "cow.jpg", options: options)
        let canvas = try geometry.makeCanvas(from: image.rgb)
        let renderer = MarkerRenderer(style: .paper, shorterSide: bundle.model.imageSize)
        let ws = Workspace(workers: 1)
        let texts = try bundle.embedTexts(queries.map(\.prompt), workspace: ws)
        let e = bundle.model.embeddingDim
        var best: [(score: Float, x: Double, y: Double)] = Array(repeating: (-Float.infinity, 0, 0), count: 2)
        for j in 0..<30 {
            for i in 0..<30 {
                let x = region.x + (Double(i) + 0.5) * region.width / 30
                let y = region.y + (Double(j) + 0.5) * region.height / 30
                var marked = canvas
                renderer.draw(on: &marked, at: geometry.canvasPoint(fromImage: Point(x: x, y: y)))
                let emb = try bundle.model.encodeImages(pixels: bundle.preprocessor.pixelValues(marked), workspace: ws)
                for k in 0..<2 {
                    var s: Float = 0
                    for d in 0..<e { s += emb[d] * texts[k * e + d] }
                    if s > best[k].score + Self.scoreTolerance { best[k] = (s, x, y) }
                }
            }
        }
        for k in 0..<2 {
            let p = result.keypoints[k]
            #expect(
                abs(p.score - best[k].score) < Self.scoreTolerance, "\(fit) \(p.name): \(p.score) vs \(best[k].score)")
            #expect(
                abs(p.x - best[k].x) < 1e-9 && abs(p.y - best[k].y) < 1e-9,
                "\(fit) \(p.name): (\(p.x), \(p.y)) vs brute force (\(best[k].x), \(best[k].y))")
        }
    }
}
