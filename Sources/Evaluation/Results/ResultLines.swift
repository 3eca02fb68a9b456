import Foundation
import KeypointsSupport

/// A line of a results file: its header (first line) or a record.
protocol ResultsFileLine: Decodable {
    /// The header, when the line is one.
    var header: ResultHeader? { get }
}

/// A results file as read back: what opening it for appending needs.
protocol ParsedResultsFile {
    var header: ResultHeader? { get }
    /// Bytes up to the end of the last complete, valid line.
    var validLength: Int { get }
    /// Why the tail after `validLength` is not a complete line (nil if there is none).
    var tornTail: String? { get }
}

/// The line discipline shared by the results files of `eval --out` and `localize --out`: JSON
/// objects, one per newline-terminated line, appended by a run that may be killed mid-write.
enum ResultLines {
    /// The bytes of a results file, at most `EvaluationLimits.resultsFileBytes`.
    /// - Throws: `unreadable` naming the file.
    static func read(_ url: URL) throws -> Data {
        try RegularFile.read(
            url, maxBytes: EvaluationLimits.resultsFileBytes, limitName: "EvaluationLimits.resultsFileBytes"
        ) { EvaluationError.unreadable(file: url.path, reason: $0.message) }
    }

    /// How a header line begins: its keys are written sorted, "created" first.
    static let headerStart = Array(#"{"created":""#.utf8)

    /// Whether `bytes` can be the start of a header cut short: they begin with `headerStart`, or
    /// are a (non-empty) beginning of it.
    static func beginsHeader(_ bytes: ArraySlice<UInt8>) -> Bool {
        bytes.starts(with: headerStart) || (!bytes.isEmpty && headerStart.starts(with: bytes))
    }

    /// Whether `line` is one whole JSON object or array (then a decoding error is in its content, not a
    /// write cut short).
    static func isCompleteJSON(_ line: ArraySlice<UInt8>) -> Bool {
        (try? JSONSerialization.jsonObject(with: Data(line))) != nil
    }

    /// Decodes every line of `data` as a `Line` and hands it to `accept` with its 1-based number.
    ///
    /// A last line without its newline, or a last line that is not complete JSON, is a torn write
    /// of an interrupted run: it is left out and reported in `tornTail`. Any other line that does
    /// not decode is an error: `notThisFormat` for the first line, "invalid record" for others;
    /// so is a last line of complete JSON that is not a valid line (a hand edit: a write cut
    /// short is never complete JSON followed by its newline).
    /// The header must be the first line and name `format`; a first line that is a record is
    /// `notThisFormat`. `accept` checks the header's version and takes the records.
    /// A torn first line counts as such only if it begins as every header does (`headerStart`):
    /// any other file (a scores JSON, a text file given as `--out` by mistake) is refused, not
    /// truncated.
    /// - Returns: the bytes up to the end of the last accepted line, and why the rest is torn.
    /// - Throws: `badResultsFile`, or what `accept` throws.
    static func decode<Line: ResultsFileLine>(
        _ data: Data, file: String, format: String, notThisFormat: String, accept: (Line, Int) throws -> Void
    ) throws -> (validLength: Int, tornTail: String?) {
        let bytes = [UInt8](data)
        let decoder = JSONDecoder()
        var start = 0
        var lineNumber = 0
        var validLength = 0
        while start < bytes.count {
            guard let end = bytes[start...].firstIndex(of: 0x0A) else {
                guard lineNumber > 0 || beginsHeader(bytes[start...]) else {
                    throw EvaluationError.badResultsFile(file: file, line: 1, message: notThisFormat)
                }
                return (validLength, "line \(lineNumber + 1) has no newline (interrupted write)")
            }
            lineNumber += 1
            let line: Line
            do {
                line = try decoder.decode(Line.self, from: Data(bytes[start..<end]))
            } catch {
                if end == bytes.count - 1, lineNumber > 1 || beginsHeader(bytes[start..<end]),
                    !isCompleteJSON(bytes[start..<end])
                {
                    return (validLength, "line \(lineNumber) is not a complete JSON record (interrupted write)")
                }
                throw EvaluationError.badResultsFile(
                    file: file, line: lineNumber,
                    message: lineNumber == 1 ? notThisFormat : "invalid record: \(ResultFile.describe(error))")
            }
            if let header = line.header {
                guard lineNumber == 1 else {
                    throw EvaluationError.badResultsFile(file: file, line: lineNumber, message: "a second header line")
                }
                guard header.format == format else {
                    throw EvaluationError.badResultsFile(
                        file: file, line: 1, message: "format \"\(header.format)\", expected \"\(format)\"")
                }
            } else if lineNumber == 1 {
                throw EvaluationError.badResultsFile(file: file, line: 1, message: notThisFormat)
            }
            try accept(line, lineNumber)
            validLength = end + 1
            start = end + 1
        }
        return (validLength, nil)
    }
}
