import CLIP
import Foundation
import Testing

/// End to end: `keypoints embed --json` on model directories written by transformers'
/// save_pretrained, fed with committed photos and prompts, against transformers' normalised
/// get_image_features / get_text_features on OpenAI's pixels and tokens (make_reference.py).
/// The whole path is exercised: JPEG/PNG decoding, PIL-exact preprocessing, OpenAI tokenizer,
/// forward pass. Bar from the issue: cosine >= 0.99999 per embedding.
let endToEndCosineTolerance = 0.99999

@Suite struct EmbedCommandTests {
    static let images = ["bird.jpg", "cow.jpg", "face.png"]
    static let texts = [
        "This is the beak of a bird", "a photo of a cat",
        "This image shows the front left hoof of the horse", "the tip of the nose",
    ]

    struct Output: Decodable {
        struct Item: Decodable { let embedding: [Float] }
        let images: [Item]
        let texts: [Item]
        let similarity: [[Float]]
    }

    @Test(arguments: ["tiny-quickgelu", "tiny-gelu-fp16", "tiny-bf16", "tiny-quickgelu-hub"])
    func embedJSONMatchesTransformers(model: String) throws {
        let fixtures = CLIRunner.clipFixtures
        // fp32: the exact path (bf16, the default on CPUs with bf16 units, is tested in TensorDNNLTests).
        var args = [
            "embed", "--model", fixtures.appendingPathComponent("models/\(model)").path, "--json", "--precision",
            "fp32",
        ]
        for i in Self.images { args += ["--image", fixtures.appendingPathComponent("images/\(i)").path] }
        for t in Self.texts { args += ["--text", t] }
        let result = try CLIRunner.run(args)
        #expect(result.status == 0, "stderr: \(result.stderr)")
        let output = try JSONDecoder().decode(Output.self, from: result.stdoutData)
        let refName = model == "tiny-quickgelu-hub" ? "tiny-quickgelu" : model
        let ref = try SafeTensorsFile(url: fixtures.appendingPathComponent("references/\(refName).safetensors"))
        let e = try ref.entry("image_embeds").shape[1]
        let refImages = try ref.floats("image_embeds")
        let refTexts = try ref.floats("text_embeds")
        #expect(output.images.count == 3 && output.texts.count == 4)
        func cosine(_ a: [Float], _ b: ArraySlice<Float>) -> Double {
            var d = 0.0
            var na = 0.0
            var nb = 0.0
            for (x, y) in zip(a, b) {
                d += Double(x) * Double(y)
                na += Double(x * x)
                nb += Double(y * y)
            }
            return d / (na * nb).squareRoot()
        }
        for (i, item) in output.images.enumerated() {
            let c = cosine(item.embedding, refImages[(i * e)..<((i + 1) * e)])
            #expect(c >= endToEndCosineTolerance, "\(model) image \(Self.images[i]): cosine \(c)")
        }
        for (i, item) in output.texts.enumerated() {
            let c = cosine(item.embedding, refTexts[(i * e)..<((i + 1) * e)])
            #expect(c >= endToEndCosineTolerance, "\(model) text \(i): cosine \(c)")
        }
        // similarity[i][j] is the dot product of the printed embeddings.
        let s01 = zip(output.images[0].embedding, output.texts[1].embedding).reduce(Float(0)) { $0 + $1.0 * $1.1 }
        #expect(abs(output.similarity[0][1] - s01) < 1e-5)
    }

    @Test func badInputGivesOneLineErrorAndNonZeroExit() throws {
        let fixtures = CLIRunner.clipFixtures
        let model = fixtures.appendingPathComponent("models/tiny-quickgelu").path
        let dir = try CLIRunner.tempDirectory()
        let text = dir.appendingPathComponent("notes.jpg")
        try Data("hello, not an image".utf8).write(to: text)
        let truncated = dir.appendingPathComponent("half.jpg")
        let jpeg = try Data(contentsOf: fixtures.appendingPathComponent("images/bird.jpg"))
        try jpeg.prefix(jpeg.count / 2).write(to: truncated)
        let cases: [([String], String)] = [
            (["embed", "--model", "/nonexistent/model", "--text", "hi"], "/nonexistent/model"),
            (["embed", "--model", model, "--image", text.path], "notes.jpg"),
            (["embed", "--model", model, "--image", truncated.path], "half.jpg"),
            (["embed", "--model", model, "--image", dir.appendingPathComponent("missing.png").path], "missing.png"),
            (["embed", "--model", model, "--text", "  "], "empty"),
            (["embed", "--model", model], "--image"),
        ]
        for (args, mention) in cases {
            let r = try CLIRunner.run(args)
            #expect(r.status != 0, "\(args) exited 0")
            #expect(r.stderr.contains(mention), "\(args): stderr does not mention \(mention): \(r.stderr)")
            #expect(r.stdout.isEmpty, "\(args): printed to stdout: \(r.stdout)")
            #expect(!r.stderr.contains("Fatal error"), "\(args) crashed: \(r.stderr)")
        }
    }
}

@Suite struct PrecisionFallbackTests {
    struct Output: Decodable { let precision: String }

    /// On a CPU without bf16 units (simulated with KEYPOINTS_NO_BF16=1), asking for bf16 falls back
    /// to fp32 with a notice instead of failing.
    @Test func bf16FallsBackToFP32WithANotice() throws {
        let model = CLIRunner.clipFixtures.appendingPathComponent("models/tiny-quickgelu").path
        let r = try CLIRunner.run(
            ["embed", "--model", model, "--text", "a bird", "--precision", "bf16", "--json"],
            environment: ["KEYPOINTS_NO_BF16": "1"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stderr.contains("bf16 unavailable") && r.stderr.contains("using fp32"), "\(r.stderr)")
        #expect(try JSONDecoder().decode(Output.self, from: r.stdoutData).precision == "fp32")
        let info = try CLIRunner.run(["info"], environment: ["KEYPOINTS_NO_BF16": "1"])
        #expect(info.stdout.contains("fp32 by default"), "\(info.stdout)")
    }

    /// `info --precision bf16` on a CPU without bf16 units said "bf16" (json "default_precision":
    /// "bf16"), which no command would run: it says fp32, with the other commands' notice.
    @Test func infoReportsThePrecisionThatWouldRun() throws {
        struct Precision: Decodable { let default_precision: String }
        let noBF16 = ["KEYPOINTS_NO_BF16": "1"]
        let json = try CLIRunner.run(["info", "--precision", "bf16", "--json"], environment: noBF16)
        #expect(json.status == 0, "\(json.stderr)")
        #expect(try JSONDecoder().decode(Precision.self, from: json.stdoutData).default_precision == "fp32")
        #expect(
            json.stderr.contains("notice: bf16 unavailable") && json.stderr.contains("using fp32"), "\(json.stderr)")
        let text = try CLIRunner.run(["info", "--precision", "bf16"], environment: noBF16)
        let line = text.stdout.split(separator: "\n").first { $0.hasPrefix("precision") } ?? ""
        #expect(line.contains("fp32 (--precision bf16 asked for; bf16 unavailable"), "\(text.stdout)")
        // Without --precision nothing is asked for, so there is no notice.
        let plain = try CLIRunner.run(["info", "--json"], environment: noBF16)
        #expect(try JSONDecoder().decode(Precision.self, from: plain.stdoutData).default_precision == "fp32")
        #expect(!plain.stderr.contains("notice"), "\(plain.stderr)")
    }

    struct InfoOutput: Decodable {
        let fp32_backend: String
        let fp32_implementation: String
    }

    /// `info` names the fp32 library: OpenBLAS by default, oneDNN (its kernel and how attention
    /// is cut into calls) with `--backend onednn`.
    @Test func infoNamesTheFP32Library() throws {
        let plain = try CLIRunner.run(["info", "--json"])
        #expect(plain.status == 0, "\(plain.stderr)")
        let a = try JSONDecoder().decode(InfoOutput.self, from: plain.stdoutData)
        #expect(a.fp32_backend == "fp32-openblas" && a.fp32_implementation.hasPrefix("OpenBLAS sgemm"))
        let onednn = try CLIRunner.run(["info", "--json", "--backend", "onednn"])
        #expect(onednn.status == 0, "\(onednn.stderr)")
        let b = try JSONDecoder().decode(InfoOutput.self, from: onednn.stdoutData)
        #expect(b.fp32_backend == "fp32-onednn")
        #expect(
            b.fp32_implementation.hasPrefix("oneDNN 2.") && b.fp32_implementation.contains("(batched over 16 heads)"))
    }
}
