import Foundation
import Testing

/// EXIF orientation through the commands that read photos, on bird-6.jpg: an 80x60 JPEG tagged 6
/// (rotated 90° clockwise), beside the same pixels as Pillow stores them (`bird-6-stored.png`)
/// and as `ImageOps.exif_transpose` shows them (`bird-6-displayed.png`, 60x80), both without
/// EXIF (Tests/ImagingTests/Fixtures/make_exif_fixtures.py). By default a command must answer
/// for the tagged photo exactly what it answers for the stored pixels, and warn; with
/// `--exif-transpose`, exactly what it answers for the displayed pixels.
@Suite struct ExifTransposeCLITests {
    static var fixtures: URL { CLIRunner.repositoryRoot.appendingPathComponent("Tests/ImagingTests/Fixtures/exif") }
    static var tagged: String { fixtures.appendingPathComponent("bird-6.jpg").path }
    static var stored: String { fixtures.appendingPathComponent("bird-6-stored.png").path }
    static var displayed: String { fixtures.appendingPathComponent("bird-6-displayed.png").path }
    static var model: String { CLIRunner.clipFixtures.appendingPathComponent("models/tiny-quickgelu").path }
    static let warning = "bird-6.jpg: EXIF orientation 6 (rotated 90° clockwise) ignored"

    struct Answer: Equatable {
        let width: Int
        let height: Int
        let keypoints: [[String: Double]]
    }

    /// `localize --json` of one photo: its size and keypoints, and the whole document.
    func localize(_ photo: String, _ extra: [String] = []) throws -> (
        answer: Answer, json: [String: Any], stderr: String
    ) {
        let r = try CLIRunner.run(
            ["localize", photo, "--model", Self.model, "--keypoint", "beak", "--keypoint", "tail", "--json"] + extra)
        #expect(r.status == 0, "\(r.stderr)")
        let json = try #require(try JSONSerialization.jsonObject(with: r.stdoutData) as? [String: Any])
        let image = try #require((json["images"] as? [[String: Any]])?.first)
        let keypoints = try #require(image["keypoints"] as? [[String: Any]]).map { k in
            ["x": k["x"] as? Double ?? .nan, "y": k["y"] as? Double ?? .nan, "score": k["score"] as? Double ?? .nan]
        }
        let answer = Answer(
            width: image["width"] as? Int ?? 0, height: image["height"] as? Int ?? 0, keypoints: keypoints)
        return (answer, json, r.stderr)
    }

    @Test func localizeWarnsAndKeepsTheStoredFrameByDefault() throws {
        let tagged = try localize(Self.tagged)
        let stored = try localize(Self.stored)
        #expect(tagged.stderr.contains(Self.warning), "\(tagged.stderr)")
        #expect(tagged.stderr.contains("keypoints are in the stored pixel frame; --exif-transpose applies it"))
        #expect(!stored.stderr.contains("EXIF"), "no tag, no warning: \(stored.stderr)")
        #expect(tagged.answer == stored.answer)
        #expect(tagged.answer.width == 80 && tagged.answer.height == 60)
        // The output keeps its fields: nothing about EXIF without the flag.
        #expect(tagged.json["exif_transpose"] == nil)
        #expect((tagged.json["images"] as? [[String: Any]])?.first?["exif_transposed"] == nil)
    }

    @Test func localizeWithExifTransposeAnswersInTheDisplayedFrame() throws {
        let tagged = try localize(Self.tagged, ["--exif-transpose"])
        let displayed = try localize(Self.displayed)
        #expect(!tagged.stderr.contains("EXIF"), "applied, so no warning: \(tagged.stderr)")
        #expect(tagged.answer == displayed.answer)
        #expect(tagged.answer.width == 60 && tagged.answer.height == 80)
        #expect(tagged.json["exif_transpose"] as? Bool == true)
        #expect((tagged.json["images"] as? [[String: Any]])?.first?["exif_transposed"] as? Int == 6)
        // A photo without a tag is the same with or without the flag, and records nothing.
        let plain = try localize(Self.displayed, ["--exif-transpose"])
        #expect(plain.answer == displayed.answer)
        #expect((plain.json["images"] as? [[String: Any]])?.first?["exif_transposed"] == nil)
    }

    /// `"exif_transposed_source"` names where the orientation applied was found, beside
    /// `"exif_transposed"`, in `--json` and `--out`: the EXIF tag, a PNG "Raw profile type exif"
    /// text or XMP (each fixture tagged 6, as Pillow 13 reads it in
    /// Tests/ImagingTests/Fixtures/exif/expected.json); absent when nothing was applied.
    @Test func localizeRecordsWhereTheOrientationWasFound() throws {
        let photos = ["bird-6.jpg", "raw-profile-6.png", "xmp-6.jpg", "bird-6-displayed.png"].map {
            Self.fixtures.appendingPathComponent($0).path
        }
        let out = try CLIRunner.tempDirectory().appendingPathComponent("r.jsonl").path
        let r = try CLIRunner.run(
            ["localize"] + photos + [
                "--model", Self.model, "--keypoint", "beak", "--json", "--out", out, "--exif-transpose",
            ])
        #expect(r.status == 0, "\(r.stderr)")
        let json = try #require(try JSONSerialization.jsonObject(with: r.stdoutData) as? [String: Any])
        let images = try #require(json["images"] as? [[String: Any]])
        let records = try String(contentsOfFile: out, encoding: .utf8).split(separator: "\n").dropFirst().map {
            try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
        }
        for entries in [images, records] {
            #expect(entries.map { $0["exif_transposed_source"] as? String } == ["exif", "raw_profile", "xmp", nil])
            #expect(entries.map { $0["exif_transposed"] as? Int } == [6, 6, 6, nil])
        }
    }

    @Test func localizeOutRecordsTheTranspositionAndRefusesToMixFrames() throws {
        let dir = try CLIRunner.tempDirectory()
        let out = dir.appendingPathComponent("r.jsonl").path
        let args = ["localize", Self.tagged, "--model", Self.model, "--keypoint", "beak", "--out", out]
        let first = try CLIRunner.run(args + ["--exif-transpose"])
        #expect(first.status == 0, "\(first.stderr)")
        let lines = try String(contentsOfFile: out, encoding: .utf8).split(separator: "\n").map {
            try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
        }
        #expect((lines.first?["settings"] as? [String: String])?["exif_transpose"] == "true")
        #expect(lines.last?["exif_transposed"] as? Int == 6)
        #expect(lines.last?["width"] as? Int == 60)
        // Resuming without the flag would mix frames: refused, naming the setting.
        let second = try CLIRunner.run(args)
        #expect(second.status != 0)
        #expect(second.stderr.contains("exif_transpose"), "\(second.stderr)")
    }

    @Test func scoresRecordTheTranspositionPerPhoto() throws {
        let dir = try CLIRunner.tempDirectory()
        func images(in file: String) throws -> [[String: Any]] {
            let data = try Data(contentsOf: dir.appendingPathComponent(file))
            let json = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
            return try #require(json["images"] as? [[String: Any]])
        }
        func scores(_ extra: [String], file: String) throws -> [[String: Any]] {
            let path = dir.appendingPathComponent(file).path
            let r = try CLIRunner.run(
                [
                    "localize", Self.tagged, Self.displayed, "--model", Self.model, "--keypoint", "beak", "--scores",
                    path,
                ]
                    + extra)
            #expect(r.status == 0, "\(r.stderr)")
            return file.contains("{name}") ? [] : try images(in: file)
        }
        // One file for the run: the tagged photo's entry says what was applied, the other none.
        let turned = try scores(["--exif-transpose"], file: "turned.json")
        #expect(turned.count == 2)
        #expect(turned.first?["exif_transposed"] as? Int == 6)
        #expect(turned.first?["exif_transposed_source"] as? String == "exif")
        #expect(turned.last.map { $0["exif_transposed"] == nil && $0["exif_transposed_source"] == nil } == true)
        // One file per photo ({name}): the same.
        _ = try scores(["--exif-transpose"], file: "{name}.json")
        #expect(try images(in: "bird-6.json").first?["exif_transposed"] as? Int == 6)
        #expect(try images(in: "bird-6-displayed.json").first.map { $0["exif_transposed"] == nil } == true)
        // Without the flag nothing is applied, so nothing is recorded.
        let stored = try scores([], file: "stored.json")
        #expect(stored.allSatisfy { $0["exif_transposed"] == nil })
    }

    struct Embedding: Decodable {
        struct Image: Decodable {
            let embedding: [Float]
            let exif_transposed: Int?
            let exif_transposed_source: String?
        }
        let images: [Image]
    }

    func embed(_ photo: String, _ extra: [String] = []) throws -> (Embedding.Image, String) {
        let r = try CLIRunner.run(["embed", "--model", Self.model, "--image", photo, "--json"] + extra)
        #expect(r.status == 0, "\(r.stderr)")
        let image = try #require(try JSONDecoder().decode(Embedding.self, from: r.stdoutData).images.first)
        return (image, r.stderr)
    }

    @Test func embedWarnsByDefaultAndTransposesWithTheFlag() throws {
        let (asStored, warned) = try embed(Self.tagged)
        #expect(warned.contains(Self.warning), "\(warned)")
        #expect(asStored.embedding == (try embed(Self.stored)).0.embedding)
        #expect(asStored.exif_transposed == nil)
        let (upright, quiet) = try embed(Self.tagged, ["--exif-transpose"])
        #expect(!quiet.contains("EXIF"))
        #expect(upright.embedding == (try embed(Self.displayed)).0.embedding)
        #expect(upright.embedding != asStored.embedding)
        #expect(upright.exif_transposed == 6 && upright.exif_transposed_source == "exif")
        #expect(asStored.exif_transposed_source == nil)
    }

    @Test func saliencyWarnsByDefaultAndTransposesWithTheFlag() throws {
        let model = CLIRunner.repositoryRoot.appendingPathComponent("Tests/DINOTests/Fixtures/models/vit-p16-w36-h3")
        func saliency(_ photo: String, _ extra: [String] = []) throws -> (
            tokens: [[Int]], size: [Int], stderr: String, source: String?
        ) {
            let r = try CLIRunner.run(
                ["saliency", photo, "--model", model.path, "--size", "64", "--json", "--precision", "fp32"] + extra)
            #expect(r.status == 0, "\(r.stderr)")
            let json = try JSONSerialization.jsonObject(with: r.stdoutData) as? [String: Any]
            let image = try #require((json?["images"] as? [[String: Any]])?.first)
            return (
                image["tokens"] as? [[Int]] ?? [], [image["width"] as? Int ?? 0, image["height"] as? Int ?? 0],
                r.stderr,
                image["exif_transposed_source"] as? String
            )
        }
        let asStored = try saliency(Self.tagged)
        #expect(asStored.stderr.contains(Self.warning), "\(asStored.stderr)")
        let stored = try saliency(Self.stored)
        #expect(asStored.tokens == stored.tokens && asStored.size == [80, 60])
        let upright = try saliency(Self.tagged, ["--exif-transpose"])
        let displayed = try saliency(Self.displayed)
        #expect(upright.tokens == displayed.tokens && upright.size == [60, 80])
        #expect(upright.source == "exif" && asStored.source == nil)
    }
}
