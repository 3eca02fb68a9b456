import Foundation
import Imaging
import KeypointsSupport

// The results file: JSON lines, one object per line, each with a "type":
//
//   {"type":"header","format":"keypoints-eval-results","version":2,"settings":{...},"created":"..."}
//   {"type":"session","started":"...","limit":2,"selected":3,"done_before":0}
//   {"type":"image","id":"953","category":"018.Spotted_Catbird","path":"images/...","width":239,
//    "height":320,"box":[63,35,134,271],"crop":null,"passes":0,"seconds":0.01,"unnamed":0,
//    "keypoints":[{"name":"back","gt":[115,107],"pred":[40.2,99.1],"score":null}, ...]}
//   {"type":"skipped","id":"1768","category":"...","path":"images/...","reason":"missing image file ..."}
//
// The first line is the header. Every other line is appended and fsync'ed on its own, so a
// killed run leaves at most one torn last line, which the next run truncates and redoes.

/// First line of a results file.
public struct ResultHeader: Codable, Sendable, Equatable {
    public static let formatName = "keypoints-eval-results"
    /// 2: the model, grid and vocabulary are identified by content digests, paths only inform,
    /// and the precision used is recorded (`RunIdentity`). 1: the model and grid by path.
    public static let currentVersion = 2

    public var format: String
    public var version: Int
    /// Everything that determines the results (dataset, selection, method, model, grid, seed,
    /// precision, shard), plus paths for information; compared on resume and merge as
    /// `RunIdentity` says. Not alpha: it is an analysis parameter.
    public var settings: [String: String]
    public var created: String

    /// The header of a new eval results file.
    public init(settings: [String: String], created: String) {
        self.init(format: Self.formatName, version: Self.currentVersion, settings: settings, created: created)
    }

    /// Throws `settingsMismatch`, naming every difference, unless a run with `settings` may
    /// resume the file `file` this header opens (settings equal but for `ignoring`).
    func requireResumable(by settings: [String: String], ignoring: Set<String>, file: String) throws {
        let differences = SettingDifference.between(self.settings, settings, ignoring: ignoring)
        guard differences.isEmpty else { throw EvaluationError.settingsMismatch(file: file, differences: differences) }
    }

    /// A header of any results format (`LocalizationResults.header` for `localize --out`).
    public init(format: String, version: Int, settings: [String: String], created: String) {
        self.format = format
        self.version = version
        self.settings = settings
        self.created = created
    }
}

/// One `keypoints eval` invocation appended to the file.
public struct SessionRecord: Codable, Sendable, Equatable {
    public var started: String
    /// `--limit` of this invocation, if any.
    public var limit: Int?
    /// Items this invocation selected (after shard and limit).
    public var selected: Int
    /// How many of them were already in the file.
    public var doneBefore: Int

    enum CodingKeys: String, CodingKey {
        case started, limit, selected
        case doneBefore = "done_before"
    }

    public init(started: String, limit: Int?, selected: Int, doneBefore: Int) {
        self.started = started
        self.limit = limit
        self.selected = selected
        self.doneBefore = doneBefore
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(started, forKey: .started)
        try c.encode(limit, forKey: .limit)
        try c.encode(selected, forKey: .selected)
        try c.encode(doneBefore, forKey: .doneBefore)
    }
}

/// Ground truth and prediction of one keypoint, original image pixels.
public struct KeypointRecord: Codable, Sendable, Equatable {
    public var name: String
    public var gt: Point
    public var pred: Point
    public var score: Double?

    public init(name: String, gt: Point, pred: Point, score: Double?) {
        self.name = name
        self.gt = gt
        self.pred = pred
        self.score = score
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(name, forKey: .name)
        try c.encode(gt, forKey: .gt)
        try c.encode(pred, forKey: .pred)
        try c.encode(score, forKey: .score)
    }
}

/// Why a record's keypoint names are not unique (`keypoints[5].name "beak": also the name of
/// keypoints[1]; ...`), or nil: such a record counts one keypoint twice in every PCK figure.
func repeatedKeypointProblem(_ names: [String]) -> String? {
    guard let r = names.firstRepeat() else { return nil }
    return "keypoints[\(r.second)].name \"\(names[r.second])\": also the name of keypoints[\(r.first)]; "
        + "expected each keypoint once per image (it would count twice in PCK)"
}

/// The evaluation of one item.
public struct ImageRecord: Codable, Sendable, Equatable {
    public var id: String
    public var category: String
    public var path: String
    /// Size of the original image.
    public var width: Int
    public var height: Int
    /// PCK normaliser, original pixels.
    public var box: Box
    /// The pixel rectangle shown to the predictor when the dataset crops, else nil.
    public var crop: Box?
    public var keypoints: [KeypointRecord]
    /// Annotated keypoints without a name (not evaluated).
    public var unnamed: Int
    public var passes: Int
    public var seconds: Double
    /// Things to know about this image's result, e.g. that it was damaged and decoded anyway
    /// (`--allow-damaged-images`). Written only when non-empty; absent in older files.
    public var notes: [String]

    public init(
        id: String, category: String, path: String, width: Int, height: Int, box: Box, crop: Box?,
        keypoints: [KeypointRecord], unnamed: Int, passes: Int, seconds: Double, notes: [String] = []
    ) {
        self.id = id
        self.category = category
        self.path = path
        self.width = width
        self.height = height
        self.box = box
        self.crop = crop
        self.keypoints = keypoints
        self.unnamed = unnamed
        self.passes = passes
        self.seconds = seconds
        self.notes = notes
    }

    enum CodingKeys: String, CodingKey {
        case id, category, path, width, height, box, crop, keypoints, unnamed, passes, seconds, notes
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        id = try c.decode(String.self, forKey: .id)
        category = try c.decode(String.self, forKey: .category)
        path = try c.decode(String.self, forKey: .path)
        width = try c.decode(Int.self, forKey: .width)
        height = try c.decode(Int.self, forKey: .height)
        box = try c.decode(Box.self, forKey: .box)
        crop = try c.decodeIfPresent(Box.self, forKey: .crop)
        keypoints = try c.decode([KeypointRecord].self, forKey: .keypoints)
        unnamed = try c.decode(Int.self, forKey: .unnamed)
        passes = try c.decode(Int.self, forKey: .passes)
        seconds = try c.decode(Double.self, forKey: .seconds)
        notes = try c.decodeIfPresent([String].self, forKey: .notes) ?? []
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(category, forKey: .category)
        try c.encode(path, forKey: .path)
        try c.encode(width, forKey: .width)
        try c.encode(height, forKey: .height)
        try c.encode(box, forKey: .box)
        try c.encode(crop, forKey: .crop)
        try c.encode(keypoints, forKey: .keypoints)
        try c.encode(unnamed, forKey: .unnamed)
        try c.encode(passes, forKey: .passes)
        try c.encode(seconds, forKey: .seconds)
        if !notes.isEmpty { try c.encode(notes, forKey: .notes) }
    }
}

/// An item that could not be evaluated (missing or undecodable image, size mismatch).
public struct SkippedRecord: Codable, Sendable, Equatable {
    public var id: String
    public var category: String
    public var path: String
    public var reason: String

    public init(id: String, category: String, path: String, reason: String) {
        self.id = id
        self.category = category
        self.path = path
        self.reason = reason
    }
}

/// One line of a results file.
public enum ResultLine: Codable, Sendable, Equatable, ResultsFileLine {
    case header(ResultHeader)
    case session(SessionRecord)
    case image(ImageRecord)
    case skipped(SkippedRecord)

    var header: ResultHeader? {
        if case .header(let h) = self { return h }
        return nil
    }

    enum TypeKey: String, CodingKey { case type }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: TypeKey.self)
        let type = try c.decode(String.self, forKey: .type)
        switch type {
        case "header": self = .header(try ResultHeader(from: decoder))
        case "session": self = .session(try SessionRecord(from: decoder))
        case "image": self = .image(try ImageRecord(from: decoder))
        case "skipped": self = .skipped(try SkippedRecord(from: decoder))
        default:
            throw DecodingError.dataCorruptedError(
                forKey: .type, in: c, debugDescription: "unknown line type \"\(type)\"")
        }
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: TypeKey.self)
        switch self {
        case .header(let h):
            try c.encode("header", forKey: .type)
            try h.encode(to: encoder)
        case .session(let s):
            try c.encode("session", forKey: .type)
            try s.encode(to: encoder)
        case .image(let r):
            try c.encode("image", forKey: .type)
            try r.encode(to: encoder)
        case .skipped(let s):
            try c.encode("skipped", forKey: .type)
            try s.encode(to: encoder)
        }
    }

    /// One line of JSON (sorted keys) without the newline.
    public func encodedLine() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(self)
    }
}
