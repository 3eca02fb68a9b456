import Foundation
import KeypointsTestSupport
import Tensor
import Testing

@testable import CLIP

/// fp32 weights, same math as PyTorch in a different order (fused qkv, blocked sgemm, pooled
/// last layer): embeddings agree to ~1e-6; the bar is cosine >= 0.99999, max abs <= 1e-4.
let embeddingCosineTolerance = 0.99999
let embeddingMaxAbsTolerance: Float = 1e-4

struct ReferenceCase: Sendable, CustomTestStringConvertible {
    let model: String
    var testDescription: String { model }
}

@Suite struct CLIPModelTests {
    static let tinyModels = ["tiny-quickgelu", "tiny-gelu-fp16", "tiny-bf16", "tiny-quickgelu-hub"]

    /// The reference file of a model directory (the hub copy shares tiny-quickgelu's).
    static func referenceName(_ model: String) -> String { model == "tiny-quickgelu-hub" ? "tiny-quickgelu" : model }

    @Test(arguments: tinyModels, FP32Backend.allCases)
    func tinyModelMatchesTransformers(model name: String, backend: FP32Backend) throws {
        let model = try CLIPModel(directory: Fixtures.model(name), backend: backend.make())
        let ref = try Fixtures.reference(Self.referenceName(name))
        let ws = Workspace(workers: 2)
        let e = model.embeddingDim

        let pixels = try ref.floats("pixel_values")
        let n = try ref.entry("pixel_values").shape[0]
        var pooled = [Float](repeating: 0, count: n * model.configuration.vision.hiddenSize)
        let images = pixels.withUnsafeBufferPointer { p in
            pooled.withUnsafeMutableBufferPointer { out in
                model.encodeImages(pixels: p.baseAddress!, count: n, workspace: ws, pooled: out.baseAddress!)
            }
        }
        let expectedImages = try ref.floats("image_embeds")
        for row in 0..<n {
            let (cosine, maxAbs) = compareRows(images, expectedImages, width: e, row: row)
            #expect(cosine >= embeddingCosineTolerance, "\(name) image \(row): cosine \(cosine)")
            #expect(maxAbs <= embeddingMaxAbsTolerance, "\(name) image \(row): max abs \(maxAbs)")
        }
        let vp = compareRows(
            pooled, try ref.floats("vision_pooled"), width: model.configuration.vision.hiddenSize, row: 0)
        #expect(vp.cosine >= embeddingCosineTolerance)

        let ids = try ref.integers("input_ids")
        let tokens = stride(from: 0, to: ids.count, by: 77).map { ids[$0..<($0 + 77)].map { Int32($0) } }
        let texts = try model.encodeTexts(tokens: tokens, workspace: ws)
        let expectedTexts = try ref.floats("text_embeds")
        for row in 0..<tokens.count {
            let (cosine, maxAbs) = compareRows(texts, expectedTexts, width: e, row: row)
            #expect(cosine >= embeddingCosineTolerance, "\(name) text \(row): cosine \(cosine)")
            #expect(maxAbs <= embeddingMaxAbsTolerance, "\(name) text \(row): max abs \(maxAbs)")
        }
        let logitScale = try ref.floats("logit_scale")[0]
        #expect(abs(model.logitScale - logitScale) < 1e-6)
        // Embeddings of different inputs differ: a model that ignored its input would fail above,
        // but check the fixture is not degenerate either.
        #expect(compareRows(images, images, width: e, row: 0).cosine > 0.999)
        let crossCosine = compareRows(Array(images[0..<e]), Array(images[e..<(2 * e)]), width: e, row: 0).cosine
        #expect(abs(crossCosine) < 0.99)
    }

    @Test func hubCheckpointPositionIdsAreExpectedNotWarned() throws {
        let model = try CLIPModel(directory: Fixtures.model("tiny-quickgelu-hub"))
        #expect(model.warnings.isEmpty, "\(model.warnings)")
        #expect(model.weightDType == "F32")
        let fp16 = try CLIPModel(directory: Fixtures.model("tiny-gelu-fp16"))
        #expect(fp16.weightDType == "F16")
        #expect(fp16.configuration.vision.hiddenAct == .gelu)
    }

    @Test func batchOfOneEqualsBatchOfMany() throws {
        let model = try CLIPModel(directory: Fixtures.model("tiny-quickgelu"))
        let ref = try Fixtures.reference("tiny-quickgelu")
        let pixels = try ref.floats("pixel_values")
        let ws = Workspace(workers: 2)
        let all = try model.encodeImages(pixels: pixels, workspace: ws)
        let per = pixels.count / 3
        let e = model.embeddingDim
        for i in 0..<3 {
            let one = try model.encodeImages(pixels: Array(pixels[(i * per)..<((i + 1) * per)]), workspace: ws)
            #expect(compareRows(one, Array(all[(i * e)..<((i + 1) * e)]), width: e, row: 0).maxAbs < 1e-6)
        }
    }

    @Test func syntheticGeneratorMatchesPython() throws {
        let url = Fixtures.root.appendingPathComponent("references/synthetic-check.json")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
        let tensors = try #require(json["tensors"] as? [String: [String: Any]])
        #expect(tensors.count >= 4)
        for (key, info) in tensors {
            let shape = try #require(info["shape"] as? [Int])
            let seed = try #require((info["seed"] as? NSNumber)?.uint64Value)
            let values = SyntheticWeights(seed: seed).tensor(key: key, shape: shape)
            let first = try #require(info["first8"] as? [String]).compactMap(Double.init)
            #expect(first.count == 8)
            for (i, v) in first.enumerated() { #expect(Double(values[i]) == v, "\(key)[\(i)]") }
            let sum = values.reduce(0.0) { $0 + Double($1) }
            let sumText = try #require(info["sum_float64"] as? String)
            let expected = try #require(Double(sumText))
            #expect(abs(sum - expected) < 1e-6 * max(1, abs(expected)), "\(key) sum \(sum) vs \(expected)")
        }
    }

    @Test(arguments: FP32Backend.allCases)
    func vitB32ShapeMatchesTransformers(backend: FP32Backend) throws {
        let config = try #require(CLIPConfiguration.openAI("ViT-B/32"))
        let model = try CLIPModel(synthetic: config, seed: SyntheticWeights.referenceSeed, backend: backend.make())
        #expect(model.configuration.architectureName == "ViT-B/32")
        let ref = try Fixtures.reference("vitb32-synthetic")
        let pixels = normalizePixels(try ref.floats("pixel_values_u8"), size: 224)
        let ws = Workspace(workers: 2)
        let images = try model.encodeImages(pixels: pixels, workspace: ws)
        let expected = try ref.floats("image_embeds")
        var worst = (cosine: 1.0, maxAbs: Float(0))
        defer {
            print(
                "ViT-B/32 synthetic (\(backend)) vs transformers: worst cosine \(worst.cosine), worst max abs \(worst.maxAbs)"
            )
        }
        for row in 0..<3 {
            let (cosine, maxAbs) = compareRows(images, expected, width: 512, row: row)
            worst = (min(worst.cosine, cosine), max(worst.maxAbs, maxAbs))
            #expect(cosine >= embeddingCosineTolerance, "image \(row): cosine \(cosine)")
            #expect(maxAbs <= embeddingMaxAbsTolerance, "image \(row): max abs \(maxAbs)")
        }
        let ids = try ref.integers("input_ids")
        let tokens = stride(from: 0, to: ids.count, by: 77).map { ids[$0..<($0 + 77)].map { Int32($0) } }
        let texts = try model.encodeTexts(tokens: tokens, workspace: ws)
        let expectedTexts = try ref.floats("text_embeds")
        for row in 0..<tokens.count {
            let (cosine, maxAbs) = compareRows(texts, expectedTexts, width: 512, row: row)
            worst = (min(worst.cosine, cosine), max(worst.maxAbs, maxAbs))
            #expect(cosine >= embeddingCosineTolerance, "text \(row): cosine \(cosine)")
            #expect(maxAbs <= embeddingMaxAbsTolerance, "text \(row): max abs \(maxAbs)")
        }
    }
}
