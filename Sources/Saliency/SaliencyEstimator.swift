import CLIP
import Foundation
import Imaging
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
    public func estimate(_ image: RGBImage, size: Int = defaultSize, tau: Float = TokenCut.defaultTau,
                         workspace: Workspace) throws(SaliencyError) -> Result {
        guard tau.isFinite, tau >= -1, tau <= 1 else { throw .badInput("--tau \(tau): expected a cosine in -1...1") }
        let input = try SaliencyInput(image: image, size: size, patch: model.patchSize, mean: mean, std: std)
        let keys: [Float]
        do {
            keys = try model.run(pixels: input.pixels, rows: input.rows, cols: input.cols, workspace: workspace).keys
        } catch { throw .badInput(error.description) }
        let partition = try TokenCut.partition(features: keys, rows: input.rows, cols: input.cols,
                                               dimension: model.width, tau: tau)
        let mask = SaliencyMask(width: image.width, height: image.height, rows: input.rows, cols: input.cols,
                                patch: model.patchSize, resizedWidth: input.resizedWidth,
                                resizedHeight: input.resizedHeight, tokens: partition.mask)
        return Result(mask: mask, partition: partition)
    }
}
