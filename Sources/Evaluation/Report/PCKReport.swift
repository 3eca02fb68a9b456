import Foundation
import KeypointsSupport

/// Correct keypoints out of a count.
public struct PCKEntry: Codable, Sendable, Equatable {
    /// `correct / count`, nil (JSON null) when `count` is 0.
    public var pck: Double?
    public var count: Int
    public var correct: Int
    /// The interval of `pck` (`PCKBootstrap`: bootstrap, or exact binomial for a count over
    /// images or at 0 or 1), when the
    /// report has intervals and the entry has keypoints; JSON `"ci": {"low", "high", "method"}`,
    /// absent otherwise.
    public var ci: ConfidenceInterval?

    public init(count: Int, correct: Int) {
        self.count = count
        self.correct = correct
        self.pck = count > 0 ? Double(correct) / Double(count) : nil
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(pck, forKey: .pck)
        try c.encode(count, forKey: .count)
        try c.encode(correct, forKey: .correct)
        try c.encodeIfPresent(ci, forKey: .ci)
    }
}

/// The summary of an evaluation at one alpha, computed from image records.
///
/// JSON (keys sorted by the CLI's encoder):
/// `{"dataset": "cub", "method": "random", "alpha": 0.1, "images": N, "skipped": N,
///   "keypoints": N, "correct": N, "pck": 0.0-1.0 or null, "mean_per_category": ...,
///   "per_keypoint": {name: {"pck", "count", "correct"}}, "per_category": {...},
///   "per_category_keypoint": {category: {name: {...}}}, "skipped_files": [{id, category, path,
///   reason}], "unnamed_keypoints": N, "passes": N, "seconds": S, "settings": {...}}`.
/// `pck` is micro-averaged (all keypoints of all images); `mean_per_category` is the mean of
/// the per-category PCKs (the paper's "mean of 6 animals" for SPair), over categories that have
/// keypoints. With confidence intervals (`addingIntervals`) the JSON also has `"bootstrap":
/// {"level", "resamples", "seed", "unit": "image", "stratified_by": "category"}`, `"pck_ci"` and
/// `"mean_per_category_ci"` (`{"low", "high", "method"}` or null; `ConfidenceInterval`) and a
/// `"ci"` in every entry of `per_category`, `per_keypoint` and `per_category_keypoint` with
/// keypoints.
public struct PCKReport: Codable, Sendable, Equatable {
    public var dataset: String
    public var method: String
    public var alpha: Double
    /// Images (items) evaluated.
    public var images: Int
    /// Items skipped (missing or unreadable image), without a later successful record.
    public var skipped: Int
    /// Keypoints evaluated.
    public var keypoints: Int
    public var correct: Int
    public var pck: Double?
    public var meanPerCategory: Double?
    public var perKeypoint: [String: PCKEntry]
    public var perCategory: [String: PCKEntry]
    public var perCategoryKeypoint: [String: [String: PCKEntry]]
    public var skippedFiles: [SkippedRecord]
    public var unnamedKeypoints: Int
    /// Model forward passes and predictor seconds, summed over images.
    public var passes: Int
    public var seconds: Double
    /// The run's settings (results header).
    public var settings: [String: String]
    /// How the intervals were computed; nil (and no interval anywhere) without them.
    public var bootstrap: BootstrapSettings? = nil
    /// Intervals of `pck` and `meanPerCategory` (`addingIntervals`).
    public var pckCI: ConfidenceInterval? = nil
    public var meanPerCategoryCI: ConfidenceInterval? = nil

    enum CodingKeys: String, CodingKey {
        case dataset, method, alpha, images, skipped, keypoints, correct, pck, passes, seconds, settings
        case meanPerCategory = "mean_per_category"
        case perKeypoint = "per_keypoint"
        case perCategory = "per_category"
        case perCategoryKeypoint = "per_category_keypoint"
        case skippedFiles = "skipped_files"
        case unnamedKeypoints = "unnamed_keypoints"
        case bootstrap
        case pckCI = "pck_ci"
        case meanPerCategoryCI = "mean_per_category_ci"
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(dataset, forKey: .dataset)
        try c.encode(method, forKey: .method)
        try c.encode(alpha, forKey: .alpha)
        try c.encode(images, forKey: .images)
        try c.encode(skipped, forKey: .skipped)
        try c.encode(keypoints, forKey: .keypoints)
        try c.encode(correct, forKey: .correct)
        try c.encode(pck, forKey: .pck)
        try c.encode(meanPerCategory, forKey: .meanPerCategory)
        try c.encode(perKeypoint, forKey: .perKeypoint)
        try c.encode(perCategory, forKey: .perCategory)
        try c.encode(perCategoryKeypoint, forKey: .perCategoryKeypoint)
        try c.encode(skippedFiles, forKey: .skippedFiles)
        try c.encode(unnamedKeypoints, forKey: .unnamedKeypoints)
        try c.encode(passes, forKey: .passes)
        try c.encode(seconds, forKey: .seconds)
        try c.encode(settings, forKey: .settings)
        if let bootstrap {
            try c.encode(bootstrap, forKey: .bootstrap)
            try c.encode(pckCI, forKey: .pckCI)
            try c.encode(meanPerCategoryCI, forKey: .meanPerCategoryCI)
        }
    }

    public init(
        dataset: String, method: String, alpha: Double, images: Int, skipped: Int, keypoints: Int, correct: Int,
        pck: Double?, meanPerCategory: Double?, perKeypoint: [String: PCKEntry], perCategory: [String: PCKEntry],
        perCategoryKeypoint: [String: [String: PCKEntry]], skippedFiles: [SkippedRecord], unnamedKeypoints: Int,
        passes: Int, seconds: Double, settings: [String: String]
    ) {
        self.dataset = dataset
        self.method = method
        self.alpha = alpha
        self.images = images
        self.skipped = skipped
        self.keypoints = keypoints
        self.correct = correct
        self.pck = pck
        self.meanPerCategory = meanPerCategory
        self.perKeypoint = perKeypoint
        self.perCategory = perCategory
        self.perCategoryKeypoint = perCategoryKeypoint
        self.skippedFiles = skippedFiles
        self.unnamedKeypoints = unnamedKeypoints
        self.passes = passes
        self.seconds = seconds
        self.settings = settings
    }

    /// Computes the summary.
    /// - Parameters:
    ///   - records: image records (each id once).
    ///   - skipped: unresolved skipped items.
    ///   - settings: the results header's settings (`dataset` and `method` are taken from it).
    ///   - alpha: the PCK threshold factor.
    public static func compute(
        records: [ImageRecord], skipped: [SkippedRecord], settings: [String: String],
        alpha: Double
    ) -> PCKReport {
        var total = (count: 0, correct: 0)
        var byKeypoint: [String: (Int, Int)] = [:]
        var byCategory: [String: (Int, Int)] = [:]
        var byCategoryKeypoint: [String: [String: (Int, Int)]] = [:]
        var unnamed = 0
        var passes = 0
        var seconds = 0.0
        for r in records {
            // Saturating: ResultFile bounds each record (EvaluationLimits), so Int.max is only
            // reached by records built in code with absurd counts.
            unnamed = Self.saturatingSum(unnamed, r.unnamed)
            passes = Self.saturatingSum(passes, r.passes)
            seconds += r.seconds
            let size = r.box.longerSide
            if byCategory[r.category] == nil { byCategory[r.category] = (0, 0) }
            for k in r.keypoints {
                let ok = PCK.isCorrect(prediction: k.pred, truth: k.gt, boxSize: size, alpha: alpha) ? 1 : 0
                total.count += 1
                total.correct += ok
                byKeypoint[k.name, default: (0, 0)].0 += 1
                byKeypoint[k.name, default: (0, 0)].1 += ok
                byCategory[r.category, default: (0, 0)].0 += 1
                byCategory[r.category, default: (0, 0)].1 += ok
                byCategoryKeypoint[r.category, default: [:]][k.name, default: (0, 0)].0 += 1
                byCategoryKeypoint[r.category, default: [:]][k.name, default: (0, 0)].1 += ok
            }
        }
        let perCategory = byCategory.mapValues { PCKEntry(count: $0.0, correct: $0.1) }
        // Summed in category order: in the dictionary's order (seeded per process) the mean
        // changed in its last digits from one run of `report` to the next.
        let categoryPCKs = perCategory.keys.sorted().compactMap { perCategory[$0]?.pck }
        return PCKReport(
            dataset: settings["dataset"] ?? "?", method: settings["method"] ?? "?", alpha: alpha,
            images: records.count, skipped: skipped.count, keypoints: total.count, correct: total.correct,
            pck: total.count > 0 ? Double(total.correct) / Double(total.count) : nil,
            meanPerCategory: categoryPCKs.isEmpty ? nil : categoryPCKs.reduce(0, +) / Double(categoryPCKs.count),
            perKeypoint: byKeypoint.mapValues { PCKEntry(count: $0.0, correct: $0.1) },
            perCategory: perCategory,
            perCategoryKeypoint: byCategoryKeypoint.mapValues { $0.mapValues { PCKEntry(count: $0.0, correct: $0.1) } },
            skippedFiles: skipped, unnamedKeypoints: unnamed, passes: passes, seconds: seconds, settings: settings)
    }

    /// This report with percentile bootstrap intervals (`PCKBootstrap.intervals`; exact binomial
    /// ones for figures that are counts over images, or 0 or 1) on its overall PCK, its mean of
    /// categories and every
    /// category, keypoint and category x keypoint entry.
    /// - Parameter records: the records the report was computed from.
    /// - Throws: `EvaluationError.bootstrapSetting` when the report has too many figures for
    ///   `settings.resamples` (`BootstrapSettings.maxValues`).
    public func addingIntervals(records: [ImageRecord], settings: BootstrapSettings) throws(EvaluationError)
        -> PCKReport
    {
        let intervals = try PCKBootstrap.intervals(records: records, alpha: alpha, settings: settings)
        var report = self
        report.bootstrap = settings
        report.pckCI = intervals.overall
        report.meanPerCategoryCI = intervals.meanPerCategory
        for (name, ci) in intervals.perCategory { report.perCategory[name]?.ci = ci }
        for (name, ci) in intervals.perKeypoint { report.perKeypoint[name]?.ci = ci }
        for (category, row) in intervals.perCategoryKeypoint {
            for (name, ci) in row { report.perCategoryKeypoint[category]?[name]?.ci = ci }
        }
        return report
    }

    static func saturatingSum(_ a: Int, _ b: Int) -> Int {
        let (sum, overflow) = a.addingReportingOverflow(b)
        return overflow ? (b < 0 ? Int.min : Int.max) : sum
    }

    // MARK: - Text

    /// A human-readable table: overall, per category, per keypoint, skipped images. Each line is
    /// display-safe (`displaySafe`): names, settings and paths come from the results files.
    /// - Parameter maxRows: categories and keypoints beyond this many are summarised in one line
    ///   (CUB has 200 classes); the JSON output always has all of them.
    public func table(maxRows: Int = 60) -> String {
        func pct(_ v: Double?) -> String { v.map { String(format: "%6.2f%%", 100 * $0) } ?? "     -" }
        // With intervals: " [29.80, 34.90]" after a figure, in percent as the figure, with its
        // marker; the intervals printed, for the footnotes explaining the markers.
        var shown: [ConfidenceInterval?] = []
        func interval(_ ci: ConfidenceInterval?) -> String {
            guard bootstrap != nil else { return "" }
            shown.append(ci)
            return ci.map { " " + ConfidenceInterval.bracketed($0, decimals: 2) } ?? " [-]"
        }
        let a = String(format: "%g", alpha)
        var lines: [String] = []
        var title = "PCK@\(a)  \(dataset)"
        if let split = settings["split"] { title += " (\(split))" }
        title += ", method \(method)"
        if let shard = settings["shard"], shard != "all" { title += ", shard \(shard)" }
        lines.append(title)
        lines.append(
            "overall: \(pct(pck))\(interval(pckCI))   \(correct) of \(keypoints) keypoints correct, \(images) images"
                + (skipped > 0 ? ", \(skipped) skipped" : ""))
        if perCategory.count > 1, let m = meanPerCategory {
            lines.append(
                "mean over \(perCategory.values.filter { $0.count > 0 }.count) categories: \(pct(m))"
                    + interval(meanPerCategoryCI))
        }
        if let bootstrap { lines.append(bootstrap.legend) }
        if images > 0 && (passes > 0 || seconds >= 0.05) {
            lines.append(
                String(
                    format: "cost: %d model passes (%.1f per image), %.1f s", passes,
                    Double(passes) / Double(images), seconds))
        }
        if unnamedKeypoints > 0 {
            lines.append("not evaluated: \(unnamedKeypoints) annotated keypoints without a name")
        }

        func section(_ heading: String, _ entries: [String: PCKEntry]) {
            guard !entries.isEmpty else { return }
            let names = entries.keys.sorted()
            let width = max(heading.count, min(36, names.map(\.displaySafe.count).max() ?? 0))
            lines.append("")
            lines.append(
                heading.padding(toLength: width, withPad: " ", startingAt: 0) + "      PCK   correct / count"
                    + (bootstrap.map { String(format: "  %g%% CI", 100 * $0.level) } ?? ""))
            for name in names.prefix(maxRows) {
                guard let e = entries[name] else { continue }
                // Cut between escapes, never inside one.
                let label = name.displaySafe(width: width)
                lines.append(
                    label.padding(toLength: width, withPad: " ", startingAt: 0) + "  " + pct(e.pck)
                        + (bootstrap == nil
                            ? String(format: "   %7d / %d", e.correct, e.count)
                            : String(format: "   %7d / %-6d", e.correct, e.count) + interval(e.ci)))
            }
            if names.count > maxRows { lines.append("... \(names.count - maxRows) more (all of them in --json)") }
        }
        section("category", perCategory)
        section("keypoint", perKeypoint)
        if let bootstrap { lines += ConfidenceInterval.footnotes(shown, level: bootstrap.level) }
        if !skippedFiles.isEmpty {
            lines.append("")
            lines.append("skipped images (\(skippedFiles.count)):")
            for s in skippedFiles.prefix(maxRows) { lines.append("  \(s.id)  \(s.path): \(s.reason)") }
            if skippedFiles.count > maxRows {
                lines.append("  ... \(skippedFiles.count - maxRows) more (all of them in --json)")
            }
        }
        return lines.map(\.displaySafe).joined(separator: "\n") + "\n"
    }
}
