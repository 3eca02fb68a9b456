import Foundation

/// A whitespace-separated text file (the CUB annotation format), read once into lines.
///
/// Blank lines are skipped; a trailing `\r` (CRLF files) is dropped. Line numbers are 1-based
/// and count every physical line, so errors point at the line an editor shows.
struct TextRows {
    struct Row {
        let line: Int
        let text: Substring
    }

    /// How errors name the file.
    let file: String
    let rows: [Row]

    static func read(_ url: URL, name: String? = nil) throws -> TextRows {
        let file = name ?? url.path
        let data = try AnnotationFile.data(url, name: file)
        guard let text = String(data: data, encoding: .utf8) else {
            throw EvaluationError.unreadable(file: file, reason: "not UTF-8 text")
        }
        var rows: [Row] = []
        var n = 0
        // "\r\n" is one Character in Swift, so CRLF files are split on it too.
        for raw in text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" }) {
            n += 1
            var line = raw
            if line.last == "\r" { line = line.dropLast() }
            if line.allSatisfy({ $0 == " " || $0 == "\t" }) { continue }
            rows.append(Row(line: n, text: line))
        }
        return TextRows(file: file, rows: rows)
    }

    // MARK: - Field parsing

    /// The row's fields split on spaces and tabs; `count` is exact unless `restJoined`, in which
    /// case the last field takes the rest of the line (paths and names with spaces).
    func fields(_ row: Row, count: Int, names: String, restJoined: Bool = false) throws -> [Substring] {
        let parts: [Substring]
        if restJoined {
            parts = row.text.split(
                maxSplits: count - 1, omittingEmptySubsequences: true, whereSeparator: { $0 == " " || $0 == "\t" }
            )
            .map { $0.trimmingCharacters(in: .whitespaces)[...] }
        } else {
            parts = row.text.split(whereSeparator: { $0 == " " || $0 == "\t" })
        }
        guard parts.count == count else {
            throw EvaluationError.malformedRow(
                file: file, line: row.line,
                message: "expected \(count) fields (\(names)), got \(parts.count): \"\(row.text)\"")
        }
        return parts
    }

    func integer(_ s: Substring, _ row: Row, _ field: String) throws -> Int {
        guard let v = Int(s) else {
            throw EvaluationError.malformedRow(
                file: file, line: row.line, message: "\(field): expected an integer, got \"\(s)\"")
        }
        return v
    }

    /// A finite number, optionally required to be >= 0.
    func number(_ s: Substring, _ row: Row, _ field: String, nonNegative: Bool = true) throws -> Double {
        guard let v = Double(s) else {
            throw EvaluationError.malformedRow(
                file: file, line: row.line, message: "\(field): expected a number, got \"\(s)\"")
        }
        guard v.isFinite else {
            throw EvaluationError.malformedRow(
                file: file, line: row.line, message: "\(field): expected a finite number, got \(s)")
        }
        if nonNegative && v < 0 {
            throw EvaluationError.malformedRow(
                file: file, line: row.line, message: "\(field): expected a coordinate >= 0, got \(s)")
        }
        return v
    }
}

// MARK: - Paths

/// Image paths from annotation files, resolved under a root without leaving it.
enum SafePath {
    /// `root/relative`, or an error if `relative` is absolute, empty or has a `..` component.
    static func resolve(_ relative: String, under root: URL, file: String, line: Int?) throws -> URL {
        let parts = relative.split(separator: "/", omittingEmptySubsequences: false)
        guard !relative.isEmpty, !relative.hasPrefix("/"), !relative.hasPrefix("~"),
            !parts.contains(where: { $0 == ".." }), !relative.contains("\\")
        else {
            throw EvaluationError.pathEscapesRoot(file: file, line: line, path: relative)
        }
        return root.appendingPathComponent(relative)
    }

    /// A single path component (category or image name from a data file) that must not be a path.
    static func isPlainName(_ name: String) -> Bool {
        !name.isEmpty && name != "." && name != ".." && !name.contains("/") && !name.contains("\\")
    }
}
