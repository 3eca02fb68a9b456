import Foundation
import KeypointsSupport

/// Several runs' PCK side by side (`keypoints report --compare`): one row per overall result,
/// category and keypoint, one column per run; with several categories also the mean of the
/// per-category PCKs (the paper's SPair-71k figure, "mean of 6 animals").
///
/// JSON: `{"alpha", "runs": [{"label", "files", "settings"}], "rows": [{"kind": "overall" |
/// "category" | "keypoint", "name", "values": [{"pck", "count", "correct"} or null per run]}],
/// "mean_per_category": [fraction or null per run] (present with several categories),
/// "reports": [PCKReport]}`. In the table and the CSV the mean is the row after "all"
/// (`mean_per_category,categories,...` in the CSV).
///
/// With confidence intervals (`bootstrapped`): every value has its `"ci"` (`ConfidenceInterval`:
/// `{"low", "high", "method"}`, exact binomial for a run's figure that is a count over images
/// or 0 or 1), and the JSON adds
/// `"bootstrap"` (as `PCKReport`'s), `"mean_per_category_ci"` (per run, with several categories)
/// and `"differences"`: per run after the first, `{"run": i, "baseline": 0, "shared_images": N,
/// "rows": [{"kind", "name", "difference", "ci", "excludes_zero"}]}` (positions in `runs`;
/// fractions; one row per table row, the mean as kind `mean_per_category`; `difference` null
/// where either run lacks the row on the shared images, every row when none is shared, and
/// `"per_category_keypoint": {category: {keypoint: {"difference", "ci", "excludes_zero"}}}`
/// with the category x keypoint cells both runs have on the shared images.
public struct PCKComparison: Codable, Sendable, Equatable {
    public struct Run: Codable, Sendable, Equatable {
        public var label: String
        public var files: [String]
        public var settings: [String: String]
    }

    public struct Row: Codable, Sendable, Equatable {
        public var kind: String
        public var name: String
        /// One per run; nil where the run has no such category or keypoint.
        public var values: [PCKEntry?]
    }

    public var alpha: Double
    public var runs: [Run]
    public var rows: [Row]
    /// Per run, the mean of its per-category PCKs (`PCKReport.meanPerCategory`); nil when the
    /// runs have fewer than two categories between them.
    public var meanPerCategory: [Double?]?
    public var reports: [PCKReport]
    /// How the intervals were computed; nil without them.
    public var bootstrap: BootstrapSettings? = nil
    /// Per run, the interval of `meanPerCategory` (with intervals and several categories).
    public var meanPerCategoryCI: [ConfidenceInterval?]? = nil
    /// Per run after the first, its paired difference to the first (with intervals).
    public var differences: [PairedDifference]? = nil

    /// One run's figures minus the first run's, over the images both scored.
    public struct PairedDifference: Codable, Sendable, Equatable {
        /// Positions in `runs`: `run` minus `baseline`.
        public var run: Int
        public var baseline: Int
        public var sharedImages: Int
        /// One per table row (overall, mean of categories, categories, keypoints).
        public var rows: [Row]
        /// By category, then keypoint: the cells both runs have on the shared images (JSON only;
        /// nil when decoded from a comparison written without them).
        public var perCategoryKeypoint: [String: [String: Cell]]? = nil

        /// A category x keypoint cell's difference.
        public struct Cell: Codable, Sendable, Equatable {
            public var difference: Double
            /// nil (with `excludesZero`; JSON: both absent) when no resample had keypoints of the
            /// cell in both runs.
            public var ci: ConfidenceInterval?
            public var excludesZero: Bool?

            enum CodingKeys: String, CodingKey {
                case difference, ci
                case excludesZero = "excludes_zero"
            }
        }

        public struct Row: Codable, Sendable, Equatable {
            public var kind: String
            public var name: String
            /// nil where either run lacks the row on the shared images.
            public var difference: Double?
            public var ci: ConfidenceInterval?
            public var excludesZero: Bool?

            enum CodingKeys: String, CodingKey {
                case kind, name, difference, ci
                case excludesZero = "excludes_zero"
            }

            public func encode(to encoder: Encoder) throws {
                var c = encoder.container(keyedBy: CodingKeys.self)
                try c.encode(kind, forKey: .kind)
                try c.encode(name, forKey: .name)
                try c.encode(difference, forKey: .difference)
                try c.encode(ci, forKey: .ci)
                try c.encode(excludesZero, forKey: .excludesZero)
            }
        }

        enum CodingKeys: String, CodingKey {
            case run, baseline, rows
            case sharedImages = "shared_images"
            case perCategoryKeypoint = "per_category_keypoint"
        }
    }

    enum CodingKeys: String, CodingKey {
        case alpha, runs, rows, reports, bootstrap, differences
        case meanPerCategory = "mean_per_category"
        case meanPerCategoryCI = "mean_per_category_ci"
    }

    /// - Parameters: labels and files per run, in column order, with the runs' reports.
    public init(alpha: Double, labels: [String], files: [[String]], reports: [PCKReport]) {
        self.alpha = alpha
        self.reports = reports
        runs = reports.indices.map { Run(label: labels[$0], files: files[$0], settings: reports[$0].settings) }
        var rows = [
            Row(
                kind: "overall", name: "all",
                values: reports.map {
                    var overall = PCKEntry(count: $0.keypoints, correct: $0.correct)
                    overall.ci = $0.pckCI
                    return overall
                })
        ]
        let categories = Set(reports.flatMap { $0.perCategory.keys }).sorted()
        meanPerCategory = categories.count > 1 ? reports.map(\.meanPerCategory) : nil
        if categories.count > 1 {
            for c in categories {
                rows.append(Row(kind: "category", name: c, values: reports.map { $0.perCategory[c] }))
            }
        }
        for k in Set(reports.flatMap { $0.perKeypoint.keys }).sorted() {
            rows.append(Row(kind: "keypoint", name: k, values: reports.map { $0.perKeypoint[k] }))
        }
        self.rows = rows
    }

    /// The comparison with bootstrap intervals on every run's figures (`PCKReport.addingIntervals`)
    /// and, for every run after the first, its paired difference to the first
    /// (`PCKBootstrap.difference`).
    /// - Parameters:
    ///   - records: per run, the records its report was computed from.
    /// - Throws: `EvaluationError.bootstrapSetting` as `PCKBootstrap` does.
    public static func bootstrapped(
        alpha: Double, labels: [String], files: [[String]], reports: [PCKReport], records: [[ImageRecord]],
        settings: BootstrapSettings
    ) throws(EvaluationError) -> PCKComparison {
        var withIntervals: [PCKReport] = []
        for (report, images) in zip(reports, records) {
            withIntervals.append(try report.addingIntervals(records: images, settings: settings))
        }
        var comparison = PCKComparison(alpha: alpha, labels: labels, files: files, reports: withIntervals)
        comparison.bootstrap = settings
        if comparison.meanPerCategory != nil { comparison.meanPerCategoryCI = withIntervals.map(\.meanPerCategoryCI) }
        var differences: [PairedDifference] = []
        for run in records.indices.dropFirst() {
            let d = try PCKBootstrap.difference(
                baseline: records[0], run: records[run], alpha: alpha, settings: settings)
            differences.append(comparison.paired(d, run: run))
        }
        comparison.differences = differences
        return comparison
    }

    /// `difference` laid out along the table's rows.
    func paired(_ difference: PCKDifference, run: Int) -> PairedDifference {
        func row(_ kind: String, _ name: String, _ e: PCKDifference.Estimate?) -> PairedDifference.Row {
            PairedDifference.Row(
                kind: kind, name: name, difference: e?.difference, ci: e?.ci, excludesZero: e?.ci?.excludesZero)
        }
        var out: [PairedDifference.Row] = []
        for r in rows {
            switch r.kind {
            case "overall":
                out.append(row(r.kind, r.name, difference.overall))
                if meanPerCategory != nil {
                    out.append(row(Self.meanKind, Self.meanName, difference.meanPerCategory))
                }
            case "category": out.append(row(r.kind, r.name, difference.perCategory[r.name]))
            default: out.append(row(r.kind, r.name, difference.perKeypoint[r.name]))
            }
        }
        let cells = difference.perCategoryKeypoint.mapValues { row in
            row.mapValues {
                PairedDifference.Cell(difference: $0.difference, ci: $0.ci, excludesZero: $0.ci?.excludesZero)
            }
        }
        return PairedDifference(
            run: run, baseline: 0, sharedImages: difference.sharedImages, rows: out, perCategoryKeypoint: cells)
    }

    /// Kind and name of the mean row in the CSV and in `differences`.
    static let meanKind = "mean_per_category"
    static let meanName = "categories"

    /// Name of the table row with the mean of the per-category PCKs.
    static let meanLabel = "mean of categories"

    /// A text table: rows as above, one PCK column per run (percent, "-" where absent). With
    /// intervals each value has its interval in brackets, and a column per run after the first
    /// holds its paired difference to the first in percentage points with its interval, marked
    /// `*` when the interval excludes 0. An interval marked `^` (exact binomial) or `=` (every
    /// resample equal) is explained by a footnote under the legend
    /// (`ConfidenceInterval.footnotes`).
    public func table() -> String {
        // Names and labels come from results files: display-safe before their widths are taken.
        let names = rows.map {
            ($0.kind == "keypoint" || $0.kind == "overall" ? $0.name : "\($0.kind) \($0.name)").displaySafe
        }
        let first = max(8, (names + [Self.meanLabel]).map(\.count).max() ?? 8)
        func pad(_ s: String, _ w: Int, left: Bool = false) -> String {
            s.count >= w
                ? s
                : (left
                    ? s + String(repeating: " ", count: w - s.count) : String(repeating: " ", count: w - s.count) + s)
        }
        // A difference gets a column when it has a row for every line (always, unless decoded):
        // the rows, and the mean of categories after the overall row.
        let differences = self.differences ?? []
        let lineCount = rows.count + (meanPerCategory == nil ? 0 : rows.filter { $0.kind == "overall" }.count)
        let columns = differences.filter { $0.rows.count == lineCount }
        // Every interval the table shows, for the footnotes; when one has a marker, the others
        // leave its column blank, so that the brackets stay aligned (without, the table is as
        // before markers existed).
        let shown =
            rows.flatMap { $0.values.map { $0?.ci } } + (meanPerCategoryCI ?? [])
            + columns.flatMap { $0.rows.map(\.ci) }
        let marked = shown.contains { $0?.marker.isEmpty == false }
        func bracket(_ ci: ConfidenceInterval?) -> String {
            let text = ci.map { ConfidenceInterval.bracketed($0, decimals: 1) } ?? "[-]"
            return marked && (ci?.marker ?? "").isEmpty ? text + " " : text
        }
        func cell(_ value: Double?, _ ci: ConfidenceInterval?) -> String {
            guard let value else { return "-" }
            let figure = String(format: "%.1f%%", 100 * value)
            guard bootstrap != nil else { return figure }
            return figure + " " + bracket(ci)
        }
        func differenceCell(_ row: PairedDifference.Row) -> String {
            guard let d = row.difference else { return "-" }
            return String(format: "%+.1f", 100 * d) + " " + bracket(row.ci) + (row.excludesZero == true ? " *" : "  ")
        }
        // Table lines in order: overall, the mean (with several categories), the other rows.
        var lines: [(name: String, cells: [String])] = []
        for (row, name) in zip(rows, names) {
            lines.append((name, row.values.map { cell($0?.pck, $0?.ci) }))
            if row.kind == "overall", let meanPerCategory {
                lines.append(
                    (Self.meanLabel, meanPerCategory.indices.map { cell(meanPerCategory[$0], meanPerCategoryCI?[$0]) }))
            }
        }
        assert(lines.count == lineCount, "PCKComparison.table: \(lines.count) lines, \(lineCount) counted")
        for d in columns {
            for (i, row) in d.rows.enumerated() { lines[i].cells.append(differenceCell(row)) }
        }
        let headings = runs.map(\.label.displaySafe) + columns.map { "[\($0.run + 1)]-[\($0.baseline + 1)]" }
        let widths = headings.indices.map { column in
            max(8, headings[column].count, bootstrap == nil ? 0 : lines.map { $0.cells[column].count }.max() ?? 0)
        }
        var out = "PCK@\(alpha), runs compared (columns)\n"
        out += pad("", first, left: true) + zip(headings, widths).map { "  " + pad($0, $1) }.joined() + "\n"
        for line in lines {
            out += pad(line.name, first, left: true)
            for (c, w) in zip(line.cells, widths) { out += "  " + pad(c, w) }
            out += "\n"
        }
        for (i, run) in runs.enumerated() {
            out += "[\(i + 1)] \(run.label): \(run.files.joined(separator: ", "))".displaySafe + "\n"
        }
        for d in differences {
            let name = "[\(d.run + 1)]-[\(d.baseline + 1)]"
            out +=
                d.sharedImages == 0
                ? "\(name): no image scored by both runs, so no paired difference\n"
                : "\(name): run \(d.run + 1) minus run \(d.baseline + 1) in percentage points, paired over the "
                    + "\(d.sharedImages) images both scored" + partialNote(d) + "\n"
        }
        if let bootstrap {
            out += bootstrap.legend + (differences.isEmpty ? "" : "; * the difference's interval excludes 0") + "\n"
            for line in ConfidenceInterval.footnotes(shown, level: bootstrap.level) { out += line + "\n" }
        }
        return out
    }

    /// For a difference over fewer images than a run's column: that it is not the difference of
    /// the columns. Empty when both runs scored exactly the shared images.
    private func partialNote(_ d: PairedDifference) -> String {
        guard d.baseline < reports.count, d.run < reports.count else { return "" }
        let (a, b) = (reports[d.baseline].images, reports[d.run].images)
        guard a != d.sharedImages || b != d.sharedImages else { return "" }
        return " (of \(a) and \(b)): on other images than the columns, so not their difference"
    }

    /// CSV: `row,name,<label>...` with PCK as a fraction (empty where absent). With intervals,
    /// after those columns: `<label> ci_low,<label> ci_high` per run, then per run after the
    /// first `<label> - <first label>` (the paired difference) and its `ci_low`, `ci_high`; then,
    /// last (the columns before keep their places), each of those intervals' `ci_method` in the
    /// same order (`csvMethod`: bootstrap, exact-binomial or bootstrap-every-resample-equal).
    public func csv() -> String {
        let field = CSVField.escaped
        func number(_ v: Double?) -> String { v.map { String(format: "%.6f", $0) } ?? "" }
        let differences = self.differences ?? []
        var header = ["row", "name"] + runs.map(\.label)
        if bootstrap != nil {
            header += runs.flatMap { ["\($0.label) ci_low", "\($0.label) ci_high"] }
            for d in differences {
                let name = "\(runs[d.run].label) - \(runs[d.baseline].label)"
                header += [name, "\(name) ci_low", "\(name) ci_high"]
            }
            header += runs.map { "\($0.label) ci_method" }
            header += differences.map { "\(runs[$0.run].label) - \(runs[$0.baseline].label) ci_method" }
        }
        var out = header.map(field).joined(separator: ",") + "\n"
        var line = 0
        func add(_ kind: String, _ name: String, _ values: [Double?], _ intervals: [ConfidenceInterval?]) {
            var fields = [field(kind), field(name)] + values.map(number)
            if bootstrap != nil {
                fields += intervals.flatMap { [number($0?.low), number($0?.high)] }
                // Each difference's row for this line (nil where a decoded one has fewer rows).
                let differenceRows = differences.map { line < $0.rows.count ? $0.rows[line] : nil }
                for row in differenceRows {
                    fields += [number(row?.difference), number(row?.ci?.low), number(row?.ci?.high)]
                }
                fields += (intervals + differenceRows.map { $0?.ci }).map { $0?.csvMethod ?? "" }
            }
            out += fields.joined(separator: ",") + "\n"
            line += 1
        }
        for row in rows {
            add(row.kind, row.name, row.values.map { $0?.pck }, row.values.map { $0?.ci })
            if row.kind == "overall", let meanPerCategory {
                add(
                    Self.meanKind, Self.meanName, meanPerCategory,
                    meanPerCategoryCI ?? meanPerCategory.map { _ in nil })
            }
        }
        return out
    }
}
