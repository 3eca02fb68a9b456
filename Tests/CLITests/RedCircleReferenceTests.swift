import Foundation
import Imaging
import KeypointsSupport
import Testing

/// End to end against an independent implementation of the method: `keypoints localize` on the
/// tiny random CLIP gives, for every candidate of a one-stage grid, the same location and score as
/// the red-circle method written out in plain PyTorch + Pillow + numpy
/// (examples/redcircle_reference.py, run by Fixtures/redcircle/make_reference.py: Pillow's
/// bicubic letterbox, the brute-force anti-aliased ring, OpenAI's normalisation, transformers'
/// CLIPModel, cosine similarity), the same answer for every keypoint, and byte for byte the same
/// marked canvas for each answer (`--save-marked`). The unit tests check each piece against its
/// own reference; this checks the glue between them: grid cell centres, the photo-to-canvas map
/// (with `--box --crop-to-box` too), marker sizes in fractions of the input, the order of the
/// scores.
@Suite struct RedCircleReferenceTests {
    /// Two fp32 CLIP forward passes (OpenBLAS here, PyTorch's kernels there) sum the same
    /// products in different orders: measured at most 2.7e-7 apart on the tiny model (AMD EPYC,
    /// AVX2); 1e-5 leaves room for other CPUs' kernels and is still 60 times below the smallest
    /// best-to-second score gap of the reference (6.3e-4), so the answers must agree exactly.
    static let scoreTolerance = 1e-5
    /// Grid cell centres are computed in lattice units here and in floating point there.
    static let locationTolerance = 1e-9

    struct Reference: Decodable {
        struct Candidate: Decodable {
            let x: Double
            let y: Double
            let canvas_sha256: String
            let scores: [Double]
        }
        struct Answer: Decodable {
            let name: String
            let x: Double
            let y: Double
            let score: Double
            let margin_to_second: Double
        }
        struct Case: Decodable {
            let name: String
            let photo: String
            let grid: Int
            let box: [Int]?
            let crop_to_box: Bool
            let candidates: [Candidate]
            let answers: [Answer]
        }
        let template: String
        let parts: [String]
        let cases: [Case]
    }

    struct Scores: Decodable {
        struct Sample: Decodable {
            let x: Double
            let y: Double
            let stage: Int
            let score: Double
        }
        struct Keypoint: Decodable {
            let name: String
            let samples: [Sample]
        }
        struct Image: Decodable { let keypoints: [Keypoint] }
        let images: [Image]
    }

    struct Answers: Decodable {
        struct Keypoint: Decodable {
            let name: String
            let x: Double
            let y: Double
            let score: Double
        }
        struct Image: Decodable { let keypoints: [Keypoint] }
        let images: [Image]
    }

    static let fixtures = CLIRunner.repositoryRoot.appendingPathComponent("Tests/CLITests/Fixtures/redcircle")

    static func reference() throws -> Reference {
        try JSONDecoder().decode(
            Reference.self, from: Data(contentsOf: fixtures.appendingPathComponent("reference.json")))
    }

    /// Whether python3 here imports what examples/redcircle_reference.py needs.
    static let pythonHasTorch: Bool = {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3", "-c", "import torch, numpy, PIL"]
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        do { try p.run() } catch { return false }
        p.waitUntilExit()
        return p.terminationStatus == 0
    }()

    /// The script's `--compare` (Fixtures/redcircle/test_compare.py, made-up scores, no model):
    /// the photo's own entry of a file of several photos, keypoints by name, stage 0 only.
    @Test(.enabled(if: pythonHasTorch, "needs python3 with torch, numpy and Pillow"))
    func referenceScriptComparesThePhotosKeypointsByName() throws {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3", Self.fixtures.appendingPathComponent("test_compare.py").path]
        let output = Pipe()
        p.standardOutput = output
        p.standardError = output
        try p.run()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        #expect(p.terminationStatus == 0, "\(text)")
    }

    @Test(arguments: ["bird-pad", "cow-box-crop"])
    func localizeMatchesThePyTorchReference(caseName: String) throws {
        let reference = try Self.reference()
        let c = try #require(reference.cases.first { $0.name == caseName })
        let dir = try CLIRunner.tempDirectory()
        // The preset the script implements: one grid of cell centres, the paper's circle, pad.
        let grid = dir.appendingPathComponent("grid.json")
        try Data(
            """
            {"name": "reference", "stages": [{"grid": \(c.grid)}], "fit": "pad", "batch": 64,
             "marker": {"shape": "circle", "color": [255, 0, 0], "radius": 0.06, "thickness": 0.01, "units": "fraction"}}
            """.utf8
        ).write(to: grid)
        let scoresFile = dir.appendingPathComponent("scores.json")
        let marked = dir.appendingPathComponent("marked")
        var arguments = [
            "localize", CLIRunner.clipFixtures.appendingPathComponent("images/\(c.photo)").path,
            "--model", CLIRunner.clipFixtures.appendingPathComponent("models/tiny-quickgelu").path,
            "--template", reference.template, "--grid", grid.path, "--scores", scoresFile.path,
            "--save-marked", marked.path, "--json",
        ]
        for part in reference.parts { arguments += ["--keypoint", part] }
        if let box = c.box { arguments += ["--box", box.map(String.init).joined(separator: ",")] }
        if c.crop_to_box { arguments.append("--crop-to-box") }
        let run = try CLIRunner.run(arguments)
        #expect(run.status == 0, "\(run.stderr)")

        // Every candidate: same place, same order, same score for every keypoint.
        let scores = try JSONDecoder().decode(Scores.self, from: Data(contentsOf: scoresFile)).images[0]
        #expect(scores.keypoints.map(\.name) == reference.parts)
        var worst = 0.0
        for (k, keypoint) in scores.keypoints.enumerated() {
            try #require(keypoint.samples.count == c.candidates.count)
            for (sample, expected) in zip(keypoint.samples, c.candidates) {
                #expect(sample.stage == 0)
                #expect(
                    abs(sample.x - expected.x) <= Self.locationTolerance
                        && abs(sample.y - expected.y) <= Self.locationTolerance,
                    "\(keypoint.name): candidate (\(sample.x), \(sample.y)), reference (\(expected.x), \(expected.y))")
                worst = max(worst, abs(sample.score - expected.scores[k]))
            }
        }
        #expect(worst <= Self.scoreTolerance, "largest score difference \(worst)")

        // The answers: the reference's best candidate for each keypoint, and its marked canvas.
        let answers = try JSONDecoder().decode(Answers.self, from: run.stdoutData).images[0].keypoints
        #expect(answers.map(\.name) == reference.parts)
        let stem = URL(fileURLWithPath: c.photo).deletingPathExtension().lastPathComponent
        for (answer, expected) in zip(answers, c.answers) {
            try #require(expected.margin_to_second > 10 * Self.scoreTolerance)
            #expect(
                answer.x == expected.x && answer.y == expected.y,
                "\(answer.name): (\(answer.x), \(answer.y)), reference (\(expected.x), \(expected.y))")
            #expect(abs(answer.score - expected.score) <= Self.scoreTolerance)
            let candidate = try #require(c.candidates.first { $0.x == expected.x && $0.y == expected.y })
            let canvas = try ImageCodec.decode(
                contentsOf: marked.appendingPathComponent("\(stem)_\(answer.name)_marked.png"))
            #expect(
                SHA256Hasher.hash(Data(canvas.rgb.pixels)) == candidate.canvas_sha256,
                "\(answer.name): the marked canvas differs from the reference's")
        }
    }
}
