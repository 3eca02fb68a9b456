/// Every checkpoint key string of the Hugging Face CLIPModel and ViTModel layouts, and nothing else.
///
/// The loader asks for exactly `expectedTensors(for:)`: a missing key or a wrong shape is an
/// error naming the key and both shapes; a file key not listed here is reported as unused
/// (a warning), except `expectedBuffers`, which real hub checkpoints carry.
public enum WeightNames {
    public static let logitScale = "logit_scale"
    /// Modules (their key is `weight(...)`: projections have no bias).
    public static let visualProjection = "visual_projection"
    public static let textProjection = "text_projection"

    public enum Vision {
        public static let prefix = "vision_model"
        public static let classEmbedding = "vision_model.embeddings.class_embedding"
        public static let patchEmbedding = "vision_model.embeddings.patch_embedding.weight"
        public static let positionEmbedding = "vision_model.embeddings.position_embedding.weight"
        /// Sic: transformers spells the vision pre-norm "layrnorm".
        public static let preLayerNorm = "vision_model.pre_layrnorm"
        public static let postLayerNorm = "vision_model.post_layernorm"
    }

    public enum Text {
        public static let prefix = "text_model"
        public static let tokenEmbedding = "text_model.embeddings.token_embedding.weight"
        public static let positionEmbedding = "text_model.embeddings.position_embedding.weight"
        public static let finalLayerNorm = "text_model.final_layer_norm"
    }

    /// Keys inside one pre-norm encoder layer, relative to its prefix. CLIP and ViT layers hold the
    /// same parameters under different names.
    public struct LayerKeys: Sendable {
        public let q, k, v, out, layerNorm1, layerNorm2, fc1, fc2: String
    }

    /// CLIPEncoderLayer.
    public static let clipLayer = LayerKeys(
        q: "self_attn.q_proj", k: "self_attn.k_proj", v: "self_attn.v_proj", out: "self_attn.out_proj",
        layerNorm1: "layer_norm1", layerNorm2: "layer_norm2", fc1: "mlp.fc1", fc2: "mlp.fc2")

    /// Buffers (not parameters) present in real hub checkpoints; expected and ignored.
    public static let expectedBuffers: Set<String> = [
        "vision_model.embeddings.position_ids",
        "text_model.embeddings.position_ids",
    ]

    public static func layerPrefix(_ tower: String, _ index: Int) -> String {
        "\(tower).encoder.layers.\(index)."
    }

    /// The parameters of one pre-norm layer under `prefix` with their PyTorch shapes.
    /// - Parameter qkvBias: whether q, k and v have biases (ViT's `qkv_bias`; always in CLIP).
    static func layerTensors(
        _ p: String, _ keys: LayerKeys, width c: Int, intermediate i: Int,
        qkvBias: Bool = true
    ) -> [(key: String, shape: [Int])] {
        var out: [(key: String, shape: [Int])] = []
        for m in [keys.q, keys.k, keys.v, keys.out] {
            out.append((weight(p + m), [c, c]))
            if qkvBias || m == keys.out { out.append((bias(p + m), [c])) }
        }
        for m in [keys.layerNorm1, keys.layerNorm2] {
            out.append((weight(p + m), [c]))
            out.append((bias(p + m), [c]))
        }
        out.append((weight(p + keys.fc1), [i, c]))
        out.append((bias(p + keys.fc1), [i]))
        out.append((weight(p + keys.fc2), [c, i]))
        out.append((bias(p + keys.fc2), [c]))
        return out
    }

    public static func weight(_ module: String) -> String { module + ".weight" }
    public static func bias(_ module: String) -> String { module + ".bias" }

    /// All parameters of a CLIPModel with this configuration, with their PyTorch shapes.
    public static func expectedTensors(for config: CLIPConfiguration) -> [(key: String, shape: [Int])] {
        var out: [(key: String, shape: [Int])] = []
        func layers(_ tower: String, _ t: TowerConfiguration) {
            for l in 0..<t.numHiddenLayers {
                out += layerTensors(
                    layerPrefix(tower, l), clipLayer, width: t.hiddenSize, intermediate: t.intermediateSize)
            }
        }
        let v = config.vision
        let t = config.text
        out.append((Vision.classEmbedding, [v.hiddenSize]))
        out.append((Vision.patchEmbedding, [v.hiddenSize, v.numChannels, v.patchSize, v.patchSize]))
        out.append((Vision.positionEmbedding, [v.visionTokens, v.hiddenSize]))
        out.append((weight(Vision.preLayerNorm), [v.hiddenSize]))
        out.append((bias(Vision.preLayerNorm), [v.hiddenSize]))
        layers(Vision.prefix, v)
        out.append((weight(Vision.postLayerNorm), [v.hiddenSize]))
        out.append((bias(Vision.postLayerNorm), [v.hiddenSize]))
        out.append((Text.tokenEmbedding, [t.vocabSize, t.hiddenSize]))
        out.append((Text.positionEmbedding, [t.maxPositionEmbeddings, t.hiddenSize]))
        layers(Text.prefix, t)
        out.append((weight(Text.finalLayerNorm), [t.hiddenSize]))
        out.append((bias(Text.finalLayerNorm), [t.hiddenSize]))
        out.append((weight(visualProjection), [config.projectionDim, v.hiddenSize]))
        out.append((weight(textProjection), [config.projectionDim, t.hiddenSize]))
        out.append((logitScale, []))
        return out
    }

    // MARK: - ViT (Hugging Face ViTModel: facebook/dino-vits16, dino-vitb16, dino-vits8)

    public enum ViT {
        public static let classToken = "embeddings.cls_token"
        public static let positionEmbeddings = "embeddings.position_embeddings"
        /// A Conv2d with bias: weight (C, 3, p, p), bias (C).
        public static let patchProjection = "embeddings.patch_embeddings.projection"
        public static let finalLayerNorm = "layernorm"
        /// ViTModel(add_pooling_layer=True) also stores `pooler.dense.*`; DINO never uses it, so
        /// keys under this prefix are not reported as unused.
        public static let ignoredPrefix = "pooler."

        /// ViTLayer.
        public static let layer = LayerKeys(
            q: "attention.attention.query", k: "attention.attention.key", v: "attention.attention.value",
            out: "attention.output.dense", layerNorm1: "layernorm_before", layerNorm2: "layernorm_after",
            fc1: "intermediate.dense", fc2: "output.dense")

        public static func layerPrefix(_ index: Int) -> String { "encoder.layer.\(index)." }

        /// All parameters of a ViTModel (without pooler) with their PyTorch shapes.
        public static func expectedTensors(for config: ViTConfiguration) -> [(key: String, shape: [Int])] {
            let c = config.hiddenSize
            let p = config.patchSize
            var out: [(key: String, shape: [Int])] = [
                (classToken, [1, 1, c]),
                (positionEmbeddings, [1, config.checkpointGrid * config.checkpointGrid + 1, c]),
                (weight(patchProjection), [c, config.numChannels, p, p]),
                (bias(patchProjection), [c]),
            ]
            for l in 0..<config.numHiddenLayers {
                out += layerTensors(
                    layerPrefix(l), layer, width: c, intermediate: config.intermediateSize,
                    qkvBias: config.qkvBias)
            }
            out.append((weight(finalLayerNorm), [c]))
            out.append((bias(finalLayerNorm), [c]))
            return out
        }
    }
}
