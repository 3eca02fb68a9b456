import Foundation
import Imaging
import Localization

/// FaceSynthetics in its flat release layout (`root` = the folder holding `NNNNNN.png` and
/// `NNNNNN_ldmks.txt`): each landmarks file has 70 lines `x y` (pixels, origin top-left): rows
/// 0-67 iBUG-68, 68-69 the pupils. There is no visibility flag, so every landmark is evaluated;
/// names come from the vocabulary (keypoints/faces.json, category "face", id = row).
///
/// The PCK normaliser is the landmarks' extent (`max(width, height)` of their bounding box);
/// the predictor sees the whole image. FaceSynthetics has no official split (`all` only).
/// Items: id = the file stem (`000022`), category "face", in name order.
public enum FacesReader: DatasetReader {
    static let name = "faces"
    static let splits: [DatasetSplit] = [.all]
    static let vocabularyFileName: String? = "faces.json"

    static func read(_ options: DatasetOptions, split: DatasetSplit, categories: [String]) throws -> ReaderOutput {
        guard categories.isEmpty else {
            throw EvaluationError.invalidSelection("faces has one category (\"face\"); --categories does not apply")
        }
        return try read(root: options.root, vocabulary: try EvalDataset.requireVocabulary(options))
    }

    /// Landmarks per file in the FaceSynthetics release.
    public static let landmarkCount = 70
    /// Category name used for items and looked up in the vocabulary.
    public static let category = "face"

    static func read(root: URL, vocabulary: KeypointVocabulary) throws -> ReaderOutput {
        let fm = FileManager.default
        let entries: [String]
        do {
            entries = try fm.contentsOfDirectory(atPath: root.path)
        } catch {
            throw EvaluationError.unreadable(file: root.path, reason: readReason(error))
        }
        let suffix = "_ldmks.txt"
        let stems = entries.filter { $0.hasSuffix(suffix) && !$0.hasPrefix(".") }
            .map { String($0.dropLast(suffix.count)) }
            .filter { !$0.isEmpty && $0.allSatisfy(\.isNumber) }
            .sorted()
        guard !stems.isEmpty else {
            throw EvaluationError.invalidSelection(
                "\(root.path): no NNNNNN\(suffix) files (is --root a FaceSynthetics folder?)")
        }
        let vocabularyCategory = try vocabulary.requiredCategory(category, dataset: .faces)
        let names = try vocabulary.namesByID(vocabularyCategory)

        var items: [EvalItem] = []
        for stem in stems {
            let t = try TextRows.read(root.appendingPathComponent(stem + suffix))
            guard t.rows.count == landmarkCount else {
                throw EvaluationError.malformedRow(
                    file: t.file, line: (t.rows.last?.line ?? 0) + 1,
                    message: "expected \(landmarkCount) landmark rows \"x y\", got \(t.rows.count)")
            }
            var points: [GroundTruthKeypoint] = []
            var unnamed = 0
            var minX = Double.infinity
            var minY = Double.infinity
            var maxX = -Double.infinity
            var maxY = -Double.infinity
            for (i, row) in t.rows.enumerated() {
                let f = try t.fields(row, count: 2, names: "x y")
                let x = try t.number(f[0], row, "x")
                let y = try t.number(f[1], row, "y")
                minX = min(minX, x)
                maxX = max(maxX, x)
                minY = min(minY, y)
                maxY = max(maxY, y)
                if let n = names[i] {
                    points.append(GroundTruthKeypoint(id: i, name: n.name, prompts: n.prompts, x: x, y: y))
                } else {
                    unnamed += 1
                }
            }
            guard maxX > minX || maxY > minY else {
                throw EvaluationError.malformedRow(
                    file: t.file, line: 1, message: "all landmarks at one point: no extent to normalise PCK by")
            }
            let path = stem + ".png"
            items.append(
                EvalItem(
                    id: stem, category: category, imagePath: path, imageURL: root.appendingPathComponent(path),
                    box: Box(x: minX, y: minY, width: maxX - minX, height: maxY - minY),
                    region: .image, keypoints: points, unnamedKeypoints: unnamed))
        }
        return ReaderOutput(items: items)
    }
}
