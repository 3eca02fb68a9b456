import Foundation
import Tensor

/// One tower's transformer shape (`vision_config` or `text_config` of config.json).
///
/// The encoder's fields are `shape`'s, read as the configuration's own (`tower.hiddenSize`); the
/// text-only fields are unused in the vision tower.
public struct TowerConfiguration: EncoderConfiguration, Decodable, Sendable, Equatable {
    public var shape: EncoderShape
    // Text only.
    public var vocabSize: Int
    public var maxPositionEmbeddings: Int
    public var eosTokenId: Int

    /// transformers' CLIPTextConfig / CLIPVisionConfig, for the fields old configs omit.
    public static let defaults = EncoderShape.Defaults(hiddenAct: .quickGELU, layerNormEps: 1e-5, patchSize: 32)

    enum CodingKeys: String, CodingKey {
        case vocabSize = "vocab_size"
        case maxPositionEmbeddings = "max_position_embeddings"
        case eosTokenId = "eos_token_id"
    }

    public init(from decoder: Decoder) throws {
        shape = try EncoderShape(from: decoder, defaults: Self.defaults)
        let c = try decoder.container(keyedBy: CodingKeys.self)
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
        self.vocabSize = vocabSize
        self.maxPositionEmbeddings = maxPositionEmbeddings
        self.eosTokenId = eosTokenId
        shape = EncoderShape(
            hiddenSize: hiddenSize, intermediateSize: intermediateSize, numHiddenLayers: numHiddenLayers,
            numAttentionHeads: numAttentionHeads, hiddenAct: hiddenAct, layerNormEps: layerNormEps,
            imageSize: imageSize, patchSize: patchSize, numChannels: numChannels)
    }

    /// transformers' CLIPTextTransformer: eos_token_id == 2 is the legacy configuration of the
    /// hub's OpenAI checkpoints and means "pool at argmax(input_ids)".
    public var poolsAtArgmax: Bool { eosTokenId == 2 }
}
