import Foundation
import Localization
import Testing

@testable import Evaluation

/// Paths and helpers shared by the Evaluation tests. Fixtures are found from this file's
/// location (#filePath), so Package.swift needs no resources entry for them.
enum Fixtures {
    static var repositoryRoot: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
    }

    static var folder: URL { repositoryRoot.appendingPathComponent("Tests/EvaluationTests/Fixtures") }
    static var cub: URL { folder.appendingPathComponent("cub/CUB_200_2011") }
    static var spair: URL { folder.appendingPathComponent("spair/SPair-71k") }
    static var faces: URL { folder.appendingPathComponent("faces") }
    static var coco: URL { folder.appendingPathComponent("coco/dogs.json") }
    static var cocoImages: URL { spair.appendingPathComponent("JPEGImages/dog") }

    /// The project's real sample data (../shared/data beside the clone), present on the
    /// development machine and in CI but not in a fresh clone.
    static var sharedData: URL { repositoryRoot.deletingLastPathComponent().appendingPathComponent("shared/data") }
    static var hasSharedData: Bool {
        FileManager.default.fileExists(atPath: sharedData.appendingPathComponent("README.md").path)
    }

    static func vocabulary(_ name: String) throws -> KeypointVocabulary {
        try KeypointVocabulary.load(from: repositoryRoot.appendingPathComponent("keypoints/\(name).json"))
    }

    static func dataset(
        _ kind: DatasetKind, root: URL? = nil, split: DatasetSplit? = nil,
        categories: [String] = []
    ) throws -> EvalDataset {
        let root =
            root
            ?? {
                switch kind {
                case .cub: return cub
                case .spair: return spair
                case .faces: return faces
                default: return coco  // DatasetKind is a table of readers, not an enum
                }
            }()
        let vocabulary: KeypointVocabulary? = try kind.vocabularyFileName.map {
            try self.vocabulary(String($0.dropLast(5)))
        }
        return try EvalDataset.load(
            DatasetOptions(
                kind: kind, root: root, images: kind == .coco ? cocoImages : nil,
                split: split, categories: categories, vocabulary: vocabulary))
    }

    /// A fresh temporary folder.
    static func temporaryFolder() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("kp-eval-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// Copies a fixture folder to a temporary place so a test can break it.
    static func copy(_ folder: URL) throws -> URL {
        let target = try temporaryFolder().appendingPathComponent(folder.lastPathComponent)
        try FileManager.default.copyItem(at: folder, to: target)
        // The sources may be read-only; the copy must be writable.
        if let e = FileManager.default.enumerator(atPath: target.path) {
            for case let p as String in e {
                try? FileManager.default.setAttributes(
                    [.posixPermissions: 0o755], ofItemAtPath: target.appendingPathComponent(p).path)
            }
        }
        return target
    }

    /// The CUB fixture with each of its 3 images listed `copies` times under new ids (the id plus
    /// 100000 per copy, as .ci/slurm-integration.sh does; the image files are copied, as eval
    /// refuses links out of the dataset): a run long enough that a test interrupting it at a
    /// moment it observed cannot see it end first, however long the test is held up in between.
    static func cubCopies(_ copies: Int) throws -> (root: URL, ids: [String]) {
        let root = try temporaryFolder().appendingPathComponent("CUB_200_2011")
        let fm = FileManager.default
        try fm.createDirectory(at: root.appendingPathComponent("parts"), withIntermediateDirectories: true)
        for name in ["images", "classes.txt", "parts/parts.txt"] {
            try fm.copyItem(at: cub.appendingPathComponent(name), to: root.appendingPathComponent(name))
        }
        var ids: [String] = []
        for name in [
            "images.txt", "image_class_labels.txt", "train_test_split.txt", "bounding_boxes.txt", "parts/part_locs.txt",
        ] {
            let lines = try String(contentsOf: cub.appendingPathComponent(name), encoding: .utf8)
                .split(separator: "\n").map { $0.split(separator: " ", maxSplits: 1).map(String.init) }
            var text = ""
            for copy in 0..<copies {
                for fields in lines {
                    let id = String(try #require(Int(fields[0])) + 100_000 * copy)
                    text += "\(id) \(fields[1])\n"
                    if name == "images.txt" { ids.append(id) }
                }
            }
            try text.write(to: root.appendingPathComponent(name), atomically: true, encoding: .utf8)
        }
        return (root, ids)
    }

    /// Rewrites a text file with `transform` applied to its lines.
    static func edit(_ url: URL, _ transform: (inout [String]) -> Void) throws {
        var lines = try String(contentsOf: url, encoding: .utf8).components(separatedBy: "\n")
        let trailing = lines.last == ""
        if trailing { lines.removeLast() }
        transform(&lines)
        try (lines.joined(separator: "\n") + (trailing ? "\n" : "")).write(to: url, atomically: true, encoding: .utf8)
    }
}

/// The error's description, or "no error".
func errorText(_ body: () throws -> Void) -> String {
    do {
        try body()
        return "no error"
    } catch {
        return "\(error)"
    }
}
