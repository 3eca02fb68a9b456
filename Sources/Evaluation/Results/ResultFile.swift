import Foundation
import KeypointsSupport

/// A value with the 1-based line it was read from.
public struct Numbered<Value: Sendable>: Sendable {
    public var line: Int
    public var value: Value
}

/// A results file read back (read-only): header, records, and whether its last line is torn.
public struct ResultFile: Sendable, ParsedResultsFile {
    /// How errors name the file.
    public var file: String
    /// `nil` when the file is empty or only holds a torn header.
    public var header: ResultHeader?
    public var sessions: [Numbered<SessionRecord>]
    public var images: [Numbered<ImageRecord>]
    public var skipped: [Numbered<SkippedRecord>]
    /// Bytes up to the end of the last complete, valid line.
    public var validLength: Int
    /// Why the tail after `validLength` is not a complete line (nil if there is none).
    public var tornTail: String?

    /// Reads and parses a results file.
    public static func read(_ url: URL) throws -> ResultFile {
        let data = try ResultLines.read(url)
        return try parse(data, file: url.path)
    }

    /// Parses results-file bytes.
    ///
    /// A last line without its newline, or whose text is not complete JSON, is a torn write of an
    /// interrupted run: it is reported in `tornTail` and left out. Any other bad line is an error,
    /// a complete JSON object that is not a valid record (a hand edit) on the last line too.
    /// - Throws: `badResultsFile` (not a results file, corrupt line, duplicate image id).
    public static func parse(_ data: Data, file: String) throws -> ResultFile {
        var out = ResultFile(
            file: file, header: nil, sessions: [], images: [], skipped: [], validLength: 0, tornTail: nil)
        let notThisFormat = "not a keypoints eval results file (no header line)"
        var seen: [String: Int] = [:]
        let tail = try ResultLines.decode(
            data, file: file, format: ResultHeader.formatName, notThisFormat: notThisFormat
        ) { (line: ResultLine, lineNumber: Int) in
            switch line {
            case .header(let h):
                guard h.version <= ResultHeader.currentVersion else {
                    throw EvaluationError.badResultsFile(
                        file: file, line: 1,
                        message: "format version \(h.version) is newer than this tool's \(ResultHeader.currentVersion)")
                }
                out.header = h
            case .session(let s):
                out.sessions.append(Numbered(line: lineNumber, value: s))
            case .image(let r):
                if let problem = Self.boundsProblem(r) {
                    throw EvaluationError.badResultsFile(file: file, line: lineNumber, message: problem)
                }
                if let first = seen[r.id] {
                    throw EvaluationError.duplicateImage(
                        id: r.id, first: file, firstLine: first, second: file, secondLine: lineNumber)
                }
                seen[r.id] = lineNumber
                out.images.append(Numbered(line: lineNumber, value: r))
            case .skipped(let s):
                out.skipped.append(Numbered(line: lineNumber, value: s))
            }
        }
        out.validLength = tail.validLength
        out.tornTail = tail.tornTail
        return out
    }

    /// Skipped items that have no image record (a later run may have evaluated them), one per
    /// id (the last reason), in file order.
    public var unresolvedSkipped: [SkippedRecord] {
        let done = Set(images.map(\.value.id))
        var latest: [String: SkippedRecord] = [:]
        var order: [String] = []
        for s in skipped where !done.contains(s.value.id) {
            if latest[s.value.id] == nil { order.append(s.value.id) }
            latest[s.value.id] = s.value
        }
        return order.compactMap { latest[$0] }
    }

    /// Why a record's counts are out of `EvaluationLimits` (so that sums over records cannot
    /// overflow), or its box cannot normalise PCK (a side of 0 or below makes every distance over
    /// it infinite or NaN, silently wrong), or it names a keypoint twice, or nil.
    static func boundsProblem(_ r: ImageRecord) -> String? {
        if !(0...EvaluationLimits.passesPerImage).contains(r.passes) {
            return
                "passes \(r.passes): expected 0...\(EvaluationLimits.passesPerImage) (EvaluationLimits.passesPerImage)"
        }
        if !(0...EvaluationLimits.keypointsPerImage).contains(r.unnamed) {
            return
                "unnamed \(r.unnamed): expected 0...\(EvaluationLimits.keypointsPerImage) (EvaluationLimits.keypointsPerImage)"
        }
        if r.keypoints.count > EvaluationLimits.keypointsPerImage {
            return
                "\(r.keypoints.count) keypoints: over the limit EvaluationLimits.keypointsPerImage = \(EvaluationLimits.keypointsPerImage)"
        }
        if !r.seconds.isFinite || r.seconds < 0 {
            return "seconds \(r.seconds): expected a finite number >= 0"
        }
        if !r.box.isFiniteAndNonEmpty {
            return "box \(r.box): expected finite numbers with w, h > 0 (the PCK normaliser)"
        }
        if let problem = repeatedKeypointProblem(r.keypoints.map(\.name)) { return problem }
        return nil
    }

    static func describe(_ error: any Error) -> String {
        if let e = error as? DecodingError {
            switch e {
            case .dataCorrupted(let c):
                // A value out of its bounds (e.g. a keypoint's prompts) names its field; malformed
                // JSON has no path.
                return c.codingPath.isEmpty ? c.debugDescription : "\(fieldPath(c.codingPath)): \(c.debugDescription)"
            case .keyNotFound(let k, let c):
                return "missing \"\(k.stringValue)\""
                    + (c.codingPath.isEmpty ? "" : " in \(fieldPath(c.codingPath))")
            case .typeMismatch(_, let c), .valueNotFound(_, let c):
                return "\(c.debugDescription) at \(fieldPath(c.codingPath))"
            @unknown default: return "\(e)"
            }
        }
        return "\(error)"
    }

    /// A decoding path as a field path: `keypoints[0].prompts` (array positions in brackets).
    static func fieldPath(_ path: [any CodingKey]) -> String {
        var text = ""
        for key in path {
            if let index = key.intValue {
                text += "[\(index)]"
            } else {
                text += (text.isEmpty ? "" : ".") + key.stringValue
            }
        }
        return text
    }
}
