import Foundation
import KeypointsSupport
import Localization

/// The datasets `keypoints eval` reads, each in its original release layout: one per reader in
/// `DatasetKind.readers`, named by the reader (`cub`, `spair`, `faces`, `coco`).
public struct DatasetKind: RawRepresentable, CaseIterable, Hashable, Sendable {
    /// The registration table, in the order `--dataset` lists them. Adding a dataset is one
    /// reader file (a `DatasetReader`) and one entry here.
    static let readers: [any DatasetReader.Type] = [
        CUBReader.self, SPairReader.self, FacesReader.self, COCOReader.self,
    ]

    /// The reader's name, the `--dataset` value.
    public let rawValue: String
    let reader: any DatasetReader.Type

    init(_ reader: any DatasetReader.Type) {
        rawValue = reader.name
        self.reader = reader
    }

    public init?(rawValue: String) {
        guard let reader = Self.readers.first(where: { $0.name == rawValue }) else { return nil }
        self.init(reader)
    }

    public static var allCases: [DatasetKind] { readers.map(DatasetKind.init) }

    /// CUB-200-2011: `root` holds images.txt (see `CUBReader`).
    public static let cub = DatasetKind(CUBReader.self)
    /// SPair-71k: `root` holds JPEGImages/ and ImageAnnotation/ (see `SPairReader`).
    public static let spair = DatasetKind(SPairReader.self)
    /// FaceSynthetics: `root` holds NNNNNN.png and NNNNNN_ldmks.txt (see `FacesReader`).
    public static let faces = DatasetKind(FacesReader.self)
    /// COCO keypoints: `root` is the annotation JSON (see `COCOReader`).
    public static let coco = DatasetKind(COCOReader.self)

    public static func == (a: DatasetKind, b: DatasetKind) -> Bool { a.rawValue == b.rawValue }
    public func hash(into hasher: inout Hasher) { hasher.combine(rawValue) }

    /// Split used when none is given: the official test split where there is one.
    public var defaultSplit: DatasetSplit { reader.splits[0] }

    /// Splits the dataset defines.
    public var splits: [DatasetSplit] { reader.splits }

    /// The vocabulary file under keypoints/ with this dataset's names (COCO names its own).
    public var vocabularyFileName: String? { reader.vocabularyFileName }
}

/// Which images of a dataset to evaluate.
public enum DatasetSplit: String, CaseIterable, Sendable {
    case test, train, all
}

/// What to read.
public struct DatasetOptions: Sendable {
    public var kind: DatasetKind
    /// Dataset root (the COCO annotation file for `.coco`).
    public var root: URL
    /// COCO only: the image folder (default: the annotation file's folder).
    public var images: URL?
    /// `nil`: `kind.defaultSplit`.
    public var split: DatasetSplit?
    /// Categories to evaluate; empty: the dataset's default (SPair: the six animals; others: all).
    public var categories: [String]
    /// Keypoint names and prompts; required except for COCO (whose file names its keypoints).
    public var vocabulary: KeypointVocabulary?
    /// COCO only: evaluate keypoints labelled but not visible (v = 1) as well as visible ones (v = 2).
    public var includeOccluded: Bool

    public init(
        kind: DatasetKind, root: URL, images: URL? = nil, split: DatasetSplit? = nil,
        categories: [String] = [], vocabulary: KeypointVocabulary? = nil, includeOccluded: Bool = true
    ) {
        self.kind = kind
        self.root = root
        self.images = images
        self.split = split
        self.categories = categories
        self.vocabulary = vocabulary
        self.includeOccluded = includeOccluded
    }
}

/// A dataset read into evaluation items, in a deterministic order (the order sharding and
/// `--limit` use): CUB by image id, SPair by category then name, FaceSynthetics by name, COCO by
/// annotation id.
public struct EvalDataset: Sendable {
    public var kind: DatasetKind
    public var root: URL
    public var images: URL?
    public var split: DatasetSplit
    /// The categories asked for (empty: the default selection).
    public var requestedCategories: [String]
    public var items: [EvalItem]
    /// Things worth telling the user (categories without images, keypoints without names, ...).
    public var notes: [String]
    /// The COCO v = 1 choice (part of the settings).
    public var includeOccluded: Bool

    public init(
        kind: DatasetKind, root: URL, images: URL? = nil, split: DatasetSplit, requestedCategories: [String],
        items: [EvalItem], notes: [String] = [], includeOccluded: Bool = true
    ) {
        self.kind = kind
        self.root = root
        self.images = images
        self.split = split
        self.requestedCategories = requestedCategories
        self.items = items
        self.notes = notes
        self.includeOccluded = includeOccluded
    }

    /// The folder every image must lie in after symlinks are resolved (unless the run follows
    /// symlinks): the COCO image folder, else the dataset root.
    public var imageContainmentRoot: URL { images ?? root }

    /// Reads a dataset.
    /// - Throws: `EvaluationError` naming the file and line or field of any malformed row.
    public static func load(_ options: DatasetOptions) throws -> EvalDataset {
        let split = options.split ?? options.kind.defaultSplit
        guard options.kind.splits.contains(split) else {
            throw EvaluationError.invalidSelection(
                "\(options.kind.rawValue) has no \(split.rawValue) split (available: \(options.kind.splits.map(\.rawValue).joined(separator: ", ")))"
            )
        }
        let categories = options.categories.map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        var out: ReaderOutput
        do {
            out = try options.kind.reader.read(options, split: split, categories: categories)
        } catch let error as JSONFieldError {
            throw EvaluationError(error)
        }
        // Keypoint ids are the dataset's own: another dataset's vocabulary names other parts, even
        // where a category name matches (spair.json's "bird" for CUB). (The readers refuse
        // vocabularies without the dataset's categories, naming both sides' categories.)
        if let v = options.vocabulary, v.name != options.kind.rawValue, DatasetKind(rawValue: v.name) != nil {
            throw EvaluationError.vocabularyOfAnotherDataset(
                file: v.source, name: v.name, dataset: options.kind.rawValue,
                defaultVocabulary: options.kind.vocabularyFileName)
        }
        let unnamed = out.items.reduce(0) { $0 + $1.unnamedKeypoints }
        if unnamed > 0 {
            out.notes.append("\(unnamed) annotated keypoints have no name in the vocabulary and are not evaluated")
        }
        return EvalDataset(
            kind: options.kind, root: options.root, images: out.imageRoot,
            split: split, requestedCategories: categories, items: out.items, notes: out.notes,
            includeOccluded: options.includeOccluded)
    }

    /// The vocabulary the CUB, SPair and faces readers need.
    static func requireVocabulary(_ options: DatasetOptions) throws -> KeypointVocabulary {
        guard let v = options.vocabulary else {
            throw EvaluationError.invalidSelection(
                "\(options.kind.rawValue) needs a keypoint vocabulary (keypoints/\(options.kind.vocabularyFileName ?? "?"))"
            )
        }
        return v
    }

    // MARK: - Identity

    /// SHA-256 over every item's id, category, image path, box, region and keypoints (names,
    /// prompts, coordinates): equal for the same annotations, selection and vocabulary, whatever
    /// the shard or limit.
    public var fingerprint: String {
        var text = ""
        for item in items {
            text +=
                "\(item.id)\t\(item.category)\t\(item.imagePath)\t\(item.box.x) \(item.box.y) \(item.box.width) \(item.box.height)\t\(item.region.rawValue)"
            for k in item.keypoints {
                text += "\t\(k.id)|\(k.name)|\(KeypointQuery.recordedText(k.prompts))|\(k.x)|\(k.y)"
            }
            text += "\n"
        }
        return SHA256Hasher.hash(Data(text.utf8))
    }

    /// The dataset part of a results header.
    public var settings: [String: String] {
        var s: [String: String] = [
            "dataset": kind.rawValue,
            "root": root.standardizedFileURL.path,
            "split": split.rawValue,
            "categories": requestedCategories.isEmpty ? "(default)" : requestedCategories.joined(separator: ","),
            "dataset_sha256": fingerprint,
            "dataset_items": String(items.count),
        ]
        if let images { s["images"] = images.standardizedFileURL.path }
        if kind == .coco { s["coco_occluded"] = includeOccluded ? "included" : "excluded" }
        if items.contains(where: { $0.region == .crop }) { s["box_crop"] = Self.boxCrop }
        return s
    }

    /// The `box_crop` setting of a dataset whose photos are cropped to their box (SPair-71k): the
    /// pixels the crop keeps. Files written before it (whose crop also kept column x + w and row
    /// y + h) lack the key, so they are neither resumed nor merged with newer ones.
    public static let boxCrop = "pixels x..<x+w, y..<y+h"
}

/// What a reader returns.
struct ReaderOutput {
    var items: [EvalItem]
    var notes: [String] = []
    var imageRoot: URL? = nil
}

extension KeypointVocabulary {
    /// The category `name` if the vocabulary has it (exact, then case-insensitive), else nil.
    func categoryIfPresent(_ name: String) -> KeypointCategory? {
        try? category(name)
    }

    /// The category `name` that the dataset `dataset` names its keypoints by (exact, then
    /// case-insensitive). A vocabulary without it is refused, naming both sides' categories:
    /// keypoint ids are the dataset's own, so another dataset's vocabulary would name other parts.
    func requiredCategory(_ name: String, dataset: DatasetKind) throws -> KeypointCategory {
        guard let category = categoryIfPresent(name) else {
            throw EvaluationError.vocabularyMismatch(
                file: source, categories: categoryNames, dataset: dataset.rawValue, needed: [name])
        }
        return category
    }

    /// id -> (name, prompts) for one category.
    func namesByID(_ category: KeypointCategory) throws -> [Int: (name: String, prompts: [String])] {
        var map: [Int: (String, [String])] = [:]
        for q in try category.queries() {
            if let id = q.id { map[id] = (q.name, q.prompts) }
        }
        return map
    }
}
