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

    /// Bounds on every size read from config.json, checked before anything is allocated.
    /// The largest real DINO ViT (ViT-B/8) has width 768, 12 layers, 12 heads, MLP 3072.
    public enum Limits {
        public static let hiddenSize = 8192
        public static let intermediateSize = 65_536
        public static let layers = 256
        public static let heads = 256
        public static let imageSize = 4096
        public static let patchSize = 64
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

    public init(hiddenSize: Int, intermediateSize: Int, numHiddenLayers: Int, numAttentionHeads: Int,
                hiddenAct: Activation = .gelu, layerNormEps: Float = 1e-6, imageSize: Int = 224,
                patchSize: Int = 16, numChannels: Int = 3, qkvBias: Bool = true) {
        self.hiddenSize = hiddenSize; self.intermediateSize = intermediateSize
        self.numHiddenLayers = numHiddenLayers; self.numAttentionHeads = numAttentionHeads
        self.hiddenAct = hiddenAct; self.layerNormEps = layerNormEps; self.imageSize = imageSize
        self.patchSize = patchSize; self.numChannels = numChannels; self.qkvBias = qkvBias
    }

    /// DINO ViT-S/16 (facebook/dino-vits16): the shape of `keypoints saliency`'s default model.
    public static let dinoViTS16 = ViTConfiguration(hiddenSize: 384, intermediateSize: 1536, numHiddenLayers: 12,
                                                    numAttentionHeads: 6, patchSize: 16)

    /// Side of the checkpoint's position-embedding grid.
    public var checkpointGrid: Int { imageSize / patchSize }

    /// Reads and validates config.json.
    public static func load(from url: URL) throws(CLIPError) -> ViTConfiguration {
        let config = try CLIPConfiguration.decodeConfig(ViTConfiguration.self, from: url, family: "ViT")
        try config.validate(path: url.path)
        return config
    }

    public func validate(path: String) throws(CLIPError) {
        for (field, v, limit) in [("hidden_size", hiddenSize, Limits.hiddenSize),
                                  ("intermediate_size", intermediateSize, Limits.intermediateSize),
                                  ("num_hidden_layers", numHiddenLayers, Limits.layers),
                                  ("num_attention_heads", numAttentionHeads, Limits.heads),
                                  ("image_size", imageSize, Limits.imageSize),
                                  ("patch_size", patchSize, Limits.patchSize)]
        where v <= 0 || v > limit {
            throw .badConfig(path: path, field: field, reason: "expected an integer in 1...\(limit), got \(v)")
        }
        if hiddenSize % numAttentionHeads != 0 {
            throw .badConfig(path: path, field: "num_attention_heads",
                             reason: "hidden_size \(hiddenSize) is not divisible by \(numAttentionHeads) heads")
        }
        if imageSize % patchSize != 0 {
            throw .badConfig(path: path, field: "patch_size",
                             reason: "image_size \(imageSize) must be a multiple of patch_size \(patchSize)")
        }
        if numChannels != 3 {
            throw .badConfig(path: path, field: "num_channels", reason: "expected 3, got \(numChannels)")
        }
        if !(layerNormEps > 0 && layerNormEps < 1) {
            throw .badConfig(path: path, field: "layer_norm_eps", reason: "expected a value in (0, 1), got \(layerNormEps)")
        }
    }
}
