import Foundation
import Tensor

/// config.json of a Hugging Face `ViTModel` directory (facebook/dino-vits16, dino-vitb16, dino-vits8).
public struct ViTConfiguration: Codable, Sendable, Equatable {
    public var hiddenSize: Int
    public var intermediateSize: Int
    public var numHiddenLayers: Int
    public var numAttentionHeads: Int
    public var hiddenAct: Activation
    public var layerNormEps: Float
    /// The checkpoint's own input side: its position embeddings form an (image / patch)² grid.
    public var imageSize: Int
    public var patchSize: Int
    public var numChannels: Int
    public var qkvBias: Bool

    enum CodingKeys: String, CodingKey {
        case hiddenSize = "hidden_size"
        case intermediateSize = "intermediate_size"
        case numHiddenLayers = "num_hidden_layers"
        case numAttentionHeads = "num_attention_heads"
        case hiddenAct = "hidden_act"
        case layerNormEps = "layer_norm_eps"
        case imageSize = "image_size"
        case patchSize = "patch_size"
        case numChannels = "num_channels"
        case qkvBias = "qkv_bias"
    }

    /// Defaults are transformers' ViTConfig for fields a config may omit.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        hiddenSize = try c.decode(Int.self, forKey: .hiddenSize)
        intermediateSize = try c.decode(Int.self, forKey: .intermediateSize)
        numHiddenLayers = try c.decode(Int.self, forKey: .numHiddenLayers)
        numAttentionHeads = try c.decode(Int.self, forKey: .numAttentionHeads)
        hiddenAct = try c.decodeIfPresent(Activation.self, forKey: .hiddenAct) ?? .gelu
        layerNormEps = try c.decodeIfPresent(Float.self, forKey: .layerNormEps) ?? 1e-12
        imageSize = try c.decodeIfPresent(Int.self, forKey: .imageSize) ?? 224
        patchSize = try c.decodeIfPresent(Int.self, forKey: .patchSize) ?? 16
        numChannels = try c.decodeIfPresent(Int.self, forKey: .numChannels) ?? 3
        qkvBias = try c.decodeIfPresent(Bool.self, forKey: .qkvBias) ?? true
    }

    public init(
        hiddenSize: Int, intermediateSize: Int, numHiddenLayers: Int, numAttentionHeads: Int,
        hiddenAct: Activation = .gelu, layerNormEps: Float = 1e-6, imageSize: Int = 224,
        patchSize: Int = 16, numChannels: Int = 3, qkvBias: Bool = true
    ) {
        self.hiddenSize = hiddenSize
        self.intermediateSize = intermediateSize
        self.numHiddenLayers = numHiddenLayers
        self.numAttentionHeads = numAttentionHeads
        self.hiddenAct = hiddenAct
        self.layerNormEps = layerNormEps
        self.imageSize = imageSize
        self.patchSize = patchSize
        self.numChannels = numChannels
        self.qkvBias = qkvBias
    }

    /// DINO ViT-S/16 (facebook/dino-vits16): the shape of `keypoints saliency`'s default model.
    public static let dinoViTS16 = ViTConfiguration(
        hiddenSize: 384, intermediateSize: 1536, numHiddenLayers: 12,
        numAttentionHeads: 6, patchSize: 16)

    /// Side of the checkpoint's position-embedding grid.
    public var checkpointGrid: Int { imageSize / patchSize }

    /// Reads and validates config.json.
    public static func load(from url: URL) throws(CLIPError) -> ViTConfiguration {
        let config = try CLIPConfiguration.decodeConfig(ViTConfiguration.self, from: url, family: "ViT")
        try config.validate(path: url.path)
        return config
    }

    /// Checks every size against `limits` (the table CLIP uses) before anything is built from it.
    /// The patch side is bounded by the image side.
    public func validate(path: String, limits: TransformerLimits = .standard) throws(CLIPError) {
        typealias L = TransformerLimits
        try L.check(hiddenSize, atMost: limits.width, limit: "width", field: "hidden_size", path: path)
        try L.check(
            intermediateSize, atMost: limits.intermediate, limit: "intermediate", field: "intermediate_size", path: path
        )
        try L.check(numHiddenLayers, atMost: limits.layers, limit: "layers", field: "num_hidden_layers", path: path)
        try L.check(numAttentionHeads, atMost: limits.heads, limit: "heads", field: "num_attention_heads", path: path)
        try L.check(imageSize, atMost: limits.imageSize, limit: "imageSize", field: "image_size", path: path)
        try L.check(patchSize, atMost: imageSize, limit: "image_size", field: "patch_size", path: path)
        if hiddenSize % numAttentionHeads != 0 {
            throw .badConfig(
                path: path, field: "num_attention_heads",
                reason: "hidden_size \(hiddenSize) is not divisible by \(numAttentionHeads) heads")
        }
        if imageSize % patchSize != 0 {
            throw .badConfig(
                path: path, field: "patch_size",
                reason: "image_size \(imageSize) must be a multiple of patch_size \(patchSize)")
        }
        _ = try limits.visionTokens(imageSize: imageSize, patchSize: patchSize, field: "patch_size", path: path)
        if numChannels != 3 {
            throw .badConfig(path: path, field: "num_channels", reason: "expected 3, got \(numChannels)")
        }
        if !(layerNormEps > 0 && layerNormEps < 1) {
            throw .badConfig(
                path: path, field: "layer_norm_eps", reason: "expected a value in (0, 1), got \(layerNormEps)")
        }
    }
}
