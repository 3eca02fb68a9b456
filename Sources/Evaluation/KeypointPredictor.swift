import Imaging

// MARK: - The predictor protocol

/// Anything that localizes named keypoints in one image: the random baseline here, the CLIP
/// red-circle and crop predictors in the CLI.
///
/// The runner calls `predict` once per evaluation item, in dataset order, on one thread.
///
/// Contract:
/// - `request.image` is what the predictor must search: the full image, or for crop datasets
///   (SPair-71k) the image already cropped to the box.
/// - `request.region` is the search region in `request.image` pixels, or `nil` for the whole of
///   `request.image`.
/// - Return exactly one `Prediction` per `request.keypoints` entry, in the same order, with the
///   same `name`, and finite `x`, `y` in `request.image` pixels (the runner maps crops back to
///   original pixels). Points outside the image are allowed but count as wrong like any other.
/// - `passes`: model forward passes (marked images or crops encoded) spent on the image, for cost
///   reports; 0 for methods without a model.
/// - Ground truth is never shown to the predictor.
/// - `method` and `settings` are written into the results header and compared when a run is
///   resumed or results are merged: put everything that changes predictions there (model
///   directory, grid preset name and content hash, marker, seed, ...). Keys the runner sets
///   itself (`EvalRunner.reservedSettingKeys`) are not allowed.
public protocol KeypointPredictor {
    /// Short method name recorded with the results, e.g. "random", "redcircle", "crop".
    var method: String { get }
    /// Everything besides the dataset that determines the predictions.
    var settings: [String: String] { get }
    /// Localizes `request.keypoints` in `request.image`.
    mutating func predict(_ request: PredictionRequest) throws -> PredictionOutput
}

/// One image handed to a predictor.
public struct PredictionRequest: Sendable {
    /// The evaluation item's id (stable across runs, shards and order).
    public var imageID: String
    /// The item's category (CUB class, SPair category, "face", COCO category).
    public var category: String
    /// The pixels to search (already cropped for crop datasets).
    public var image: DecodedImage
    /// Search region in `image` pixels, `nil` for the whole image.
    public var region: Box?
    /// Keypoints to find, with their prompts.
    public var keypoints: [EvalKeypoint]
    /// The object's annotated box in `image` pixels (ground truth of the box only: `--mask box`,
    /// the upper bound for a saliency mask), if the dataset has one.
    public var objectBox: Box?
    /// Candidates only where this mask (of `image`) is set, when given (`--mask`); predictors
    /// fall back to no mask when it holds none of their candidates.
    public var mask: PixelMask?

    public init(
        imageID: String, category: String, image: DecodedImage, region: Box?, keypoints: [EvalKeypoint],
        objectBox: Box? = nil, mask: PixelMask? = nil
    ) {
        self.imageID = imageID
        self.category = category
        self.image = image
        self.region = region
        self.keypoints = keypoints
        self.objectBox = objectBox
        self.mask = mask
    }

    /// `region`, or the whole image as a box.
    public var searchBox: Box {
        region ?? Box(imageWidth: image.width, imageHeight: image.height)
    }
}

/// A predicted location of one keypoint, in the pixels of `PredictionRequest.image`.
public struct Prediction: Codable, Sendable, Equatable {
    public var name: String
    public var x: Double
    public var y: Double
    /// The method's score of the chosen location (e.g. CLIP cosine), if it has one.
    public var score: Double?

    public init(name: String, x: Double, y: Double, score: Double? = nil) {
        self.name = name
        self.x = x
        self.y = y
        self.score = score
    }
}

/// All predictions for one image.
public struct PredictionOutput: Sendable, Equatable {
    /// One per requested keypoint, same order.
    public var predictions: [Prediction]
    /// Model forward passes spent on the image (0 without a model).
    public var passes: Int

    public init(predictions: [Prediction], passes: Int = 0) {
        self.predictions = predictions
        self.passes = passes
    }
}
