import Foundation
import Imaging
import Testing

@testable import Evaluation

@Suite struct PCKTests {
    func record(_ id: String, _ category: String, box: Box, _ points: [(String, (Double, Double), (Double, Double))])
        -> ImageRecord
    {
        ImageRecord(
            id: id, category: category, path: "\(id).jpg", width: 500, height: 500, box: box, crop: nil,
            keypoints: points.map {
                KeypointRecord(
                    name: $0.0, gt: Point(x: $0.1.0, y: $0.1.1), pred: Point(x: $0.2.0, y: $0.2.1), score: nil)
            },
            unnamed: 0, passes: 3, seconds: 0.5)
    }

    @Test func boundaryIsInclusive() {
        // 3-4-5 triangle: distance exactly 5 = 0.1 x max(50, 20).
        #expect(PCK.isCorrect(prediction: Point(x: 3, y: 4), truth: Point(x: 0, y: 0), boxSize: 50, alpha: 0.1))
        #expect(!PCK.isCorrect(prediction: Point(x: 3, y: 4.001), truth: Point(x: 0, y: 0), boxSize: 50, alpha: 0.1))
        // 0.1 * 30 = 3.0000000000000004 in binary, 0.3 * 10 = 3.0000000000000004 too; a point at
        // exactly 3 px must count at alpha 0.1 with a 30 px box, and at alpha 0.3 with a 10 px box.
        #expect(PCK.isCorrect(prediction: Point(x: 10, y: 13), truth: Point(x: 10, y: 10), boxSize: 30, alpha: 0.1))
        #expect(PCK.isCorrect(prediction: Point(x: 13, y: 10), truth: Point(x: 10, y: 10), boxSize: 10, alpha: 0.3))
        #expect(
            !PCK.isCorrect(prediction: Point(x: 13.0001, y: 10), truth: Point(x: 10, y: 10), boxSize: 10, alpha: 0.3))
        #expect(Box(x: 0, y: 0, width: 50, height: 20).longerSide == 50)
        #expect(Box(x: 0, y: 0, width: 20, height: 60).longerSide == 60)
    }

    /// Hand-checked summary: A has box size 50 (threshold 5): eye at distance 5 (correct), nose at
    /// 6 (wrong). B has box 100 x 10 (threshold 10): eye at 10 (correct), tail at 10.5 (wrong).
    /// C has an image without keypoints. Overall 2/4; per category A 1/2, B 1/2, C empty.
    @Test func handCheckedReport() throws {
        let records = [
            record(
                "1", "A", box: Box(x: 0, y: 0, width: 50, height: 20),
                [("eye", (10, 10), (13, 14)), ("nose", (0, 0), (6, 0))]),
            record(
                "2", "B", box: Box(x: 5, y: 5, width: 100, height: 10),
                [("eye", (50, 50), (50, 60)), ("tail", (0, 0), (0, 10.5))]),
            record("3", "C", box: Box(x: 0, y: 0, width: 10, height: 10), []),
        ]
        let skipped = [SkippedRecord(id: "4", category: "A", path: "4.jpg", reason: "missing image file 4.jpg")]
        let r = PCKReport.compute(
            records: records, skipped: skipped, settings: ["dataset": "toy", "method": "hand"], alpha: 0.1)
        #expect(r.dataset == "toy" && r.method == "hand" && r.alpha == 0.1)
        #expect(r.images == 3 && r.skipped == 1 && r.keypoints == 4 && r.correct == 2 && r.pck == 0.5)
        #expect(r.perCategory["A"] == PCKEntry(count: 2, correct: 1))
        #expect(r.perCategory["B"] == PCKEntry(count: 2, correct: 1))
        #expect(r.perCategory["C"] == PCKEntry(count: 0, correct: 0) && r.perCategory["C"]?.pck == nil)
        #expect(r.meanPerCategory == 0.5)  // mean of A and B; C has nothing to average
        #expect(r.perKeypoint["eye"] == PCKEntry(count: 2, correct: 2))
        #expect(r.perKeypoint["nose"]?.pck == 0 && r.perKeypoint["tail"]?.count == 1)
        #expect(r.perCategoryKeypoint["B"]?["tail"] == PCKEntry(count: 1, correct: 0))
        #expect(r.passes == 9 && r.seconds == 1.5)

        // At alpha 0.105 the tail (10.5 / 100) is correct too, the nose (6 / 50 = 0.12) still not.
        #expect(PCKReport.compute(records: records, skipped: [], settings: [:], alpha: 0.105).correct == 3)
        // Curve: normalised distances 0.1, 0.12, 0.1, 0.105.
        let d = PCK.normalizedDistances(records)
        #expect(PCK.curve(sortedDistances: d, alphas: [0, 0.0999, 0.1, 0.105, 0.12, 0.2]) == [0, 0, 0.5, 0.75, 1, 1])
        #expect(PCK.curve(sortedDistances: [], alphas: [0.1]) == [nil])
    }

    /// The mean of categories is summed in category order, so it is the same number in every
    /// process: summed in the dictionary's order (seeded per process) these four PCKs give
    /// 0.28762903762903763 or 0.2876290376290376 depending on the order (Python: the sums of
    /// itertools.permutations([1/3, 2/7, 5/11, 1/13]) divided by 4 take both values).
    @Test func meanOfCategoriesIsSummedInCategoryOrder() {
        let box = Box(x: 0, y: 0, width: 100, height: 100)
        func category(_ name: String, correct: Int, of count: Int) -> ImageRecord {
            record(name, name, box: box, (0..<count).map { ("k\($0)", (0, 0), ($0 < correct ? 1 : 50, 0)) })
        }
        let records = [
            category("D", correct: 1, of: 13), category("B", correct: 2, of: 7), category("A", correct: 1, of: 3),
            category("C", correct: 5, of: 11),
        ]
        let r = PCKReport.compute(records: records, skipped: [], settings: [:], alpha: 0.1)
        #expect(r.meanPerCategory == 0.28762903762903763)
    }

    /// The paper's SPair-71k figure is the mean of the per-category PCKs, which differs from the
    /// pooled "all" row when categories have different keypoint counts: `report --compare` shows
    /// it per run (table, CSV, JSON). Run 1: A 3/4, B 0/1 -> pooled 60%, mean 37.5%. Run 2: A 1/4,
    /// B 1/1 -> pooled 40%, mean 62.5%.
    @Test func comparisonShowsTheMeanOfCategories() throws {
        let box = Box(x: 0, y: 0, width: 100, height: 100)
        func run(_ aCorrect: Int, _ bCorrect: Bool) -> PCKReport {
            let a = (0..<4).map { i in ("k\(i)", (0.0, 0.0), (i < aCorrect ? 1.0 : 50.0, 0.0)) }
            let records = [
                record("1", "A", box: box, a),
                record("2", "B", box: box, [("k0", (0, 0), (bCorrect ? 1 : 50, 0))]),
            ]
            return PCKReport.compute(records: records, skipped: [], settings: ["method": "m"], alpha: 0.1)
        }
        let comparison = PCKComparison(
            alpha: 0.1, labels: ["one", "two"], files: [["1.jsonl"], ["2.jsonl"]],
            reports: [run(3, false), run(1, true)])
        #expect(comparison.meanPerCategory == [0.375, 0.625])
        #expect(comparison.rows.first?.values.map { $0?.pck } == [0.6, 0.4])
        let table = comparison.table().split(separator: "\n").map(String.init)
        let meanLine = try #require(table.first { $0.hasPrefix(PCKComparison.meanLabel) })
        #expect(meanLine.contains("37.5%") && meanLine.contains("62.5%"), "\(table)")
        #expect(table.firstIndex { $0.hasPrefix("all") }.map { $0 + 1 } == table.firstIndex(of: meanLine))
        #expect(comparison.csv().contains("mean_per_category,categories,0.375000,0.625000\n"))
        let json = try #require(
            try JSONSerialization.jsonObject(with: JSONEncoder().encode(comparison)) as? [String: Any])
        #expect(json["mean_per_category"] as? [Double] == [0.375, 0.625])
        // One category: no mean row (it would repeat "all").
        let single = PCKComparison(
            alpha: 0.1, labels: ["one"], files: [["1.jsonl"]],
            reports: [
                PCKReport.compute(records: [record("1", "A", box: box, [])], skipped: [], settings: [:], alpha: 0.1)
            ])
        #expect(single.meanPerCategory == nil && !single.table().contains(PCKComparison.meanLabel))
    }

    @Test func reportJSONShape() throws {
        let records = [
            record("1", "A", box: Box(x: 0, y: 0, width: 50, height: 20), [("eye", (10, 10), (13, 14))]),
            record("2", "C", box: Box(x: 0, y: 0, width: 10, height: 10), []),
        ]
        let r = PCKReport.compute(
            records: records, skipped: [], settings: ["dataset": "cub", "method": "random"], alpha: 0.1)
        let json = try #require(try JSONSerialization.jsonObject(with: JSONEncoder().encode(r)) as? [String: Any])
        for key in [
            "dataset", "method", "alpha", "images", "skipped", "keypoints", "pck", "per_keypoint", "per_category",
            "skipped_files", "mean_per_category",
        ] {
            #expect(json[key] != nil, "missing \(key)")
        }
        #expect(json["dataset"] as? String == "cub" && json["alpha"] as? Double == 0.1 && json["pck"] as? Double == 1)
        let perCategory = try #require(json["per_category"] as? [String: [String: Any]])
        #expect(perCategory["A"]?["pck"] as? Double == 1 && perCategory["A"]?["count"] as? Int == 1)
        #expect(perCategory["C"]?["pck"] is NSNull, "empty category: pck is null, not missing")
        // Round trip.
        #expect(try JSONDecoder().decode(PCKReport.self, from: JSONEncoder().encode(r)) == r)
    }

    /// A long name is cut to the column (36 characters) after escaping, between escapes: the
    /// cut used to fall inside `\u{1B}` and print `\u{1...`.
    @Test func longNamesAreCutBetweenEscapes() {
        let box = Box(x: 0, y: 0, width: 100, height: 100)
        // 31 letters, then ESC: its escape would take columns 32...37, past the 33 before "...".
        let name = String(repeating: "k", count: 31) + "\u{1B}[2J"
        let r = PCKReport.compute(
            records: [record("1", "A", box: box, [(name, (0, 0), (1, 1))])], skipped: [], settings: [:], alpha: 0.1)
        let row = r.table().split(separator: "\n").first { $0.hasPrefix("kkk") }.map(String.init) ?? ""
        #expect(row.hasPrefix(String(repeating: "k", count: 31) + "...  "), "\(row)")
        #expect(!row.contains("\\u"), "\(row)")
    }

    @Test func emptyReport() {
        let r = PCKReport.compute(records: [], skipped: [], settings: [:], alpha: 0.1)
        #expect(r.pck == nil && r.meanPerCategory == nil && r.keypoints == 0)
        #expect(r.table().contains("overall:      -"))
    }
}
