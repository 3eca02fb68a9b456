import Foundation
import Imaging
import Testing

/// `localize --heatmap/--overlay/--montage` on the built executable (issue 14, figures): the
/// format follows the extension, other extensions are refused before any compute, `{name}`
/// gives several images one path, and the files are what they claim to be.
@Suite struct FigureCLITests {
    static var model: String { LocalizeCommandTests.model }
    static var bird: String { LocalizeCommandTests.bird }
    static var cow: String { LocalizeCommandTests.cow }

    static func format(of url: URL) throws -> ImageCodec.Format? {
        try Data(contentsOf: url).withUnsafeBytes { ImageCodec.detectFormat($0) }
    }

    @Test func otherExtensionsAreRefusedBeforeAnyCompute() throws {
        let dir = try CLIRunner.tempDirectory()
        // A model that does not exist: the refusal must come first, in one line.
        let base = ["localize", Self.bird, "--model", "/nonexistent/model", "--keypoint", "beak"]
        // (`--overlay NAME` without an extension is a folder, for one photo as for several:
        // LocalizeResultsTests.anOverlayFolderServesOnePhotoAndJSONRecordsTheGeometry.)
        let cases: [([String], String)] = [
            (["--overlay", dir.appendingPathComponent("o.gif").path], ".gif"),
            (["--montage", dir.appendingPathComponent("m.bmp").path], ".bmp"),
            (["--heatmap", dir.appendingPathComponent("{keypoint}.tiff").path], ".tiff"),
            (["--montage", dir.appendingPathComponent("montage").path], "no extension"),
        ]
        for (extra, mention) in cases {
            let r = try CLIRunner.run(base + extra)
            #expect(r.status == 1, "\(extra): \(r.stderr)")
            let lines = r.stderr.split(separator: "\n").filter { !$0.isEmpty }
            #expect(lines.count == 1, "\(extra): \(r.stderr)")
            #expect(r.stderr.contains(extra[0]) && r.stderr.contains(mention), "\(extra): \(r.stderr)")
            #expect(r.stderr.contains(".png"), "\(extra): \(r.stderr)")
            #expect(!r.stderr.contains("nonexistent"), "the model was looked at first: \(r.stderr)")
        }
        // A heatmap file name without {keypoint} would be overwritten by each of two keypoints.
        let single = try CLIRunner.run(
            base + ["--keypoint", "tail", "--heatmap", dir.appendingPathComponent("map.png").path])
        #expect(
            single.status == 1 && single.stderr.contains("2 keypoints need a folder or {keypoint}"),
            "\(single.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).isEmpty)
    }

    @Test func severalImagesNeedNameOrAreRefused() throws {
        let dir = try CLIRunner.tempDirectory()
        let base = ["localize", Self.bird, Self.cow, "--model", "/nonexistent/model", "--keypoint", "beak"]
        let montage = try CLIRunner.run(base + ["--montage", dir.appendingPathComponent("m.png").path])
        #expect(montage.status == 1 && montage.stderr.contains("2 images need {name}"), "\(montage.stderr)")
        // Two photos with the same file name would write the same file.
        let other = dir.appendingPathComponent("copy")
        try FileManager.default.createDirectory(at: other, withIntermediateDirectories: true)
        try FileManager.default.copyItem(
            at: URL(fileURLWithPath: Self.bird), to: other.appendingPathComponent("bird.jpg"))
        let same = try CLIRunner.run([
            "localize", Self.bird, other.appendingPathComponent("bird.jpg").path, "--model", "/nonexistent/model",
            "--keypoint", "beak", "--overlay", dir.appendingPathComponent("{name}.png").path,
        ])
        #expect(same.status == 1 && same.stderr.contains("photos 1 and 2 would both write"), "\(same.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("bird.png").path))
    }

    /// An overlay or montage is one figure per image: `{keypoint}` in its name would be written
    /// literally, so it is refused before any compute, naming the option.
    @Test(arguments: ["--overlay", "--montage"])
    func perImageFiguresRefuseTheKeypointPlaceholder(option: String) throws {
        let dir = try CLIRunner.tempDirectory()
        let r = try CLIRunner.run([
            "localize", Self.bird, "--model", "/nonexistent/model", "--keypoint", "beak", "--keypoint", "tail",
            option, dir.appendingPathComponent("{keypoint}.png").path,
        ])
        #expect(
            r.status == 1 && r.stderr.contains("\(option)")
                && r.stderr.contains("{keypoint} names a file per keypoint"), "\(r.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).isEmpty)
    }

    @Test func heatmapNamesNeedOnlyThePlaceholdersThatTellFiguresApart() throws {
        let dir = try CLIRunner.tempDirectory()
        let run = { (images: [String], keypoints: [String], heatmap: String) in
            try CLIRunner.run(
                ["localize"] + images + ["--model", Self.model] + keypoints.flatMap { ["--keypoint", $0] }
                    + ["--heatmap", dir.appendingPathComponent(heatmap).path, "--figure-max-side", "64"],
                cwd: CLIRunner.repositoryRoot)
        }
        // One keypoint on two images: {name} alone names each heatmap.
        let byName = try run([Self.bird, Self.cow], ["beak"], "names/{name}.png")
        #expect(byName.status == 0, "\(byName.stderr)")
        // One image with two keypoints: {keypoint} alone.
        let byKeypoint = try run([Self.bird], ["beak", "tail"], "keypoints/{keypoint}.png")
        #expect(byKeypoint.status == 0, "\(byKeypoint.stderr)")
        // One image, one keypoint: a plain file name.
        let plain = try run([Self.bird], ["beak"], "plain/map.png")
        #expect(plain.status == 0, "\(plain.stderr)")
        let files = try FileManager.default.subpathsOfDirectory(atPath: dir.path).sorted()
        #expect(
            files == [
                "keypoints", "keypoints/beak.png", "keypoints/tail.png", "names", "names/bird.png", "names/cow.png",
                "plain", "plain/map.png",
            ], "\(files)")
        for file in files where file.hasSuffix(".png") {
            #expect(try Self.format(of: dir.appendingPathComponent(file)) == .png, "\(file)")
        }
    }

    @Test func heatmapNamesThatWouldCollideAreRefusedBeforeAnyCompute() throws {
        let dir = try CLIRunner.tempDirectory()
        let photos = dir.appendingPathComponent("photos")
        try FileManager.default.createDirectory(at: photos, withIntermediateDirectories: true)
        for name in ["a.jpg", "a-b.jpg"] {
            try FileManager.default.copyItem(
                at: URL(fileURLWithPath: Self.bird), to: photos.appendingPathComponent(name))
        }
        let a = photos.appendingPathComponent("a.jpg").path
        let ab = photos.appendingPathComponent("a-b.jpg").path
        let out = dir.appendingPathComponent("out")
        let cases: [(images: [String], keypoints: [String], heatmap: String, says: String)] = [
            // Two images and two keypoints: {name} alone would write each image's keypoints to one file.
            ([Self.bird, Self.cow], ["beak", "tail"], "{name}.png", "2 keypoints need a folder or {keypoint}"),
            // ... and {keypoint} alone each keypoint of both images.
            ([Self.bird, Self.cow], ["beak", "tail"], "{keypoint}.png", "2 images need a folder or {name}"),
            // Image 'a' with keypoint 'b c' and image 'a-b' with keypoint 'c' both give a-b-c.png.
            (
                [a, ab], ["b c", "c"], "{name}-{keypoint}.png",
                "image 1's keypoint 'b-c' and image 2's keypoint 'c' would both write"
            ),
        ]
        for c in cases {
            let r = try CLIRunner.run(
                ["localize"] + c.images + ["--model", "/nonexistent/model"]
                    + c.keypoints.flatMap { ["--keypoint", $0] }
                    + ["--heatmap", out.appendingPathComponent(c.heatmap).path])
            #expect(r.status == 1 && r.stderr.contains(c.says), "\(c.heatmap): \(r.stderr)")
            #expect(r.stderr.split(separator: "\n").count == 1, "\(r.stderr)")
            #expect(!r.stderr.contains("nonexistent"), "the model was looked at first: \(r.stderr)")
        }
        #expect(!FileManager.default.fileExists(atPath: out.path))
        // With a separator no slug has, the same images and keypoints are told apart: the run
        // gets past the paths to the (missing) model.
        let apart = try CLIRunner.run(
            ["localize", a, ab, "--model", "/nonexistent/model", "--keypoint", "b c", "--keypoint", "c"]
                + ["--heatmap", out.appendingPathComponent("{name}_{keypoint}.png").path])
        #expect(apart.status == 1 && apart.stderr.contains("nonexistent"), "\(apart.stderr)")
    }

    /// `{keypoint}` in a folder's name: every keypoint's folder is checked before any compute, not
    /// only the first keypoint's (a file where the second keypoint's folder would go was found
    /// only after the compute, with the first heatmap already written).
    @Test func heatmapFolderOfEveryKeypointIsCheckedBeforeAnyCompute() throws {
        let out = try CLIRunner.tempDirectory().appendingPathComponent("out")
        try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
        let blocking = out.appendingPathComponent("tail")
        #expect(FileManager.default.createFile(atPath: blocking.path, contents: Data()))
        let r = try CLIRunner.run(
            ["localize", Self.bird, "--model", "/nonexistent/model", "--keypoint", "beak", "--keypoint", "tail"]
                + ["--heatmap", out.appendingPathComponent("{keypoint}/map.png").path])
        #expect(r.status == 1 && r.stderr.contains("\(blocking.path) is a file, not a folder"), "\(r.stderr)")
        #expect(!r.stderr.contains("nonexistent"), "the model was looked at first: \(r.stderr)")
    }

    @Test func nameGivesEachImageItsFiguresInTheFormatOfTheExtension() throws {
        let dir = try CLIRunner.tempDirectory()
        let r = try CLIRunner.run(
            [
                "localize", Self.bird, Self.cow, "--model", Self.model, "--keypoint", "beak", "--keypoint", "tail",
                "--overlay", dir.appendingPathComponent("{name}_overlay.jpg").path,
                "--montage", dir.appendingPathComponent("montages/{name}.png").path,
                "--heatmap", dir.appendingPathComponent("maps/{name}-{keypoint}.jpeg").path,
                "--common-scale", "--figure-max-side", "100",
            ], cwd: CLIRunner.repositoryRoot)
        #expect(r.status == 0, "\(r.stderr)")
        let files = try FileManager.default.subpathsOfDirectory(atPath: dir.path).sorted()
        #expect(
            files == [
                "bird_overlay.jpg", "cow_overlay.jpg", "maps", "maps/bird-beak.jpeg", "maps/bird-tail.jpeg",
                "maps/cow-beak.jpeg", "maps/cow-tail.jpeg", "montages", "montages/bird.png", "montages/cow.png",
            ], "\(files)")
        for name in ["bird_overlay.jpg", "cow_overlay.jpg", "maps/bird-beak.jpeg", "maps/cow-tail.jpeg"] {
            #expect(try Self.format(of: dir.appendingPathComponent(name)) == .jpeg, "\(name)")
        }
        for name in ["montages/bird.png", "montages/cow.png"] {
            #expect(try Self.format(of: dir.appendingPathComponent(name)) == .png, "\(name)")
        }
        // --figure-max-side 100: the 160 x 120 photos are shown at 100 x 75 (overlays are the photo).
        let overlay = try ImageCodec.decode(contentsOf: dir.appendingPathComponent("bird_overlay.jpg"))
        #expect(overlay.width == 100 && overlay.height == 75)
    }

    @Test func figuresAreAtThePhotosResolutionByDefault() throws {
        let dir = try CLIRunner.tempDirectory()
        let r = try CLIRunner.run(
            [
                "localize", Self.bird, "--model", Self.model, "--keypoint", "beak",
                "--overlay", dir.appendingPathComponent("o.png").path, "--box", "20,10,100,80",
            ], cwd: CLIRunner.repositoryRoot)
        #expect(r.status == 0, "\(r.stderr)")
        let overlay = try ImageCodec.decode(contentsOf: dir.appendingPathComponent("o.png"))
        #expect(overlay.width == 160 && overlay.height == 120)
        let bad = try CLIRunner.run(["localize", Self.bird, "--keypoint", "beak", "--figure-max-side", "10"])
        #expect(bad.status != 0 && bad.stderr.contains("--figure-max-side must be 64...30000"), "\(bad.stderr)")
    }
}
