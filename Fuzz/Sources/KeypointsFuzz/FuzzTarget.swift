import CLIP
import Evaluation
import Foundation
import Imaging
import KeypointsSupport
import Localization
import ModelStore

/// One parser of outside input, fed one fuzzer input at a time. Errors are the expected outcome
/// for most inputs; a crash, a sanitizer report, a timeout or running out of memory is a bug.
enum FuzzTarget: String, CaseIterable, Sendable {
    case safetensors, image, results, grid, vocabulary, coco, cub, config, digests, manifest
    case localizeResults = "localize-results"
    case boxes
    case exif
    case safetensorsIndex = "safetensors-index"

    /// Feeds one input to the parser; thrown errors are ignored (they are the parser's answer).
    func run(_ data: Data, scratch: URL) {
        do {
            switch self {
            case .safetensors:
                let url = try write(data, "model.safetensors", in: scratch)
                let file = try SafeTensorsFile(url: url)
                // Read every tensor the header accepted: offsets and sizes must hold.
                for key in file.keys { _ = try file.floats(key) }
            case .image:
                // The default options, as localize and eval read photos: damaged scan data ends
                // decoding. (With allowDamaged a small file may legally claim up to
                // ImagingLimits.pixels of grey fill, seconds under AddressSanitizer.)
                _ = try ImageCodec.decode(data: data, name: "fuzz", options: ImageReadOptions())
            case .results:
                let results = try ResultFile.parse(data, file: "fuzz.jsonl")
                _ = try ResultSet.merge([results]).report(alpha: 0.1).table()
            case .localizeResults:
                // `localize --out`, as the next run reads it back to resume, and as `report`
                // merges and prints it.
                let file = try LocalizationResultsFile.parse(data, file: "fuzz.jsonl")
                for r in file.images { _ = FilePathKey(r.value.file) }
                _ = ReportFiles.isLocalizeResults(data)
                let merged = try LocalizationResultSet.merge([file])
                _ = LocalizationPredictions.csv(merged.images) + LocalizationPredictions.table(merged.images)
            case .boxes:
                // `localize --boxes FILE.csv`.
                let boxes = try PhotoBoxes.parse(data, file: "fuzz.csv", folder: scratch)
                _ = boxes.box(forPhoto: scratch.appendingPathComponent("a.jpg").path)
            case .exif:
                runExif(data)
            case .grid:
                _ = try GridPreset.decode(data, file: "fuzz.json")
            case .vocabulary:
                let vocabulary = try KeypointVocabulary.decode(data, file: "fuzz.json")
                for c in vocabulary.categories { _ = try c.queries() }
            case .coco:
                let url = try write(data, "annotations.json", in: scratch)
                _ = try EvalDataset.load(DatasetOptions(kind: .coco, root: url, images: scratch, split: .all))
            case .cub:
                // The input holds CUB's text files separated by NUL bytes, in `cubFiles` order.
                let root = scratch.appendingPathComponent("CUB_200_2011")
                try FileManager.default.createDirectory(
                    at: root.appendingPathComponent("parts"), withIntermediateDirectories: true)
                let parts = data.split(
                    separator: 0, maxSplits: Self.cubFiles.count - 1, omittingEmptySubsequences: false)
                for (i, name) in Self.cubFiles.enumerated() {
                    _ = try write(i < parts.count ? Data(parts[i]) : Data(), name, in: root)
                }
                _ = try EvalDataset.load(
                    DatasetOptions(kind: .cub, root: root, split: .all, vocabulary: Self.cubVocabulary))
            case .config:
                let url = try write(data, "config.json", in: scratch)
                let config = try CLIPConfiguration.load(from: url)
                _ = WeightNames.expectedTensors(for: config)
            case .digests:
                // keypoints-digests.json of a model folder (the cache `ModelDigest` trusts for large
                // files), read while digesting the folder; the cache threshold keeps it from being
                // rewritten.
                let folder = try modelFolder(in: scratch)
                _ = try write(data, ModelDigest.cacheFileName, in: folder)
                _ = try ModelDigest.digest(ofModelAt: folder)
            case .safetensorsIndex:
                // model.safetensors.index.json beside two small shards (`shardFiles`), as a model
                // folder without model.safetensors is loaded: parse, shard names, cross-checks.
                let folder = scratch.appendingPathComponent("sharded", isDirectory: true)
                try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
                for (name, tensors) in Self.shardFiles
                where !FileManager.default.fileExists(atPath: folder.appendingPathComponent(name).path) {
                    try SafeTensorsWriter.write(tensors, to: folder.appendingPathComponent(name))
                }
                _ = try write(data, SafeTensorsIndex.fileName, in: folder)
                let weights = try ShardedSafeTensors(folder: folder)
                for entry in weights.entries { _ = try weights.tensor(entry.key, shape: entry.shape) }
                _ = weights.unusedKeys(requested: [])
            case .manifest:
                // keypoints-manifest.json, as `model list` and the digest read it.
                let folder = try modelFolder(in: scratch)
                _ = try write(data, ModelManifest.fileName, in: folder)
                _ = try ModelManifest.load(from: folder).totalSize
            }
        } catch {
            // A clean refusal.
        }
    }

    /// The EXIF orientation reader (`ExifReader`, run on every decoded photo): the input as a
    /// TIFF block, as a JPEG APP1 "Exif" segment and as a PNG eXIf chunk around it, and as a
    /// whole file (seeds that are JPEGs or PNGs walk their real markers and chunks). What it
    /// finds is applied to a small image, as `--exif-transpose` does.
    private func runExif(_ data: Data) {
        let block = [UInt8](data)
        let exif = Array("Exif\0\0".utf8)
        // One APP1 segment holds at most 65533 bytes after its length.
        let segment = exif + block.prefix(65_533 - exif.count)
        let length = segment.count + 2
        let jpeg: [UInt8] =
            [0xFF, 0xD8, 0xFF, 0xE1, UInt8(length >> 8), UInt8(length & 0xFF)] + segment + [0xFF, 0xDA]
        let count = UInt32(block.count)
        let png: [UInt8] =
            [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
            + [UInt8(count >> 24), UInt8((count >> 16) & 0xFF), UInt8((count >> 8) & 0xFF), UInt8(count & 0xFF)]
            + Array("eXIf".utf8) + block + [0, 0, 0, 0]
        var readings = [ExifReader.orientation(inTIFF: block)]
        for file in [jpeg, png, block] { readings.append(file.withUnsafeBytes { ExifReader.orientation(inFile: $0) }) }
        let image = RGBImage(width: 3, height: 2, pixels: (0..<18).map { UInt8($0) })
        for reading in readings {
            if let orientation = reading.orientation { _ = image.displayed(orientation) }
        }
    }

    /// CUB's annotation files, in the order the `cub` target's inputs hold them.
    static let cubFiles = [
        "images.txt", "classes.txt", "image_class_labels.txt", "train_test_split.txt",
        "bounding_boxes.txt", "parts/parts.txt", "parts/part_locs.txt",
    ]

    /// The shards beside the `safetensors-index` target's index (Fuzz/Seeds/safetensors-index/two-shards.json
    /// names them as they are).
    static let shardFiles: [(String, [(key: String, shape: [Int], values: [Float])])] = [
        (
            "model-00001-of-00002.safetensors",
            [(key: "a", shape: [2], values: [1, 2]), (key: "b", shape: [], values: [3])]
        ),
        ("model-00002-of-00002.safetensors", [(key: "c", shape: [1, 2], values: [4, 5])]),
    ]

    /// keypoints/cub.json, found from this file's place in the repository.
    static let cubVocabulary: KeypointVocabulary? = {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
        return try? KeypointVocabulary.load(from: root.appendingPathComponent("keypoints/cub.json"))
    }()

    /// A model folder holding a small config.json (what makes a folder a model to `ModelDigest`).
    private func modelFolder(in scratch: URL) throws -> URL {
        let folder = scratch.appendingPathComponent("model", isDirectory: true)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        _ = try write(Data(#"{"projection_dim": 8}"#.utf8), "config.json", in: folder)
        return folder
    }

    private func write(_ data: Data, _ name: String, in folder: URL) throws -> URL {
        let url = folder.appendingPathComponent(name)
        try data.write(to: url)
        return url
    }
}
