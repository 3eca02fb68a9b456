import CLIP
import Foundation
import Imaging
import Testing

@testable import Localization

/// The crop baseline through the CLIP scorer (issue 10 item 5): what CLIP scores for a candidate
/// is the crop of the original photo encoded exactly like that crop saved as a PNG and encoded as
/// a whole photo; and with a mask, the crop baseline scores only candidates inside it.
@Suite struct CropBaselineTests {
    static var fixtures: URL { Repo.root.appendingPathComponent("Tests/CLIPTests/Fixtures") }

    /// Batched vs one-at-a-time forward passes: same math, different sgemm blocking (~1e-6).
    static let embeddingTolerance: Float = 1e-5

    static func bundle() throws -> CLIPBundle {
        try CLIPBundle.load(directory: fixtures.appendingPathComponent("models/tiny-quickgelu"))
    }

    @Test(
        "a candidate's crop encodes to the embedding of the same crop saved as a photo and encoded whole",
        arguments: [false, true])
    func cropEncodesLikeTheSavedCrop(cropToBox: Bool) throws {
        let bundle = try Self.bundle()
        let image = try ImageCodec.decode(contentsOf: Self.fixtures.appendingPathComponent("images/cow.jpg"))
        let localizer = Localizer(bundle: bundle, preset: try Repo.preset("fast"), workers: 2)
        var options = LocalizationOptions(fit: .pad, prompt: .crop(.standard))
        if cropToBox {
            options.box = Box(x: 10, y: 30, width: 80, height: 100)
            options.cropToBox = true
        }
        let (geometry, _, _) = try localizer.geometry(
            width: image.width, height: image.height, path: "cow.jpg", options: options)
        let renderer = try CandidateRenderer(prompt: options.prompt, photo: image.rgb, geometry: geometry)
        // Identity "text embeddings": the scores of a candidate are its image embedding.
        let e = bundle.model.embeddingDim
        var identity = [Float](repeating: 0, count: e * e)
        for i in 0..<e { identity[i * e + i] = 1 }
        let ws = Workspace(workers: 1)
        var scorer = CLIPScorer(
            model: bundle.model, preprocessor: bundle.preprocessor, renderer: renderer, textEmbeddings: identity,
            workspace: ws, batch: 4)
        // Interior, two corners (clamped windows) and a point near the box's edge.
        let points = [Point(x: 50.5, y: 80.2), Point(x: 1, y: 2), Point(x: 105, y: 159), Point(x: 12, y: 128)]
        let rows = try scorer.score(points)
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("kp-crop-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        for (i, p) in points.enumerated() {
            let w = try #require(renderer.cropWindow(at: p))
            let source = geometry.source
            #expect(
                w.x >= source.x && w.y >= source.y && w.maxX <= source.maxX && w.maxY <= source.maxY,
                "window \(w) outside \(source)")
            let url = dir.appendingPathComponent("crop\(i).png")
            try ImageCodec.encodePNG(image.rgb.cropped(x: w.x, y: w.y, width: w.width, height: w.height)).write(to: url)
            let saved = try ImageCodec.decode(contentsOf: url)
            let whole = try bundle.model.encodeImages(pixels: bundle.preprocessor.pixelValues(saved), workspace: ws)
            let diff = zip(rows[i], whole).map { abs($0 - $1) }.max() ?? .infinity
            #expect(rows[i].count == e && diff < Self.embeddingTolerance, "point \(p), window \(w): max diff \(diff)")
        }
        // Not the old behaviour (a piece of the 336 px canvas upsampled): the scored image is the
        // photo crop resized, which differs from the canvas crop for this downscaled photo.
        let canvas = try geometry.makeCanvas(from: image.rgb)
        #expect(renderer.render(at: points[0]) != canvas)
    }

    @Test("with a mask the crop baseline scores only candidates inside it, each inside its window")
    func cropBaselineStaysInsideTheMask() throws {
        let bundle = try Self.bundle()
        let image = try ImageCodec.decode(contentsOf: Self.fixtures.appendingPathComponent("images/bird.jpg"))
        let localizer = Localizer(bundle: bundle, preset: try Repo.preset("fast"), workers: 2)
        // Inside: x 90..<150, y 10..<60 (the photo is 160x120).
        let mask = PixelMask(box: Box(x: 90, y: 10, width: 60, height: 50), width: 160, height: 120)
        var options = LocalizationOptions(fit: .pad, prompt: .crop(.standard), mask: mask)
        let queries = try KeypointVocabulary.freeText(["beak", "tail"], template: "This is the {part} of a bird")
        let result = try localizer.localize(image, path: "bird.jpg", keypoints: queries, options: options)
        #expect(result.notes.isEmpty, "\(result.notes)")
        let (geometry, _, _) = try localizer.geometry(width: 160, height: 120, path: "bird.jpg", options: options)
        let renderer = try CandidateRenderer(prompt: options.prompt, photo: image.rgb, geometry: geometry)
        for k in 0..<2 {
            let samples = result.search.samples(keypoint: k)
            #expect(samples.count > 10)
            for s in samples {
                let p = Point(x: s.x, y: s.y)
                #expect(mask.contains(p), "candidate \(p) outside the mask")
                let w = try #require(renderer.cropWindow(at: p))
                #expect(s.x >= Double(w.x) && s.x < Double(w.maxX) && s.y >= Double(w.y) && s.y < Double(w.maxY))
            }
            #expect(mask.contains(result.keypoints[k].point))
        }
        // Without the mask the same search scores candidates outside it.
        options.mask = nil
        let free = try localizer.localize(image, path: "bird.jpg", keypoints: queries, options: options)
        #expect(free.search.samples(keypoint: 0).contains { !mask.contains(Point(x: $0.x, y: $0.y)) })
    }

    @Test("--save-marked's image for the crop prompt is the scored crop")
    func markedCanvasIsTheCrop() throws {
        let bundle = try Self.bundle()
        let image = try ImageCodec.decode(contentsOf: Self.fixtures.appendingPathComponent("images/bird.jpg"))
        let localizer = Localizer(bundle: bundle, preset: try Repo.preset("fast"), workers: 1)
        let options = LocalizationOptions(fit: .pad, prompt: .crop(.pixels(30)))
        let marked = try localizer.markedCanvas(image, path: "bird.jpg", at: Point(x: 40, y: 50), options: options)
        let crop = image.rgb.cropped(x: 25, y: 35, width: 30, height: 30)
        #expect(marked == bundle.preprocessor.resizedAndCropped(crop))
    }
}
