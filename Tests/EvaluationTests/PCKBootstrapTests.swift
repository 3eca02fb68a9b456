import Foundation
import Imaging
import KeypointsSupport
import Testing

@testable import Evaluation

@Suite struct PCKBootstrapTests {
    /// Box side 100 at alpha 0.1: a prediction 1 px off is correct, 50 px off is not.
    static let box = Box(x: 0, y: 0, width: 100, height: 100)

    /// An image whose keypoints (named k0, k1, ... unless `names` is given) are correct where
    /// `correct` says so.
    static func image(_ id: String, _ category: String, _ correct: [Bool], names: [String]? = nil) -> ImageRecord {
        ImageRecord(
            id: id, category: category, path: "\(id).jpg", width: 100, height: 100, box: box, crop: nil,
            keypoints: correct.enumerated().map { k, ok in
                KeypointRecord(
                    name: names?[k] ?? "k\(k)", gt: Point(x: 0, y: 0), pred: Point(x: ok ? 1 : 50, y: 0), score: nil)
            },
            unnamed: 0, passes: 1, seconds: 0)
    }

    /// The data set of make_reference.py's `dataset(run)`: categories A (5 images), B (3), C (4);
    /// image j of category c has 2 + (j % 3) keypoints, k correct when (7j + 3k + c + 2 run) % 5 < 2.
    static func referenceData(run: Int) -> [ImageRecord] {
        var out: [ImageRecord] = []
        for (c, (name, n)) in [("A", 5), ("B", 3), ("C", 4)].enumerated() {
            for j in 0..<n {
                out.append(
                    image("\(name)\(j)", name, (0..<(2 + j % 3)).map { k in (7 * j + 3 * k + c + 2 * run) % 5 < 2 }))
            }
        }
        return out
    }

    static func settings(level: Double = 0.95, resamples: Int = 1000, seed: UInt64 = 0) throws -> BootstrapSettings {
        try BootstrapSettings(level: level, resamples: resamples, seed: seed)
    }

    // MARK: - The generator

    /// The draws are the project's own, the same on every platform: SplitMix64 (seed 7) through
    /// Lemire's unbiased reduction. Expected values: make_reference.py's first line
    /// (`SplitMix64(7)`, `index_below(10)` twelve times, Python integers).
    @Test func unbiasedIndexDrawsMatchTheReference() {
        var rng = SplitMix64(seed: 7)
        #expect((0..<12).map { _ in rng.index(below: 10) } == [3, 0, 9, 5, 4, 2, 4, 3, 1, 4, 1, 9])
        var one = SplitMix64(seed: 7)
        #expect((0..<5).map { _ in one.index(below: 1) } == [0, 0, 0, 0, 0])
    }

    // MARK: - The unit drawn

    /// Records of one category sharing a photo (COCO: several people in one picture) are one
    /// image of the bootstrap: the intervals equal those of the same data with each photo's
    /// records merged into one record holding all their keypoints (which takes the photo's
    /// smallest id). Drawing the records separately, as if each were a photo, gives other
    /// intervals (checked below), so this fails if the unit drawn is the record.
    @Test func recordsOfOnePhotoAreDrawnTogether() throws {
        func record(_ id: String, photo: String, _ correct: [Bool]) -> ImageRecord {
            // Keypoints k0, k1, k2 (a merged record holds each twice).
            var r = Self.image(id, "person", correct, names: correct.indices.map { "k\($0 % 3)" })
            r.path = photo
            return r
        }
        // 6 photos; photos p0, p2, p4 hold two people each (ids a/b), correct together or not.
        var split: [ImageRecord] = []
        var merged: [ImageRecord] = []
        for j in 0..<6 {
            let ok = [j % 3 == 0, j % 2 == 0, true]
            if j % 2 == 0 {
                split.append(record("\(j)a", photo: "p\(j).jpg", ok))
                split.append(record("\(j)b", photo: "p\(j).jpg", ok))
                merged.append(record("\(j)a", photo: "p\(j).jpg", ok + ok))
            } else {
                split.append(record("\(j)", photo: "p\(j).jpg", ok))
                merged.append(record("\(j)", photo: "p\(j).jpg", ok))
            }
        }
        let settings = try Self.settings(resamples: 2000)
        let byPhoto = try PCKBootstrap.intervals(records: split, alpha: 0.1, settings: settings)
        #expect(byPhoto == (try PCKBootstrap.intervals(records: merged, alpha: 0.1, settings: settings)))
        // The same records with a photo each: a different unit, different intervals.
        let ownPhotos = split.map { r in
            var r = r
            r.path = r.id + ".jpg"
            return r
        }
        #expect(byPhoto != (try PCKBootstrap.intervals(records: ownPhotos, alpha: 0.1, settings: settings)))
        // The few-images note counts photos, not records.
        #expect(PCKBootstrap.fewImagesNote(records: split)?.contains("(fewest: 6)") == true)
        #expect(PCKBootstrap.fewImagesNote(records: ownPhotos)?.contains("(fewest: 9)") == true)
    }

    // MARK: - Settings

    @Test func settingsOutOfRangeAreRefusedNamingTheSettingAndRange() throws {
        for level in [0.0, 1.0, -0.5, 1.5, .nan, .infinity] {
            #expect(throws: EvaluationError.self) { try BootstrapSettings(level: level) }
        }
        for resamples in [0, 99, 100_001, -1] {
            #expect(throws: EvaluationError.self) { try BootstrapSettings(resamples: resamples) }
        }
        #expect(
            errorText { _ = try BootstrapSettings(level: 1.5) }
                == "bootstrap level 1.5: expected a level in (0, 1), e.g. 0.95")
        #expect(
            errorText { _ = try BootstrapSettings(resamples: 99) }
                == "bootstrap resamples 99: expected 100...100000 resamples")
        let ok = try BootstrapSettings(level: 0.9, resamples: 100, seed: 3)
        #expect(ok.level == 0.9 && ok.resamples == 100 && ok.seed == 3)
        #expect(try BootstrapSettings(resamples: 100_000).resamples == 100_000)
    }

    /// figures x resamples beyond BootstrapSettings.maxValues is refused before anything is
    /// allocated, naming how many resamples would fit.
    @Test func tooManyFiguresForTheResamplesAreRefused() throws {
        // 2 + 1 category + 400 keypoints = 403 figures; 100,000 resamples need 40.3 M values.
        let names = (0..<400).map { "p\($0)" }
        let records = [Self.image("1", "A", names.map { _ in true }, names: names)]
        let text = errorText {
            _ = try PCKBootstrap.intervals(records: records, alpha: 0.1, settings: Self.settings(resamples: 100_000))
        }
        #expect(text.hasPrefix("bootstrap resamples 100000: expected at most \(BootstrapSettings.maxValues / 403) "))
    }

    // MARK: - Intervals

    @Test func aSeedGivesTheSameIntervalsAndAnotherSeedOthers() throws {
        let records = Self.referenceData(run: 0)
        let a = try PCKBootstrap.intervals(records: records, alpha: 0.1, settings: Self.settings(seed: 5))
        let b = try PCKBootstrap.intervals(
            records: records.reversed(), alpha: 0.1, settings: Self.settings(seed: 5))
        #expect(a == b)  // the record order does not matter either
        let c = try PCKBootstrap.intervals(records: records, alpha: 0.1, settings: Self.settings(seed: 6))
        #expect(a.overall != nil && a.overall != c.overall)
    }

    /// Every keypoint right: every resample is 100%, so each figure's interval is the exact
    /// binomial one over the images holding its keypoints (20 for the pooled figures and the
    /// keypoints, 10 per category), not [1, 1]; PCKExactIntervalTests checks the bounds.
    @Test func allCorrectGivesTheExactBinomialInterval() throws {
        let records = (0..<20).map { Self.image("\($0)", $0 % 2 == 0 ? "A" : "B", [true, true, true]) }
        let r = try PCKBootstrap.intervals(records: records, alpha: 0.1, settings: Self.settings())
        func exact(_ images: Int) -> ConfidenceInterval {
            PCKBootstrap.exactBinomial(allCorrect: true, trials: images, level: 0.95)
        }
        #expect(r.overall == exact(20) && r.meanPerCategory == exact(20))
        #expect(r.perCategory == ["A": exact(10), "B": exact(10)])
        #expect(r.perKeypoint == ["k0": exact(20), "k1": exact(20), "k2": exact(20)])
        #expect(exact(20).method == .exactBinomial && exact(20).low < 1)
    }

    /// Every interval holds its figure's estimate, and the report's point values are the
    /// bootstrap's figures on the data (weights all 1).
    @Test func intervalsContainThePointEstimates() throws {
        let records = Self.referenceData(run: 0)
        let report = try PCKReport.compute(records: records, skipped: [], settings: [:], alpha: 0.1)
            .addingIntervals(records: records, settings: Self.settings())
        func holds(_ ci: ConfidenceInterval?, _ v: Double?) -> Bool {
            guard let ci, let v else { return false }
            return ci.low <= v && v <= ci.high && ci.low < ci.high
        }
        #expect(holds(report.pckCI, report.pck))
        #expect(holds(report.meanPerCategoryCI, report.meanPerCategory))
        for (name, e) in report.perCategory { #expect(holds(e.ci, e.pck), "category \(name)") }
        for (name, e) in report.perKeypoint { #expect(holds(e.ci, e.pck), "keypoint \(name)") }
        #expect(report.bootstrap == (try Self.settings()))
    }

    /// Stratification: category A's images are all correct, B's all wrong, every image has 3
    /// keypoints. If every resample keeps 6 images of A and 4 of B, the pooled PCK is 18/30 in
    /// every resample, so its interval is [0.6, 0.6]; drawing the 10 images unstratified would
    /// move it (P(6 of A in 10 draws) is 0.25). The mean of categories is (1 + 0) / 2 throughout.
    /// Both are marked `everyResampleEqual`; A and B themselves (100% and 0%) are exact binomial.
    @Test func stratificationKeepsEachCategorysImageCount() throws {
        let records =
            (0..<6).map { Self.image("a\($0)", "A", [true, true, true]) }
            + (0..<4).map { Self.image("b\($0)", "B", [false, false, false]) }
        let r = try PCKBootstrap.intervals(records: records, alpha: 0.1, settings: Self.settings())
        #expect(r.overall == ConfidenceInterval(low: 0.6, high: 0.6, everyResampleEqual: true))
        #expect(r.meanPerCategory == ConfidenceInterval(low: 0.5, high: 0.5, everyResampleEqual: true))
        #expect(r.perCategory["A"] == PCKBootstrap.exactBinomial(allCorrect: true, trials: 6, level: 0.95))
        #expect(r.perCategory["B"] == PCKBootstrap.exactBinomial(allCorrect: false, trials: 4, level: 0.95))
        let table = PCKClusterTable(runs: [records], alpha: 0.1)
        #expect(table.categories == ["A", "B"] && table.strata.map(\.count) == [6, 4])
        // Drawn together, the share of A's images varies, and with it the pooled PCK.
        let loose = try PCKBootstrap.intervals(
            records: records, alpha: 0.1, settings: BootstrapSettings(stratified: false))
        let overall = try #require(loose.overall)
        #expect(overall.low < 0.6 && overall.high > 0.6 && !overall.everyResampleEqual)
        #expect(loose.perCategory["A"] == PCKBootstrap.exactBinomial(allCorrect: true, trials: 6, level: 0.95))
    }

    /// The Swift intervals equal an independent implementation's (make_reference.py: the same
    /// documented draws, figures recomputed from scratch in Python, numpy.percentile), level
    /// 0.9, 1000 resamples, seed 42: one run, and run 1 minus run 0 paired. Each image holds
    /// each keypoint once, so a keypoint's figure is a count over images, whose interval there
    /// is scipy's Clopper-Pearson (`clopper_pearson`: beta.ppf): k0 5 of 12, k3 1 of 3.
    @Test func matchesTheIndependentReference() throws {
        let settings = try Self.settings(level: 0.9, resamples: 1000, seed: 42)
        let one = try PCKBootstrap.intervals(records: Self.referenceData(run: 0), alpha: 0.1, settings: settings)
        // Within 1e-12: numpy's percentile interpolates b - (b - a)(1 - t) for t >= 0.5, we a + t(b - a).
        func near(_ ci: ConfidenceInterval?, _ low: Double, _ high: Double) -> Bool {
            guard let ci else { return false }
            return abs(ci.low - low) < 1e-12 && abs(ci.high - high) < 1e-12
        }
        #expect(near(one.overall, 0.3684210526315789, 0.45454545454545453))
        #expect(near(one.meanPerCategory, 0.37777777777777777, 0.4570707070707071))
        #expect(near(one.perCategory["A"], 0.29411764705882354, 0.45454545454545453))
        #expect(near(one.perCategory["B"], 0.375, 0.5))
        #expect(near(one.perCategory["C"], 0.4, 0.5))
        #expect(near(one.perKeypoint["k0"], 0.181024757242321, 0.6847622092755479))
        #expect(near(one.perKeypoint["k1"], 0.181024757242321, 0.6847622092755479))
        #expect(near(one.perKeypoint["k2"], 0.12875639280424267, 0.7746784159675522))
        #expect(near(one.perKeypoint["k3"], 0.016952427508441496, 0.8646496378284161))

        // Not stratified: the 12 images drawn together (a category may be missing from a draw).
        let loose = try PCKBootstrap.intervals(
            records: Self.referenceData(run: 0), alpha: 0.1,
            settings: BootstrapSettings(level: 0.9, resamples: 1000, seed: 42, stratified: false))
        #expect(near(loose.overall, 0.3611111111111111, 0.4642857142857143))
        #expect(near(loose.meanPerCategory, 0.375, 0.46336996336996333))
        #expect(near(loose.perCategory["B"], 0.3333333333333333, 0.5))
        #expect(near(loose.perCategory["C"], 0.375, 0.5))
        #expect(near(loose.perKeypoint["k2"], 0.12875639280424267, 0.7746784159675522))  // no draw: as stratified

        let paired = try PCKBootstrap.difference(
            baseline: Self.referenceData(run: 0), run: Self.referenceData(run: 1), alpha: 0.1, settings: settings)
        #expect(paired.sharedImages == 12)
        #expect(near(paired.overall?.ci, -0.05405405405405406, 0.1111111111111111))
        #expect(near(paired.meanPerCategory?.ci, -0.050315425315425405, 0.10106939356939346))
        #expect(near(paired.perCategory["A"]?.ci, 0.0, 0.23529411764705882))
        #expect(near(paired.perCategory["B"]?.ci, 0.0, 0.25))
        #expect(near(paired.perCategory["C"]?.ci, -0.33333333333333337, 0.0))
        #expect(near(paired.perKeypoint["k0"]?.ci, -0.41666666666666663, 0.41666666666666663))
        #expect(near(paired.perKeypoint["k1"]?.ci, -0.41666666666666663, 0.41666666666666674))
        #expect(near(paired.perKeypoint["k2"]?.ci, -0.6000000000000001, 0.5714285714285714))
        #expect(near(paired.perKeypoint["k3"]?.ci, -1.0, 1.0))
    }

    /// Every interval in reference.json, which make_reference.py writes (its replica of the
    /// documented draws, level 0.9, 1000 resamples, seed 42; see PROVENANCE.md), the category x
    /// keypoint cells included: one run, stratified and not, and the paired difference (its
    /// cells as well). A cell interval taken from its category's or its keypoint's figure, or
    /// drawn from other resamples, differs from the replica's. The one-run figures that are a
    /// count over images (each image holds each keypoint once: every keypoint's figure and
    /// every cell; the replica's "exact_binomial") have the script's scipy Clopper-Pearson
    /// interval; the paired differences' cells are bootstrap ones.
    @Test func matchesTheReferenceFile() throws {
        let url = Fixtures.folder.appendingPathComponent("bootstrap/reference.json")
        let reference = try #require(
            JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
        func expected(_ key: String) throws -> [String: [Double]] {
            try #require(reference[key] as? [String: [Double]], "\(key) in \(url.path)")
        }
        #expect(reference["level"] as? Double == 0.9 && reference["resamples"] as? Int == 1000)
        #expect(reference["seed"] as? Int == 42)
        func near(_ ci: ConfidenceInterval?, _ bounds: [Double]?, _ name: String) {
            guard let ci, let bounds, bounds.count == 2 else {
                Issue.record("\(name): \(String(describing: ci)) against \(String(describing: bounds))")
                return
            }
            #expect(
                abs(ci.low - bounds[0]) < Self.referenceTolerance && abs(ci.high - bounds[1]) < Self.referenceTolerance,
                "\(name): [\(ci.low), \(ci.high)] against \(bounds)")
        }
        /// The figures by the script's names: overall, mean, "category A", "keypoint k0", "cell A k0".
        func byName(_ i: PCKIntervals) -> [String: ConfidenceInterval?] {
            var out: [String: ConfidenceInterval?] = ["overall": i.overall, "mean": i.meanPerCategory]
            for (c, ci) in i.perCategory { out["category \(c)"] = ci }
            for (k, ci) in i.perKeypoint { out["keypoint \(k)"] = ci }
            for (c, row) in i.perCategoryKeypoint { for (k, ci) in row { out["cell \(c) \(k)"] = ci } }
            return out
        }
        let records = Self.referenceData(run: 0)
        // The counts over images, whose intervals the script takes from scipy's beta quantiles.
        let exact = try #require(reference["exact_binomial"] as? [String], "exact_binomial in \(url.path)")
        let keypoints = (0..<4).map { "keypoint k\($0)" }
        #expect(exact == keypoints + ["A", "B", "C"].flatMap { c in (0..<4).map { "cell \(c) k\($0)" } })
        for (key, stratified) in [("one_run", true), ("one_run_not_stratified", false)] {
            let settings = try BootstrapSettings(level: 0.9, resamples: 1000, seed: 42, stratified: stratified)
            let swift = byName(try PCKBootstrap.intervals(records: records, alpha: 0.1, settings: settings))
            let python = try expected(key)
            #expect(Set(swift.keys) == Set(python.keys), "\(key)")
            for (name, ci) in swift {
                #expect(
                    ci?.method == (exact.contains(name) ? .exactBinomial : .bootstrap), "\(key) \(name): method")
            }
            #expect(python.keys.filter { $0.hasPrefix("cell ") }.count == 12, "\(key): cells in the reference")
            for (name, bounds) in python { near(swift[name] ?? nil, bounds, "\(key) \(name)") }
        }
        let paired = try PCKBootstrap.difference(
            baseline: records, run: Self.referenceData(run: 1), alpha: 0.1,
            settings: Self.settings(level: 0.9, resamples: 1000, seed: 42))
        let python = try expected("paired")
        near(paired.overall?.ci, python["overall"], "paired overall")
        near(paired.meanPerCategory?.ci, python["mean"], "paired mean")
        for (c, e) in paired.perCategory { near(e.ci, python["category \(c)"], "paired category \(c)") }
        for (k, e) in paired.perKeypoint { near(e.ci, python["keypoint \(k)"], "paired keypoint \(k)") }
        // Every cell: the 12 of both runs (the same keypoints in each), none besides.
        var pairedCells: [String: ConfidenceInterval?] = [:]
        for (c, row) in paired.perCategoryKeypoint { for (k, e) in row { pairedCells["cell \(c) \(k)"] = e.ci } }
        #expect(Set(pairedCells.keys) == Set(python.keys.filter { $0.hasPrefix("cell ") }))
        #expect(pairedCells.count == 12, "paired cells")
        for (name, ci) in pairedCells { near(ci, python[name], "paired \(name)") }
    }

    /// numpy's percentile interpolates b - (b - a)(1 - t) for t >= 0.5, we a + t(b - a), and
    /// JSON's decimal text may round the last digit: equal within 1e-12.
    static let referenceTolerance = 1e-12

    /// The category x keypoint intervals are each cell's own: in category A the keypoint k0 is
    /// always correct and k1 never, B the other way round, so each of these cells is 100% or 0%
    /// (the exact binomial interval over its 12 images), while category B is half correct in
    /// every resample ([0.5, 0.5], marked every resample equal), the keypoints k0 and k1 (pooled
    /// over A and B) are 12 of 24 images (exact: each image holds each keypoint once) and
    /// category A spreads (its k2). Copying a
    /// cell's interval from its category or keypoint fails here; the one cell of a keypoint
    /// (k2, only in A) has the keypoint's interval; the cells land on the report's
    /// `per_category_keypoint` entries (JSON `"ci"`).
    @Test func categoryKeypointIntervalsAreTheirOwn() throws {
        var records: [ImageRecord] = []
        for j in 0..<12 {
            // Category A's images: k0 right, k1 wrong; B's: k0 wrong, k1 right; a k2 in A's even images only.
            records.append(Self.image("a\(j)", "A", j % 2 == 0 ? [true, false, j % 4 == 0] : [true, false]))
            records.append(Self.image("b\(j)", "B", [false, true]))
        }
        let i = try PCKBootstrap.intervals(records: records, alpha: 0.1, settings: Self.settings())
        let one = PCKBootstrap.exactBinomial(allCorrect: true, trials: 12, level: 0.95)
        let zero = PCKBootstrap.exactBinomial(allCorrect: false, trials: 12, level: 0.95)
        #expect(i.perCategoryKeypoint["A"]?["k0"] == one && i.perCategoryKeypoint["A"]?["k1"] == zero)
        #expect(i.perCategoryKeypoint["B"]?["k0"] == zero && i.perCategoryKeypoint["B"]?["k1"] == one)
        // k2 only in category A (half of its 6 are right): a cell of its own, 3 of 6; none in B.
        let k2 = try #require(i.perCategoryKeypoint["A"]?["k2"])
        #expect(k2 == PCKBootstrap.exactBinomial(successes: 3, trials: 6, level: 0.95) && k2.low < 0.5 && 0.5 < k2.high)
        #expect(i.perCategoryKeypoint["B"]?["k2"] == nil && i.perCategoryKeypoint["B"]?.count == 2)
        #expect(i.perKeypoint["k2"] == k2)
        let half = ConfidenceInterval(low: 0.5, high: 0.5, everyResampleEqual: true)
        let twelveOf24 = PCKBootstrap.exactBinomial(successes: 12, trials: 24, level: 0.95)
        #expect(i.perCategory["B"] == half && i.perKeypoint["k0"] == twelveOf24 && i.perKeypoint["k1"] == twelveOf24)
        let a = try #require(i.perCategory["A"])
        #expect(a.low < a.high)
        for (category, row) in i.perCategoryKeypoint {
            for (name, ci) in row where name != "k2" {
                #expect(ci != i.perCategory[category] && ci != i.perKeypoint[name], "\(category) \(name)")
            }
        }
        let report = try PCKReport.compute(records: records, skipped: [], settings: [:], alpha: 0.1)
            .addingIntervals(records: records, settings: Self.settings())
        #expect(report.perCategoryKeypoint["A"]?["k0"]?.ci == one && report.perCategoryKeypoint["B"]?["k0"]?.ci == zero)
        #expect(report.perCategoryKeypoint["A"]?["k2"]?.ci == k2)
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let text = String(decoding: try encoder.encode(report), as: UTF8.self)
        // The exact interval's n (images: 12, A's images) beside its bounds.
        let cell =
            #""per_category_keypoint":{"A":{"k0":{"ci":{"high":1,"images":12,"low":\#(one.low),"method":"exact-binomial"},"#
        #expect(text.contains(cell + #""correct":12,"count":12"#), "\(text)")
    }

    /// Cells whose values do not fit beside the figures' (figures and cells x resamples over the
    /// budget, `BootstrapSettings.maxValues` in use: CUB's 3,000 cells at 100,000 resamples)
    /// are computed in further passes that draw the same resamples again: every interval is
    /// the same as in one pass. The reference data (9 figures, 3 categories of 4 cells) at 1000
    /// resamples with room for 12 or 13 values per resample: no cell, or category A's, in the
    /// first pass.
    @Test func cellsBeyondTheBudgetComeFromFurtherPassesOverTheSameDraws() throws {
        let table = PCKClusterTable(runs: [Self.referenceData(run: 0)], alpha: 0.1)
        #expect(table.figureCount == 9 && table.cellCount == 12 && table.cellStart == [0, 4, 8, 12])
        #expect(table.cellPasses(resamples: 1000) == [0..<3])
        #expect(table.cellPasses(resamples: 1000, valueBudget: 12_000) == [0..<0, 0..<3])
        #expect(table.cellPasses(resamples: 1000, valueBudget: 13_000) == [0..<1, 1..<3])
        #expect(table.cellPasses(resamples: 1000, valueBudget: 9_000) == [0..<0, 0..<2, 2..<3])
        for stratified in [true, false] {
            let settings = try BootstrapSettings(level: 0.9, resamples: 1000, seed: 42, stratified: stratified)
            let one = try table.resample(settings: settings, paired: false, cells: true)
            for budget in [9_000, 12_000, 13_000] {
                let split = try table.resample(settings: settings, paired: false, cells: true, valueBudget: budget)
                #expect(split.cells.map(\.interval) == one.cells.map(\.interval), "budget \(budget)")
                #expect(split.figures.map(\.interval) == one.figures.map(\.interval), "budget \(budget)")
            }
        }
        // The paired difference's cells alike (two runs, one value per cell per resample).
        let pairedTable = PCKClusterTable(runs: [Self.referenceData(run: 0), Self.referenceData(run: 1)], alpha: 0.1)
        let settings = try BootstrapSettings(level: 0.9, resamples: 1000, seed: 42)
        let one = try pairedTable.resample(settings: settings, paired: true, cells: true)
        #expect(one.cells.count == 12 && one.cells.allSatisfy { $0.interval != nil })
        for budget in [9_000, 12_000, 13_000] {
            let split = try pairedTable.resample(settings: settings, paired: true, cells: true, valueBudget: budget)
            #expect(split.cells.map(\.estimate) == one.cells.map(\.estimate), "paired, budget \(budget)")
            #expect(split.figures.map(\.estimate) == one.figures.map(\.estimate), "paired, budget \(budget)")
        }
        // 40 categories x 50 keypoints at 100,000 resamples: 2,000 cells in 7 passes, none over the budget.
        let names = (0..<50).map { "p\($0)" }
        let big = PCKClusterTable(
            runs: [(0..<40).map { Self.image("\($0)", "C\($0)", names.map { _ in true }, names: names) }], alpha: 0.1)
        let passes = big.cellPasses(resamples: 100_000)
        #expect(passes.count == 7 && passes.flatMap { Array($0) } == Array(0..<40))
        for (p, chunk) in passes.enumerated() {
            let values =
                (big.cellStart[chunk.upperBound] - big.cellStart[chunk.lowerBound]) + (p == 0 ? big.figureCount : 0)
            #expect(values * 100_000 <= BootstrapSettings.maxValues, "pass \(p): \(chunk)")
        }
    }

    // MARK: - Curve bands

    /// 90 images in 3 categories, 6 keypoints each at distances spread over 0 to 0.08 of the
    /// box (an "easy" image, 40%) or 0 to 0.25 (a hard one), so an image's keypoints move
    /// together; `copies` repeats every image under new ids (more images, the same mix).
    static func spreadSample(copies: Int = 1) -> [ImageRecord] {
        var rng = SplitMix64(seed: 11)
        var out: [ImageRecord] = []
        for i in 0..<90 {
            let scale = rng.chance(0.4) ? 0.08 : 0.25
            let distances = (0..<6).map { _ in scale * Double(rng.index(below: 1000)) / 1000 }
            for c in 0..<copies {
                var r = image("\(i)-\(c)", "C\(i % 3)", [])
                r.keypoints = distances.enumerated().map { k, d in
                    KeypointRecord(name: "k\(k)", gt: Point(x: 0, y: 0), pred: Point(x: 100 * d, y: 0), score: nil)
                }
                out.append(r)
            }
        }
        return out
    }

    /// The band holds the curve at every alpha, and is drawn in the same resamples as the
    /// report's intervals: at alpha 0.1 (a point of the curve) it is the overall PCK's interval,
    /// bit for bit, stratified or not; another seed gives another band.
    @Test func curveBandHoldsTheCurveAndIsDrawnLikeTheIntervals() throws {
        let records = Self.spreadSample()
        let alphas = PCKCurvePlot.defaultAlphas
        let curve = PCK.curve(sortedDistances: PCK.normalizedDistances(records), alphas: alphas)
        #expect(alphas[100] == 0.1)
        for stratified in [true, false] {
            let settings = try BootstrapSettings(seed: 3, stratified: stratified)
            let band = PCKBootstrap.curveBand(records: records, alphas: alphas, settings: settings)
            #expect(band.level == 0.95 && band.intervals.count == alphas.count)
            for (a, (ci, v)) in zip(alphas, zip(band.intervals, curve)) {
                let ci = try #require(ci)
                let v = try #require(v)
                #expect(ci.low <= v && v <= ci.high, "alpha \(a): \(v) outside [\(ci.low), \(ci.high)]")
            }
            let overall = try PCKBootstrap.intervals(records: records, alpha: 0.1, settings: settings).overall
            #expect(band.intervals[100] == overall && overall.map { $0.low < $0.high } == true)
            // alpha 0.15: a report at that alpha has the same interval too.
            let at015 = try PCKBootstrap.intervals(records: records, alpha: alphas[150], settings: settings).overall
            #expect(band.intervals[150] == at015)
        }
        let other = PCKBootstrap.curveBand(records: records, alphas: alphas, settings: try Self.settings(seed: 4))
        let seed3 = PCKBootstrap.curveBand(records: records, alphas: alphas, settings: try Self.settings(seed: 3))
        #expect(other != seed3)
        // Held a few alphas at a time (a long curve at many resamples), the band is the same.
        let table = PCKClusterTable(runs: [records], alpha: 0.1)
        #expect(
            table.curveBand(alphas: alphas, settings: try Self.settings(seed: 3), valueBudget: 7_000) == seed3.intervals
        )
    }

    /// Four times the images (each repeated under new ids) give a band about half as wide
    /// (1 / sqrt(4)): the mean width over the alphas is checked below `narrowingBound` of the
    /// original's, which must be wide enough to compare (`widthToCompare`).
    @Test func curveBandNarrowsWithMoreImages() throws {
        let alphas = PCKCurvePlot.defaultAlphas
        let settings = try Self.settings()
        func meanWidth(_ records: [ImageRecord]) -> Double {
            let band = PCKBootstrap.curveBand(records: records, alphas: alphas, settings: settings)
            let widths = band.intervals.compactMap { $0.map { $0.high - $0.low } }
            return widths.reduce(0, +) / Double(widths.count)
        }
        let one = meanWidth(Self.spreadSample())
        let four = meanWidth(Self.spreadSample(copies: 4))
        #expect(one > Self.widthToCompare && four < Self.narrowingBound * one, "mean widths \(one), \(four)")
    }

    /// Expected ratio 0.5; 0.7 leaves room for the Monte Carlo error of 1000 resamples and the
    /// percentiles' steps on 90 images, while a band that ignored the image count (ratio 1) fails.
    static let narrowingBound = 0.7
    /// Two points of PCK: a band narrower than that on 90 images would say nothing of narrowing.
    static let widthToCompare = 0.02

    @Test func percentileInterpolatesLikeNumpy() {
        // np.percentile([1, 2, 3, 4], [0, 25, 50, 97.5, 100]) = [1, 1.75, 2.5, 3.925, 4]
        let v: ArraySlice<Double> = [1, 2, 3, 4]
        #expect(PCKBootstrap.percentile(sorted: v, 0) == 1)
        #expect(PCKBootstrap.percentile(sorted: v, 0.25) == 1.75)
        #expect(PCKBootstrap.percentile(sorted: v, 0.5) == 2.5)
        #expect(abs(PCKBootstrap.percentile(sorted: v, 0.975) - 3.925) < 1e-12)
        #expect(PCKBootstrap.percentile(sorted: v, 1) == 4)
        #expect(PCKBootstrap.percentile(sorted: [7], 0.3) == 7)
    }

    /// The interval from selected order statistics is bit for bit the one from the sorted
    /// values (`percentile(sorted:)`, the reference), on values like resampled PCKs (few
    /// distinct ratios, many ties), distinct ones, sorted, reversed and all equal ones, counts
    /// below and above the insertion-sort cutoff, and levels whose tails fall on an order
    /// statistic, between two, at the ends, or on the same one.
    @Test func selectedIntervalEqualsTheSortedOne() {
        var rng = SplitMix64(seed: 11)
        var cases: [[Double]] = []
        for n in [1, 2, 3, 7, 16, 17, 40, 100, 101, 1000, 4321] {
            cases.append((0..<n).map { _ in Double(rng.index(below: 7)) / 6 })
            cases.append((0..<n).map { _ in Double(rng.index(below: 1 << 30)) / Double(1 << 30) - 0.5 })
            cases.append((0..<n).map { Double($0) })
            cases.append((0..<n).map { Double(n - $0) })
            cases.append(Array(repeating: 0.25, count: n))
            // Organ pipe: ascending then descending, hard for a median of three.
            cases.append((0..<n).map { Double(min($0, n - $0)) })
        }
        let levels = [0.95, 0.9, 0.5, 0.99, 0.999, 0.001, 1 - 1e-12, 0.8]
        for values in cases {
            let sorted = ArraySlice(values.sorted())
            for level in levels {
                let tails = ((1 - level) / 2, 1 - (1 - level) / 2)
                var scratch = values
                for i in stride(from: scratch.count - 1, to: 0, by: -1) { scratch.swapAt(i, rng.index(below: i + 1)) }
                let ci = scratch.withUnsafeMutableBufferPointer {
                    PCKBootstrap.interval(selecting: $0, tails: tails)
                }
                let low = PCKBootstrap.percentile(sorted: sorted, tails.0)
                let high = PCKBootstrap.percentile(sorted: sorted, tails.1)
                #expect(
                    ci.low.bitPattern == low.bitPattern && ci.high.bitPattern == high.bitPattern,
                    "\(values.count) values, level \(level): [\(ci.low), \(ci.high)] against [\(low), \(high)]")
                #expect(scratch.sorted() == Array(sorted), "a permutation of the values")
            }
        }
    }

    // MARK: - Coverage

    /// Clustered Bernoulli data with a known PCK: each image is "easy" with probability 0.3
    /// (its 10 keypoints each correct with probability 0.8) or hard (0.1), so p = 0.3 x 0.8 +
    /// 0.7 x 0.1 = 0.31 and the keypoints of an image are strongly correlated (intra-image
    /// correlation 0.3 x 0.7 x 0.7^2 / (0.31 x 0.69) = 0.48, design effect 1 + 9 x 0.48 = 5.3).
    static func clusteredSample(_ rng: inout SplitMix64, images: Int, asSingleKeypointImages: Bool) -> [ImageRecord] {
        var out: [ImageRecord] = []
        for i in 0..<images {
            let p = rng.chance(0.3) ? 0.8 : 0.1
            let correct = (0..<10).map { _ in rng.chance(p) }
            if asSingleKeypointImages {
                for (k, ok) in correct.enumerated() { out.append(image("\(i)-\(k)", "A", [ok])) }
            } else {
                out.append(image("\(i)", "A", correct))
            }
        }
        return out
    }

    /// How many of `trials` samples (100 images each, sample t from SplitMix64 seed 1000 + t)
    /// have a 95% interval (`resamples`, seed t) that covers p = 0.31.
    static func coverage(trials: Int, resamples: Int, asSingleKeypointImages: Bool) throws -> Int {
        var covered = 0
        for t in 0..<trials {
            var rng = SplitMix64(seed: 1000 + UInt64(t))
            let records = clusteredSample(&rng, images: 100, asSingleKeypointImages: asSingleKeypointImages)
            let ci = try PCKBootstrap.intervals(
                records: records, alpha: 0.1, settings: settings(resamples: resamples, seed: UInt64(t))
            ).overall
            if let ci, ci.low <= 0.31 && 0.31 <= ci.high { covered += 1 }
        }
        return covered
    }

    /// The image bootstrap's 95% interval covers the true PCK in about 95% of samples: 150
    /// samples (400 resamples each), bounds 128...149 (85% to 99%). A correct method's count is
    /// binomial(150, ~0.94), standard deviation 2.9, so 128 is 4 below its mean (measured: 144);
    /// a percentile interval with the wrong tails (e.g. level / 2 and 1 - level / 2: 47.5% to
    /// 52.5%) covers a few percent of samples, an interval at the 99.9% level almost all.
    ///
    /// Resampling keypoints instead of images (the same samples with each keypoint its own
    /// image, so the keypoints are drawn one by one) ignores the correlation: its interval is
    /// sqrt(5.3) = 2.3 times too narrow and covers about 2 Phi(1.96 / 2.3) - 1 = 60% of samples
    /// (measured: 94 of 150 at 400 resamples). Checked here on 100 samples (200 resamples: the
    /// run has 10 times the images) against at most 75 (measured: 61 with the bootstrap; 63 now
    /// that a figure with one keypoint per image gets the exact binomial interval over its
    /// 1,000 images, which takes them as independent too): a method that ignores the clusters
    /// fails the first bound, and these data show it.
    @Test func clusterBootstrapCoversTheTruePCK() throws {
        let trials = 150
        let images = try Self.coverage(trials: trials, resamples: 400, asSingleKeypointImages: false)
        #expect((128...149).contains(images), "image bootstrap covered p in \(images) of \(trials) samples")
        let keypoints = try Self.coverage(trials: 100, resamples: 200, asSingleKeypointImages: true)
        #expect(keypoints <= 75, "keypoint bootstrap covered p in \(keypoints) of 100 samples")
    }

    /// A keypoint's figure where each photo holds it once is a count over independent photos:
    /// 50 categories of 2 photos (the committed CUB sample's shape), one keypoint each, right
    /// with chance 0.05. In 150 samples (SplitMix64 seed 2000 + t; 100 resamples, the fewest
    /// allowed, which keep this test at 2 s in a debug build) the exact binomial interval the
    /// keypoint now gets covers 0.05 in at least 143 (95%; Clopper-Pearson
    /// covers at least the level for every p: 98.3% here, so about 147, standard deviation 1.6;
    /// measured: 149). The stratified percentile bootstrap of the same figure (its paired
    /// difference against a run with nothing right, equal to the figure in every resample) does
    /// not: resampling within a category of 2 photos keeps half its variance, and at 0 right it
    /// is [0, 0]; about 82% (numpy, 300 samples: 247), here at most 135 (90%; measured: 125).
    @Test func exactIntervalCoversACountOverPhotosWhereTheBootstrapDoesNot() throws {
        let (trials, p) = (150, 0.05)
        var (exact, bootstrap) = (0, 0)
        for t in 0..<trials {
            var rng = SplitMix64(seed: 2000 + UInt64(t))
            let sample = (0..<100).map { i in Self.image("\(i)", "C\(i / 2)", [rng.chance(p)]) }
            let settings = try Self.settings(resamples: 100, seed: UInt64(t))
            let ci = try PCKBootstrap.intervals(records: sample, alpha: 0.1, settings: settings).perKeypoint["k0"]
            if let ci, ci.low <= p && p <= ci.high { exact += 1 }
            let nothing = (0..<100).map { i in Self.image("\(i)", "C\(i / 2)", [false]) }
            let d = try PCKBootstrap.difference(baseline: nothing, run: sample, alpha: 0.1, settings: settings)
            if let b = d.perKeypoint["k0"]?.ci, b.low <= p && p <= b.high { bootstrap += 1 }
        }
        #expect(exact >= 143, "exact interval covered p in \(exact) of \(trials) samples")
        #expect(bootstrap <= 135, "bootstrap covered p in \(bootstrap) of \(trials) samples")
    }

    // MARK: - Paired differences

    @Test func aRunComparedWithItselfDiffersByZero() throws {
        let records = Self.referenceData(run: 0)
        let d = try PCKBootstrap.difference(baseline: records, run: records, alpha: 0.1, settings: Self.settings())
        // 0 in every resample: the bootstrap's [0, 0], marked as showing no spread.
        let zero = PCKDifference.Estimate(
            difference: 0, ci: ConfidenceInterval(low: 0, high: 0, everyResampleEqual: true))
        #expect(d.sharedImages == records.count)
        #expect(d.overall == zero && d.meanPerCategory == zero)
        #expect(d.perCategory.count == 3 && d.perCategory.values.allSatisfy { $0 == zero })
        #expect(d.perKeypoint.count == 4 && d.perKeypoint.values.allSatisfy { $0 == zero })
        #expect(d.overall?.ci?.excludesZero == false)
    }

    /// Only images in both runs (same id and category) are paired; the difference on them is
    /// the second run's PCK minus the first's on those images, not on all of each run's.
    @Test func pairsOnlySharedImages() throws {
        let baseline = [
            Self.image("1", "A", [false, false]), Self.image("2", "A", [false, false]),
            Self.image("3", "A", [true, true]),  // not in the run
        ]
        let run = [
            Self.image("1", "A", [true, true]), Self.image("2", "A", [true, false]),
            Self.image("4", "A", [false, false]),  // not in the baseline
            Self.image("3", "B", [true, true]),  // same id, other category: not the same image
        ]
        let d = try PCKBootstrap.difference(baseline: baseline, run: run, alpha: 0.1, settings: Self.settings())
        #expect(d.sharedImages == 2)
        #expect(d.overall?.difference == 0.75)  // 3/4 - 0/4
        #expect(d.overall?.ci?.excludesZero == true)
        let none = try PCKBootstrap.difference(
            baseline: baseline, run: [Self.image("9", "A", [true])], alpha: 0.1, settings: Self.settings())
        #expect(none.sharedImages == 0 && none.overall == nil && none.perKeypoint.isEmpty)
    }

    // MARK: - Report and comparison output

    /// Without intervals the report's JSON and table are what they were; with them, additive
    /// fields and a bracket after every figure.
    @Test func reportOutputsWithIntervals() throws {
        let records = Self.referenceData(run: 0)
        let plain = PCKReport.compute(records: records, skipped: [], settings: ["dataset": "toy"], alpha: 0.1)
        let withCI = try plain.addingIntervals(records: records, settings: Self.settings())
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let plainJSON = try #require(
            JSONSerialization.jsonObject(with: encoder.encode(plain)) as? [String: Any])
        #expect(plainJSON["bootstrap"] == nil && plainJSON["pck_ci"] == nil)
        #expect(((plainJSON["per_keypoint"] as? [String: Any])?["k0"] as? [String: Any])?["ci"] == nil)
        let json = try #require(JSONSerialization.jsonObject(with: encoder.encode(withCI)) as? [String: Any])
        #expect(Set(json.keys).subtracting(plainJSON.keys) == ["bootstrap", "pck_ci", "mean_per_category_ci"])
        let bootstrap = try #require(json["bootstrap"] as? [String: Any])
        #expect(bootstrap["unit"] as? String == "image" && bootstrap["stratified_by"] as? String == "category")
        #expect(bootstrap["level"] as? Double == 0.95 && bootstrap["resamples"] as? Int == 1000)
        let ci = try #require(
            ((json["per_category"] as? [String: Any])?["A"] as? [String: Any])?["ci"] as? [String: Any])
        #expect(ci["low"] as? Double == withCI.perCategory["A"]?.ci?.low)
        let decoded = try JSONDecoder().decode(PCKReport.self, from: encoder.encode(withCI))
        #expect(decoded == withCI)
        let loose = try BootstrapSettings(stratified: false)
        #expect(String(decoding: try encoder.encode(loose), as: UTF8.self).contains("\"stratified_by\":null"))
        #expect(try JSONDecoder().decode(BootstrapSettings.self, from: encoder.encode(loose)) == loose)
        #expect(loose.legend.contains("percentile bootstrap over images, not stratified (1000 resamples, seed 0)"))

        let table = withCI.table()
        let overall = try #require(withCI.pckCI)
        #expect(
            table.contains(
                "overall:  "
                    + String(format: "%.2f%% [%.2f, %.2f]", 100 * withCI.pck!, 100 * overall.low, 100 * overall.high)))
        #expect(table.contains("95% confidence intervals in brackets: percentile bootstrap over images"))
        #expect(!plain.table().contains("["))
    }

    @Test func comparisonWithIntervalsAndDifferences() throws {
        let runs = [Self.referenceData(run: 0), Self.referenceData(run: 1), [Self.image("Z", "A", [true])]]
        let reports = runs.map { PCKReport.compute(records: $0, skipped: [], settings: [:], alpha: 0.1) }
        let plain = PCKComparison(
            alpha: 0.1, labels: ["one", "two", "three"], files: [["a"], ["b"], ["c"]], reports: reports)
        let c = try PCKComparison.bootstrapped(
            alpha: 0.1, labels: ["one", "two", "three"], files: [["a"], ["b"], ["c"]], reports: reports,
            records: runs, settings: Self.settings())
        #expect(c.differences?.map(\.sharedImages) == [12, 0])
        // overall, mean, 3 categories, 4 keypoints
        #expect(
            c.differences?[0].rows.map(\.kind) == ["overall", "mean_per_category"]
                + Array(repeating: "category", count: 3) + Array(repeating: "keypoint", count: 4))
        #expect(c.differences?[1].rows.allSatisfy { $0.difference == nil } == true)

        let table = c.table()
        #expect(table.contains("[2]-[1]") && table.contains("[3]-[1]"))
        #expect(table.contains("[3]-[1]: no image scored by both runs, so no paired difference"))
        #expect(
            table.contains("[2]-[1]: run 2 minus run 1 in percentage points, paired over the 12 images both scored\n"))
        #expect(table.contains("* the difference's interval excludes 0"))

        // A run over part of the images: the difference is paired over fewer images than the
        // baseline's column, and the legend says so.
        let part = Array(runs[1].prefix(8))
        let partial = try PCKComparison.bootstrapped(
            alpha: 0.1, labels: ["one", "part"], files: [["a"], ["b"]],
            reports: [reports[0], PCKReport.compute(records: part, skipped: [], settings: [:], alpha: 0.1)],
            records: [runs[0], part], settings: Self.settings())
        #expect(
            partial.table().contains(
                "paired over the 8 images both scored (of 12 and 8): on other images than the columns, "
                    + "so not their difference\n"))
        #expect(!plain.table().contains("]-[") && !plain.table().contains("confidence"))

        let csv = c.csv().split(separator: "\n").map(String.init)
        #expect(
            csv[0]
                == "row,name,one,two,three,one ci_low,one ci_high,two ci_low,two ci_high,three ci_low,three ci_high,two - one,two - one ci_low,two - one ci_high,three - one,three - one ci_low,three - one ci_high"
                + ",one ci_method,two ci_method,three ci_method,two - one ci_method,three - one ci_method"
        )
        #expect(csv.count == 1 + 9)
        #expect(csv.allSatisfy { $0.split(separator: ",", omittingEmptySubsequences: false).count == 22 })
        #expect(plain.csv().split(separator: "\n").first == "row,name,one,two,three")
    }
}
