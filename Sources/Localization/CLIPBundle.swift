import CLIP
import Foundation
import Imaging
import Tensor

/// A CLIP model directory ready for use: the model, its tokenizer and its image preprocessing.
///
/// This is where the CLIP layer meets the imaging layer (which knows nothing of CLIP).
/// A bundle without a tokenizer (a random-weight model built in memory) embeds images only.
public struct CLIPBundle: BackendModel {
    /// OpenAI CLIP's normalisation (clip.py `_transform`); preprocessor_config.json may override.
    public static let openAIMean: [Float] = [0.48145466, 0.4578275, 0.40821073]
    public static let openAIStd: [Float] = [0.26862954, 0.26130258, 0.27577711]

    public let directory: URL?
    public let model: CLIPModel
    /// nil for a model built in memory (`init(model:)`): it embeds images, not texts.
    public let tokenizer: CLIPTokenizer?
    public let preprocessor: ImagePreprocessor

    public var backend: any LinearBackend { model.backend }
    public var linearLayers: [Linear] { model.linearLayers }
    public var warnings: [String] { model.warnings }

    /// Loads config.json, model.safetensors, vocab.json + merges.txt, and preprocessor_config.json
    /// when present (image_mean / image_std).
    public static func load(directory: URL, backend: any LinearBackend = SgemmBackend()) throws -> CLIPBundle {
        let model = try CLIPModel(directory: directory, backend: backend)
        let tokenizer = try CLIPTokenizer(modelDirectory: directory)
        let (mean, std) = try normalization(directory: directory)
        return CLIPBundle(
            directory: directory, model: model, tokenizer: tokenizer,
            preprocessor: ImagePreprocessor(size: model.imageSize, mean: mean, std: std))
    }

    public init(directory: URL?, model: CLIPModel, tokenizer: CLIPTokenizer?, preprocessor: ImagePreprocessor) {
        self.directory = directory
        self.model = model
        self.tokenizer = tokenizer
        self.preprocessor = preprocessor
    }

    /// A model built in memory (random weights): OpenAI's preprocessing, no tokenizer, so text
    /// embeddings come from elsewhere (`Localizer.provideTextEmbeddings`).
    public init(model: CLIPModel) {
        self.init(
            directory: nil, model: model, tokenizer: nil,
            preprocessor: ImagePreprocessor(size: model.imageSize, mean: Self.openAIMean, std: Self.openAIStd))
    }

    /// image_mean / image_std of preprocessor_config.json, else OpenAI's.
    static func normalization(directory: URL) throws(CLIPError) -> (mean: [Float], std: [Float]) {
        try PreprocessorConfiguration.normalization(
            directory: directory, fallbackMean: openAIMean, fallbackStd: openAIStd)
    }

    /// Normalised text embeddings (N, E) of prompts; an empty prompt is an error.
    public func embedTexts(_ texts: [String], workspace: Workspace) throws -> [Float] {
        guard let tokenizer else { throw CLIPError.badInput("this model was built in memory and has no tokenizer") }
        for (i, t) in texts.enumerated() where CLIPTokenizer.cleanText(t).isEmpty {
            throw CLIPError.badInput("text \(i + 1) is empty after cleaning: \"\(t)\"")
        }
        let tokens = try tokenizer.tokenize(texts, contextLength: model.configuration.text.maxPositionEmbeddings)
        return try model.encodeTexts(tokens: tokens, workspace: workspace)
    }

    /// Warnings for texts longer than the text tower's context (CLIP: 77 tokens with the start
    /// and end tokens): such texts are cut, as `clip.tokenize(truncate=True)` does, so the end of
    /// the prompt is not seen. One message per text, with its token count. (A text the tokenizer
    /// refuses has none: `embedTexts` reports it.)
    public func truncationWarnings(_ texts: [String]) -> [String] {
        guard let tokenizer else { return [] }
        let limit = model.configuration.text.maxPositionEmbeddings
        return texts.compactMap { t in
            guard let ids = try? tokenizer.encode(t) else { return nil }
            let count = ids.count + 2  // start and end tokens
            return count > limit
                ? "prompt \"\(t)\" is \(count) tokens; CLIP reads only the first \(limit) (the rest is cut)"
                : nil
        }
    }

    /// Normalised image embeddings (N, E) with OpenAI's preprocessing, encoded `batch` images at
    /// a time so that memory does not grow with N.
    public func embedImages(_ images: [DecodedImage], workspace: Workspace, batch: Int = 32) -> [Float] {
        let per = preprocessor.valueCount
        let step = max(1, batch)
        var result: [Float] = []
        var pixels = [Float](repeating: 0, count: min(step, images.count) * per)
        for start in stride(from: 0, to: images.count, by: step) {
            let chunk = images[start..<min(images.count, start + step)]
            pixels.withUnsafeMutableBufferPointer { buffer in
                for (i, image) in chunk.enumerated() {
                    preprocessor.pixelValues(
                        image, into: UnsafeMutableBufferPointer(rebasing: buffer[(i * per)..<((i + 1) * per)]))
                }
            }
            result += pixels.withUnsafeBufferPointer {
                model.encodeImages(pixels: $0.baseAddress!, count: chunk.count, workspace: workspace)
            }
        }
        return result
    }
}
