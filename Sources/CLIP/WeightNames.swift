/// Every checkpoint key string of the Hugging Face CLIPModel layout, and nothing else.
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

    /// Keys inside one encoder layer, relative to `layerPrefix`.
    public enum Layer {
        public static let q = "self_attn.q_proj"
        public static let k = "self_attn.k_proj"
        public static let v = "self_attn.v_proj"
        public static let out = "self_attn.out_proj"
        public static let layerNorm1 = "layer_norm1"
        public static let layerNorm2 = "layer_norm2"
        public static let fc1 = "mlp.fc1"
        public static let fc2 = "mlp.fc2"
    }

    /// Buffers (not parameters) present in real hub checkpoints; expected and ignored.
    public static let expectedBuffers: Set<String> = [
        "vision_model.embeddings.position_ids",
        "text_model.embeddings.position_ids",
    ]

    public static func layerPrefix(_ tower: String, _ index: Int) -> String {
        "\(tower).encoder.layers.\(index)."
    }

    public static func weight(_ module: String) -> String { module + ".weight" }
    public static func bias(_ module: String) -> String { module + ".bias" }

    /// All parameters of a CLIPModel with this configuration, with their PyTorch shapes.
    public static func expectedTensors(for config: CLIPConfiguration) -> [(key: String, shape: [Int])] {
        var out: [(key: String, shape: [Int])] = []
        func layers(_ tower: String, _ t: TowerConfiguration) {
            let c = t.hiddenSize, i = t.intermediateSize
            for l in 0..<t.numHiddenLayers {
                let p = layerPrefix(tower, l)
                for m in [Layer.q, Layer.k, Layer.v, Layer.out] {
                    out.append((weight(p + m), [c, c]))
                    out.append((bias(p + m), [c]))
                }
                for m in [Layer.layerNorm1, Layer.layerNorm2] {
                    out.append((weight(p + m), [c]))
                    out.append((bias(p + m), [c]))
                }
                out.append((weight(p + Layer.fc1), [i, c]))
                out.append((bias(p + Layer.fc1), [i]))
                out.append((weight(p + Layer.fc2), [c, i]))
                out.append((bias(p + Layer.fc2), [c]))
            }
        }
        let v = config.vision, t = config.text
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
}
