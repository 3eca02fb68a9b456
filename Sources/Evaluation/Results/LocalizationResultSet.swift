import Foundation
import KeypointsSupport

/// The predictions of one `localize --out` run, possibly merged from the files of its shards:
/// what `keypoints report` prints for localize results files. Its JSON (`report --json`) is
/// `{"settings", "files", "images": [records as in the files]}`; the notes go to stderr.
public struct LocalizationResultSet: Encodable, Sendable {
    /// The files merged, in the order given.
    public var files: [String]
    /// The first file's settings (with "shard" describing what was merged).
    public var settings: [String: String]
    /// Every photo's record, sorted by path (the order of `localize` over a folder), whatever
    /// the order of the files.
    public var images: [LocalizationRecord]
    /// Things to tell the user (torn tails ignored, missing shards).
    public var notes: [String]

    enum CodingKeys: String, CodingKey { case settings, files, images }

    /// Merges the `localize --out` files of one run (typically its shards, `--shard auto --out
    /// 'photos-{shard}.jsonl'`).
    ///
    /// The files must agree on every setting but `LocalizationResults.informationKeys` (paths,
    /// software, shard): the rule a resume applies. Photos are matched by the absolute path
    /// recorded (`file`, byte for byte); a photo in two files is an error.
    /// - Throws: `invalidSelection` (no file, a file given twice), `badResultsFile` (a file
    ///   without a header), `localizationMergeMismatch` naming the differing settings,
    ///   `duplicateImage` naming both files and lines.
    public static func merge(_ files: [LocalizationResultsFile]) throws -> LocalizationResultSet {
        guard !files.isEmpty else { throw EvaluationError.invalidSelection("no results files given") }
        var names = Set<String>()
        for f in files where !names.insert(URL(fileURLWithPath: f.file).standardizedFileURL.path).inserted {
            throw EvaluationError.invalidSelection("\(f.file) is given twice")
        }
        var first: (file: String, header: ResultHeader)? = nil
        var notes: [String] = []
        var shards: [String] = []
        var seen: [FilePathKey: (file: String, line: Int)] = [:]
        var images: [LocalizationRecord] = []
        for f in files {
            guard let header = f.header else {
                let message =
                    f.tornTail == nil
                    ? "no header line (empty file?)"
                    : "not a keypoints localize results file (its first line is no header: written by something else, or by a localize stopped while writing it)"
                throw EvaluationError.badResultsFile(file: f.file, line: 1, message: message)
            }
            if let first {
                let differences = SettingDifference.between(
                    first.header.settings, header.settings, ignoring: LocalizationResults.informationKeys)
                guard differences.isEmpty else {
                    throw EvaluationError.localizationMergeMismatch(
                        first: first.file, second: f.file, differences: differences)
                }
            } else {
                first = (f.file, header)
            }
            if let torn = f.tornTail { notes.append("\(f.file): \(torn); ignored") }
            shards.append(header.settings["shard"] ?? "all")
            for r in f.images {
                let key = FilePathKey(r.value.file)
                if let prior = seen[key] {
                    throw EvaluationError.duplicateImage(
                        id: r.value.path, first: prior.file, firstLine: prior.line, second: f.file, secondLine: r.line)
                }
                seen[key] = (f.file, r.line)
                images.append(r.value)
            }
        }
        var settings = first?.header.settings ?? [:]
        if files.count > 1 {
            settings["shard"] = shards.joined(separator: "+")
            notes += Shard.coverageNotes(
                files: files.map(\.file), shards: shards, partial: "these predictions are partial")
        }
        images.sort { $0.path < $1.path }
        return LocalizationResultSet(files: files.map(\.file), settings: settings, images: images, notes: notes)
    }
}

/// The ways `report` and `localize --csv` print localize predictions.
public enum LocalizationPredictions {
    /// The CSV header: one row per photo and keypoint.
    public static let csvHeader = ["image", "keypoint", "x", "y", "score", "passes", "seconds"]

    /// CSV: `image,keypoint,x,y,score,passes,seconds`, one row per photo × keypoint, in the
    /// records' order; x, y (original pixels) and score as shortest round-trip decimals (the
    /// JSON's values), seconds (the photo's) to the millisecond; fields holding a comma, quote or
    /// line break are quoted (RFC 4180).
    public static func csv(_ records: [LocalizationRecord]) -> String {
        var out = csvHeader.joined(separator: ",") + "\n"
        for r in records {
            let photo = CSVField.escaped(r.path)
            let seconds = String(format: "%.3f", r.seconds)
            for k in r.keypoints {
                out +=
                    [photo, CSVField.escaped(k.name), "\(k.x)", "\(k.y)", "\(k.score)", "\(r.passes)", seconds]
                    .joined(separator: ",") + "\n"
            }
        }
        return out
    }

    /// A table: photo, keypoint, x, y (one decimal) and score (four), one row per photo ×
    /// keypoint. Paths and names are display-safe (`displaySafe`), escaped before the column
    /// widths are taken.
    public static func table(_ records: [LocalizationRecord]) -> String {
        let photoWidth = max(5, records.map(\.path.displaySafe.count).max() ?? 0)
        let keypointWidth = max(8, records.flatMap { $0.keypoints.map(\.name.displaySafe.count) }.max() ?? 0)
        func pad(_ s: String, _ width: Int) -> String {
            s.padding(toLength: max(width, s.count), withPad: " ", startingAt: 0)
        }
        var out = pad("photo", photoWidth) + "  " + pad("keypoint", keypointWidth) + "         x         y     score\n"
        for r in records {
            for k in r.keypoints {
                out +=
                    pad(r.path.displaySafe, photoWidth) + "  " + pad(k.name.displaySafe, keypointWidth)
                    + String(format: " %9.1f %9.1f %9.4f", k.x, k.y, k.score) + "\n"
            }
        }
        return out
    }
}

/// One CSV field as RFC 4180 writes it: quoted, with quotes doubled, when it holds a comma, a
/// quote or a line break; as is otherwise.
enum CSVField {
    static func escaped(_ s: String) -> String {
        s.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" || $0 == "\r\n" })
            ? "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : s
    }
}
