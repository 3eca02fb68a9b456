import KeypointsSupport

/// Upper bounds on the sizes a model's config.json states, checked before anything is built or
/// allocated from them (weight names, weights, scratch memory). Each bound is named, and errors
/// name it: "vision_config.num_hidden_layers: 1000000000 is over the limit layers = 64".
///
/// One table serves every vision-transformer family (CLIP now, other ViTs later): a family with
/// other needs makes its own table with `TransformerLimits(...)` and passes it to its checks.
/// The defaults leave room far above the largest public models (OpenCLIP ViT-bigG/14: 48
/// layers, width 1664, MLP 8192, 16 heads; ViT-L/14-336: 577 tokens; DINOv2 ViT-g/14 at 518
/// px: 1370 tokens) while keeping one attention score matrix (tokens^2 floats) under 70 MB.
public struct TransformerLimits: Sendable, Equatable {
    /// Encoder layers per tower.
    public var layers: Int
    /// Residual width (hidden_size) and projection width.
    public var width: Int
    /// MLP width (intermediate_size).
    public var intermediate: Int
    /// Attention heads per layer.
    public var heads: Int
    /// Input image side, pixels (image_size).
    public var imageSize: Int
    /// Sequence length: vision tokens (patches + class token) and text positions.
    public var tokens: Int
    /// Text vocabulary entries.
    public var vocabulary: Int

    public init(layers: Int, width: Int, intermediate: Int, heads: Int, imageSize: Int, tokens: Int, vocabulary: Int) {
        self.layers = layers
        self.width = width
        self.intermediate = intermediate
        self.heads = heads
        self.imageSize = imageSize
        self.tokens = tokens
        self.vocabulary = vocabulary
    }

    /// Bytes of config.json and preprocessor_config.json (a few KB in practice; `model fetch`
    /// stops at the same cap).
    public static let configFileBytes = ModelFileLimits.configBytes
    /// Bytes of a tokenizer file (CLIP's vocab.json is 1.7 MB, merges.txt 0.5 MB; `model fetch`
    /// stops at the same cap).
    public static let tokenizerFileBytes = ModelFileLimits.tokenizerBytes

    /// The limits of every model this project loads.
    public static let standard = TransformerLimits(
        layers: 64, width: 8192, intermediate: 32768, heads: 128, imageSize: 2048, tokens: 4097,
        vocabulary: 1 << 20)

    /// Checks `1 <= value <= maximum`.
    /// - Parameters:
    ///   - value: the number read from the file.
    ///   - maximum: one of this table's limits; `limit` is its name in the error.
    /// - Throws: `CLIPError.badConfig` naming the field, the value and the limit.
    public static func check(
        _ value: Int, atMost maximum: Int, limit: String, field: String,
        path: String
    ) throws(CLIPError) {
        guard value >= 1 else {
            throw .badConfig(path: path, field: field, reason: "expected a positive integer, got \(value)")
        }
        guard value <= maximum else {
            throw .badConfig(path: path, field: field, reason: "\(value) is over the limit \(limit) = \(maximum)")
        }
    }

    /// Vision tokens of a ViT: (image / patch)^2 + 1 class token, with checked arithmetic.
    /// - Throws: `badConfig` when the count overflows or exceeds `tokens`.
    public func visionTokens(imageSize: Int, patchSize: Int, field: String, path: String) throws(CLIPError) -> Int {
        let side = imageSize / patchSize
        let (square, overflow) = side.multipliedReportingOverflow(by: side)
        let (count, overflow2) = square.addingReportingOverflow(1)
        guard !overflow, !overflow2, count <= tokens else {
            throw .badConfig(
                path: path, field: field,
                reason:
                    "image_size \(imageSize) / patch_size \(patchSize) gives over the limit tokens = \(tokens) vision tokens"
            )
        }
        return count
    }
}
