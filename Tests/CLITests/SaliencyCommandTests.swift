import CLIP
import Foundation
import Imaging
import Testing

/// `keypoints saliency` end to end on the DINOTests fixtures: the JSON document of issue 10 with
/// the token masks of the NumPy/SciPy TokenCut reference, PNG output, and one-line errors.
@Suite struct SaliencyCommandTests {
    static var fixtures: URL { CLIRunner.repositoryRoot.appendingPathComponent("Tests/DINOTests/Fixtures") }

    struct Output: Decodable {
        struct Image: Decodable {
            let path: String
            let width: Int
            let height: Int
            let grid: [Int]
            let tokens: [[Int]]
            let foreground_fraction: Double
        }
        let model: String
        let tau: Double
        let size: Int
        let images: [Image]
    }

    @Test func jsonHoldsTheReferenceMasks() throws {
        let model = "vit-p16-w36-h3"
        let dir = Self.fixtures.appendingPathComponent("models/\(model)").path
        // Cases 0 and 1 of the reference share size 112 and tau 0.2.
        let images = ["bird.jpg", "cow.jpg"].map { Self.fixtures.appendingPathComponent("images/\($0)").path }
        let r = try CLIRunner.run(
            ["saliency"] + images + [
                "--model", dir, "--size", "112", "--tau", "0.2",
                "--json", "--precision", "fp32", "--threads", "1",
            ])
        #expect(r.status == 0, "stderr: \(r.stderr)")
        // Exactly the document's keys.
        let object = try JSONSerialization.jsonObject(with: r.stdoutData) as? [String: Any]
        #expect(Set(object?.keys.map { $0 } ?? []) == ["model", "tau", "size", "images"])
        let first = (object?["images"] as? [[String: Any]])?.first
        #expect(
            Set(first?.keys.map { $0 } ?? []) == ["path", "width", "height", "grid", "tokens", "foreground_fraction"])
        let output = try JSONDecoder().decode(Output.self, from: r.stdoutData)
        #expect(output.model == dir && output.size == 112 && abs(output.tau - 0.2) < 1e-6)
        let ref = try SafeTensorsFile(url: Self.fixtures.appendingPathComponent("references/\(model).safetensors"))
        for (k, image) in output.images.enumerated() {
            let mask = try ref.integers("case\(k).mask")
            let shape = try ref.entry("case\(k).mask").shape
            #expect(image.grid == shape)
            #expect(image.tokens.flatMap { $0 } == mask, "\(image.path)")
            #expect(image.foreground_fraction > 0 && image.foreground_fraction < 1)
        }
        #expect(output.images.map(\.width) == [160, 106] && output.images.map(\.height) == [120, 160])
    }

    @Test func pngIsWrittenPerImage() throws {
        let out = try CLIRunner.tempDirectory()
        let image = Self.fixtures.appendingPathComponent("images/disc.png").path
        let r = try CLIRunner.run([
            "saliency", image, "--model", Self.fixtures.appendingPathComponent("models/vit-p8-w30-h5-fp16").path,
            "--size", "100", "--tau", "0.85", "--png", out.path, "--precision", "fp32",
        ])
        #expect(r.status == 0, "stderr: \(r.stderr)")
        let written = try FileManager.default.contentsOfDirectory(atPath: out.path)
        #expect(written == ["disc_saliency.png"])
        #expect(r.stdout.contains("26 / 130"), "\(r.stdout)")
    }

    @Test func badInputIsOneLineAndNonZero() throws {
        let model = Self.fixtures.appendingPathComponent("models/vit-p16-w36-h3").path
        let out = try CLIRunner.tempDirectory()
        // An image smaller than one 16 px patch.
        let tiny = out.appendingPathComponent("tiny.png")
        try tinyPNG().write(to: tiny)
        let r = try CLIRunner.run([
            "saliency", tiny.path, "--model", model, "--png", out.appendingPathComponent("png").path,
        ])
        #expect(r.status != 0)
        #expect(r.stderr.contains("smaller than one 16x16 px patch"), "\(r.stderr)")
        #expect(r.stderr.split(separator: "\n").count == 1, "\(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: out.appendingPathComponent("png").path))
        // A model directory that is not a ViT.
        let bad = try CLIRunner.run([
            "saliency", tiny.path, "--model",
            CLIRunner.clipFixtures.appendingPathComponent("models/tiny-quickgelu").path,
        ])
        #expect(
            bad.status != 0 && bad.stderr.contains("is a CLIP model (model_type clip), not a DINO ViT"), "\(bad.stderr)"
        )
        let tau = try CLIRunner.run(["saliency", tiny.path, "--tau", "2"])
        #expect(tau.status != 0 && tau.stderr.contains("--tau"))
        // --png naming an existing file: one line naming the option, before the model is looked at.
        let png = try CLIRunner.run(["saliency", tiny.path, "--model", "/nonexistent/dino", "--png", tiny.path])
        #expect(png.status != 0 && png.stderr.contains("--png \(tiny.path): is a file"), "\(png.stderr)")
        #expect(!png.stderr.contains("NSCocoaErrorDomain") && !png.stderr.contains("/nonexistent"), "\(png.stderr)")
    }

    /// An 8x8 grey PNG.
    func tinyPNG() throws -> Data { try ImageCodec.encodePNG(RGBImage(width: 8, height: 8, fill: RGB(128, 128, 128))) }
}
