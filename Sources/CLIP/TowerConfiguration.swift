import Foundation
import Tensor

/// One tower's transformer shape (`vision_config` or `text_config` of config.json).
public struct TowerConfiguration: Codable, Sendable, Equatable {
    public var hiddenSize: Int
    public var intermediateSize: Int
    public var numHiddenLayers: Int
    public var numAttentionHeads: Int
    public var hiddenAct: Activation
    public var layerNormEps: Float
    // Vision only.
    public var imageSize: Int
    public var patchSize: Int
    public var numChannels: Int
    // Text only.
    public var vocabSize: Int
    public var maxPositionEmbeddings: Int
    public var eosTokenId: Int

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
        case vocabSize = "vocab_size"
        case maxPositionEmbeddings = "max_position_embeddings"
        case eosTokenId = "eos_token_id"
    }

    /// Defaults are transformers' (CLIPTextConfig / CLIPVisionConfig) for fields old configs omit.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        hiddenSize = try c.decode(Int.self, forKey: .hiddenSize)
        intermediateSize = try c.decode(Int.self, forKey: .intermediateSize)
        numHiddenLayers = try c.decode(Int.self, forKey: .numHiddenLayers)
        numAttentionHeads = try c.decode(Int.self, forKey: .numAttentionHeads)
        hiddenAct = try c.decodeIfPresent(Activation.self, forKey: .hiddenAct) ?? .quickGELU
        layerNormEps = try c.decodeIfPresent(Float.self, forKey: .layerNormEps) ?? 1e-5
        imageSize = try c.decodeIfPresent(Int.self, forKey: .imageSize) ?? 224
        patchSize = try c.decodeIfPresent(Int.self, forKey: .patchSize) ?? 32
        numChannels = try c.decodeIfPresent(Int.self, forKey: .numChannels) ?? 3
        vocabSize = try c.decodeIfPresent(Int.self, forKey: .vocabSize) ?? 49408
        maxPositionEmbeddings = try c.decodeIfPresent(Int.self, forKey: .maxPositionEmbeddings) ?? 77
        eosTokenId = try c.decodeIfPresent(Int.self, forKey: .eosTokenId) ?? 49407
    }

    public init(
        hiddenSize: Int, intermediateSize: Int, numHiddenLayers: Int, numAttentionHeads: Int,
        hiddenAct: Activation = .quickGELU, layerNormEps: Float = 1e-5, imageSize: Int = 224,
        patchSize: Int = 32, numChannels: Int = 3, vocabSize: Int = 49408,
        maxPositionEmbeddings: Int = 77, eosTokenId: Int = 2
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
        self.vocabSize = vocabSize
        self.maxPositionEmbeddings = maxPositionEmbeddings
        self.eosTokenId = eosTokenId
    }

    public var headDim: Int { hiddenSize / numAttentionHeads }
    /// Vision tokens: one class token plus (image / patch)^2 patches.
    public var visionTokens: Int { (imageSize / patchSize) * (imageSize / patchSize) + 1 }
    /// transformers' CLIPTextTransformer: eos_token_id == 2 is the legacy configuration of the
    /// hub's OpenAI checkpoints and means "pool at argmax(input_ids)".
    public var poolsAtArgmax: Bool { eosTokenId == 2 }
}
