import Foundation
import Imaging
import Testing

/// Issue 14, "Ablation switches": the paper's ablations without hand-edited JSON. Before, a
/// template with a vocabulary was refused, eval had no --template, and marker, colour, size and
/// prompt were reachable only through a grid preset file.
@Suite struct AblationSwitchTests {
    static var model: String { CLIRunner.clipFixtures.appendingPathComponent("models/tiny-quickgelu").path }
    static var bird: String { CLIRunner.clipFixtures.appendingPathComponent("images/bird.jpg").path }
    static var cub: String {
        CLIRunner.repositoryRoot.appendingPathComponent("Tests/EvaluationTests/Fixtures/cub/CUB_200_2011").path
    }

    struct Output: Decodable {
        struct Image: Decodable { let keypoints: [Keypoint] }
        struct Keypoint: Decodable {
            let name: String
            let prompt: String
            let x: Double
            let y: Double
        }
        let images: [Image]
        let visual_prompt: String
        let template: String?
    }

    func localize(_ extra: [String]) throws -> CLIRunner.Result {
        try CLIRunner.run(["localize", Self.bird, "--model", Self.model] + extra, cwd: CLIRunner.repositoryRoot)
    }

    @Test func templateOverridesTheVocabularysTemplate() throws {
        let r = try localize([
            "--vocabulary", "cub", "--only", "beak,tail", "--template", "A photo of the {part} of a bird", "--json",
        ])
        #expect(r.status == 0, "\(r.stderr)")
        let out = try JSONDecoder().decode(Output.self, from: r.stdoutData)
        #expect(
            out.images[0].keypoints.map(\.prompt) == ["A photo of the beak of a bird", "A photo of the tail of a bird"])
        #expect(out.template == "A photo of the {part} of a bird")
        let bad = try localize(["--vocabulary", "cub", "--template", "no placeholder"])
        #expect(bad.status != 0)
        #expect(bad.stderr.contains("{part}"), "\(bad.stderr)")
    }

    @Test func markerSwitchesAreScoredAndRecorded() throws {
        let r = try localize([
            "--keypoint", "beak", "--marker", "square", "--color", "blue", "--radius", "30px",
            "--thickness", "0.02", "--prompt", "circle+grey", "--json",
        ])
        #expect(r.status == 0, "\(r.stderr)")
        let out = try JSONDecoder().decode(Output.self, from: r.stdoutData)
        // Mixed units: the fraction is converted to model-input pixels.
        #expect(
            out.visual_prompt.contains("square") && out.visual_prompt.contains("rgb(0,0,255)")
                && out.visual_prompt.contains("r 30.0px") && out.visual_prompt.contains("grey outside"),
            "\(out.visual_prompt)")
        let plain = try JSONDecoder().decode(
            Output.self, from: try localize(["--keypoint", "beak", "--json"]).stdoutData)
        #expect(plain.visual_prompt.contains("circle rgb(255,0,0) r 0.06H"), "\(plain.visual_prompt)")
        let wrong = try localize(["--keypoint", "beak", "--radius", "2"])
        #expect(wrong.status != 0 && wrong.stderr.contains("--radius expects"), "\(wrong.stderr)")
        let colour = try localize(["--keypoint", "beak", "--color", "mauve"])
        #expect(colour.status != 0 && colour.stderr.contains("--color expects"), "\(colour.stderr)")
    }

    @Test func saveMarkedWritesWhatCLIPSaw() throws {
        let dir = try CLIRunner.tempDirectory()
        let r = try localize(["--keypoint", "beak", "--color", "0,0,255", "--save-marked", dir.path])
        #expect(r.status == 0, "\(r.stderr)")
        let files = try FileManager.default.contentsOfDirectory(atPath: dir.path)
        #expect(files == ["bird_beak_marked.png"])
        let canvas = try ImageCodec.decode(contentsOf: dir.appendingPathComponent("bird_beak_marked.png"))
        #expect(canvas.width == canvas.height)  // the square model input
        // The marker is antialiased (a 1 px line on the tiny model's 48 px input): count strongly
        // blue pixels, which the photo itself does not have (checked with the default red marker).
        func bluePixels(_ image: RGBImage) -> Int {
            var n = 0
            for y in 0..<image.height {
                for x in 0..<image.width {
                    let p = image[x, y]
                    if p.b > 150 && p.r < 80 && p.g < 80 { n += 1 }
                }
            }
            return n
        }
        let blue = bluePixels(canvas.rgb)
        let redDir = try CLIRunner.tempDirectory()
        #expect(try localize(["--keypoint", "beak", "--save-marked", redDir.path]).status == 0)
        let red = try ImageCodec.decode(contentsOf: redDir.appendingPathComponent("bird_beak_marked.png"))
        #expect(bluePixels(red.rgb) == 0)
        #expect(blue > 0, "no marker pixels in the saved canvas")
    }

    @Test func evalRecordsTheSwitchesInItsHeader() throws {
        let dir = try CLIRunner.tempDirectory()
        let out = dir.appendingPathComponent("r.jsonl")
        let r = try CLIRunner.run(
            [
                "eval", "--dataset", "cub", "--root", Self.cub, "--split", "all", "--limit", "1",
                "--model", Self.model, "--grid", "fast", "--marker", "cross", "--template",
                "A photo of a bird's {part}",
                "--out", out.path,
            ], cwd: CLIRunner.repositoryRoot)
        #expect(r.status == 0, "\(r.stderr)")
        let header = try #require(
            String(decoding: try Data(contentsOf: out), as: UTF8.self).split(separator: "\n").first)
        let json = try JSONSerialization.jsonObject(with: Data(header.utf8)) as? [String: Any]
        let settings = try #require(json?["settings"] as? [String: String])
        #expect(settings["visual_prompt"]?.contains("cross") == true, "\(settings)")
        #expect(settings["template"] == "A photo of a bird's {part}")
        #expect(settings["software"] != nil)
        let random = try CLIRunner.run(
            ["eval", "--dataset", "cub", "--root", Self.cub, "--method", "random", "--marker", "square"],
            cwd: CLIRunner.repositoryRoot)
        #expect(random.status != 0 && random.stderr.contains("apply to --method redcircle"), "\(random.stderr)")
    }
}
