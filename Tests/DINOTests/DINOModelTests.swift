import Foundation
import Imaging
import KeypointsTestSupport
import Saliency
import Tensor
import Testing

@testable import CLIP

/// Per-token parity with transformers' ViTModel in fp32 (issue 10): sgemm vs PyTorch's blocked
/// products over <= 4 layers of width <= 36 differ by ~1e-6 relative.
let tokenCosineTolerance = 0.99999
/// The keys-only pass runs the same products as the full pass; other suites running in parallel
/// change OpenBLAS' thread count, and with it the summation order (last-bit differences).
let keysOnlyTolerance: Float = 1e-5
/// TokenCut preprocessing: Pillow-exact resize and the same float32 ops as NumPy.
let pixelTolerance: Float = 1e-6

@Suite struct DINOModelTests {
    @Test(arguments: Fixtures.models, FP32Backend.allCases)
    func keysAndHiddenStatesMatchTransformers(name: String, backend: FP32Backend) throws {
        let model = try DINOModel(directory: Fixtures.model(name), backend: backend.make())
        #expect(model.warnings.isEmpty, "pooler.* must be ignored: \(model.warnings)")
        let ref = try Fixtures.reference(name)
        let ws = Workspace(workers: 2)
        for (k, fixtureCase) in try Fixtures.cases(ref).enumerated() {
            let rows = fixtureCase.grid[0]
            let cols = fixtureCase.grid[1]
            let c = model.width
            #expect(rows != cols && rows != model.configuration.checkpointGrid, "grid must be interpolated")
            let pixels = try ref.floats("case\(k).pixel_values")
            let out = try model.run(pixels: pixels, rows: rows, cols: cols, workspace: ws, withHiddenStates: true)
            let keys = try ref.floats("case\(k).keys")
            let hidden = try ref.floats("case\(k).hidden_states")
            #expect(out.keys.count == keys.count && out.hiddenStates.count == hidden.count)
            let worstKey = (0..<(rows * cols)).map { rowCosine(out.keys, keys, width: c, row: $0) }.min() ?? 0
            let worstHidden =
                (0...(rows * cols)).map { rowCosine(out.hiddenStates, hidden, width: c, row: $0) }.min() ?? 0
            #expect(worstKey >= tokenCosineTolerance, "\(name) case \(k): worst key cosine \(worstKey)")
            #expect(worstHidden >= tokenCosineTolerance, "\(name) case \(k): worst hidden cosine \(worstHidden)")
            // Keys only (the pass stops after the last key projection) gives the same keys.
            let keysOnly = try model.run(pixels: pixels, rows: rows, cols: cols, workspace: ws).keys
            let worst = zip(keysOnly, out.keys).map { abs($0 - $1) }.max() ?? .infinity
            #expect(
                keysOnly.count == out.keys.count && worst <= keysOnlyTolerance, "keys-only pass differs by \(worst)")
        }
    }

    @Test(arguments: Fixtures.models)
    func preprocessingMatchesPillowAndNumPy(name: String) throws {
        let estimator = try SaliencyEstimator(directory: Fixtures.model(name))
        let ref = try Fixtures.reference(name)
        for (k, fixtureCase) in try Fixtures.cases(ref).enumerated() {
            let image = try ImageCodec.decode(contentsOf: Fixtures.image(fixtureCase.image)).rgb
            let input = try SaliencyInput(
                image: image, size: fixtureCase.size, patch: estimator.model.patchSize,
                mean: estimator.mean, std: estimator.std)
            #expect([input.rows, input.cols] == fixtureCase.grid)
            #expect([input.resizedWidth, input.resizedHeight] == fixtureCase.resized)
            let expected = try ref.floats("case\(k).pixel_values")
            let worst = zip(input.pixels, expected).map { abs($0 - $1) }.max() ?? .infinity
            #expect(input.pixels.count == expected.count && worst <= pixelTolerance, "case \(k): max |diff| \(worst)")
        }
    }

    @Test func positionInterpolationIsIdentityOnTheCheckpointGrid() throws {
        let model = try DINOModel(directory: Fixtures.model("vit-p8-w30-h5-fp16"))
        let g = model.configuration.checkpointGrid
        #expect(model.positionEmbeddings(rows: g, cols: g) == model.positions)
        // Torch's taps at scale 1: weight 1 on the pixel itself.
        let taps = PositionInterpolation.taps(inSize: 5, outSize: 5)
        #expect(taps.weight.allSatisfy { $0 == [0, 1, 0, 0] })
    }

    // MARK: - Bad checkpoints

    @Test func missingKeyIsNamed() throws {
        let dir = try Fixtures.editedCopy("vit-p16-w36-h3") { $0["num_hidden_layers"] = 3 }
        #expect {
            _ = try DINOModel(directory: dir)
        } throws: { error in
            "\(error)".contains("missing tensor 'encoder.layer.2.attention.attention.query.weight'")
        }
    }

    @Test func wrongShapeIsNamed() throws {
        let dir = try Fixtures.editedCopy("vit-p16-w36-h3") { $0["intermediate_size"] = 50 }
        #expect {
            _ = try DINOModel(directory: dir)
        } throws: { error in
            "\(error)".contains(
                "tensor 'encoder.layer.0.intermediate.dense.weight' has shape [52, 36], expected [50, 36]")
        }
    }

    @Test func unusedKeysAreReportedButPoolerIsNot() throws {
        let dir = try Fixtures.editedCopy("vit-p16-w36-h3") { $0["num_hidden_layers"] = 1 }
        let model = try DINOModel(directory: dir)
        #expect(model.warnings.contains { $0.contains("'encoder.layer.1.output.dense.weight'") })
        #expect(!model.warnings.contains { $0.contains("pooler") })
    }

    @Test func configBoundsAreChecked() throws {
        let dir = try Fixtures.editedCopy("vit-p16-w36-h3") { $0["hidden_size"] = 1 << 40 }
        #expect {
            _ = try DINOModel(directory: dir)
        } throws: { error in
            "\(error)".contains("field 'hidden_size'")
        }
    }

    /// A DINO directory where a CLIP model is needed said "field 'text_config': missing", a CLIP
    /// directory where a DINO ViT is needed "field 'hidden_size': missing": the error names the
    /// family config.json declares (model_type, else architectures).
    @Test func aDirectoryOfTheOtherFamilyIsNamed() throws {
        func expectWrongFamily(
            _ load: () throws -> Void, directory: URL, found: String, modelType: String, expected: String
        ) {
            #expect {
                try load()
            } throws: { error in
                guard case CLIPError.wrongFamily(directory.path, found, modelType, expected) = error else {
                    return false
                }
                return "\(error)".hasPrefix(
                    "\(directory.path) is a \(found) (model_type \(modelType)), not a \(expected); ")
            }
        }
        let dino = Fixtures.model("vit-p16-w36-h3")
        expectWrongFamily(
            { _ = try CLIPModel(directory: dino) }, directory: dino, found: "DINO ViT", modelType: "vit",
            expected: "CLIP model")
        let clip = try Fixtures.editedCopy("vit-p16-w36-h3") { json in
            json = [
                "architectures": ["CLIPModel"], "model_type": "clip", "projection_dim": 32, "text_config": [:],
                "vision_config": [:],
            ]
        }
        expectWrongFamily(
            { _ = try DINOModel(directory: clip) }, directory: clip, found: "CLIP model", modelType: "clip",
            expected: "DINO ViT")
        // Without model_type, the architectures say it.
        let unnamed = try Fixtures.editedCopy("vit-p16-w36-h3") { $0.removeValue(forKey: "model_type") }
        expectWrongFamily(
            { _ = try CLIPModel(directory: unnamed) }, directory: unnamed, found: "DINO ViT", modelType: "vit",
            expected: "CLIP model")
        // A config of the right family that lacks a field still names the field.
        let broken = try Fixtures.editedCopy("vit-p16-w36-h3") { $0.removeValue(forKey: "hidden_size") }
        #expect {
            _ = try DINOModel(directory: broken)
        } throws: { error in
            "\(error)".contains("field 'hidden_size': missing")
        }
    }

    @Test func imageSmallerThanOnePatchIsAnError() throws {
        let estimator = try SaliencyEstimator(directory: Fixtures.model("vit-p16-w36-h3"))
        let tiny = RGBImage(width: 15, height: 40, fill: RGB(10, 20, 30))
        #expect {
            _ = try estimator.estimate(tiny, size: 64, workspace: Workspace(workers: 1))
        } throws: { error in
            "\(error)" == "image 15x40 is smaller than one 16x16 px patch"
        }
    }
}
