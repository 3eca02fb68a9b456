import Imaging
import Localization

/// The paper's methods as `KeypointPredictor`s: the red circle (`redcircle`) and the crop
/// baseline (`crop`: score square crops around each candidate instead of marked images), both
/// through the same grid search, model and cached text embeddings.
public struct CLIPPredictor: KeypointPredictor {
    public enum Method: String, Sendable {
        case redcircle, crop
    }

    /// Side of the crop baseline's square, as a fraction of the canvas side (the paper does not
    /// state it; a quarter of the view keeps local context while isolating the candidate).
    public static let cropFraction = 0.25

    public let localizer: Localizer
    public let options: LocalizationOptions
    public let kind: Method

    /// - Parameter prompt: the red circle's visual prompt (ablations: marker, colour, size, blur
    ///   or grey outside); `nil` uses the preset's marker. Ignored by `crop`.
    public init(method: Method, localizer: Localizer, prompt: VisualPrompt? = nil) {
        var options = Localizer.defaultOptions(for: localizer.preset)
        if let prompt { options.prompt = prompt }
        if method == .crop { options.prompt = .crop(fraction: Self.cropFraction) }
        self.localizer = localizer
        self.options = options
        self.kind = method
    }

    public var method: String { kind.rawValue }

    public var settings: [String: String] {
        [
            "visual_prompt": options.prompt.description, "fit": options.fit.rawValue,
            "weights": localizer.bundle.model.weightDType, "backend": localizer.bundle.model.backend.name,
        ]
    }

    public mutating func predict(_ request: PredictionRequest) throws -> PredictionOutput {
        var opts = options
        opts.box = request.region
        opts.mask = request.mask
        opts.maskName = "search"
        let queries = request.keypoints.map { KeypointQuery(id: nil, name: $0.name, prompt: $0.prompt) }
        let result = try localizer.localize(request.image, path: request.imageID, keypoints: queries, options: opts)
        return PredictionOutput(
            predictions: result.keypoints.map { Prediction(name: $0.name, x: $0.x, y: $0.y, score: Double($0.score)) },
            passes: result.passes)
    }
}
