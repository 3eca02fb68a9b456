import Foundation
import KeypointsSupport

/// The results files one `keypoints report` reads: all written by `eval --out` (PCK against
/// ground truth) or all by `localize --out` (predictions only), told apart by their header line.
public enum ReportFiles: Sendable {
    case eval([ResultFile])
    case localize([LocalizationResultsFile])

    /// Reads and parses `urls` (named in errors by their paths), each by the format its first
    /// line names; a file whose first line names no localize format is read as an eval results
    /// file (and refused as such when it is neither).
    /// - Throws: the parsers' errors, and `invalidSelection` when both kinds are given, naming
    ///   one file of each.
    public static func read(_ urls: [URL]) throws -> ReportFiles {
        var eval: [ResultFile] = []
        var localize: [LocalizationResultsFile] = []
        for url in urls {
            let data = try ResultLines.read(url)
            if isLocalizeResults(data) {
                localize.append(try LocalizationResultsFile.parse(data, file: url.path))
            } else {
                eval.append(try ResultFile.parse(data, file: url.path))
            }
            if let e = eval.first, let l = localize.first {
                throw EvaluationError.invalidSelection(
                    "\(l.file) is a keypoints localize results file and \(e.file) a keypoints eval results file: "
                        + "report reads one kind per call")
            }
        }
        return localize.isEmpty ? .eval(eval) : .localize(localize)
    }

    /// Whether the first line of `data` is a header whose format is `LocalizationResults.formatName`.
    public static func isLocalizeResults(_ data: Data) -> Bool {
        struct Probe: Decodable { var format: String? }
        let firstLine = data.prefix { $0 != 0x0A }
        guard let probe = try? JSONDecoder().decode(Probe.self, from: firstLine) else { return false }
        return probe.format == LocalizationResults.formatName
    }
}
