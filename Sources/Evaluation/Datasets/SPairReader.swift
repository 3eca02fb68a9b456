import Foundation
import Imaging
import KeypointsSupport
import Localization

/// SPair-71k in its release layout (`root` = the folder holding JPEGImages/):
/// `JPEGImages/<category>/<name>.jpg`, `ImageAnnotation/<category>/<name>.json` and
/// `Layout/large/{trn,val,test}.txt` (pair lines `<pair id>-<source>-<target>:<category>`).
///
/// Per-image JSON fields used: `filename`, `category`, `image_width`, `image_height`, `bndbox`
/// (`[x1, y1, x2, y2]`, corners) and `kps` (keypoint id -> `[x, y]` or `null` = not annotated).
///
/// - Split: `test` / `train` evaluate every image that appears in a pair of
///   `Layout/large/test.txt` / `trn.txt` (SPair's splits are splits of pairs); `all` every
///   annotation JSON of the category folders.
/// - Categories: default the paper's six animals (bird, cat, cow, dog, horse, sheep); default
///   categories missing from `root` are noted, named ones must exist.
/// - Keypoints: named by the vocabulary (the paper's Table 8 in keypoints/spair.json) by SPair id;
///   annotated ids without a name are skipped and counted; a vocabulary with none of the
///   categories in `root` is refused.
/// - As in the paper the predictor sees the image cropped to the box (`SearchScope.crop`) and
///   PCK is normalised by `max(x2 - x1, y2 - y1)` (as the official SPair evaluation does).
///
/// Items: id `<category>/<name>`, ordered by category (in the order selected) then name.
public enum SPairReader: DatasetReader {
    static let name = "spair"
    static let splits: [DatasetSplit] = [.test, .train, .all]
    static let vocabularyFileName: String? = "spair.json"

    /// The paper's six animal classes, the default selection.
    public static let animals = ["bird", "cat", "cow", "dog", "horse", "sheep"]
    /// Layout subfolder used for the split files.
    public static let layout = "large"

    static func read(_ options: DatasetOptions, split: DatasetSplit, categories: [String]) throws -> ReaderOutput {
        let root = options.root
        let vocabulary = try EvalDataset.requireVocabulary(options)
        let annotations = root.appendingPathComponent("ImageAnnotation")
        let fm = FileManager.default
        var notes: [String] = []
        let available = ((try? fm.contentsOfDirectory(atPath: annotations.path)) ?? [])
            .filter { !$0.hasPrefix(".") }.sorted()
        guard fm.fileExists(atPath: annotations.path) else {
            throw EvaluationError.unreadable(
                file: annotations.path,
                reason: "no such folder (is --root the folder holding JPEGImages/ and ImageAnnotation/?)")
        }

        var selected: [String] = []
        if categories.isEmpty {
            for c in animals {
                if available.contains(c) {
                    selected.append(c)
                } else {
                    notes.append("SPair category \(c) has no folder in \(annotations.path)")
                }
            }
        } else {
            for c in categories {
                guard SafePath.isPlainName(c), available.contains(c) else {
                    throw EvaluationError.unknownCategory(file: annotations.path, line: nil, name: c, known: available)
                }
                if !selected.contains(c) { selected.append(c) }
            }
        }

        // Keypoint ids are SPair's own: a vocabulary with none of the dataset's categories (another
        // dataset's) would name its keypoints by another dataset's ids. (One with some of them may
        // leave a selected category unnamed: noted below, its keypoints counted as unnamed.)
        if !available.contains(where: { vocabulary.categoryIfPresent($0) != nil }) {
            throw EvaluationError.vocabularyMismatch(
                file: vocabulary.source, categories: vocabulary.categoryNames, dataset: name, needed: available)
        }

        // Image names per category.
        var names: [String: Set<String>] = [:]
        switch split {
        case .all:
            for c in selected {
                let folder = annotations.appendingPathComponent(c)
                let files = (try? fm.contentsOfDirectory(atPath: folder.path)) ?? []
                names[c] = Set(
                    files.filter { $0.hasSuffix(".json") && !$0.hasPrefix(".") }.map { String($0.dropLast(5)) })
            }
        case .test, .train:
            let file = root.appendingPathComponent("Layout/\(layout)/\(split == .test ? "test" : "trn").txt")
            let rows = try TextRows.read(file)
            for row in rows.rows {
                let text = row.text.trimmingCharacters(in: .whitespaces)
                guard let colon = text.lastIndex(of: ":") else {
                    throw EvaluationError.malformedRow(
                        file: rows.file, line: row.line,
                        message: "expected <pair id>-<source>-<target>:<category>, got \"\(text)\"")
                }
                let category = String(text[text.index(after: colon)...])
                let parts = text[..<colon].split(separator: "-", omittingEmptySubsequences: false)
                guard parts.count == 3, !parts[1].isEmpty, !parts[2].isEmpty, !category.isEmpty else {
                    throw EvaluationError.malformedRow(
                        file: rows.file, line: row.line,
                        message: "expected <pair id>-<source>-<target>:<category>, got \"\(text)\"")
                }
                for name in [String(parts[1]), String(parts[2]), category] where !SafePath.isPlainName(name) {
                    throw EvaluationError.pathEscapesRoot(file: rows.file, line: row.line, path: name)
                }
                guard selected.contains(category) else { continue }
                names[category, default: []].insert(String(parts[1]))
                names[category, default: []].insert(String(parts[2]))
            }
        }

        var items: [EvalItem] = []
        for c in selected {
            let list = (names[c] ?? []).sorted()
            if list.isEmpty { notes.append("SPair category \(c): no images in the \(split.rawValue) selection") }
            let vocabularyCategory = vocabulary.categoryIfPresent(c)
            let named = try vocabularyCategory.map { try vocabulary.namesByID($0) } ?? [:]
            if vocabularyCategory == nil && !list.isEmpty {
                notes.append(
                    "SPair category \(c) has no keypoint names in \(vocabulary.source): its keypoints are skipped")
            }
            for name in list {
                items.append(try readImage(root: root, category: c, name: name, names: named))
            }
        }
        return ReaderOutput(items: items, notes: notes)
    }

    /// Reads `ImageAnnotation/<category>/<name>.json`.
    static func readImage(
        root: URL, category: String, name: String,
        names: [Int: (name: String, prompts: [String])]
    ) throws -> EvalItem {
        let url = root.appendingPathComponent("ImageAnnotation/\(category)/\(name).json")
        let json = try AnnotationFile.json(url)
        let filename = try json.field("filename").string()
        guard filename == name + ".jpg" else {
            throw try json.field("filename").fail(
                "expected \"\(name).jpg\" (the annotation's own name), got \"\(filename)\"")
        }
        let declared = try json.field("category").string()
        guard declared == category else {
            throw EvaluationError.unknownCategory(file: url.path, line: nil, name: declared, known: [category])
        }
        let width = try json.field("image_width").integer()
        let height = try json.field("image_height").integer()
        guard width > 0, height > 0 else {
            throw json.fail("image_width/image_height: expected positive sizes, got \(width) x \(height)")
        }
        let boxNode = try json.field("bndbox")
        let b = try boxNode.array()
        guard b.count == 4 else { throw boxNode.fail("expected [x1, y1, x2, y2], got \(boxNode.brief)") }
        let x1 = try b[0].coordinate()
        let y1 = try b[1].coordinate()
        let x2 = try b[2].coordinate()
        let y2 = try b[3].coordinate()
        guard x2 > x1, y2 > y1 else {
            throw boxNode.fail("expected x2 > x1 and y2 > y1, got [\(x1), \(y1), \(x2), \(y2)]")
        }

        var keypoints: [GroundTruthKeypoint] = []
        var unnamed = 0
        for (key, node) in try json.field("kps").object() {
            guard let id = Int(key), id >= 0 else { throw node.fail("expected a keypoint id (a non-negative integer)") }
            if node.isNull { continue }
            let p = try node.array()
            guard p.count == 2 else { throw node.fail("expected [x, y] or null, got \(node.brief)") }
            let x = try p[0].coordinate()
            let y = try p[1].coordinate()
            if let n = names[id] {
                keypoints.append(GroundTruthKeypoint(id: id, name: n.name, prompts: n.prompts, x: x, y: y))
            } else {
                unnamed += 1
            }
        }
        keypoints.sort { $0.id < $1.id }
        let path = "JPEGImages/\(category)/\(name).jpg"
        return EvalItem(
            id: "\(category)/\(name)", category: category, imagePath: path,
            imageURL: root.appendingPathComponent(path),
            box: Box(x: x1, y: y1, width: x2 - x1, height: y2 - y1), region: .crop,
            keypoints: keypoints, unnamedKeypoints: unnamed, expectedWidth: width, expectedHeight: height)
    }
}
