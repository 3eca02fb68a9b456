import Foundation
import Imaging
import Testing

@testable import Evaluation

/// `eval --visualize`: which images get figures, under which names, and that a resumed run writes
/// the same figures as a run at once.
@Suite struct TruthPredictionFiguresTests {
    func run(_ dataset: EvalDataset, out: URL, figures: URL, count: Int, limit: Int? = nil) throws {
        var runner = EvalRunner(dataset: dataset, limit: limit)
        runner.figures = TruthPredictionFigures(folder: figures, count: count, alpha: 0.1, drawsThreshold: true)
        var predictor: any KeypointPredictor = RandomPredictor(seed: 3)
        let store = try ResultStore.open(url: out, settings: try runner.settings(for: predictor))
        defer { store.close() }
        try runner.run(predictor: &predictor, store: store)
    }

    func files(_ folder: URL) throws -> [String: Data] {
        let names = try FileManager.default.contentsOfDirectory(atPath: folder.path)
        return try Dictionary(
            uniqueKeysWithValues: names.map { ($0, try Data(contentsOf: folder.appendingPathComponent($0))) })
    }

    @Test func firstNEvaluatedImagesInDatasetOrderAlsoWhenResumed() throws {
        let dataset = try Fixtures.dataset(.cub, split: .all)
        let order = dataset.items.map(\.id)
        let folder = try Fixtures.temporaryFolder()
        // At once: 3 images, figures of the first 2.
        let once = folder.appendingPathComponent("once")
        try run(dataset, out: folder.appendingPathComponent("once.jsonl"), figures: once, count: 2)
        let expected = try ResultFile.read(folder.appendingPathComponent("once.jsonl")).images.map(\.value)
            .filter { order.prefix(2).contains($0.id) }.map(TruthPredictionFigures.fileName(for:)).sorted()
        let written = try files(once)
        #expect(written.keys.sorted() == expected && expected.count == 2, "\(written.keys.sorted())")
        // Interrupted after one image, then resumed: the resumed run draws the first image from its
        // record and computes the second; same files, same bytes.
        let resumed = folder.appendingPathComponent("resumed")
        let out = folder.appendingPathComponent("resumed.jsonl")
        try run(dataset, out: out, figures: resumed, count: 2, limit: 1)
        #expect(try files(resumed).count == 1)
        try FileManager.default.removeItem(at: resumed)
        try run(dataset, out: out, figures: resumed, count: 2)
        #expect(try files(resumed) == written)
        // No temporary files left behind.
        #expect(try FileManager.default.contentsOfDirectory(atPath: resumed.path).allSatisfy { !$0.hasPrefix(".") })
    }

    @Test func figureIsThePhotoAtItsResolutionWithALegend() throws {
        let dataset = try Fixtures.dataset(.cub, split: .all)
        let folder = try Fixtures.temporaryFolder()
        try run(
            dataset, out: folder.appendingPathComponent("r.jsonl"), figures: folder.appendingPathComponent("f"),
            count: 1)
        let record = try #require(
            try ResultFile.read(folder.appendingPathComponent("r.jsonl")).images.map(\.value)
                .first { $0.id == dataset.items[0].id })
        let figure = try ImageCodec.decode(
            contentsOf: folder.appendingPathComponent("f").appendingPathComponent(
                TruthPredictionFigures.fileName(for: record)))
        let photo = try ImageCodec.decode(contentsOf: dataset.items[0].imageURL)
        #expect(figure.width > photo.width && figure.height >= photo.height)
        // The photo's top-left corner is unchanged unless the box or a mark lies there.
        #expect(figure.rgb[0, 0] == photo.rgb[0, 0] || record.box.x < 20 || record.box.y < 20)
    }

    @Test func fileNames() {
        func record(_ id: String, _ path: String) -> ImageRecord {
            ImageRecord(
                id: id, category: "c", path: path, width: 1, height: 1, box: Box(x: 0, y: 0, width: 1, height: 1),
                crop: nil, keypoints: [], unnamed: 0, passes: 0, seconds: 0, notes: [])
        }
        #expect(
            TruthPredictionFigures.fileName(for: record("953", "018.Spotted_Catbird/Spotted_Catbird_0018_796800.jpg"))
                == "953-Spotted_Catbird_0018_796800.png")
        #expect(
            TruthPredictionFigures.fileName(for: record("dog/2009_001225", "dog/2009_001225.jpg"))
                == "dog_2009_001225.png")
        #expect(TruthPredictionFigures.fileName(for: record("10", "a b/c:d.jpg")) == "10-c_d.png")
    }
}
