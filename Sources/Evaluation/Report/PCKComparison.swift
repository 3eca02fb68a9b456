import Foundation

/// Several runs' PCK side by side (`keypoints report --compare`): one row per overall result,
/// category and keypoint, one column per run; with several categories also the mean of the
/// per-category PCKs (the paper's SPair-71k figure, "mean of 6 animals").
///
/// JSON: `{"alpha", "runs": [{"label", "files", "settings"}], "rows": [{"kind": "overall" |
/// "category" | "keypoint", "name", "values": [{"pck", "count", "correct"} or null per run]}],
/// "mean_per_category": [fraction or null per run] (present with several categories),
/// "reports": [PCKReport]}`. In the table and the CSV the mean is the row after "all"
/// (`mean_per_category,categories,...` in the CSV).
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

    enum CodingKeys: String, CodingKey {
        case alpha, runs, rows, reports
        case meanPerCategory = "mean_per_category"
    }

    /// - Parameters: labels and files per run, in column order, with the runs' reports.
    public init(alpha: Double, labels: [String], files: [[String]], reports: [PCKReport]) {
        self.alpha = alpha
        self.reports = reports
        runs = reports.indices.map { Run(label: labels[$0], files: files[$0], settings: reports[$0].settings) }
        var rows = [
            Row(
                kind: "overall", name: "all",
                values: reports.map { PCKEntry(count: $0.keypoints, correct: $0.correct) })
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

    /// Name of the table row with the mean of the per-category PCKs.
    static let meanLabel = "mean of categories"

    /// A text table: rows as above, one PCK column per run (percent, "-" where absent).
    public func table() -> String {
        let names = rows.map { $0.kind == "keypoint" || $0.kind == "overall" ? $0.name : "\($0.kind) \($0.name)" }
        let first = max(8, (names + [Self.meanLabel]).map(\.count).max() ?? 8)
        let widths = runs.map { max(8, $0.label.count) }
        func pad(_ s: String, _ w: Int, left: Bool = false) -> String {
            s.count >= w
                ? s
                : (left
                    ? s + String(repeating: " ", count: w - s.count) : String(repeating: " ", count: w - s.count) + s)
        }
        var out = "PCK@\(alpha), runs compared (columns)\n"
        out += pad("", first, left: true) + zip(runs, widths).map { "  " + pad($0.label, $1) }.joined() + "\n"
        func line(_ name: String, _ values: [Double?]) {
            out += pad(name, first, left: true)
            for (v, w) in zip(values, widths) {
                out += "  " + pad(v.map { String(format: "%.1f%%", 100 * $0) } ?? "-", w)
            }
            out += "\n"
        }
        for (row, name) in zip(rows, names) {
            line(name, row.values.map { $0?.pck })
            if row.kind == "overall", let meanPerCategory { line(Self.meanLabel, meanPerCategory) }
        }
        for (i, run) in runs.enumerated() { out += "[\(i + 1)] \(run.label): \(run.files.joined(separator: ", "))\n" }
        return out
    }

    /// CSV: `row,name,<label>...` with PCK as a fraction (empty where absent).
    public func csv() -> String {
        let field = CSVField.escaped
        var out = (["row", "name"] + runs.map(\.label)).map(field).joined(separator: ",") + "\n"
        func line(_ kind: String, _ name: String, _ values: [Double?]) {
            out +=
                ([field(kind), field(name)] + values.map { $0.map { String(format: "%.6f", $0) } ?? "" })
                .joined(separator: ",") + "\n"
        }
        for row in rows {
            line(row.kind, row.name, row.values.map { $0?.pck })
            if row.kind == "overall", let meanPerCategory { line("mean_per_category", "categories", meanPerCategory) }
        }
        return out
    }
}
