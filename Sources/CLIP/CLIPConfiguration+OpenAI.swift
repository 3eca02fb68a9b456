extension CLIPConfiguration {
    /// Transformer shapes of the OpenAI CLIP ViTs (hub configs of openai/clip-vit-*).
    public static func openAI(_ name: String) -> CLIPConfiguration? {
        func text(_ width: Int, _ heads: Int) -> TowerConfiguration {
            TowerConfiguration(
                hiddenSize: width, intermediateSize: 4 * width, numHiddenLayers: 12,
                numAttentionHeads: heads, vocabSize: 49408, maxPositionEmbeddings: 77, eosTokenId: 2)
        }
        func vision(_ width: Int, _ layers: Int, _ heads: Int, _ image: Int, _ patch: Int) -> TowerConfiguration {
            TowerConfiguration(
                hiddenSize: width, intermediateSize: 4 * width, numHiddenLayers: layers,
                numAttentionHeads: heads, imageSize: image, patchSize: patch)
        }
        switch name.uppercased() {
        case "VIT-B/32":
            return CLIPConfiguration(projectionDim: 512, text: text(512, 8), vision: vision(768, 12, 12, 224, 32))
        case "VIT-B/16":
            return CLIPConfiguration(projectionDim: 512, text: text(512, 8), vision: vision(768, 12, 12, 224, 16))
        case "VIT-L/14":
            return CLIPConfiguration(projectionDim: 768, text: text(768, 12), vision: vision(1024, 24, 16, 224, 14))
        case "VIT-L/14-336", "VIT-L/14@336":
            return CLIPConfiguration(projectionDim: 768, text: text(768, 12), vision: vision(1024, 24, 16, 336, 14))
        default: return nil
        }
    }

    public static let openAINames = ["ViT-B/32", "ViT-B/16", "ViT-L/14", "ViT-L/14-336"]
}
