import CLIP
import Foundation
import Imaging
import Localization
import ModelStore
import Tensor
import TensorDNNL
import Testing

/// The calls of examples/swift-library (README "Use from Swift") on the tiny random-weight test
/// model and the albatross photo, through the public API only (no `@testable`), as a package that
/// depends on KeypointsKit sees it. This suite runs the same calls in `swift test` (and checks
/// their answers), `LibraryDocumentationTests` keeps the README and the example equal, and `.ci/run`
/// builds the example package itself and runs it once after the tests.
@Suite struct LibraryExampleTests {
    static var model: URL { Repository.root.appendingPathComponent("Tests/CLIPTests/Fixtures/models/tiny-quickgelu") }
    static var photoPath: String { Repository.root.appendingPathComponent("examples/birds/albatross.jpg").path }
    static let parts = ["beak", "crown", "tail"]

    /// Embeddings are L2-normalised in fp32 (bf16 products still normalise in fp32): unit length
    /// to float rounding over E terms.
    static let unitNormTolerance: Float = 1e-4

    /// The same search run twice: OpenBLAS may block a product differently from one call to the
    /// next (its thread count is process-wide and suites run in parallel), ~1e-7 measured.
    static let rerunTolerance: Float = 1e-5

    /// The example's set-up: backend, bundle, preset, queries, photo, Localizer.
    struct Setup {
        let bundle: CLIPBundle
        let preset: GridPreset
        let queries: [KeypointQuery]
        let photo: DecodedImage
        let localizer: Localizer
    }

    static func setUp() throws -> Setup {
        let backend: any LinearBackend = try DNNLBackend.isSupported ? DNNLBackend() : SgemmBackend()
        let bundle = try CLIPBundle.load(directory: try ModelStore().resolve(model.path), backend: backend)
        let preset = try GridPreset.load(from: Repository.root.appendingPathComponent("grids/fast.json"))
        let vocabulary = try KeypointVocabulary.load(from: Repository.root.appendingPathComponent("keypoints/cub.json"))
        let queries = try vocabulary.queries(category: "bird", keypoints: parts)
        let photo = try ImageCodec.decode(contentsOf: URL(fileURLWithPath: photoPath))
        let localizer = Localizer(bundle: bundle, preset: preset, workers: ProcessInfo.processInfo.activeProcessorCount)
        return Setup(bundle: bundle, preset: preset, queries: queries, photo: photo, localizer: localizer)
    }

    @Test func localizesOnePredictionPerKeypointInsideThePhoto() throws {
        let s = try Self.setUp()
        let result = try s.localizer.localize(s.photo, path: Self.photoPath, keypoints: s.queries)
        #expect(result.width == s.photo.width && result.height == s.photo.height)
        #expect(result.keypoints.map(\.name) == Self.parts)
        #expect(result.keypoints.map(\.prompt) == Self.parts.map { "This is the \($0) of a bird" })
        #expect(result.passes > 0 && result.passes == result.search.points.count)
        if let budget = s.preset.budget { #expect(result.passes <= budget.passes * Self.parts.count) }
        for (k, p) in result.keypoints.enumerated() {
            #expect(p.score.isFinite, "\(p.name): score \(p.score)")
            #expect(
                p.x >= 0 && p.x < Double(s.photo.width) && p.y >= 0 && p.y < Double(s.photo.height),
                "\(p.name): (\(p.x), \(p.y)) outside the \(s.photo.width)x\(s.photo.height) photo")
            // The heatmap's samples are the keypoint's scored locations; its prediction is the best.
            let samples = result.scoreSamples(keypoint: k)
            #expect(!samples.isEmpty && samples.allSatisfy { $0.score.isFinite })
            let best = samples.map(\.score).max() ?? -.infinity
            #expect(Double(p.score) == best, "\(p.name): prediction \(p.score), best sample \(best)")
            #expect(samples.contains { $0.point == p.point && $0.score == Double(p.score) })
        }
        #expect(result.labeledPoints.map(\.name) == Self.parts)
        #expect(result.labeledPoints.map(\.point) == result.keypoints.map(\.point))
    }

    /// `localize` without options is `localize` with `Localizer.defaultOptions(for: preset)`.
    @Test func defaultOptionsOverloadEqualsExplicitOptions() throws {
        let s = try Self.setUp()
        let implicit = try s.localizer.localize(s.photo, path: Self.photoPath, keypoints: s.queries)
        let explicit = try s.localizer.localize(
            s.photo, path: Self.photoPath, keypoints: s.queries, options: Localizer.defaultOptions(for: s.preset))
        #expect(implicit.search.points.map(\.point) == explicit.search.points.map(\.point))
        #expect(implicit.keypoints.map(\.point) == explicit.keypoints.map(\.point))
        for (a, b) in zip(implicit.keypoints, explicit.keypoints) {
            #expect(a.name == b.name && a.stage == b.stage)
            #expect(abs(a.score - b.score) <= Self.rerunTolerance, "\(a.name): \(a.score) vs \(b.score)")
        }
    }

    @Test func writesDecodableOverlayAndHeatmaps() throws {
        let s = try Self.setUp()
        let result = try s.localizer.localize(s.photo, path: Self.photoPath, keypoints: s.queries)
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("kp-library-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)

        let overlayURL = folder.appendingPathComponent("overlay.png")
        try OverlayRenderer().writePNG(to: overlayURL, photo: s.photo.rgb, points: result.labeledPoints)
        let overlay = try ImageCodec.decode(contentsOf: overlayURL)
        #expect(overlay.width == s.photo.width && overlay.height >= s.photo.height)
        // A dot of one of the keypoints' colours covers the prediction's pixel.
        let p = result.keypoints[0]
        let pixel = overlay.rgb[Int(p.x), Int(p.y)]
        #expect(
            (0..<result.keypoints.count).map(OverlayRenderer.color(forIndex:)).contains(pixel),
            "overlay pixel \(pixel) at the prediction (\(p.x), \(p.y)) is no keypoint's colour")

        for (k, p) in result.keypoints.enumerated() {
            let url = folder.appendingPathComponent("heatmap-\(p.name).png")
            try HeatmapRenderer().writePNG(
                to: url, photo: s.photo.rgb, samples: result.scoreSamples(keypoint: k), prediction: p.point,
                title: p.prompt)
            let heatmap = try ImageCodec.decode(contentsOf: url)
            // The photo with a margin, a title above and a colour bar below.
            #expect(heatmap.width > s.photo.width && heatmap.height > s.photo.height, "\(url.lastPathComponent)")
        }
    }

    @Test func embedsCaptionsAndPhotoAsUnitVectors() throws {
        let s = try Self.setUp()
        let captions = ["a photo of a bird", "a photo of a dog"]
        let texts = try s.bundle.embedTexts(captions, workspace: s.localizer.workspace)
        let image = s.bundle.embedImages([s.photo], workspace: s.localizer.workspace)
        let e = s.bundle.model.embeddingDim
        #expect(texts.count == captions.count * e && image.count == e)
        for row in 0..<captions.count {
            let norm = texts[(row * e)..<((row + 1) * e)].map { $0 * $0 }.reduce(0, +).squareRoot()
            #expect(abs(norm - 1) < Self.unitNormTolerance, "caption \(row): norm \(norm)")
        }
        let norm = image.map { $0 * $0 }.reduce(0, +).squareRoot()
        #expect(abs(norm - 1) < Self.unitNormTolerance, "photo: norm \(norm)")
        // Two different captions embed differently.
        #expect(texts[0..<e] != texts[e..<(2 * e)])
    }

    /// An empty caption is a typed error naming the text, not a crash.
    @Test func emptyCaptionIsATypedError() throws {
        let s = try Self.setUp()
        #expect(throws: CLIPError.self) { try s.bundle.embedTexts(["a bird", "  "], workspace: s.localizer.workspace) }
    }
}

/// The repository's root, found from this file (README, examples/, grids/ and keypoints/ sit
/// outside the targets, so they cannot be SwiftPM resources).
enum Repository {
    static let root: URL = URL(fileURLWithPath: #filePath).resolvingSymlinksInPath()
        .deletingLastPathComponent()  // KeypointsKitTests
        .deletingLastPathComponent()  // Tests
        .deletingLastPathComponent()

    static func text(_ path: String) throws -> String {
        try String(contentsOf: root.appendingPathComponent(path), encoding: .utf8)
    }
}
