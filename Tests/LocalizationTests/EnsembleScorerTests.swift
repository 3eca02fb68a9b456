import CLIP
import Foundation
import Imaging
import Testing

@testable import Localization

/// The visual-prompt ensemble through the CLIP scorer, on the committed random-weight model
/// (Tests/CLIPTests/Fixtures/models/tiny-quickgelu): a candidate's score is the mean over the
/// members of the scores each member gets alone; one member scores exactly as before ensembles;
/// forward passes never exceed the batch; the search counts every image as a pass.
@Suite struct EnsembleScorerTests {
    static var fixtures: URL { Repo.root.appendingPathComponent("Tests/CLIPTests/Fixtures") }

    /// Two scorers encoding the same image: same math, but OpenBLAS's blocking and threading
    /// differ with the batch and with concurrent tests (bitwise when run alone; ~1e-7 seen).
    static let batchingTolerance: Float = 1e-5

    static func maxDifference(_ a: [[Float]], _ b: [[Float]]) -> Float {
        guard a.count == b.count, zip(a, b).allSatisfy({ $0.count == $1.count }) else { return .infinity }
        return zip(a.joined(), b.joined()).map { abs($0 - $1) }.max() ?? 0
    }

    static let points = [
        Point(x: 50.5, y: 80.2), Point(x: 1, y: 2), Point(x: 105, y: 159), Point(x: 12, y: 128), Point(x: 70, y: 33),
    ]

    struct Setup {
        let bundle: CLIPBundle
        let image: DecodedImage
        let geometry: CanvasGeometry
        /// (K, E) L2-normalised text embeddings of three prompts.
        let texts: [Float]
        let workspace = Workspace(workers: 1)

        func scorer(_ prompt: VisualPrompt, batch: Int, texts: [Float]? = nil) throws -> CLIPScorer {
            CLIPScorer(
                model: bundle.model, preprocessor: bundle.preprocessor,
                renderers: try CandidateRenderer.members(of: prompt, photo: image.rgb, geometry: geometry),
                textEmbeddings: texts ?? self.texts, workspace: workspace, batch: batch)
        }
    }

    static func setup() throws -> Setup {
        let bundle = try CLIPBundle.load(directory: fixtures.appendingPathComponent("models/tiny-quickgelu"))
        let image = try ImageCodec.decode(contentsOf: fixtures.appendingPathComponent("images/cow.jpg"))
        let geometry = try CanvasGeometry(
            imageWidth: image.width, imageHeight: image.height, size: bundle.model.imageSize, fitMode: .pad)
        let texts = try bundle.embedTexts(
            ["This image shows the nose of the cow", "the tail", "a red circle"], workspace: Workspace(workers: 1))
        return Setup(bundle: bundle, image: image, geometry: geometry, texts: texts)
    }

    /// The mean of the members' rows, summed in member order and divided by the member count.
    static func mean(of rows: [[[Float]]]) -> [[Float]] {
        rows[0].indices.map { i in
            rows[0][i].indices.map { k in rows.dropFirst().reduce(rows[0][i][k]) { $0 + $1[i][k] } / Float(rows.count) }
        }
    }

    @Test("with batch 1 (every image encoded alone) the ensemble's scores are the mean of the members' scores")
    func ensembleIsTheMean() throws {
        let s = try Self.setup()
        let prompts: [VisualPrompt] = [
            .paperEnsemble(sigma: 8), .ensemble([.markerGreyOutside(MarkerStyle(shape: .square)), .crop(.standard)]),
        ]
        for prompt in prompts {
            var ensemble = try s.scorer(prompt, batch: 1)
            let rows = try ensemble.score(Self.points)
            let alone = try prompt.members.map { member in
                var scorer = try s.scorer(member, batch: 1)
                return try scorer.score(Self.points)
            }
            let diff = Self.maxDifference(rows, Self.mean(of: alone))
            #expect(diff <= Self.batchingTolerance, "\(prompt): max diff \(diff)")
            #expect(
                Self.maxDifference(rows, alone[0]) > 100 * Self.batchingTolerance,
                "the members' scores differ, so the mean is not any one of them")
            #expect(ensemble.largestForwardBatch == 1 && ensemble.passesPerLocation == prompt.members.count)
        }
    }

    @Test(
        "n x m images larger than the batch are encoded in chunks of at most the batch, scores the mean",
        arguments: [1, 4, 7, 64])
    func chunkedForwardPasses(batch: Int) throws {
        let s = try Self.setup()
        let prompt = VisualPrompt.paperEnsemble(sigma: 8)
        var ensemble = try s.scorer(prompt, batch: batch)
        let rows = try ensemble.score(Self.points)  // 5 points x 3 members = 15 images
        #expect(ensemble.largestForwardBatch == min(batch, 15))
        let alone = try prompt.members.map { member in
            var scorer = try s.scorer(member, batch: 1)
            return try scorer.score(Self.points)
        }
        let diff = Self.maxDifference(rows, Self.mean(of: alone))
        #expect(rows.count == 5 && rows.allSatisfy { $0.count == 3 })
        #expect(diff <= Self.batchingTolerance, "batch \(batch): max diff \(diff)")
    }

    /// The one-member path is the scorer's code before ensembles (all N images in one forward
    /// pass, member 0 assigns its dot product, no division); it matches an independent
    /// recomputation of that to the batching tolerance (bitwise when run alone).
    @Test("one member scores as one batched forward pass and dot products (the scorer before ensembles)")
    func oneMemberIsUnchanged() throws {
        let s = try Self.setup()
        for prompt in [VisualPrompt.paper, .markerBlurOutside(.paper, sigma: 8), .crop(.standard)] {
            let renderer = try CandidateRenderer(prompt: prompt, photo: s.image.rgb, geometry: s.geometry)
            var scorer = CLIPScorer(
                model: s.bundle.model, preprocessor: s.bundle.preprocessor, renderer: renderer,
                textEmbeddings: s.texts, workspace: s.workspace, batch: 8)
            let rows = try scorer.score(Self.points)
            // The single-prompt computation: all N images in one forward pass, then K dot products.
            let per = s.bundle.preprocessor.valueCount
            var pixels = [Float](repeating: 0, count: Self.points.count * per)
            for (i, p) in Self.points.enumerated() {
                let image = renderer.render(at: p)
                pixels.withUnsafeMutableBufferPointer {
                    s.bundle.preprocessor.normalize(
                        image, into: UnsafeMutableBufferPointer(rebasing: $0[(i * per)..<((i + 1) * per)]))
                }
            }
            let e = s.bundle.model.embeddingDim
            let embeddings = pixels.withUnsafeBufferPointer {
                s.bundle.model.encodeImages(pixels: $0.baseAddress!, count: Self.points.count, workspace: s.workspace)
            }
            let expected = Self.points.indices.map { i in
                (0..<3).map { k in
                    var dot: Float = 0
                    for j in 0..<e { dot += embeddings[i * e + j] * s.texts[k * e + j] }
                    return dot
                }
            }
            let diff = Self.maxDifference(rows, expected)
            #expect(diff <= Self.batchingTolerance, "\(prompt): max diff \(diff)")
            #expect(scorer.passesPerLocation == 1 && scorer.largestForwardBatch == Self.points.count)
        }
    }

    @Test("the search counts every member's image as a forward pass (results, progress, per stage)")
    func passesCountEveryImage() throws {
        let s = try Self.setup()
        let preset = makePreset([GridStage(grid: 4, topK: 1), GridStage(grid: 3, neighbourhood: 1)], batch: 5)
        let localizer = Localizer(bundle: s.bundle, preset: preset, workers: 1)
        let queries = try KeypointVocabulary.freeText(["nose"], template: "This image shows the {part} of the cow")
        var options = Localizer.defaultOptions(for: preset)
        let single = try localizer.localize(s.image, path: "cow.jpg", keypoints: queries, options: options)
        options.prompt = .paperEnsemble(sigma: 8)
        var last: SearchProgress?
        let ensemble = try localizer.localize(
            s.image, path: "cow.jpg", keypoints: queries, options: options, progress: { last = $0 })
        let locations = ensemble.search.points.count
        #expect(locations > 16 && single.passes == single.search.points.count)
        #expect(ensemble.passes == 3 * locations && ensemble.search.passes == 3 * locations)
        #expect(ensemble.search.passesPerStage == ensemble.search.locationsPerStage.map { 3 * $0 })
        #expect(ensemble.search.passesPerStage.reduce(0, +) == ensemble.passes)
        #expect(last?.passes == ensemble.passes)
        // Each location is scored with the mean over the members.
        let p = try #require(ensemble.search.points.first)
        let nose = try localizer.textEmbeddings(queries.map(\.prompt))
        let alone = try options.prompt.members.map { member in
            var scorer = try s.scorer(member, batch: 1, texts: nose)
            return try scorer.score([p.point])
        }
        let expected = Self.mean(of: alone)[0][0]
        #expect(abs(p.scores[0] - expected) <= Self.batchingTolerance, "\(p.scores[0]) vs \(expected)")
    }

    /// A text-prompt ensemble scored with a visual-prompt ensemble: each location's score is the
    /// mean over the visual members of their images' cosine with the keypoint's ensembled text
    /// embedding (the L2-normalised mean of its prompts'), not with any one prompt's.
    @Test("text ensemble x visual ensemble: the mean over members of the cosine with the ensembled text")
    func textAndVisualEnsemblesTogether() throws {
        let s = try Self.setup()
        let preset = makePreset([GridStage(grid: 3)], batch: 4)
        let localizer = Localizer(bundle: s.bundle, preset: preset, workers: 1)
        let queries = try KeypointVocabulary.freeText(
            ["nose", "tail"], templates: ["This image shows the {part} of the cow", "a photo of a cow's {part}"])
        var options = Localizer.defaultOptions(for: preset)
        options.prompt = .paperEnsemble(sigma: 8)
        let result = try localizer.localize(s.image, path: "cow.jpg", keypoints: queries, options: options)
        #expect(result.passes == 3 * 9 && result.keypoints.map(\.prompts) == queries.map(\.prompts))
        let texts = try localizer.textEmbeddings(for: queries)
        let firstPrompts = try localizer.textEmbeddings(queries.map(\.prompt))
        let points = result.search.points.map(\.point)
        let alone = try options.prompt.members.map { member in
            var scorer = try s.scorer(member, batch: 1, texts: texts)
            return try scorer.score(points)
        }
        let single = try options.prompt.members.map { member in
            var scorer = try s.scorer(member, batch: 1, texts: firstPrompts)
            return try scorer.score(points)
        }
        let rows = result.search.points.map(\.scores)
        let diff = Self.maxDifference(rows, Self.mean(of: alone))
        #expect(diff <= Self.batchingTolerance, "max diff \(diff)")
        #expect(Self.maxDifference(rows, Self.mean(of: single)) > 100 * Self.batchingTolerance)
    }
}
