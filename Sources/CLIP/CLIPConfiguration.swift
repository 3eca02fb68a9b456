import Foundation
import KeypointsSupport
import Tensor

/// config.json of a Hugging Face CLIPModel directory.
public struct CLIPConfiguration: Decodable, Sendable, Equatable {
    public var projectionDim: Int
    public var logitScaleInitValue: Float
    public var text: TowerConfiguration
    public var vision: TowerConfiguration

    enum CodingKeys: String, CodingKey {
        case projectionDim = "projection_dim"
        case logitScaleInitValue = "logit_scale_init_value"
        case text = "text_config"
        case vision = "vision_config"
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        projectionDim = try c.decodeIfPresent(Int.self, forKey: .projectionDim) ?? 512
        logitScaleInitValue = try c.decodeIfPresent(Float.self, forKey: .logitScaleInitValue) ?? 2.6592
        text = try c.decode(TowerConfiguration.self, forKey: .text)
        vision = try c.decode(TowerConfiguration.self, forKey: .vision)
    }

    public init(projectionDim: Int, text: TowerConfiguration, vision: TowerConfiguration) {
        self.projectionDim = projectionDim
        self.logitScaleInitValue = 2.6592
        self.text = text
        self.vision = vision
    }

    /// Reads and validates config.json.
    public static func load(from url: URL) throws(CLIPError) -> CLIPConfiguration {
        let config = try decodeConfig(CLIPConfiguration.self, from: url, family: "CLIP", modelType: "clip")
        try config.validate(path: url.path)
        return config
    }

    /// Decodes a config.json of any model family; errors name the file and the JSON field, or, when
    /// the file is of another family than `modelType` (its model_type, else its architectures),
    /// that family.
    static func decodeConfig<T: Decodable>(
        _ type: T.Type, from url: URL, family: String, modelType: String
    ) throws(CLIPError) -> T {
        let path = url.path
        guard FileManager.default.fileExists(atPath: path) else {
            throw .missingFile(path: path, hint: "a Hugging Face \(family) directory has config.json")
        }
        let data = try RegularFile.read(
            url, maxBytes: TransformerLimits.configFileBytes, limitName: "TransformerLimits.configFileBytes"
        ) { CLIPError.badConfig(path: path, field: "(file)", reason: $0.message) }
        do { return try JSONDecoder().decode(T.self, from: data) } catch let error as DecodingError {
            if let found = ModelFamily(config: data), found.modelType != modelType,
                let expected = ModelFamily.known.first(where: { $0.modelType == modelType })
            {
                throw .wrongFamily(
                    directory: url.deletingLastPathComponent().path, found: found.name, modelType: found.modelType,
                    expected: expected.name)
            }
            throw .badConfig(path: path, field: field(of: error), reason: reason(of: error))
        } catch {
            throw .badConfig(path: path, field: "(file)", reason: "\(error)")
        }
    }

    /// Checks every size against `limits` (before any weight name or tensor is made from it)
    /// and the relations between sizes.
    public func validate(path: String, limits: TransformerLimits = .standard) throws(CLIPError) {
        typealias L = TransformerLimits
        for (name, t) in [("text_config", text), ("vision_config", vision)] {
            try t.shape.validateTransformer(prefix: name + ".", path: path, limits: limits)
        }
        try L.check(
            vision.imageSize, atMost: limits.imageSize, limit: "imageSize", field: "vision_config.image_size",
            path: path)
        try L.check(
            text.vocabSize, atMost: limits.vocabulary, limit: "vocabulary", field: "text_config.vocab_size", path: path)
        try L.check(
            text.maxPositionEmbeddings, atMost: limits.tokens, limit: "tokens",
            field: "text_config.max_position_embeddings", path: path)
        if vision.patchSize <= 0 || vision.imageSize % vision.patchSize != 0 {
            throw .badConfig(
                path: path, field: "vision_config.patch_size",
                reason: "image_size \(vision.imageSize) must be a positive multiple of patch_size \(vision.patchSize)")
        }
        _ = try limits.visionTokens(
            imageSize: vision.imageSize, patchSize: vision.patchSize,
            field: "vision_config.patch_size", path: path)
        if vision.numChannels != 3 {
            throw .badConfig(
                path: path, field: "vision_config.num_channels", reason: "expected 3, got \(vision.numChannels)")
        }
        try L.check(projectionDim, atMost: limits.width, limit: "width", field: "projection_dim", path: path)
        if !(0..<text.vocabSize).contains(text.eosTokenId) {
            throw .badConfig(
                path: path, field: "text_config.eos_token_id",
                reason: "expected a token id below vocab_size \(text.vocabSize), got \(text.eosTokenId)")
        }
    }

    private static func field(of error: DecodingError) -> String {
        let path: [CodingKey]
        switch error {
        case .keyNotFound(let key, let ctx): path = ctx.codingPath + [key]
        case .typeMismatch(_, let ctx), .valueNotFound(_, let ctx), .dataCorrupted(let ctx): path = ctx.codingPath
        @unknown default: path = []
        }
        return path.isEmpty
            ? "(root)" : path.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
    }

    private static func reason(of error: DecodingError) -> String {
        switch error {
        case .keyNotFound: return "missing"
        case .typeMismatch(let type, _): return "expected \(type)"
        case .valueNotFound(let type, _): return "expected \(type), found null"
        case .dataCorrupted(let ctx): return ctx.debugDescription
        @unknown default: return "\(error)"
        }
    }

    /// Short architecture name ("ViT-B/32", "ViT-L/14-336") or a descriptive fallback.
    public var architectureName: String {
        let size: String
        switch (vision.hiddenSize, vision.numHiddenLayers) {
        case (768, 12): size = "B"
        case (1024, 24): size = "L"
        case (1280, 32): size = "H"
        default: return "ViT-\(vision.hiddenSize)x\(vision.numHiddenLayers)/\(vision.patchSize)@\(vision.imageSize)"
        }
        let base = "ViT-\(size)/\(vision.patchSize)"
        return vision.imageSize == 224 ? base : "\(base)-\(vision.imageSize)"
    }
}

/// The model family a config.json declares: its model_type, else the model_type of a known
/// family named in its architectures.
struct ModelFamily: Equatable {
    /// transformers' model_type ("clip", "vit").
    let modelType: String
    /// How messages call the family.
    let name: String

    /// The families keypoints loads, with the architecture transformers writes for each.
    static let known: [(modelType: String, name: String, architecture: String)] = [
        ("clip", "CLIP model", "CLIPModel"), ("vit", "DINO ViT", "ViTModel"),
    ]

    /// Nil when the data is no JSON object or declares no family.
    init?(config data: Data) {
        guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { return nil }
        let architectures = object["architectures"] as? [String] ?? []
        let type: String
        if let declared = object["model_type"] as? String, !declared.isEmpty {
            type = declared
        } else if let match = Self.known.first(where: { architectures.contains($0.architecture) }) {
            type = match.modelType
        } else {
            return nil
        }
        modelType = type
        name = Self.known.first { $0.modelType == type }?.name ?? "\(type) model"
    }
}
