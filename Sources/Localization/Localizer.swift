import CLIP
import Foundation
import Imaging
import KeypointsSupport
import Tensor

/// Errors of localization requests (bad boxes, empty keypoint lists, regions with no candidates).
public enum LocalizationError: RawMessageError {
    case noKeypoints
    case invalidBox(image: String, reason: String)
    case emptyRegion(image: String, reason: String)
    case emptyPrompt(name: String)
    case maskSize(image: String, mask: String, maskWidth: Int, maskHeight: Int, width: Int, height: Int)

    /// The message, its outside text (paths, keys, names) as it is (`RawMessageError`).
    public var rawMessage: String {
        switch self {
        case .noKeypoints: return "no keypoints to localize"
        // `reason` is `CanvasError.boxOutsideImage`: "box [...] of IMAGE (image WxH): check", which
        // already names the image.
        case .invalidBox(_, let reason): return "search \(reason)"
        case .emptyRegion(let image, let reason): return "\(image): no candidate locations: \(reason)"
        case .emptyPrompt(let name): return "keypoint '\(name)': empty prompt"
        case .maskSize(let image, let mask, let mw, let mh, let w, let h):
            return "\(image): mask \(mask) is \(mw)x\(mh), expected the photo's size \(w)x\(h)"
        }
    }
}

/// One keypoint's answer, in original-image pixels (continuous coordinates: pixel (i, j) covers
/// [i, i+1) x [j, j+1), its centre is (i + 0.5, j + 0.5)).
///
/// Encoded with `"prompt"` for one prompt (as before ensembles existed) and `"prompts"` for an
/// ensemble (`KeypointQuery`).
public struct KeypointPrediction: Codable, Sendable, Equatable {
    public var name: String
    /// The query's prompts (several: an ensemble).
    public var prompts: [String]
    public var x: Double
    public var y: Double
    public var score: Float
    /// The search stage (0-based) that scored the winning location.
    public var stage: Int

    public init(name: String, prompts: [String], x: Double, y: Double, score: Float, stage: Int) {
        self.name = name
        self.prompts = prompts
        self.x = x
        self.y = y
        self.score = score
        self.stage = stage
    }

    public init(name: String, prompt: String, x: Double, y: Double, score: Float, stage: Int) {
        self.init(name: name, prompts: [prompt], x: x, y: y, score: score, stage: stage)
    }

    /// The first prompt (the only one unless several are ensembled).
    public var prompt: String { prompts.first ?? "" }

    /// The predicted location (`x`, `y`).
    public var point: Point { Point(x: x, y: y) }

    enum CodingKeys: String, CodingKey {
        case name, prompt, prompts, x, y, score, stage
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = try c.decode(String.self, forKey: .name)
        prompts = try c.decodeTexts(one: .prompt, many: .prompts)
        x = try c.decode(Double.self, forKey: .x)
        y = try c.decode(Double.self, forKey: .y)
        score = try c.decode(Float.self, forKey: .score)
        stage = try c.decode(Int.self, forKey: .stage)
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(name, forKey: .name)
        try c.encodeTexts(prompts, one: .prompt, many: .prompts)
        try c.encode(x, forKey: .x)
        try c.encode(y, forKey: .y)
        try c.encode(score, forKey: .score)
        try c.encode(stage, forKey: .stage)
    }
}

/// The result for one image.
public struct ImageLocalization: Sendable {
    public var path: String
    public var width: Int
    public var height: Int
    /// Image forward passes spent: distinct locations scored times the images per location (one,
    /// or a visual-prompt ensemble's member count).
    public var passes: Int
    public var keypoints: [KeypointPrediction]
    /// Every scored location and its scores, for heatmaps and `--scores`.
    public var search: SearchResult
    /// The candidate region in original pixels.
    public var region: Box
    /// Notes for the user (e.g. crop mode leaving parts of the image out).
    public var notes: [String]
    /// The mask the search kept candidates inside (nil: none given, or ignored because it held
    /// none of the first stage's locations; see `notes`), for figures.
    public var searchMask: PixelMask?
    /// Whether candidates were kept only inside `LocalizationOptions.mask` (false without a mask,
    /// or when it held none of the first stage's locations and the search ran without it).
    public var maskApplied: Bool { searchMask != nil }
}

extension ImageLocalization {
    /// Every location scored for keypoint `k` (its index in `keypoints`), as the samples a
    /// `HeatmapRenderer` paints.
    public func scoreSamples(keypoint k: Int) -> [ScoreSample] {
        search.samples(keypoint: k).map { ScoreSample(x: $0.x, y: $0.y, score: Double($0.score)) }
    }

    /// The predictions as the named points an `OverlayRenderer` draws.
    public var labeledPoints: [LabeledPoint] { keypoints.map { LabeledPoint(name: $0.name, point: $0.point) } }
}

/// Where to search and how to fit the image to the model input.
public struct LocalizationOptions: Sendable {
    public var fit: FitMode
    /// Restricts candidates to this box (original pixels).
    public var box: Box?
    /// Crops the image to `box` before fitting (the paper's SPair-71k protocol).
    public var cropToBox: Bool
    public var prompt: VisualPrompt
    /// Candidates only where the mask is set (original pixels, the photo's size), in every stage.
    public var mask: PixelMask?
    /// Where the mask came from, for messages ("saliency", "box", a file name).
    public var maskName: String

    public init(
        fit: FitMode, box: Box? = nil, cropToBox: Bool = false, prompt: VisualPrompt = .paper,
        mask: PixelMask? = nil, maskName: String = "mask"
    ) {
        self.fit = fit
        self.box = box
        self.cropToBox = cropToBox
        self.prompt = prompt
        self.mask = mask
        self.maskName = maskName
    }
}

/// Localizes named keypoints by visual prompting: the library behind `keypoints localize`.
///
/// Text embeddings are computed once per distinct prompt and cached across images; a keypoint
/// with several prompts scores against their ensemble (`textEmbeddings(for:)`). One set of
/// marked images serves every keypoint of an image.
public final class Localizer {
    public let bundle: CLIPBundle
    public let preset: GridPreset
    public let workspace: Workspace
    private var textCache: [String: [Float]] = [:]
    /// An ensemble query's row (E) keyed by its prompts, in order: averaged once per run, not
    /// once per image. Cleared when `provideTextEmbeddings` replaces prompts' embeddings.
    private(set) var ensembleCache: [[String]: [Float]] = [:]

    public init(bundle: CLIPBundle, preset: GridPreset, workers: Int) {
        self.bundle = bundle
        self.preset = preset
        self.workspace = Workspace(workers: workers)
    }

    /// The preset's fit mode and visual prompt (its marker alone unless it has a
    /// `visual_prompt`), searching the whole image.
    public static func defaultOptions(for preset: GridPreset) -> LocalizationOptions {
        LocalizationOptions(fit: preset.fit, prompt: preset.effectiveVisualPrompt)
    }

    /// Prompts per text-tower call. The workspace keeps the largest activations it was asked
    /// for, (prompts x tokens, 4 x width) in the MLP: 256 prompts of 20 tokens are 63 MB at
    /// ViT-L's text width 768, while a 70-landmark face vocabulary with OpenAI's 80 templates
    /// in one call (5600 prompts) would hold 1.4 GB. Vocabularies without ensembles (CUB 15,
    /// faces 70 keypoints) still embed in one call, as before ensembles existed.
    public static let textBatch = 256

    /// (K, E) embeddings of the prompts, from the cache where possible; the missing ones are
    /// embedded `textBatch` at a time.
    public func textEmbeddings(_ prompts: [String]) throws -> [Float] {
        try embedMissing(prompts)
        return prompts.flatMap { textCache[$0] ?? [] }
    }

    /// Embeds the prompts not in the cache, `textBatch` per call, into it.
    private func embedMissing(_ prompts: [String]) throws {
        let missing = Array(Set(prompts.filter { textCache[$0] == nil })).sorted()
        let e = bundle.model.embeddingDim
        for start in stride(from: 0, to: missing.count, by: Self.textBatch) {
            let chunk = Array(missing[start..<min(missing.count, start + Self.textBatch)])
            let embedded = try bundle.embedTexts(chunk, workspace: workspace)
            for (i, p) in chunk.enumerated() { textCache[p] = Array(embedded[(i * e)..<((i + 1) * e)]) }
        }
    }

    /// (K, E) text embeddings of the queries, one row per query: a one-prompt query's row is its
    /// prompt's embedding as is; an ensemble's is the L2-normalised mean of its prompts'
    /// L2-normalised embeddings (CLIP's prompt ensembling, as OpenAI's ImageNet notebook
    /// averages its 80 templates). The prompts not cached yet are embedded together,
    /// `textBatch` per call; an ensemble's row is averaged once and cached by its prompts.
    public func textEmbeddings(for queries: [KeypointQuery]) throws -> [Float] {
        let e = bundle.model.embeddingDim
        try embedMissing(
            queries.filter { $0.prompts.count == 1 || ensembleCache[$0.prompts] == nil }.flatMap(\.prompts))
        var out = [Float]()
        out.reserveCapacity(queries.count * e)
        for q in queries {
            if q.prompts.count == 1 {
                out += textCache[q.prompts[0]] ?? []
            } else if let cached = ensembleCache[q.prompts] {
                out += cached
            } else {
                let row = ensembleEmbedding(q.prompts, width: e)
                ensembleCache[q.prompts] = row
                out += row
            }
        }
        return out
    }

    /// (E) the L2-normalised mean of the prompts' L2-normalised cached embeddings.
    private func ensembleEmbedding(_ prompts: [String], width e: Int) -> [Float] {
        // In Double: the sum of up to LocalizationLimits.promptsPerKeypoint rows. Each row is
        // normalised again (embedTexts' rows already are, up to Float rounding; provided
        // ones should be); the sum's direction is the mean's, so it is not divided by n.
        var sum = [Double](repeating: 0, count: e)
        for p in prompts {
            guard let v = textCache[p] else { continue }
            let norm = v.reduce(0.0) { $0 + Double($1) * Double($1) }.squareRoot()
            guard norm > 0 else { continue }
            for (j, x) in v.enumerated() { sum[j] += Double(x) / norm }
        }
        let norm = sum.reduce(0.0) { $0 + $1 * $1 }.squareRoot()
        // Opposite prompts may cancel out: a zero sum stays zero (it scores 0 everywhere).
        let scale = norm > 0 ? 1 / norm : 0
        return sum.map { Float($0 * scale) }
    }

    /// Uses `embeddings` (K, E), L2-normalised, as the text embeddings of `prompts` from now on:
    /// for a model without a tokenizer (a random-weight model in `keypoints bench`).
    public func provideTextEmbeddings(_ embeddings: [Float], prompts: [String]) {
        let e = bundle.model.embeddingDim
        precondition(
            embeddings.count == prompts.count * e,
            "Localizer: \(prompts.count) prompts need \(prompts.count * e) values")
        for (i, p) in prompts.enumerated() { textCache[p] = Array(embeddings[(i * e)..<((i + 1) * e)]) }
        ensembleCache = [:]
    }

    /// The canvas geometry and the candidate region for an image.
    public func geometry(width: Int, height: Int, path: String, options: LocalizationOptions)
        throws -> (CanvasGeometry, Box, [String])
    {
        let size = bundle.model.imageSize
        var notes: [String] = []
        var box: Box?
        if let b = options.box {
            do { box = try b.validated(imageWidth: width, imageHeight: height, label: path) } catch {
                throw LocalizationError.invalidBox(image: path, reason: rawMessage(of: error))
            }
        }
        let geometry: CanvasGeometry
        if options.cropToBox, let box {
            geometry = try CanvasGeometry(
                imageWidth: width, imageHeight: height, box: box, label: path, size: size,
                fitMode: options.fit)
        } else {
            geometry = try CanvasGeometry(imageWidth: width, imageHeight: height, size: size, fitMode: options.fit)
        }
        // Candidates: the box (or the image), cut to what the canvas shows.
        var x0 = box?.x ?? 0
        var y0 = box?.y ?? 0
        var x1 = box?.maxX ?? Double(width)
        var y1 = box?.maxY ?? Double(height)
        let shownTopLeft = geometry.imagePoint(fromCanvas: CanvasPoint(x: 0, y: 0))
        let shownBottomRight = geometry.imagePoint(fromCanvas: CanvasPoint(x: Double(size), y: Double(size)))
        let visible = (
            max(0, shownTopLeft.x), max(0, shownTopLeft.y),
            min(Double(width), shownBottomRight.x), min(Double(height), shownBottomRight.y)
        )
        if visible.0 > x0 || visible.1 > y0 || visible.2 < x1 || visible.3 < y1 {
            notes.append(
                String(
                    format:
                        "fit 'crop' shows only x %.1f...%.1f, y %.1f...%.1f of the image: locations outside are not candidates",
                    max(x0, visible.0), min(x1, visible.2), max(y0, visible.1), min(y1, visible.3)))
        }
        x0 = max(x0, visible.0)
        y0 = max(y0, visible.1)
        x1 = min(x1, visible.2)
        y1 = min(y1, visible.3)
        guard x1 > x0, y1 > y0 else {
            throw LocalizationError.emptyRegion(
                image: path, reason: "the box lies outside what fit '\(options.fit.rawValue)' shows")
        }
        return (geometry, Box(x: x0, y: y0, width: x1 - x0, height: y1 - y0), notes)
    }

    /// The exact model input CLIP scores for a candidate at `point` (original pixels) with a
    /// single (not ensemble) `options.prompt`: the image fitted to the model input with the prompt
    /// applied there, or the crop prompt's crop of the photo. An ensemble throws
    /// `CanvasError.invalidParameter`: use `markedCanvases`.
    public func markedCanvas(
        _ image: DecodedImage, path: String, at point: Point,
        options: LocalizationOptions
    ) throws -> RGBImage {
        let (geometry, _, _) = try geometry(width: image.width, height: image.height, path: path, options: options)
        return try CandidateRenderer(prompt: options.prompt, photo: image.rgb, geometry: geometry).render(at: point)
    }

    /// The exact model inputs CLIP scores for a candidate at `point` (original pixels), one per
    /// member of `options.prompt` (`VisualPrompt.members`, in order): the image fitted to the
    /// model input with the member applied there, or the crop prompt's crop of the photo
    /// (`--save-marked`).
    public func markedCanvases(
        _ image: DecodedImage, path: String, at point: Point,
        options: LocalizationOptions
    ) throws -> [RGBImage] {
        let (geometry, _, _) = try geometry(width: image.width, height: image.height, path: path, options: options)
        return try CandidateRenderer.members(of: options.prompt, photo: image.rgb, geometry: geometry).map {
            $0.render(at: point)
        }
    }

    /// Localizes `keypoints` in one image with `defaultOptions(for: preset)`: the preset's fit
    /// mode and visual prompt, the whole image searched.
    public func localize(
        _ image: DecodedImage, path: String, keypoints: [KeypointQuery],
        progress: ((SearchProgress) -> Void)? = nil
    ) throws -> ImageLocalization {
        try localize(
            image, path: path, keypoints: keypoints, options: Self.defaultOptions(for: preset), progress: progress)
    }

    /// Localizes `keypoints` in one image.
    public func localize(
        _ image: DecodedImage, path: String, keypoints: [KeypointQuery], options: LocalizationOptions,
        progress: ((SearchProgress) -> Void)? = nil
    ) throws -> ImageLocalization {
        guard !keypoints.isEmpty else { throw LocalizationError.noKeypoints }
        for k in keypoints
        where k.prompts.isEmpty || k.prompts.contains(where: { $0.trimmingCharacters(in: .whitespaces).isEmpty }) {
            throw LocalizationError.emptyPrompt(name: k.name)
        }
        let (geometry, region, geometryNotes) = try geometry(
            width: image.width, height: image.height, path: path, options: options)
        var notes = geometryNotes
        var mask = options.mask
        if let m = mask {
            guard m.width == image.width, m.height == image.height else {
                throw LocalizationError.maskSize(
                    image: path, mask: options.maskName, maskWidth: m.width, maskHeight: m.height,
                    width: image.width, height: image.height)
            }
            let first = try CoarseToFineSearch(preset: preset, region: region, keypointCount: keypoints.count)
                .firstStagePoints()
            if !first.contains(where: { m.contains($0) }) {
                notes.append(
                    "\(options.maskName) mask holds none of the \(first.count) first-stage locations: searching without a mask"
                )
                mask = nil
            }
        }
        let renderers = try CandidateRenderer.members(of: options.prompt, photo: image.rgb, geometry: geometry)
        let texts = try textEmbeddings(for: keypoints)
        let search = try CoarseToFineSearch(preset: preset, region: region, keypointCount: keypoints.count, mask: mask)
        var scorer = CLIPScorer(
            model: bundle.model, preprocessor: bundle.preprocessor, renderers: renderers,
            textEmbeddings: texts, workspace: workspace, batch: search.batchSize)
        let result = try search.run(&scorer, progress: progress)
        let predictions = zip(keypoints, result.keypoints).map { query, r in
            KeypointPrediction(
                name: query.name, prompts: query.prompts, x: r.point.x, y: r.point.y, score: r.score, stage: r.stage)
        }
        return ImageLocalization(
            path: path, width: image.width, height: image.height, passes: result.passes,
            keypoints: predictions, search: result, region: region, notes: notes, searchMask: mask)
    }
}
