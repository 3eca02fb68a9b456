import Foundation
import Imaging
import KeypointsSupport
import Localization

// The results file of `keypoints localize --out`: JSON lines, one object per line, each with a
// "type" (the photos have no ground truth, so this is not an eval results file):
//
//   {"type":"header","format":"keypoints-localize-results","version":1,"settings":{...},"created":"..."}
//   {"type":"image","path":"photos/a.jpg","width":500,"height":375,"passes":148,"seconds":61.2,
//    "keypoints":[{"name":"beak","prompt":"This is the beak of a bird","x":210.5,"y":88,"score":0.27,
//    "stage":1}],"notes":[]}
//
// Records keep each photo's path as given and its absolute path ("file"); a run matches its
// photos to records by absolute path (`FilePathKey`), so the same command resumes whether its
// photos were named relatively, absolutely or through their folder, from any working directory. Every line is appended durably
// (`DurableLineFile`), so a killed run leaves at most one torn last line, which the next run
// truncates and redoes.

/// One photo's answer: what `localize --json` prints per image, and one line of `--out`.
public struct LocalizationRecord: Codable, Sendable, Equatable {
    /// The photo's path as given.
    public var path: String
    /// The photo's absolute, standardized path when it was localized: what a resumed run matches
    /// its photos against (`FilePathKey`), whatever its working directory.
    public var file: String
    public var width: Int
    public var height: Int
    /// CLIP passes (marked images scored).
    public var passes: Int
    /// Wall-clock seconds spent on the photo.
    public var seconds: Double
    public var keypoints: [KeypointPrediction]
    /// Warnings about this photo (mask not applied, damaged image, ...).
    public var notes: [String]
    /// The photo's own box (`localize --boxes`), x, y, width, height in original pixels; absent
    /// when every photo had the same `--box` (recorded in the header) or none.
    public var box: Box?
    /// The EXIF orientation (2...8) the photo was turned upright by before it was localized
    /// (`localize --exif-transpose`): `width`, `height` and the keypoints are then in the
    /// displayed frame. Absent when the photo was used as stored.
    public var exifTransposed: Int?
    /// Where that orientation was found (`"exif"`, `"raw_profile"` or `"xmp"`, see
    /// `ExifReader.Reading.Source`); written with every `exifTransposed`, absent in records written
    /// before the field existed, and refused without it.
    public var exifTransposedSource: ExifReader.Reading.Source?

    enum CodingKeys: String, CodingKey {
        case path, file, width, height, passes, seconds, keypoints, notes, box
        case exifTransposed = "exif_transposed"
        case exifTransposedSource = "exif_transposed_source"
    }

    public init(
        path: String, width: Int, height: Int, passes: Int, seconds: Double, keypoints: [KeypointPrediction],
        notes: [String]
    ) {
        self.path = path
        self.file = FilePathKey(path).path
        self.width = width
        self.height = height
        self.passes = passes
        self.seconds = seconds
        self.keypoints = keypoints
        self.notes = notes
        self.box = nil
        self.exifTransposed = nil
        self.exifTransposedSource = nil
    }

    /// The record of a localization that took `seconds`.
    public init(_ result: ImageLocalization, seconds: Double) {
        self.init(
            path: result.path, width: result.width, height: result.height, passes: result.passes, seconds: seconds,
            keypoints: result.keypoints, notes: result.notes)
    }

    /// Why a record read from a file is out of bounds (so that nothing sized or summed from it
    /// can overflow), or it names a keypoint twice, or nil.
    static func boundsProblem(_ r: LocalizationRecord) -> String? {
        if !r.file.hasPrefix("/") {
            return "file \"\(r.file.prefix(80))\": expected the photo's absolute path"
        }
        if !(1...ImagingLimits.side).contains(r.width) || !(1...ImagingLimits.side).contains(r.height) {
            return "size \(r.width)x\(r.height): expected 1...\(ImagingLimits.side) per side (ImagingLimits.side)"
        }
        if !(0...EvaluationLimits.passesPerImage).contains(r.passes) {
            return
                "passes \(r.passes): expected 0...\(EvaluationLimits.passesPerImage) (EvaluationLimits.passesPerImage)"
        }
        if r.keypoints.count > EvaluationLimits.keypointsPerImage {
            return
                "\(r.keypoints.count) keypoints: over the limit EvaluationLimits.keypointsPerImage = \(EvaluationLimits.keypointsPerImage)"
        }
        if !r.seconds.isFinite || r.seconds < 0 {
            return "seconds \(r.seconds): expected a finite number >= 0"
        }
        if let o = r.exifTransposed, !(2...8).contains(o) {
            return "exif_transposed \(o): expected an EXIF orientation 2...8"
        }
        if let source = r.exifTransposedSource, r.exifTransposed == nil {
            return "exif_transposed_source \"\(source.rawValue)\" without exif_transposed"
        }
        if let box = r.box, !box.isFiniteAndNonEmpty {
            return "box \(box): expected finite numbers with w, h > 0"
        }
        for k in r.keypoints where !k.x.isFinite || !k.y.isFinite || !k.score.isFinite {
            return "keypoint \"\(k.name)\": x, y and score must be finite numbers"
        }
        if let problem = repeatedKeypointProblem(r.keypoints.map(\.name)) { return problem }
        return nil
    }
}

/// The format of `localize --out` files; their first line is a `ResultHeader` with this format
/// name and version.
public enum LocalizationResults {
    public static let formatName = "keypoints-localize-results"
    public static let currentVersion = 1

    /// The header of a new file: `settings` hold everything that determines the answers (model
    /// and grid digests, keypoints and prompts, visual prompt, fit, box, mask, precision), plus
    /// `informationKeys`.
    public static func header(settings: [String: String], created: String) -> ResultHeader {
        ResultHeader(format: formatName, version: currentVersion, settings: settings, created: created)
    }

    /// Settings recorded for information only, not compared on resume: paths (the same run
    /// resumes from another checkout or mount point), the software version and the shard.
    public static let informationKeys: Set<String> = [
        "model", "grid", "vocabulary", "mask_file", "boxes", "software", "shard",
    ]
}

/// One line of a `localize --out` file.
enum LocalizationLine: Codable, Sendable, Equatable, ResultsFileLine {
    case header(ResultHeader)
    case image(LocalizationRecord)

    var header: ResultHeader? {
        if case .header(let h) = self { return h }
        return nil
    }

    enum TypeKey: String, CodingKey { case type }

    init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: TypeKey.self)
        let type = try c.decode(String.self, forKey: .type)
        switch type {
        case "header": self = .header(try ResultHeader(from: decoder))
        case "image": self = .image(try LocalizationRecord(from: decoder))
        default:
            throw DecodingError.dataCorruptedError(
                forKey: .type, in: c, debugDescription: "unknown line type \"\(type)\"")
        }
    }

    func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: TypeKey.self)
        switch self {
        case .header(let h):
            try c.encode("header", forKey: .type)
            try h.encode(to: encoder)
        case .image(let r):
            try c.encode("image", forKey: .type)
            try r.encode(to: encoder)
        }
    }

    /// One line of JSON (sorted keys) without the newline.
    func encodedLine() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(self)
    }
}

/// A `localize --out` file read back (read-only).
public struct LocalizationResultsFile: Sendable, ParsedResultsFile {
    /// How errors name the file.
    public var file: String
    /// `nil` when the file is empty or only holds a torn header.
    public var header: ResultHeader?
    public var images: [Numbered<LocalizationRecord>]
    /// Bytes up to the end of the last complete, valid line.
    public var validLength: Int
    /// Why the tail after `validLength` is not a complete line (nil if there is none).
    public var tornTail: String?

    public static func read(_ url: URL) throws -> LocalizationResultsFile {
        let data = try ResultLines.read(url)
        return try parse(data, file: url.path)
    }

    /// Parses the bytes of a `localize --out` file.
    ///
    /// A last line without its newline, or whose JSON does not decode, is a torn write of an
    /// interrupted run: it is reported in `tornTail` and left out. Any other bad line is an error.
    /// - Throws: `badResultsFile` naming the file and line: not such a file, a corrupt line, a
    ///   record out of bounds, a photo recorded twice.
    public static func parse(_ data: Data, file: String) throws -> LocalizationResultsFile {
        var out = LocalizationResultsFile(file: file, header: nil, images: [], validLength: 0, tornTail: nil)
        let notThisFormat =
            "not a keypoints localize results file (no \"\(LocalizationResults.formatName)\" header line)"
        var seen: [FilePathKey: Int] = [:]
        let tail = try ResultLines.decode(
            data, file: file, format: LocalizationResults.formatName, notThisFormat: notThisFormat
        ) { (line: LocalizationLine, lineNumber: Int) in
            switch line {
            case .header(let h):
                guard h.version == LocalizationResults.currentVersion else {
                    throw EvaluationError.badResultsFile(
                        file: file, line: 1,
                        message: "format version \(h.version), expected \(LocalizationResults.currentVersion)")
                }
                out.header = h
            case .image(let r):
                if let problem = LocalizationRecord.boundsProblem(r) {
                    throw EvaluationError.badResultsFile(file: file, line: lineNumber, message: problem)
                }
                let key = FilePathKey(r.file)
                if let first = seen[key] {
                    throw EvaluationError.badResultsFile(
                        file: file, line: lineNumber, message: "\(r.file) is already recorded on line \(first)")
                }
                seen[key] = lineNumber
                out.images.append(Numbered(line: lineNumber, value: r))
            }
        }
        out.validLength = tail.validLength
        out.tornTail = tail.tornTail
        return out
    }
}

/// Where `localize --out` appends each photo's answer as it is found, and what an earlier run of
/// the same command already found (resume).
///
/// Opening an existing file resumes it: a torn last line is truncated away (its photo is
/// redone), photos already recorded are answered from the file, and a file written with other
/// settings is refused, naming each difference. The file is locked while open.
public final class LocalizationResultStore {
    public let url: URL
    /// The run's settings: the file's header once `start(settings:)` has checked or written it.
    public private(set) var settings: [String: String] = [:]
    /// True when the file already had a header (this run resumes it).
    public private(set) var resumed = false
    /// Set when opening truncated a torn last line: what was wrong.
    public private(set) var repairedTail: String?
    private var records: [FilePathKey: LocalizationRecord] = [:]
    private var opening: ResultsFileOpening<LocalizationResultsFile>?
    private var file: DurableLineFile?

    private init(url: URL) {
        self.url = url
    }

    /// Opens (creating or resuming) a `localize --out` file: `open(url:)` then
    /// `start(settings:)`.
    /// - Throws: `settingsMismatch`, `badResultsFile`, `locked`, `writeFailed` (`EvaluationError`).
    public static func open(url: URL, settings: [String: String]) throws -> LocalizationResultStore {
        let store = try open(url: url)
        try store.start(settings: settings)
        return store
    }

    /// Opens a `localize --out` file before the run's settings are known (they need the model):
    /// an existing file is locked and read, once, and a torn last line cut away (`repairedTail`);
    /// `recorded` is what it holds. Nothing is appended before `start(settings:)`, and a
    /// missing file is created only then.
    /// - Throws: `badResultsFile`, `locked`, `writeFailed` (`EvaluationError`).
    public static func open(url: URL) throws -> LocalizationResultStore {
        let store = LocalizationResultStore(url: url)
        let opening = try ResultsFileOpening.open(url, read: LocalizationResultsFile.read)
        store.opening = opening
        store.repairedTail = opening.parsed?.tornTail
        return store
    }

    /// What the file held when it was opened (its torn last line cut away), until
    /// `start(settings:)` takes its records; nil when it did not exist.
    public var recorded: LocalizationResultsFile? { opening?.parsed }

    /// Starts the run with `settings`: resumes a file whose header holds the same settings
    /// (`LocalizationResults.informationKeys` only inform), taking its records, or writes the
    /// header of a new one. Call once, after `open(url:)`.
    /// - Throws: `settingsMismatch` naming each difference; `locked`, `writeFailed`.
    public func start(settings: [String: String]) throws {
        guard var opening else {
            preconditionFailure("LocalizationResultStore.start: not opened, or started twice")
        }
        self.opening = nil
        self.settings = settings
        let started = try opening.start(settings: settings, ignoring: LocalizationResults.informationKeys) {
            try LocalizationLine.header(
                LocalizationResults.header(settings: settings, created: ResultStore.timestamp())
            ).encodedLine()
        }
        file = started.file
        if let parsed = started.resumed {
            resumed = true
            for r in parsed.images { records[FilePathKey(r.value.file)] = r.value }
        }
    }

    /// How many photos the file holds.
    public var count: Int { records.count }

    /// The recorded answer for the photo at `path`, if an earlier run found it.
    public func record(forPath path: String) -> LocalizationRecord? { records[FilePathKey(path)] }

    /// Appends one photo's answer, durably.
    /// - Precondition: `record.path` is not recorded yet (check `record(forPath:)`).
    public func append(_ record: LocalizationRecord) throws {
        precondition(
            records[FilePathKey(record.file)] == nil,
            "LocalizationResultStore.append: \(record.file) is already recorded")
        try write(.image(record))
        records[FilePathKey(record.file)] = record
    }

    /// Releases the lock and closes the file (also done on deinit).
    public func close() {
        opening?.close()
        opening = nil
        file?.close()
        file = nil
    }

    private func write(_ line: LocalizationLine) throws {
        guard let file else { return }
        try file.appendRecord { try line.encodedLine() }
    }
}
