import Imaging
import Localization

/// The paper's methods as `KeypointPredictor`s: the red circle (`redcircle`) and the crop
/// baseline (`crop`: score square crops of the original photo around each candidate instead of
/// marked images, `CandidateCropRenderer`), both through the same grid search, candidate masks,
/// model and cached text embeddings.
public struct CLIPPredictor: KeypointPredictor {
    public enum Method: String, Sendable {
        case redcircle, crop
    }

    public let localizer: Localizer
    public let options: LocalizationOptions
    public let kind: Method

    /// - Parameters:
    ///   - prompt: the red circle's visual prompt (ablations: marker, colour, size, blur or grey
    ///     outside, ensembles); `nil` uses the preset's visual prompt. Ignored by `crop`.
    ///   - cropSide: the crop baseline's square (`CropSide.standard` by default). Ignored by
    ///     `redcircle`.
    ///   - fit: how the photo is fitted to the model input; `nil` uses the preset's. For `crop` it
    ///     only decides the candidate region (`crop` leaves out what CLIP's centre crop cuts off).
    public init(
        method: Method, localizer: Localizer, prompt: VisualPrompt? = nil, cropSide: CropSide = .standard,
        fit: FitMode? = nil
    ) {
        var options = Localizer.defaultOptions(for: localizer.preset)
        if let prompt { options.prompt = prompt }
        if let fit { options.fit = fit }
        if method == .crop { options.prompt = .crop(cropSide) }
        self.localizer = localizer
        self.options = options
        self.kind = method
    }

    public var method: String { kind.rawValue }

    public var settings: [String: String] {
        var s = [
            "visual_prompt": options.prompt.description, "fit": options.fit.rawValue,
            "weights": localizer.bundle.model.weightDType, "backend": localizer.bundle.model.backend.name,
        ]
        if case .crop(let side) = options.prompt { s["crop_side"] = side.argument }
        return s
    }

    public mutating func predict(_ request: PredictionRequest) throws -> PredictionOutput {
        var opts = options
        opts.box = request.region
        opts.mask = request.mask
        opts.maskName = "search"
        let queries = request.keypoints.map { KeypointQuery(id: nil, name: $0.name, prompts: $0.prompts) }
        let result = try localizer.localize(request.image, path: request.imageID, keypoints: queries, options: opts)
        return PredictionOutput(
            predictions: result.keypoints.map { Prediction(name: $0.name, x: $0.x, y: $0.y, score: Double($0.score)) },
            passes: result.passes)
    }
}
