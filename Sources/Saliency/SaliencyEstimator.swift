import CLIP
import Foundation
import Imaging
import KeypointsSupport
import Tensor

/// TokenCut on DINO: a DINO ViT and its image normalisation, ready to compute foreground masks.
///
/// This is where the DINO model meets the imaging layer.
public struct SaliencyEstimator: BackendModel {
    /// ImageNet statistics (the DINO hub repositories' preprocessor_config.json).
    public static let imageNetMean: [Float] = [0.485, 0.456, 0.406]
    public static let imageNetStd: [Float] = [0.229, 0.224, 0.225]
    /// TokenCut's default input size (longer side, pixels).
    public static let defaultSize = 480

    public let model: DINOModel
    public let mean: [Float]
    public let std: [Float]

    public var backend: any LinearBackend { model.backend }
    public var linearLayers: [Linear] { model.linearLayers }
    public var warnings: [String] { model.warnings }

    public init(model: DINOModel, mean: [Float] = imageNetMean, std: [Float] = imageNetStd) {
        self.model = model
        self.mean = mean
        self.std = std
    }

    /// Loads a Hugging Face ViTModel directory and its preprocessor_config.json (if any).
    public init(directory: URL, backend: any LinearBackend = SgemmBackend()) throws(CLIPError) {
        let model = try DINOModel(directory: directory, backend: backend)
        let (mean, std) = try PreprocessorConfiguration.normalization(
            directory: directory, fallbackMean: Self.imageNetMean, fallbackStd: Self.imageNetStd)
        self.init(model: model, mean: mean, std: std)
    }

    public struct Result: Sendable {
        public let mask: SaliencyMask
        public let partition: TokenCut.Partition
    }

    /// The TokenCut foreground of one photo (or box crop).
    /// - Parameters:
    ///   - size: the longer side of the resized photo.
    ///   - tau: the affinity threshold.
    public func estimate(
        _ image: RGBImage, size: Int = defaultSize, tau: Float = TokenCut.defaultTau,
        workspace: Workspace
    ) throws(SaliencyError) -> Result {
        guard tau.isFinite, tau >= -1, tau <= 1 else { throw .badInput("--tau \(tau): expected a cosine in -1...1") }
        let input = try SaliencyInput(image: image, size: size, patch: model.patchSize, mean: mean, std: std)
        let keys: [Float]
        do {
            keys = try model.run(pixels: input.pixels, rows: input.rows, cols: input.cols, workspace: workspace).keys
        } catch { throw .badInput(rawMessage(of: error)) }
        let partition = try TokenCut.partition(
            features: keys, rows: input.rows, cols: input.cols,
            dimension: model.width, tau: tau)
        let mask = SaliencyMask(
            width: image.width, height: image.height, rows: input.rows, cols: input.cols,
            patch: model.patchSize, resizedWidth: input.resizedWidth,
            resizedHeight: input.resizedHeight, tokens: partition.mask)
        return Result(mask: mask, partition: partition)
    }
}

extension SaliencyEstimator {
    /// The TokenCut foreground as a `PixelMask` of the whole photo, computed on the photo or, with
    /// `crop`, on the pixels the box covers (the box-crop protocol); outside the crop nothing is set.
    /// - Parameter crop: a box already validated against the photo.
    public func pixelMask(
        _ photo: RGBImage, crop: Box? = nil, size: Int = defaultSize, tau: Float = TokenCut.defaultTau,
        workspace: Workspace
    ) throws(SaliencyError) -> PixelMask {
        try searchMask(photo, crop: crop, size: size, tau: tau, workspace: workspace).pixels
    }

    /// `pixelMask` and the TokenCut token mask it came from (of the crop, with `crop`), for
    /// recording how the mask was made (`localize --scores`).
    /// - Returns: `pixels`: the mask of the whole photo; `tokens`: the token mask; `origin`: the
    ///   top-left pixel of what TokenCut saw (the crop's, or (0, 0)).
    public func searchMask(
        _ photo: RGBImage, crop: Box? = nil, size: Int = defaultSize, tau: Float = TokenCut.defaultTau,
        workspace: Workspace
    ) throws(SaliencyError) -> (pixels: PixelMask, tokens: SaliencyMask, origin: (x: Int, y: Int)) {
        guard let crop else {
            let mask = try estimate(photo, size: size, tau: tau, workspace: workspace).mask
            return (PixelMask(width: photo.width, height: photo.height, bits: mask.pixelMask), mask, (0, 0))
        }
        let r = crop.coveringPixels
        let x0 = max(0, r.x)
        let y0 = max(0, r.y)
        let x1 = min(photo.width, r.x + r.width)
        let y1 = min(photo.height, r.y + r.height)
        guard x1 > x0, y1 > y0 else {
            throw .badInput("saliency crop \(crop) lies outside the \(photo.width)x\(photo.height) photo")
        }
        let part = photo.cropped(x: x0, y: y0, width: x1 - x0, height: y1 - y0)
        let mask = try estimate(part, size: size, tau: tau, workspace: workspace).mask
        let pixels = PixelMask(
            placing: PixelMask(width: part.width, height: part.height, bits: mask.pixelMask),
            atX: x0, y: y0, width: photo.width, height: photo.height)
        return (pixels, mask, (x0, y0))
    }
}
