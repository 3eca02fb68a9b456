import CLIP
import Foundation
import Imaging
import Saliency

/// Makes the search mask of each evaluated image (`eval --mask`).
public protocol SearchMaskSource {
    /// What the results header records about the mask (kind, and for saliency tau, size and the
    /// model's digest), so a resume with other mask settings is refused.
    var settings: [String: String] { get }
    /// The mask of `request.image` (original pixels of that image: the crop for crop datasets).
    func mask(for request: PredictionRequest) throws -> PixelMask?
}

/// `--mask box`: the object's annotated box (an upper bound for any saliency mask).
public struct BoxSearchMask: SearchMaskSource {
    public init() {}
    public var settings: [String: String] { ["mask": "box"] }
    public func mask(for request: PredictionRequest) throws -> PixelMask? {
        guard let box = request.objectBox else { return nil }
        return PixelMask(box: box, width: request.image.width, height: request.image.height)
    }
}

/// `--mask saliency`: TokenCut on DINO, computed once per image on what the predictor searches
/// (the box crop for crop datasets such as SPair-71k).
public struct SaliencySearchMask: SearchMaskSource {
    public let estimator: SaliencyEstimator
    public let size: Int
    public let tau: Float
    /// SHA-256 of the DINO checkpoint (`ModelDigest.weightsDigest`: of model.safetensors, or over a
    /// sharded checkpoint's index and shards).
    public let modelDigest: String
    let workspace: Workspace

    public init(
        estimator: SaliencyEstimator, modelDigest: String, size: Int = SaliencyEstimator.defaultSize,
        tau: Float = TokenCut.defaultTau, workers: Int
    ) {
        self.estimator = estimator
        self.modelDigest = modelDigest
        self.size = size
        self.tau = tau
        self.workspace = Workspace(workers: workers)
    }

    public var settings: [String: String] {
        ["mask": "saliency", "mask_tau": "\(tau)", "mask_size": "\(size)", "saliency_model_sha256": modelDigest]
    }

    public func mask(for request: PredictionRequest) throws -> PixelMask? {
        try estimator.pixelMask(request.image.rgb, size: size, tau: tau, workspace: workspace)
    }
}
