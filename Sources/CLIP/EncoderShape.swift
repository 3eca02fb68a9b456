import Foundation
import Tensor

/// The transformer encoder's shape, as a CLIP tower (`vision_config`, `text_config`) and a ViT
/// (`ViTModel` config.json) both write it: the same config.json keys at the same level.
///
/// `TowerConfiguration` and `ViTConfiguration` embed one and expose its fields as their own
/// (`config.hiddenSize`); only what a family omits differs (`Defaults`).
public struct EncoderShape: Sendable, Equatable {
    public var hiddenSize: Int
    public var intermediateSize: Int
    public var numHiddenLayers: Int
    public var numAttentionHeads: Int
    public var hiddenAct: Activation
    public var layerNormEps: Float
    /// The input side; position embeddings form an (image / patch)² grid.
    public var imageSize: Int
    public var patchSize: Int
    public var numChannels: Int

    /// What a config.json may omit, by model family (transformers' defaults differ).
    public struct Defaults: Sendable {
        public var hiddenAct: Activation
        public var layerNormEps: Float
        public var patchSize: Int
    }

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
    }

    /// Reads the shape's keys from the object `decoder` stands at (the family's other keys are
    /// read by the family's configuration from the same object).
    public init(from decoder: Decoder, defaults: Defaults) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        hiddenSize = try c.decode(Int.self, forKey: .hiddenSize)
        intermediateSize = try c.decode(Int.self, forKey: .intermediateSize)
        numHiddenLayers = try c.decode(Int.self, forKey: .numHiddenLayers)
        numAttentionHeads = try c.decode(Int.self, forKey: .numAttentionHeads)
        hiddenAct = try c.decodeIfPresent(Activation.self, forKey: .hiddenAct) ?? defaults.hiddenAct
        layerNormEps = try c.decodeIfPresent(Float.self, forKey: .layerNormEps) ?? defaults.layerNormEps
        imageSize = try c.decodeIfPresent(Int.self, forKey: .imageSize) ?? 224
        patchSize = try c.decodeIfPresent(Int.self, forKey: .patchSize) ?? defaults.patchSize
        numChannels = try c.decodeIfPresent(Int.self, forKey: .numChannels) ?? 3
    }

    public init(
        hiddenSize: Int, intermediateSize: Int, numHiddenLayers: Int, numAttentionHeads: Int,
        hiddenAct: Activation, layerNormEps: Float, imageSize: Int, patchSize: Int, numChannels: Int
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
    }

    public var headDim: Int { hiddenSize / numAttentionHeads }
    /// Vision tokens: one class token plus (image / patch)^2 patches.
    public var visionTokens: Int { (imageSize / patchSize) * (imageSize / patchSize) + 1 }

    /// Checks the transformer's sizes against `limits` and that the heads divide the width;
    /// `prefix` names the object in errors ("vision_config." or "").
    public func validateTransformer(prefix: String, path: String, limits: TransformerLimits) throws(CLIPError) {
        typealias L = TransformerLimits
        try L.check(hiddenSize, atMost: limits.width, limit: "width", field: prefix + "hidden_size", path: path)
        try L.check(
            intermediateSize, atMost: limits.intermediate, limit: "intermediate",
            field: prefix + "intermediate_size", path: path)
        try L.check(
            numHiddenLayers, atMost: limits.layers, limit: "layers", field: prefix + "num_hidden_layers", path: path)
        try L.check(
            numAttentionHeads, atMost: limits.heads, limit: "heads", field: prefix + "num_attention_heads", path: path)
        if hiddenSize % numAttentionHeads != 0 {
            throw .badConfig(
                path: path, field: prefix + "num_attention_heads",
                reason: "hidden_size \(hiddenSize) is not divisible by \(numAttentionHeads) heads")
        }
    }
}

/// A model family's configuration that embeds an `EncoderShape` and reads its fields as its own
/// (`config.hiddenSize` is `config.shape.hiddenSize`).
@dynamicMemberLookup
public protocol EncoderConfiguration {
    var shape: EncoderShape { get set }
}

extension EncoderConfiguration {
    public subscript<T>(dynamicMember field: KeyPath<EncoderShape, T>) -> T { shape[keyPath: field] }
    public subscript<T>(dynamicMember field: WritableKeyPath<EncoderShape, T>) -> T {
        get { shape[keyPath: field] }
        set { shape[keyPath: field] = newValue }
    }
}
