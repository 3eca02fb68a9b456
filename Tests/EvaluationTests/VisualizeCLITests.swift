import Foundation
import Imaging
import KeypointsTestSupport
import Testing

@testable import Evaluation

/// `keypoints eval --visualize DIR N` on the built executable, with the tiny random-weight test
/// model on the committed CUB sample (3 images).
@Suite(.serialized) struct VisualizeCLITests {
    func arguments(out: URL) -> [String] {
        [
            "eval", "--dataset", "cub", "--root", Fixtures.cub.path, "--split", "all", "--model",
            ScaleOutCLITests.tinyModel.path, "--out", out.path,
        ]
    }

    func pngs(_ folder: URL) throws -> [String: Data] {
        let names = try FileManager.default.contentsOfDirectory(atPath: folder.path)
        return try Dictionary(
            uniqueKeysWithValues: names.map { ($0, try Data(contentsOf: folder.appendingPathComponent($0))) })
    }

    @Test func writesTheFirstNImagesAndAgainOnResume() throws {
        guard KeypointsExecutable.available() else { return }
        let folder = try Fixtures.temporaryFolder()
        let out = folder.appendingPathComponent("r.jsonl")
        let figures = folder.appendingPathComponent("figures")
        let r = try KeypointsExecutable.runInRepository(
            arguments(out: out) + ["--visualize", figures.path, "2", "--visualize-threshold"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stderr.contains("wrote 2 figure(s)"), "\(r.stderr)")
        // The first two images of the dataset's order, named by id and file.
        let dataset = try Fixtures.dataset(.cub, split: .all)
        let records = try ResultFile.read(out).images.map(\.value)
        let firstTwo = dataset.items.prefix(2).compactMap { item in records.first { $0.id == item.id } }
        let written = try pngs(figures)
        #expect(written.keys.sorted() == firstTwo.map(TruthPredictionFigures.fileName(for:)).sorted())
        for (record, item) in zip(firstTwo, dataset.items) {
            let figure = try ImageCodec.decode(
                contentsOf: figures.appendingPathComponent(TruthPredictionFigures.fileName(for: record)))
            // The photo at its resolution plus the legend panel.
            #expect(figure.width > record.width && figure.height >= record.height)
            let photo = try ImageCodec.decode(contentsOf: item.imageURL)
            #expect(photo.width == record.width && photo.height == record.height)
            // Every keypoint's colour appears (its marks or its legend row).
            let pixels = Set((0..<figure.height).flatMap { y in (0..<figure.width).map { figure.rgb[$0, y] } })
            for i in record.keypoints.indices { #expect(pixels.contains(OverlayRenderer.color(forIndex: i))) }
        }
        // Rerunning the finished command (everything resumed, nothing computed) writes the same
        // figures from the results file.
        try FileManager.default.removeItem(at: figures)
        let again = try KeypointsExecutable.runInRepository(
            arguments(out: out) + ["--visualize", figures.path, "2", "--visualize-threshold"])
        #expect(again.status == 0, "\(again.stderr)")
        #expect(try pngs(figures) == written)
    }

    /// --figure-max-side (localize's option) caps the photo of a figure: the 239 x 320 sample
    /// shown at most 160 px high is narrower by what the photo lost (the legend panel keeps its
    /// size: FigureScale is 1 for both), a cap above the photo's size changes no byte, and the
    /// cap is not part of the run (a rerun of the same --out with another cap resumes).
    @Test func figureMaxSideCapsThePhotoAndLeavesSmallerOnesAlone() throws {
        guard KeypointsExecutable.available() else { return }
        let folder = try Fixtures.temporaryFolder()
        let out = folder.appendingPathComponent("r.jsonl")
        func figure(_ name: String, _ extra: [String]) throws -> (URL, ImageRecord) {
            let figures = folder.appendingPathComponent(name)
            let r = try KeypointsExecutable.runInRepository(
                arguments(out: out) + ["--limit", "1", "--visualize", figures.path, "1"] + extra)
            #expect(r.status == 0, "\(extra): \(r.stderr)")
            let record = try #require(try ResultFile.read(out).images.map(\.value).first)
            return (figures.appendingPathComponent(TruthPredictionFigures.fileName(for: record)), record)
        }
        let (full, record) = try figure("full", [])
        let (capped, _) = try figure("capped", ["--figure-max-side", "160"])
        let (roomy, _) = try figure("roomy", ["--figure-max-side", "1000"])
        #expect(max(record.width, record.height) > 160 && max(record.width, record.height) <= 1000)
        let fullImage = try ImageCodec.decode(contentsOf: full)
        let cappedImage = try ImageCodec.decode(contentsOf: capped)
        let shown = figurePhotoSize(width: record.width, height: record.height, maxSide: 160)
        #expect(max(shown.width, shown.height) == 160)
        #expect(fullImage.width > record.width)
        #expect(cappedImage.width == fullImage.width - (record.width - shown.width))
        #expect(try Data(contentsOf: roomy) == Data(contentsOf: full))
    }

    @Test func badArgumentsFailBeforeAnyCompute() throws {
        guard KeypointsExecutable.available() else { return }
        let folder = try Fixtures.temporaryFolder()
        let file = folder.appendingPathComponent("a-file")
        try Data("x".utf8).write(to: file)
        let out = folder.appendingPathComponent("r.jsonl")
        let cases: [([String], String)] = [
            (["--visualize", file.path, "2"], "--visualize \(file.path): is a file"),
            (["--visualize", folder.path], "--visualize takes a folder and a number of images"),
            (["--visualize", folder.path, "two"], "--visualize takes a folder and a number of images"),
            (["--visualize", folder.path, "0"], "the number of images must be 1 to"),
            (["--visualize-threshold"], "--visualize-threshold applies to --visualize DIR N"),
            (["--visualize", folder.path, "2", "--figure-max-side", "10"], "--figure-max-side must be 64...30000"),
        ]
        for (extra, message) in cases {
            let r = try KeypointsExecutable.runInRepository(arguments(out: out) + extra)
            let errors = r.stderr.split(separator: "\n").filter { $0.hasPrefix("Error:") }
            #expect(r.status != 0 && errors.count == 1 && r.stderr.contains(message), "\(extra): \(r.stderr)")
            #expect(!FileManager.default.fileExists(atPath: out.path), "\(extra): results written before the check")
        }
    }
}
