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
        ]
        for (extra, message) in cases {
            let r = try KeypointsExecutable.runInRepository(arguments(out: out) + extra)
            let errors = r.stderr.split(separator: "\n").filter { $0.hasPrefix("Error:") }
            #expect(r.status != 0 && errors.count == 1 && r.stderr.contains(message), "\(extra): \(r.stderr)")
            #expect(!FileManager.default.fileExists(atPath: out.path), "\(extra): results written before the check")
        }
    }
}
