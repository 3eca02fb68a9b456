import Foundation
import Imaging
import KeypointsTestSupport
import Testing

/// `localize --mask` (issue 10): no candidate outside the mask in --scores, dense30 passes equal
/// the grid centres inside it, bad masks are one-line errors before any output.
@Suite struct LocalizeMaskTests {
    static var model: String { CLIRunner.clipFixtures.appendingPathComponent("models/tiny-quickgelu").path }
    static var bird: String { CLIRunner.clipFixtures.appendingPathComponent("images/bird.jpg").path }

    struct Output: Decodable {
        struct Image: Decodable {
            let passes: Int
            let notes: [String]
        }
        let images: [Image]
    }

    /// A 160x120 mask: white inside the rectangle x 30..<100, y 20..<90.
    func writeMask(_ url: URL, width: Int = 160, height: Int = 120) throws -> (Double, Double) -> Bool {
        var image = RGBImage(width: width, height: height, fill: RGB(0, 0, 0))
        for y in 20..<90 {
            for x in 30..<100 {
                let i = 3 * (y * width + x)
                image.pixels[i] = 255
                image.pixels[i + 1] = 255
                image.pixels[i + 2] = 255
            }
        }
        try ImageCodec.encodePNG(image).write(to: url)
        return { x, y in x >= 30 && x < 100 && y >= 20 && y < 90 }
    }

    @Test func scoresStayInsideAndDense30PassesEqualTheCentresInside() throws {
        let dir = try CLIRunner.tempDirectory()
        let maskURL = dir.appendingPathComponent("mask.png")
        let inside = try writeMask(maskURL)
        for grid in ["dense30", "fast"] {
            let scores = dir.appendingPathComponent("scores-\(grid).json")
            let r = try CLIRunner.run(
                [
                    "localize", Self.bird, "--model", Self.model, "--keypoint", "beak", "--keypoint", "tail",
                    "--grid", grid, "--mask", maskURL.path, "--scores", scores.path, "--json",
                    "--precision", "fp32",
                ], cwd: CLIRunner.repositoryRoot)
            #expect(r.status == 0, "\(r.stderr)")
            let json = try JSONSerialization.jsonObject(with: Data(contentsOf: scores)) as? [String: Any]
            let keypoints = try #require((json?["images"] as? [[String: Any]])?.first?["keypoints"] as? [[String: Any]])
            for k in keypoints {
                let samples = try #require(k["samples"] as? [[String: Any]])
                #expect(!samples.isEmpty)
                for s in samples {
                    let x = try #require(s["x"] as? Double)
                    let y = try #require(s["y"] as? Double)
                    #expect(inside(x, y), "\(grid): candidate (\(x), \(y)) outside the mask")
                }
            }
            if grid == "dense30" {
                // Grid centres (i + 0.5) * 160 / 30, (j + 0.5) * 120 / 30 of the whole photo (fit pad).
                var count = 0
                for j in 0..<30 {
                    for i in 0..<30 where inside((Double(i) + 0.5) * 160 / 30, (Double(j) + 0.5) * 4) { count += 1 }
                }
                let output = try JSONDecoder().decode(Output.self, from: r.stdoutData)
                #expect(output.images[0].passes == count && count > 0 && count < 900)
            }
        }
    }

    @Test func badMasksAreOneLineErrorsBeforeOutput() throws {
        let dir = try CLIRunner.tempDirectory()
        let wrong = dir.appendingPathComponent("wrong.png")
        _ = try writeMask(wrong, width: 100, height: 120)
        let scores = dir.appendingPathComponent("scores.json")
        let r = try CLIRunner.run(
            [
                "localize", Self.bird, "--model", Self.model, "--keypoint", "beak", "--mask", wrong.path,
                "--scores", scores.path,
            ], cwd: CLIRunner.repositoryRoot)
        #expect(r.status != 0)
        #expect(r.stderr.contains("mask is 100x120, the photo") && r.stderr.contains("160x120"), "\(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: scores.path))
        let noBox = try CLIRunner.run([
            "localize", Self.bird, "--model", Self.model, "--keypoint", "beak", "--mask", "box",
        ])
        #expect(noBox.status != 0 && noBox.stderr.contains("--mask box needs --box"))
        let notPNG = try CLIRunner.run([
            "localize", Self.bird, "--model", Self.model, "--keypoint", "beak", "--mask", "mask.jpg",
        ])
        #expect(notPNG.status != 0 && notPNG.stderr.contains("--mask expects"))
        // A missing mask file, saliency model or CLIP model: the error names the option.
        let missing = dir.appendingPathComponent("missing.png").path
        let noFile = try CLIRunner.run([
            "localize", Self.bird, "--model", Self.model, "--keypoint", "beak", "--mask", missing,
        ])
        #expect(noFile.status != 0 && noFile.stderr.contains("--mask \(missing): "), "\(noFile.stderr)")
        let noDINO = try CLIRunner.run([
            "localize", Self.bird, "--model", Self.model, "--keypoint", "beak", "--mask", "saliency",
            "--saliency-model", "/nonexistent/dino",
        ])
        #expect(
            noDINO.status != 0
                && noDINO.stderr.contains("--saliency-model: /nonexistent/dino: no such model directory"),
            "\(noDINO.stderr)")
        let noCLIP = try CLIRunner.run(["localize", Self.bird, "--model", "/nonexistent/clip", "--keypoint", "beak"])
        #expect(
            noCLIP.status != 0 && noCLIP.stderr.contains("--model: /nonexistent/clip: no such model directory"),
            "\(noCLIP.stderr)")
    }

    /// The mask recorded in --scores (issue 10 item 4): a file mask's count, fraction and digest;
    /// a saliency mask's model digest, region and token grid, from which the pixel mask (and so
    /// its digest) is rebuilt here independently.
    @Test func scoresRecordTheMask() throws {
        let dir = try CLIRunner.tempDirectory()
        let maskURL = dir.appendingPathComponent("mask.png")
        let inside = try writeMask(maskURL)
        func run(_ extra: [String]) throws -> [String: Any] {
            let scores = dir.appendingPathComponent("scores-\(UUID().uuidString).json")
            let r = try CLIRunner.run(
                ["localize", Self.bird, "--model", Self.model, "--keypoint", "beak", "--scores", scores.path]
                    + extra + ["--precision", "fp32", "--threads", "1"], cwd: CLIRunner.repositoryRoot)
            #expect(r.status == 0, "\(r.stderr)")
            let json = try JSONSerialization.jsonObject(with: Data(contentsOf: scores)) as? [String: Any]
            let image = try #require((json?["images"] as? [[String: Any]])?.first)
            return try #require(image["mask"] as? [String: Any])
        }
        var bits = [UInt8](repeating: 0, count: 160 * 120)
        for y in 0..<120 { for x in 0..<160 where inside(Double(x) + 0.5, Double(y) + 0.5) { bits[y * 160 + x] = 1 } }
        let file = try run(["--mask", maskURL.path])
        #expect(file["kind"] as? String == "file" && file["applied"] as? Bool == true, "\(file)")
        #expect(file["file"] as? String == maskURL.path && file["pixels"] as? Int == 70 * 70)
        #expect(abs((file["fraction"] as? Double ?? 0) - 4900.0 / 19200.0) < 1e-12)
        #expect(file["sha256"] as? String == (try ExternalSHA256.hex(Data(bits))))
        #expect(try run([])["kind"] as? String == "none")
        let box = try run(["--box", "30,20,70,70", "--mask", "box"])
        #expect(box["kind"] as? String == "box" && box["box"] as? [Double] == [30, 20, 70, 70], "\(box)")
        #expect(box["sha256"] as? String == (try ExternalSHA256.hex(Data(bits))))

        // Saliency on the box crop, with a random-weight DINO (patch 16): the token grid of the
        // 120x100 crop resized to 480x400 is 25 x 30.
        let dino = CLIRunner.repositoryRoot.appendingPathComponent("Tests/DINOTests/Fixtures/models/vit-p16-w36-h3")
        let saliency = try run([
            "--mask", "saliency", "--saliency-model", dino.path, "--box", "20,10,120,100", "--crop-to-box",
        ])
        #expect(saliency["kind"] as? String == "saliency" && saliency["model"] as? String == dino.path)
        let weights = try Data(contentsOf: dino.appendingPathComponent("model.safetensors"))
        #expect(saliency["model_sha256"] as? String == (try ExternalSHA256.hex(weights)))
        #expect(saliency["size"] as? Int == 480 && abs((saliency["tau"] as? Double ?? 0) - 0.2) < 1e-6)
        #expect(saliency["region"] as? [Int] == [20, 10, 120, 100] && saliency["grid"] as? [Int] == [25, 30])
        let tokens = try #require(saliency["tokens"] as? [[Int]])
        var rebuilt = [UInt8](repeating: 0, count: 160 * 120)
        for y in 10..<110 {
            for x in 20..<140 {
                // The pixel centre in the 480x400 resized crop, then its 16-pixel token.
                let col = Int((Double(x - 20) + 0.5) * 4) / 16
                let row = Int((Double(y - 10) + 0.5) * 4) / 16
                rebuilt[y * 160 + x] = UInt8(tokens[row][col])
            }
        }
        #expect(saliency["pixels"] as? Int == rebuilt.reduce(0) { $0 + Int($1) })
        #expect(saliency["sha256"] as? String == (try ExternalSHA256.hex(Data(rebuilt))))
    }

    @Test func emptyMaskFallsBackWithANote() throws {
        let dir = try CLIRunner.tempDirectory()
        let black = dir.appendingPathComponent("black.png")
        try ImageCodec.encodePNG(RGBImage(width: 160, height: 120, fill: RGB(0, 0, 0))).write(to: black)
        let r = try CLIRunner.run(
            [
                "localize", Self.bird, "--model", Self.model, "--keypoint", "beak", "--grid", "dense30",
                "--mask", black.path, "--json", "--precision", "fp32",
            ], cwd: CLIRunner.repositoryRoot)
        #expect(r.status == 0, "\(r.stderr)")
        let output = try JSONDecoder().decode(Output.self, from: r.stdoutData)
        #expect(output.images[0].passes == 900)
        #expect(output.images[0].notes.contains { $0.contains("searching without a mask") })
        let scores = dir.appendingPathComponent("scores.json")
        let recorded = try CLIRunner.run(
            [
                "localize", Self.bird, "--model", Self.model, "--keypoint", "beak", "--mask", black.path,
                "--scores", scores.path, "--precision", "fp32",
            ], cwd: CLIRunner.repositoryRoot)
        #expect(recorded.status == 0, "\(recorded.stderr)")
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: scores)) as? [String: Any]
        let mask = (json?["images"] as? [[String: Any]])?.first?["mask"] as? [String: Any]
        #expect(mask?["applied"] as? Bool == false && mask?["pixels"] as? Int == 0, "\(String(describing: mask))")
    }
}
