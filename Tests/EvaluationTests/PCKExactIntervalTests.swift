import Foundation
import Imaging
import KeypointsSupport
import Testing

@testable import Evaluation

/// Figures of exactly 0% or 100% (the same in every bootstrap resample) and figures that are
/// counts over images (each image holding at most one of their keypoints) get the exact
/// (Clopper-Pearson) binomial interval over the images that hold their keypoints, marked as such
/// in the JSON, the CSV and the tables; paired differences that every resample gives alike are
/// marked too. The tests of 0% and 100% read only `low`, `high` and the encoded output, so they
/// build (and fail) against the code before the exact intervals.
@Suite struct PCKExactIntervalTests {
    static func image(_ id: String, _ category: String, _ correct: [Bool], names: [String]? = nil) -> ImageRecord {
        PCKBootstrapTests.image(id, category, correct, names: names)
    }

    static func settings(level: Double = 0.95, seed: UInt64 = 0) throws -> BootstrapSettings {
        try BootstrapSettings(level: level, resamples: 1000, seed: seed)
    }

    /// `pow` in the library against `exp(log)` here, and scipy's beta quantile (its own
    /// iteration) printed to 16 digits: equal to well within 1e-12.
    static let closedFormTolerance = 1e-12

    /// The Clopper-Pearson bounds for x = 0 or x = n, from the beta quantiles' closed form
    /// (Beta(n, 1)'s CDF is p^n): the lower bound of n of n is ((1 - level) / 2)^(1/n), the upper
    /// bound of 0 of n is 1 minus that. Written as exp(log(.) / n), not as the library's `pow`.
    static func exactBound(level: Double, n: Int) -> Double {
        exp(log((1 - level) / 2) / Double(n))
    }

    static func near(_ ci: ConfidenceInterval?, _ low: Double, _ high: Double) -> Bool {
        guard let ci else { return false }
        return abs(ci.low - low) < closedFormTolerance && abs(ci.high - high) < closedFormTolerance
    }

    static func json(_ value: some Encodable) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    /// 10 images, each with its 3 keypoints right (30 of 30): every figure, the cells included,
    /// is 10 of 10 images, so at 95% its interval is [0.025^(1/10), 1] = [0.6915..., 1], not
    /// [1, 1]. Counting the 30 keypoints as trials would give 0.025^(1/30) = 0.884.
    @Test func tenOfTenImagesGiveTheExactBinomialInterval() throws {
        let records = (0..<10).map { Self.image("\($0)", "A", [true, true, true]) }
        let i = try PCKBootstrap.intervals(records: records, alpha: 0.1, settings: Self.settings())
        let low = Self.exactBound(level: 0.95, n: 10)
        // scipy 1.17.1: scipy.stats.beta.ppf(0.025, 10, 1) (binomtest(10, 10).proportion_ci(
        // confidence_level=0.95, method='exact').low prints 0.6915028921812371).
        let scipy = 0.6915028921812392
        #expect(abs(low - scipy) < Self.closedFormTolerance)
        var all: [(String, ConfidenceInterval?)] = [("overall", i.overall), ("mean", i.meanPerCategory)]
        all += i.perCategory.map { ("category \($0)", $1) } + i.perKeypoint.map { ("keypoint \($0)", $1) }
        all += (i.perCategoryKeypoint["A"] ?? [:]).map { ("cell A \($0)", $1) }
        #expect(all.count == 2 + 1 + 3 + 3)
        for (name, ci) in all {
            #expect(Self.near(ci, low, 1), "\(name): \(String(describing: ci))")
            #expect(try Self.json(ci).contains(#""method":"exact-binomial""#), "\(name)")
        }
        #expect(abs(low - Self.exactBound(level: 0.95, n: 30)) > 0.1, "images, not keypoints, are the trials")
        // The seed draws nothing for these: any seed gives the same interval.
        let other = try PCKBootstrap.intervals(records: records, alpha: 0.1, settings: Self.settings(seed: 9))
        #expect(other == i)
    }

    /// 0 of n: the mirror, [0, 1 - ((1 - level) / 2)^(1/n)], with n the images holding the
    /// figure's keypoints: 7 images at 90% for the overall figure (scipy: 0.3481636551311609),
    /// the 4 that have a keypoint k2 for k2, and a photo whose two records share its path (two
    /// people in one picture) counted once.
    @Test func zeroOfNImagesGiveTheMirrorOverTheImagesHoldingTheFigure() throws {
        var records = (0..<7).map { j in
            Self.image("\(j)", "A", j < 4 ? [false, false, false] : [false, false])
        }
        let i = try PCKBootstrap.intervals(records: records, alpha: 0.1, settings: Self.settings(level: 0.9))
        // scipy 1.17.1: binomtest(0, 7).proportion_ci(confidence_level=0.9, method='exact').high
        let scipy = 0.3481636551311609
        #expect(abs((1 - Self.exactBound(level: 0.9, n: 7)) - scipy) < Self.closedFormTolerance)
        #expect(Self.near(i.overall, 0, 1 - Self.exactBound(level: 0.9, n: 7)), "\(String(describing: i.overall))")
        #expect(Self.near(i.perKeypoint["k0"], 0, 1 - Self.exactBound(level: 0.9, n: 7)))
        #expect(Self.near(i.perKeypoint["k2"], 0, 1 - Self.exactBound(level: 0.9, n: 4)))
        #expect(Self.near(i.perCategoryKeypoint["A"]?["k2"], 0, 1 - Self.exactBound(level: 0.9, n: 4)))

        // Records 5 and 6 in one picture: 6 images.
        records[6].path = records[5].path
        let shared = try PCKBootstrap.intervals(records: records, alpha: 0.1, settings: Self.settings(level: 0.9))
        #expect(Self.near(shared.overall, 0, 1 - Self.exactBound(level: 0.9, n: 6)))
    }

    /// An exact interval's JSON records its n, `"images"`: the images that hold the figure's
    /// keypoints (a photo whose records share a path counted once), so a reader can check the
    /// bound (0 of n at 90%: high = 1 - 0.05^(1/n)). A bootstrap interval has none; read back, a
    /// bootstrap interval with one is refused, naming the field. Built from JSON alone, so it
    /// fails (rather than not compiling) before `images` existed.
    @Test func exactIntervalsRecordTheirImages() throws {
        var records = (0..<7).map { j in
            Self.image("\(j)", "A", j < 4 ? [false, false, false] : [false, false])
        }
        records[6].path = records[5].path  // one picture: 6 images, 4 of them with a k2
        let i = try PCKBootstrap.intervals(records: records, alpha: 0.1, settings: Self.settings(level: 0.9))
        let cases: [(String, ConfidenceInterval?, Int)] = [
            ("overall", i.overall, 6), ("mean", i.meanPerCategory, 6), ("category A", i.perCategory["A"], 6),
            ("k0", i.perKeypoint["k0"], 6), ("k2", i.perKeypoint["k2"], 4),
            ("cell A k2", i.perCategoryKeypoint["A"]?["k2"], 4),
        ]
        for (name, ci, images) in cases {
            let object = try #require(
                JSONSerialization.jsonObject(with: Data(try Self.json(ci).utf8)) as? [String: Any], "\(name)")
            #expect(object["method"] as? String == "exact-binomial", "\(name)")
            let n = try #require(object["images"] as? Int, "\(name): no \"images\" in \(object)")
            #expect(n == images, "\(name)")
            let high = try #require(object["high"] as? Double)
            #expect(abs(high - (1 - Self.exactBound(level: 0.9, n: n))) < Self.closedFormTolerance, "\(name)")
        }
        let mixed = try PCKBootstrap.intervals(
            records: PCKBootstrapTests.referenceData(run: 0), alpha: 0.1, settings: Self.settings())
        #expect(try Self.json(mixed.overall).contains(#""method":"bootstrap""#))
        #expect(try !Self.json(mixed.overall).contains("images"))

        #expect(
            try JSONDecoder().decode(ConfidenceInterval.self, from: Data(try Self.json(i.overall).utf8)) == i.overall)
        let stray = Data(#"{"low":0.1,"high":0.2,"method":"bootstrap","images":5}"#.utf8)
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(ConfidenceInterval.self, from: stray) }
        let none = Data(#"{"low":0,"high":0.2,"method":"exact-binomial","images":0}"#.utf8)
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(ConfidenceInterval.self, from: none) }
    }

    /// A figure with right and wrong keypoints and several of them per image keeps its
    /// percentile bootstrap interval, the same numbers as before (those of
    /// matchesTheIndependentReference, level 0.9, seed 42), beside a category at 100% in the
    /// same report; a keypoint's figure (one per image: k3 is 1 of 3 images) is exact.
    @Test func mixedFiguresKeepTheirBootstrapInterval() throws {
        let mixed = PCKBootstrapTests.referenceData(run: 0)
        let settings = try BootstrapSettings(level: 0.9, resamples: 1000, seed: 42)
        let i = try PCKBootstrap.intervals(records: mixed, alpha: 0.1, settings: settings)
        #expect(Self.near(i.overall, 0.3684210526315789, 0.45454545454545453))
        #expect(Self.near(i.perCategory["B"], 0.375, 0.5))
        #expect(i.perKeypoint["k3"] == PCKBootstrap.exactBinomial(successes: 1, trials: 3, level: 0.9))
        #expect(try Self.json(i.overall).contains(#""method":"bootstrap""#))
        #expect(try !Self.json(i.overall).contains("every_resample_equal"))
        // A category Z at 100% beside them: Z's interval is exact, the others' bootstrap.
        let withZ = mixed + (0..<5).map { Self.image("z\($0)", "Z", [true, true]) }
        let j = try PCKBootstrap.intervals(records: withZ, alpha: 0.1, settings: settings)
        #expect(Self.near(j.perCategory["Z"], Self.exactBound(level: 0.9, n: 5), 1))
        #expect(j.perCategory["B"] == i.perCategory["B"] && j.perCategory["B"] != nil)
        #expect(try Self.json(j.perCategory["B"]).contains(#""method":"bootstrap""#))
    }

    /// Data shaped like the committed CUB sample, where `report --ci` gave `right eye 1 / 45
    /// [0.00, 4.76]` (bootstrap) beside `left eye 0 / 53 [0.00, 6.72]^` (exact): one success
    /// narrower than none. 50 categories of 2 photos; every photo holds a beak (a third of them
    /// right), photos 0-52 a left eye (none right), 55-99 a right eye (photo 60's right). Each
    /// photo holds each named keypoint at most once, so each keypoint's figure and each cell is
    /// a count over photos and gets the exact interval at every count: 1 of 45 is scipy's
    /// [0.056%, 11.77%], above 0 of 45's upper bound (7.87%) and 0 of 53's (6.72%). The overall
    /// figure and the categories (several keypoints per photo) and the mean of categories keep
    /// the bootstrap, as does a keypoint that a photo holds twice (two people in one picture).
    @Test func aCountOverPhotosIsExactAtEveryCount() throws {
        let records = (0..<100).map { i in
            let eyes = (i < 53 ? ["left eye"] : []) + (i >= 55 ? ["right eye"] : [])
            return Self.image(
                "\(i)", "c\(i / 2)", [i % 3 == 0] + eyes.map { $0 == "right eye" && i == 60 }, names: ["beak"] + eyes)
        }
        let i = try PCKBootstrap.intervals(records: records, alpha: 0.1, settings: Self.settings())
        let right = try #require(i.perKeypoint["right eye"])
        let left = try #require(i.perKeypoint["left eye"])
        // scipy 1.17.1: binomtest(1, 45).proportion_ci(0.95, 'exact'), i.e. beta.ppf(0.025, 1, 45)
        // and beta.ppf(0.975, 2, 44) (clopper_pearson.json's case x 1, n 45, level 0.95).
        let scipy = (low: 0.0005624597154022581, high: 0.11770433141829419)
        #expect(right.method == .exactBinomial && right.images == 45, "\(right)")
        #expect(
            ClopperPearsonTests.relativeError(right.low, scipy.low) < ClopperPearsonTests.scipyTolerance
                && ClopperPearsonTests.relativeError(right.high, scipy.high) < ClopperPearsonTests.scipyTolerance,
            "\(right)")
        let noneOf45 = PCKBootstrap.exactBinomial(allCorrect: false, trials: 45, level: 0.95)
        #expect(right.high > noneOf45.high && right.high > left.high, "\(right) against \(noneOf45), \(left)")
        #expect(Self.near(left, 0, 1 - Self.exactBound(level: 0.95, n: 53)) && left.images == 53)
        #expect(try Self.json(right).contains(#""images":45"#))
        // The beak: 34 of 100 photos; the cell of photos 60 and 61: 1 of 2.
        #expect(i.perKeypoint["beak"] == PCKBootstrap.exactBinomial(successes: 34, trials: 100, level: 0.95))
        #expect(
            i.perCategoryKeypoint["c30"]?["right eye"]
                == PCKBootstrap.exactBinomial(successes: 1, trials: 2, level: 0.95))
        // Several keypoints per photo: the bootstrap.
        #expect(i.overall?.method == .bootstrap && i.meanPerCategory?.method == .bootstrap)
        #expect(i.perCategory["c0"]?.method == .bootstrap, "c0: a right beak of two, with the left eyes")

        // Two records (people) per picture, each with a left eye: 10 eyes on 5 photos, 4 right.
        var people = (0..<10).map { Self.image("p\($0)", "P", [$0 % 5 < 2], names: ["left eye"]) }
        for j in stride(from: 1, to: 10, by: 2) { people[j].path = people[j - 1].path }
        let crowd = try PCKBootstrap.intervals(records: people, alpha: 0.1, settings: Self.settings())
        #expect(crowd.perKeypoint["left eye"]?.method == .bootstrap, "\(String(describing: crowd.perKeypoint))")
        #expect(crowd.perCategoryKeypoint["P"]?["left eye"]?.method == .bootstrap)
    }

    /// The band of a curve that is 0 below alpha 0.05 and 1 from there (every keypoint 0.05 of
    /// the box off) is exact binomial over the 12 images at both ends, as the report's overall
    /// figure at those alphas is.
    @Test func curveBandIsExactWhereTheCurveIsZeroOrOne() throws {
        let records = (0..<12).map { j in
            var r = Self.image("\(j)", "C\(j % 3)", [])
            r.keypoints = (0..<3).map {
                KeypointRecord(name: "k\($0)", gt: Point(x: 0, y: 0), pred: Point(x: 5, y: 0), score: nil)
            }
            return r
        }
        let alphas = PCKCurvePlot.defaultAlphas
        let band = PCKBootstrap.curveBand(records: records, alphas: alphas, settings: try Self.settings())
        let bound = Self.exactBound(level: 0.95, n: 12)
        #expect(alphas[10] < 0.05 && alphas[100] == 0.1)
        #expect(Self.near(band.intervals[10] ?? nil, 0, 1 - bound), "\(String(describing: band.intervals[10]))")
        #expect(Self.near(band.intervals[100] ?? nil, bound, 1), "\(String(describing: band.intervals[100]))")
        let report = try PCKBootstrap.intervals(records: records, alpha: 0.1, settings: Self.settings())
        #expect(band.intervals[100] == report.overall)
    }

    /// Where every image holds one keypoint (so the overall figure is a count over images), the
    /// band is the exact binomial interval at every alpha, x the keypoints correct at that alpha,
    /// as the report's overall figure at that alpha is; with several keypoints per image the
    /// band between 0 and 1 stays the bootstrap's.
    @Test func curveBandIsExactWhereTheOverallFigureIsACountOverImages() throws {
        // Image j: one keypoint j / 200 of the box off (0 to 0.195), in category C(j % 4).
        let records = (0..<40).map { j in
            var r = Self.image("\(j)", "C\(j % 4)", [])
            r.keypoints = [
                KeypointRecord(name: "k0", gt: Point(x: 0, y: 0), pred: Point(x: Double(j) / 2, y: 0), score: nil)
            ]
            return r
        }
        let alphas = PCKCurvePlot.defaultAlphas
        let band = PCKBootstrap.curveBand(records: records, alphas: alphas, settings: try Self.settings())
        #expect(alphas[100] == 0.1 && alphas[50] == 0.05)
        // At 0.1: images 0-20 right (21 of 40); at 0.05: 0-10 (11 of 40).
        let at01 = try #require(band.intervals[100])
        #expect(at01 == PCKBootstrap.exactBinomial(successes: 21, trials: 40, level: 0.95), "\(at01)")
        #expect(band.intervals[50] == PCKBootstrap.exactBinomial(successes: 11, trials: 40, level: 0.95))
        #expect(band.intervals.allSatisfy { $0?.method == .exactBinomial && $0?.images == 40 })
        let report = try PCKBootstrap.intervals(records: records, alpha: 0.1, settings: Self.settings())
        #expect(at01 == report.overall)

        // Two keypoints per image: the overall figure is no count over images.
        let pairs = records.map { r in
            var r = r
            r.keypoints.append(KeypointRecord(name: "k1", gt: Point(x: 0, y: 0), pred: Point(x: 1, y: 0), score: nil))
            return r
        }
        let mixed = PCKBootstrap.curveBand(records: pairs, alphas: alphas, settings: try Self.settings())
        #expect(mixed.intervals[100]?.method == .bootstrap)
        #expect(
            mixed.intervals[100]
                == (try PCKBootstrap.intervals(records: pairs, alpha: 0.1, settings: Self.settings()).overall))
    }

    /// A run compared with itself: every difference is 0 in every resample. The interval stays
    /// the bootstrap's [0, 0], marked every_resample_equal in the JSON and `=` in the table with
    /// a footnote; the runs' own 100% figures are marked `^` (exact binomial) with theirs. The
    /// CSV gives each interval's method in columns after the existing ones.
    @Test func comparisonMarksExactAndEqualIntervals() throws {
        let run =
            (0..<10).map { Self.image("a\($0)", "A", [true, true]) }
            + (0..<10).map { Self.image("b\($0)", "B", [$0 % 2 == 0, $0 % 3 == 0]) }
        let report = PCKReport.compute(records: run, skipped: [], settings: [:], alpha: 0.1)
        let c = try PCKComparison.bootstrapped(
            alpha: 0.1, labels: ["one", "two"], files: [["a"], ["b"]], reports: [report, report],
            records: [run, run], settings: Self.settings())
        let json = try Self.json(c)
        #expect(json.contains(#""every_resample_equal":true"#))
        #expect(json.contains(#""method":"exact-binomial""#))

        let table = c.table()
        let lines = table.split(separator: "\n").map(String.init)
        let categoryA = try #require(lines.first { $0.hasPrefix("category A ") })
        #expect(categoryA.contains("100.0% [69.2, 100.0]^"), "\(categoryA)")
        #expect(categoryA.hasSuffix("+0.0 [0.0, 0.0]=  "), "\(categoryA)")
        #expect(
            lines.contains {
                $0.hasPrefix("^ 95% exact binomial (Clopper-Pearson) interval over the images that hold the figure's")
            }, "\(table)")
        #expect(lines.contains { $0.hasPrefix("= every resample gave the same value") }, "\(table)")

        let csv = c.csv().split(separator: "\n").map(String.init)
        #expect(csv[0].hasSuffix(",two - one ci_high,one ci_method,two ci_method,two - one ci_method"), "\(csv[0])")
        let a = try #require(csv.first { $0.hasPrefix("category,A,") })
        #expect(a.hasSuffix(",exact-binomial,exact-binomial,bootstrap-every-resample-equal"), "\(a)")
        let b = try #require(csv.first { $0.hasPrefix("category,B,") })
        #expect(b.hasSuffix(",bootstrap,bootstrap,bootstrap-every-resample-equal"), "\(b)")
    }

    /// A difference without a column (decoded with fewer rows than the table's lines) adds no
    /// footnote and no blank marker column: the footnotes explain markers the table shows. (The
    /// runs' own figures are bootstrap ones: two records share each picture, so no figure is a
    /// count over pictures.)
    @Test func footnotesComeOnlyFromShownIntervals() throws {
        let run = Self.twoPerPicture((0..<10).map { Self.image("b\($0)", "B", [$0 % 3 == 0, $0 % 4 == 0]) })
        let report = PCKReport.compute(records: run, skipped: [], settings: [:], alpha: 0.1)
        var c = try PCKComparison.bootstrapped(
            alpha: 0.1, labels: ["one", "two"], files: [["a"], ["b"]], reports: [report, report],
            records: [run, run], settings: Self.settings())
        #expect(c.table().contains("= every resample gave the same value"), "\(c.table())")
        let rows = try #require(c.differences?[0].rows)
        c.differences?[0].rows = Array(rows.dropLast())
        let table = c.table()
        #expect(!table.contains("="), "\(table)")
        #expect(!table.split(separator: "\n").contains { $0.hasSuffix("] ") }, "\(table)")
    }

    /// The report's table marks an exact interval `^` and explains it in one line under the
    /// table; its JSON names the method of every interval. A report without such an interval
    /// has no footnote. The same seed gives the same output.
    @Test func reportTableAndJSONShowTheMethod() throws {
        let run =
            (0..<10).map { Self.image("a\($0)", "A", [true, true]) }
            + (0..<10).map { Self.image("b\($0)", "B", [$0 % 2 == 0, $0 % 3 == 0]) }
        let report = try PCKReport.compute(records: run, skipped: [], settings: [:], alpha: 0.1)
            .addingIntervals(records: run, settings: Self.settings())
        let table = report.table()
        #expect(table.contains("      20 / 20     [69.15, 100.00]^\n"), "\(table)")
        let footnote =
            "^ 95% exact binomial (Clopper-Pearson) interval over the images that hold the figure's keypoints"
        #expect(table.split(separator: "\n").filter { $0.hasPrefix(footnote) }.count == 1, "\(table)")
        let again = try PCKReport.compute(records: run, skipped: [], settings: [:], alpha: 0.1)
            .addingIntervals(records: run, settings: Self.settings())
        let (json, againJSON) = (try Self.json(report), try Self.json(again))
        #expect(again.table() == table && againJSON == json)

        let object = try #require(
            JSONSerialization.jsonObject(with: Data(try Self.json(report).utf8)) as? [String: Any])
        let categories = try #require(object["per_category"] as? [String: [String: Any]])
        #expect((categories["A"]?["ci"] as? [String: Any])?["method"] as? String == "exact-binomial")
        #expect((categories["B"]?["ci"] as? [String: Any])?["method"] as? String == "bootstrap")
        #expect((object["pck_ci"] as? [String: Any])?["method"] as? String == "bootstrap")

        // Records in pairs on one picture (two people): no figure is a count over pictures.
        let mixedOnly = Self.twoPerPicture(Array(run.dropFirst(10)))
        let plain = try PCKReport.compute(records: mixedOnly, skipped: [], settings: [:], alpha: 0.1)
            .addingIntervals(records: mixedOnly, settings: Self.settings())
        #expect(!plain.table().contains("^") && !plain.table().contains("Clopper"), "\(plain.table())")
    }

    /// `records` with records 2j and 2j + 1 on one picture (COCO's people): each picture holds
    /// two of every keypoint, so a keypoint's figure is no count over pictures.
    static func twoPerPicture(_ records: [ImageRecord]) -> [ImageRecord] {
        var out = records
        for j in stride(from: 1, to: out.count, by: 2) { out[j].path = out[j - 1].path }
        return out
    }
}
