import CLIP
import Foundation
import KeypointsTestSupport
import Tensor
import Testing

@testable import TensorDNNL

/// The fidelity bar for bf16 (issue 6): cosine >= 0.999 per embedding against the fp32
/// PyTorch references. (The fp32 path is held to 0.99999 in CLIPTests.)
let bf16EmbeddingCosineTolerance = 0.999
/// f32 operands are held to the fp32 path's bar (CLIPTests' `embeddingCosineTolerance`): the
/// products differ from OpenBLAS's only in accumulation order.
let fp32EmbeddingCosineTolerance = 0.99999

/// f32 operands' largest absolute difference per embedding element: the fp32 path's bar
/// (CLIPTests' `embeddingMaxAbsTolerance`, the issue's), which the README claims for both fp32
/// libraries; bf16 is held to its cosine only.
let fp32EmbeddingMaxAbsTolerance: Float = 1e-4

/// The cosine bar for `operand`'s embeddings.
func embeddingCosineTolerance(_ operand: OperandType) -> Double {
    operand == .bf16 ? bf16EmbeddingCosineTolerance : fp32EmbeddingCosineTolerance
}

/// CLIPTests' committed fixtures (made by Tests/CLIPTests/Fixtures/make_reference.py; see its
/// README.md). This target has no resources of its own, so they are found from this file's path.
enum CLIPFixtures {
    static var root: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("CLIPTests/Fixtures")
    }
    static func model(_ name: String) -> URL { root.appendingPathComponent("models/\(name)") }
    static func reference(_ name: String) throws -> SafeTensorsFile {
        try SafeTensorsFile(url: root.appendingPathComponent("references/\(name).safetensors"))
    }
}

/// CLIP embeddings on `DNNLBackend` against the transformers references, for every operand type
/// this CPU runs (`testedOperands`).
@Suite struct DNNLCLIPTests {
    /// Encodes the reference file's images and texts with `model` and checks every embedding.
    /// Returns the smallest cosine (for the log).
    func checkEmbeddings(
        _ model: CLIPModel, reference ref: SafeTensorsFile, pixels: [Float], label: String,
        backend: DNNLBackend
    ) throws -> Double {
        let bar = embeddingCosineTolerance(backend.operand)
        let e = model.embeddingDim
        let ws = Workspace(workers: 2)
        let images = try model.encodeImages(pixels: pixels, workspace: ws)
        let expectedImages = try ref.floats("image_embeds")
        var lowest = 1.0
        for row in 0..<(expectedImages.count / e) {
            let cosine = rowCosine(images, expectedImages, width: e, row: row)
            lowest = min(lowest, cosine)
            #expect(cosine >= bar, "\(label) image \(row): cosine \(cosine)")
        }
        if backend.operand == .f32 { expectMaxAbs(images, expectedImages, label: "\(label) image") }
        let ids = try ref.integers("input_ids")
        let tokens = stride(from: 0, to: ids.count, by: 77).map { ids[$0..<($0 + 77)].map { Int32($0) } }
        let texts = try model.encodeTexts(tokens: tokens, workspace: ws)
        let expectedTexts = try ref.floats("text_embeds")
        for row in 0..<tokens.count {
            let cosine = rowCosine(texts, expectedTexts, width: e, row: row)
            lowest = min(lowest, cosine)
            #expect(cosine >= bar, "\(label) text \(row): cosine \(cosine)")
        }
        if backend.operand == .f32 { expectMaxAbs(texts, expectedTexts, label: "\(label) text") }
        #expect(backend.notices.isEmpty, "\(backend.notices)")
        return lowest
    }

    /// Every element of `actual` within `fp32EmbeddingMaxAbsTolerance` of `expected`.
    func expectMaxAbs(_ actual: [Float], _ expected: [Float], label: String) {
        #expect(actual.count == expected.count, "\(label): \(actual.count) values, expected \(expected.count)")
        let worst = zip(actual, expected).map { abs($0 - $1) }.max() ?? 0
        #expect(worst <= fp32EmbeddingMaxAbsTolerance, "\(label)s: max abs \(worst)")
    }

    /// Attention thresholds: 1 runs every attention product on oneDNN (these models' sequences are
    /// short), the default keeps them on `Kernels.attention` as the CLI does for such lengths.
    static let attentionThresholds = [1, DNNLBackend.defaultMinimumAttentionTokens]

    @Test(arguments: testedOperands, attentionThresholds)
    func tinyQuickGELUMatchesTransformers(_ operand: OperandType, minimumAttentionTokens: Int) throws {
        let backend = try DNNLBackend(threads: 2, minimumAttentionTokens: minimumAttentionTokens, operand: operand)
        let model = try CLIPModel(directory: CLIPFixtures.model("tiny-quickgelu"), backend: backend)
        let ref = try CLIPFixtures.reference("tiny-quickgelu")
        let lowest = try checkEmbeddings(
            model, reference: ref, pixels: try ref.floats("pixel_values"),
            label: "tiny-quickgelu", backend: backend)
        // Every Linear went through the cache: per tower 4 per layer (2 layers) plus the projection,
        // plus the patch embedding.
        #expect(backend.cachedLayerCount == 2 * (4 * 2 + 1) + 1)
        if operand == .bf16 {
            let exact = try CLIPModel(directory: CLIPFixtures.model("tiny-quickgelu"))
            let pixels = try ref.floats("pixel_values")
            let a = try model.encodeImages(pixels: pixels, workspace: Workspace(workers: 1))
            let b = try exact.encodeImages(pixels: pixels, workspace: Workspace(workers: 1))
            // bf16 rounding moves the embeddings by ~1e-3: identical ones would mean it never ran.
            // (f32 may legitimately match OpenBLAS bit for bit; the cache count above shows it ran.)
            #expect(a != b, "bf16 embeddings are bit-identical to OpenBLAS's: the bf16 backend did not run")
        }
        print(
            "tiny-quickgelu \(operand) (attention on oneDNN from \(minimumAttentionTokens) tokens): lowest cosine \(lowest)"
        )
    }

    @Test(arguments: testedOperands, attentionThresholds)
    func syntheticViTB32MatchesTransformers(_ operand: OperandType, minimumAttentionTokens: Int) throws {
        let config = try #require(CLIPConfiguration.openAI("ViT-B/32"))
        let backend = try DNNLBackend(threads: 2, minimumAttentionTokens: minimumAttentionTokens, operand: operand)
        let model = try CLIPModel(synthetic: config, seed: SyntheticWeights.referenceSeed, backend: backend)
        let ref = try CLIPFixtures.reference("vitb32-synthetic")
        let pixels = normalizePixels(try ref.floats("pixel_values_u8"), size: 224)
        let lowest = try checkEmbeddings(
            model, reference: ref, pixels: pixels, label: "ViT-B/32 synthetic",
            backend: backend)
        print(
            "ViT-B/32 synthetic \(operand) (attention on oneDNN from \(minimumAttentionTokens) tokens): lowest cosine \(lowest), "
                + "implementation \(backend.implementationsUsed)")
    }
}
