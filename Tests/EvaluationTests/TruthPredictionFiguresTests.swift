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

    /// The panel's distances: a wrong 0.1028 read "0.10" beside a correct 0.0987 "0.10 correct".
    @Test func distancesNeverRoundOntoTheThresholdOnTheWrongSide() {
        let figures = TruthPredictionFigures(
            folder: URL(fileURLWithPath: "/tmp"), count: 1, alpha: 0.1, drawsThreshold: false)
        func record(_ distances: [Double]) -> ImageRecord {
            // Box side 1000: a prediction d * 1000 px right of the truth is at distance d.
            ImageRecord(
                id: "1", category: "c", path: "p.jpg", width: 2000, height: 1000,
                box: Box(x: 0, y: 0, width: 1000, height: 1000), crop: nil,
                keypoints: distances.enumerated().map { i, d in
                    KeypointRecord(
                        name: "k\(i)", gt: Point(x: 100, y: 100), pred: Point(x: 100 + d * 1000, y: 100), score: 0)
                }, unnamed: 0, passes: 0, seconds: 0, notes: [])
        }
        let notes = figures.pairs(for: record([0.1028, 0.0987, 0.1004, 0.1, 0.3])).map(\.note)
        #expect(notes == ["0.103", "0.099 correct", "0.1004", "0.100 correct", "0.300"])
        // Whatever the distance, the shown number lies on the same side of alpha as the distance.
        for thousandths in stride(from: 95.0, through: 105.0, by: 0.0137) {
            let d = thousandths / 1000
            let shown = TruthPredictionFigures.distanceText(d, alpha: 0.1)
            let correct = PCK.isCorrect(normalizedDistance: d, alpha: 0.1)
            #expect(Double(shown).map { PCK.isCorrect(normalizedDistance: $0, alpha: 0.1) } == correct, "\(d) \(shown)")
        }
    }
}
