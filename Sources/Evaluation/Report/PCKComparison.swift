import Foundation

/// Several runs' PCK side by side (`keypoints report --compare`): one row per overall result,
/// category and keypoint, one column per run.
///
/// JSON: `{"alpha", "runs": [{"label", "files", "settings"}], "rows": [{"kind": "overall" |
/// "mean_per_category" | "category" | "keypoint", "name", "values": [{"pck", "count", "correct"}
/// or null per run]}], "reports": [PCKReport]}`.
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
    public var reports: [PCKReport]

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

    /// A text table: rows as above, one PCK column per run (percent, "-" where absent).
    public func table() -> String {
        let names = rows.map { $0.kind == "keypoint" || $0.kind == "overall" ? $0.name : "\($0.kind) \($0.name)" }
        let first = max(8, names.map(\.count).max() ?? 8)
        let widths = runs.map { max(8, $0.label.count) }
        func pad(_ s: String, _ w: Int, left: Bool = false) -> String {
            s.count >= w
                ? s
                : (left
                    ? s + String(repeating: " ", count: w - s.count) : String(repeating: " ", count: w - s.count) + s)
        }
        var out = "PCK@\(alpha), runs compared (columns)\n"
        out += pad("", first, left: true) + zip(runs, widths).map { "  " + pad($0.label, $1) }.joined() + "\n"
        for (row, name) in zip(rows, names) {
            out += pad(name, first, left: true)
            for (v, w) in zip(row.values, widths) {
                let text = v?.pck.map { String(format: "%.1f%%", 100 * $0) } ?? "-"
                out += "  " + pad(text, w)
            }
            out += "\n"
        }
        for (i, run) in runs.enumerated() { out += "[\(i + 1)] \(run.label): \(run.files.joined(separator: ", "))\n" }
        return out
    }

    /// CSV: `row,name,<label>...` with PCK as a fraction (empty where absent).
    public func csv() -> String {
        func field(_ s: String) -> String {
            s.contains(",") || s.contains("\"") || s.contains("\n")
                ? "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : s
        }
        var out = (["row", "name"] + runs.map(\.label)).map(field).joined(separator: ",") + "\n"
        for row in rows {
            let values = row.values.map { $0?.pck.map { String(format: "%.6f", $0) } ?? "" }
            out += ([field(row.kind), field(row.name)] + values).joined(separator: ",") + "\n"
        }
        return out
    }
}
