import Foundation
import Imaging
import Testing

/// End to end: `keypoints localize` on a committed photo with the tiny random CLIP. The model's
/// answers are meaningless (random weights), so these tests check the contract: one JSON
/// document, pass counts, files written and decodable, errors before any output.
@Suite struct LocalizeCommandTests {
    static var model: String { CLIRunner.clipFixtures.appendingPathComponent("models/tiny-quickgelu").path }
    static var bird: String { CLIRunner.clipFixtures.appendingPathComponent("images/bird.jpg").path }
    static var cow: String { CLIRunner.clipFixtures.appendingPathComponent("images/cow.jpg").path }
    static var root: String { CLIRunner.repositoryRoot.path }

    struct Output: Decodable {
        struct Image: Decodable {
            let path: String
            let width: Int
            let height: Int
            let passes: Int
            let keypoints: [Keypoint]
        }
        struct Keypoint: Decodable {
            let name: String
            let prompt: String
            let x: Double
            let y: Double
            let score: Float
        }
        let images: [Image]
    }

    func localize(_ extra: [String], images: [String] = [bird]) throws -> CLIRunner.Result {
        try CLIRunner.run(["localize"] + images + ["--model", Self.model] + extra, cwd: CLIRunner.repositoryRoot)
    }

    @Test func fifteenKeypointsCostTheSamePassesAsOneWithDense30() throws {
        let one = try localize([
            "--keypoint", "beak", "--template", "This is the {part} of a bird", "--grid", "dense30", "--json",
        ])
        #expect(one.status == 0, "\(one.stderr)")
        let all = try localize(["--vocabulary", "cub", "--grid", "dense30", "--json"])
        #expect(all.status == 0, "\(all.stderr)")
        let a = try JSONDecoder().decode(Output.self, from: one.stdoutData)
        let b = try JSONDecoder().decode(Output.self, from: all.stdoutData)
        #expect(a.images[0].passes == 900)
        #expect(b.images[0].passes == 900)
        #expect(b.images[0].keypoints.count == 15)
        #expect(a.images[0].keypoints[0].prompt == "This is the beak of a bird")
        // The same image scores give the same answer for "beak" whether alone or among 15.
        let beak = try #require(b.images[0].keypoints.first { $0.name == "beak" })
        #expect(beak.x == a.images[0].keypoints[0].x && beak.y == a.images[0].keypoints[0].y)
        #expect(abs(beak.score - a.images[0].keypoints[0].score) < 1e-5)
        for k in b.images[0].keypoints {
            #expect(k.x >= 0 && k.x <= 160 && k.y >= 0 && k.y <= 120, "\(k.name) outside the image")
        }
    }

    /// Issue 14: under the default (budgeted, coarse-to-fine) preset a keypoint's answer does not
    /// depend on the other keypoints asked for: each CUB part alone (`--only`) gives the same
    /// point as inside the 15 parts. Before, the refinement budget was shared across keypoints.
    @Test func eachKeypointAnswersTheSameAloneAsAmongFifteen() throws {
        let all = try localize(["--vocabulary", "cub", "--json"])
        #expect(all.status == 0, "\(all.stderr)")
        let together = try JSONDecoder().decode(Output.self, from: all.stdoutData).images[0]
        #expect(together.keypoints.count == 15)
        var singlePasses = 0
        for k in together.keypoints {
            let one = try localize(["--vocabulary", "cub", "--only", k.name, "--json"])
            #expect(one.status == 0, "\(one.stderr)")
            let alone = try JSONDecoder().decode(Output.self, from: one.stdoutData).images[0]
            #expect(alone.keypoints.count == 1)
            #expect(
                alone.keypoints[0].x == k.x && alone.keypoints[0].y == k.y,
                "\(k.name): (\(alone.keypoints[0].x), \(alone.keypoints[0].y)) alone, (\(k.x), \(k.y)) among 15")
            #expect(alone.passes <= 150)
            singlePasses += alone.passes
        }
        // Shared locations are scored once: never more than 15 separate runs.
        #expect(together.passes <= singlePasses)
    }

    @Test func writesHeatmapsOverlayAndScores() throws {
        let dir = try CLIRunner.tempDirectory()
        let r = try localize([
            "--vocabulary", "cub", "--only", "beak,left eye", "--heatmap", dir.appendingPathComponent("maps").path,
            "--overlay", dir.appendingPathComponent("overlay.png").path,
            "--scores", dir.appendingPathComponent("scores.json").path,
        ])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("beak") && r.stdout.contains("passes"))
        let maps = try FileManager.default.contentsOfDirectory(atPath: dir.appendingPathComponent("maps").path).sorted()
        #expect(maps == ["bird_beak.png", "bird_left-eye.png"])
        for m in maps {
            let image = try ImageCodec.decode(contentsOf: dir.appendingPathComponent("maps/\(m)"))
            #expect(image.width > 160 && image.height > 120)  // photo plus title and colour bar
        }
        let overlay = try ImageCodec.decode(contentsOf: dir.appendingPathComponent("overlay.png"))
        #expect(overlay.width == 160 && overlay.height == 120)
        let scores =
            try JSONSerialization.jsonObject(with: Data(contentsOf: dir.appendingPathComponent("scores.json")))
            as? [String: Any]
        let images = try #require(scores?["images"] as? [[String: Any]])
        let keypoints = try #require(images.first?["keypoints"] as? [[String: Any]])
        #expect(keypoints.count == 2)
        let samples = try #require(keypoints.first?["samples"] as? [[String: Any]])
        #expect(samples.count > 100)  // the 10 x 10 first stage plus refinements
        #expect(samples.allSatisfy { $0["stage"] != nil && $0["score"] != nil })
    }

    @Test func keypointNamesThatFoldTogetherGetDistinctHeatmaps() throws {
        let dir = try CLIRunner.tempDirectory()
        let r = try localize([
            "--keypoint", "left eye", "--keypoint", "Left-Eye", "--keypoint", "★", "--heatmap", dir.path,
        ])
        #expect(r.status == 0, "\(r.stderr)")
        let maps = try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted()
        #expect(maps == ["bird_keypoint-3.png", "bird_left-eye-2.png", "bird_left-eye.png"], "\(maps)")
    }

    @Test func badInputStopsBeforeAnyOutput() throws {
        let dir = try CLIRunner.tempDirectory()
        let notImage = dir.appendingPathComponent("notes.png")
        try Data("plain text".utf8).write(to: notImage)
        let badGrid = dir.appendingPathComponent("grid.json")
        try Data(#"{"name": "x", "description": "", "stages": [{"grid": 0}], "fit": "pad"}"#.utf8).write(to: badGrid)
        let maps = dir.appendingPathComponent("maps")
        let json = dir.appendingPathComponent("scores.json")
        let outputs = ["--heatmap", maps.path, "--scores", json.path]
        let cases: [([String], [String], String)] = [
            ([Self.bird, notImage.path], ["--keypoint", "beak"], "notes.png"),
            ([Self.bird], ["--vocabulary", dir.appendingPathComponent("nope.json").path], "nope.json"),
            ([Self.bird], ["--vocabulary", "spair", "--category", "unicorn"], "unicorn"),
            ([Self.bird], ["--keypoint", "beak", "--grid", badGrid.path], "grid"),
            ([Self.bird], ["--keypoint", "beak", "--box", "500,500,10,10"], "box"),
            ([Self.bird], ["--keypoint", "beak", "--box", "1,2,3"], "--box"),
            ([Self.bird], [], "--keypoint"),
        ]
        for (images, args, mention) in cases {
            let r = try localize(args + outputs, images: images)
            #expect(r.status != 0, "\(args) exited 0")
            #expect(r.stderr.contains(mention), "\(args): stderr does not mention \(mention): \(r.stderr)")
            #expect(!FileManager.default.fileExists(atPath: maps.path), "\(args) wrote heatmaps")
            #expect(!FileManager.default.fileExists(atPath: json.path), "\(args) wrote scores")
            #expect(!r.stderr.contains("Fatal error"))
        }
    }

    @Test func boxAndCropToBoxKeepPredictionsInsideTheBox() throws {
        for extra in [
            ["--box", "40,30,60,50"], ["--box", "40,30,60,50", "--crop-to-box"],
            ["--box", "40,30,60,50", "--fit", "crop"],
        ] {
            let r = try localize(["--vocabulary", "cub", "--only", "beak,tail", "--json"] + extra)
            #expect(r.status == 0, "\(extra): \(r.stderr)")
            let out = try JSONDecoder().decode(Output.self, from: r.stdoutData)
            for k in out.images[0].keypoints {
                #expect(k.x >= 40 && k.x <= 100 && k.y >= 30 && k.y <= 80, "\(extra): \(k.name) at \(k.x), \(k.y)")
            }
        }
    }

    /// The table's columns line up whatever the sign of the scores: every row as wide as the header.
    @Test func tableColumnsLineUpWithNegativeAndPositiveScores() throws {
        let horse = CLIRunner.repositoryRoot.appendingPathComponent("examples/horse/2008_007277.jpg").path
        let r = try CLIRunner.run([
            "localize", horse, "--model", Self.model, "--vocabulary", "spair", "--category", "horse",
            "--box", "137,127,145,96", "--crop-to-box",
        ])
        #expect(r.status == 0, "\(r.stderr)")
        let rows = r.stdout.split(separator: "\n").dropFirst()
        let scores = rows.dropFirst().compactMap { $0.split(separator: " ").last.flatMap { Double($0) } }
        // The random model gives this photo scores of both signs (the case that misaligned).
        #expect(scores.contains { $0 < 0 } && scores.contains { $0 >= 0 }, "\(r.stdout)")
        #expect(Set(rows.map(\.count)).count == 1, "\(r.stdout)")
    }
}
