import Foundation
import Tensor

/// config.json of a Hugging Face `ViTModel` directory (facebook/dino-vits16, dino-vitb16, dino-vits8).
///
/// The encoder's fields are `shape`'s, read as the configuration's own (`config.hiddenSize`).
public struct ViTConfiguration: EncoderConfiguration, Decodable, Sendable, Equatable {
    public var shape: EncoderShape
    public var qkvBias: Bool

    /// transformers' ViTConfig, for the fields a config may omit.
    public static let defaults = EncoderShape.Defaults(hiddenAct: .gelu, layerNormEps: 1e-12, patchSize: 16)

    enum CodingKeys: String, CodingKey {
        case qkvBias = "qkv_bias"
    }

    public init(from decoder: Decoder) throws {
        shape = try EncoderShape(from: decoder, defaults: Self.defaults)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        qkvBias = try c.decodeIfPresent(Bool.self, forKey: .qkvBias) ?? true
    }

    public init(
        hiddenSize: Int, intermediateSize: Int, numHiddenLayers: Int, numAttentionHeads: Int,
        hiddenAct: Activation = .gelu, layerNormEps: Float = 1e-6, imageSize: Int = 224,
        patchSize: Int = 16, numChannels: Int = 3, qkvBias: Bool = true
    ) {
        self.qkvBias = qkvBias
        shape = EncoderShape(
            hiddenSize: hiddenSize, intermediateSize: intermediateSize, numHiddenLayers: numHiddenLayers,
            numAttentionHeads: numAttentionHeads, hiddenAct: hiddenAct, layerNormEps: layerNormEps,
            imageSize: imageSize, patchSize: patchSize, numChannels: numChannels)
    }

    /// DINO ViT-S/16 (facebook/dino-vits16): the shape of `keypoints saliency`'s default model.
    public static let dinoViTS16 = ViTConfiguration(
        hiddenSize: 384, intermediateSize: 1536, numHiddenLayers: 12,
        numAttentionHeads: 6, patchSize: 16)

    /// Side of the checkpoint's position-embedding grid.
    public var checkpointGrid: Int { shape.imageSize / shape.patchSize }

    /// Reads and validates config.json.
    public static func load(from url: URL) throws(CLIPError) -> ViTConfiguration {
        let config = try CLIPConfiguration.decodeConfig(
            ViTConfiguration.self, from: url, family: "ViT", modelType: "vit")
        try config.validate(path: url.path)
        return config
    }

    /// Checks every size against `limits` (the table CLIP uses) before anything is built from it.
    /// The patch side is bounded by the image side.
    public func validate(path: String, limits: TransformerLimits = .standard) throws(CLIPError) {
        typealias L = TransformerLimits
        try shape.validateTransformer(prefix: "", path: path, limits: limits)
        try L.check(shape.imageSize, atMost: limits.imageSize, limit: "imageSize", field: "image_size", path: path)
        try L.check(shape.patchSize, atMost: shape.imageSize, limit: "image_size", field: "patch_size", path: path)
        if shape.imageSize % shape.patchSize != 0 {
            throw .badConfig(
                path: path, field: "patch_size",
                reason: "image_size \(shape.imageSize) must be a multiple of patch_size \(shape.patchSize)")
        }
        _ = try limits.visionTokens(
            imageSize: shape.imageSize, patchSize: shape.patchSize, field: "patch_size", path: path)
        if shape.numChannels != 3 {
            throw .badConfig(path: path, field: "num_channels", reason: "expected 3, got \(shape.numChannels)")
        }
        if !(shape.layerNormEps > 0 && shape.layerNormEps < 1) {
            throw .badConfig(
                path: path, field: "layer_norm_eps", reason: "expected a value in (0, 1), got \(shape.layerNormEps)")
        }
    }
}
