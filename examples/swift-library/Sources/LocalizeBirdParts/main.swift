// Localizes three of CUB's bird parts in a photo with keypoints as a library, prints them, writes
// an overlay and one heatmap per part, and scores the whole photo against two captions.
// Usage: LocalizeBirdParts MODEL PHOTO [OUT_DIR]
//   MODEL: a CLIP directory or an installed model name (keypoints model fetch ViT-B/32).
import CLIP
import Foundation
import Imaging
import Localization
import ModelStore
import Tensor
import TensorDNNL

/// A command line this example cannot run.
enum UsageError: Error, CustomStringConvertible {
    case wrongArgumentCount(Int)

    var description: String {
        switch self {
        case .wrongArgumentCount(let count): "usage: LocalizeBirdParts MODEL PHOTO [OUT_DIR] (got \(count) arguments)"
        }
    }
}

/// This checkout's keypoints/ and grids/ folders (five levels above this file). A package of your
/// own ships the files it needs, e.g. as resources.
let repository = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().deletingLastPathComponent()

func run(_ arguments: [String]) throws {
    guard arguments.count == 2 || arguments.count == 3 else { throw UsageError.wrongArgumentCount(arguments.count) }
    let photoPath = arguments[1]

    // fp32 OpenBLAS by default; bf16 on oneDNN where the CPU has bf16 units (AVX512-BF16, AMX).
    let backend: any LinearBackend = try DNNLBackend.isSupported ? DNNLBackend() : SgemmBackend()
    let bundle = try CLIPBundle.load(directory: try ModelStore().resolve(arguments[0]), backend: backend)
    let preset = try GridPreset.load(from: repository.appendingPathComponent("grids/fast.json"))
    let vocabulary = try KeypointVocabulary.load(from: repository.appendingPathComponent("keypoints/cub.json"))
    let queries = try vocabulary.queries(category: "bird", keypoints: ["beak", "crown", "tail"])
    let photo = try ImageCodec.decode(contentsOf: URL(fileURLWithPath: photoPath))

    // One Localizer per thread: it owns scratch memory and a cache of text embeddings.
    let localizer = Localizer(bundle: bundle, preset: preset, workers: ProcessInfo.processInfo.activeProcessorCount)
    let result = try localizer.localize(photo, path: photoPath, keypoints: queries)
    print("\(photoPath) (\(result.width)x\(result.height)): \(result.passes) passes, grid \(preset.name)")
    for p in result.keypoints {
        print(
            p.name.padding(toLength: 8, withPad: " ", startingAt: 0)
                + String(format: " %7.1f %7.1f %8.4f", p.x, p.y, p.score))
    }

    if arguments.count == 3 {
        let folder = URL(fileURLWithPath: arguments[2], isDirectory: true)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try OverlayRenderer().writePNG(
            to: folder.appendingPathComponent("overlay.png"), photo: photo.rgb, points: result.labeledPoints)
        for (k, p) in result.keypoints.enumerated() {
            try HeatmapRenderer().writePNG(
                to: folder.appendingPathComponent("heatmap-\(p.name).png"), photo: photo.rgb,
                samples: result.scoreSamples(keypoint: k), prediction: p.point, title: p.prompt)
        }
    }

    // Whole-image CLIP: L2-normalised embeddings, (N, E) row-major, so a dot product is a cosine.
    let captions = ["a photo of a bird", "a photo of a dog"]
    let texts = try bundle.embedTexts(captions, workspace: localizer.workspace)
    let image = bundle.embedImages([photo], workspace: localizer.workspace)
    let e = bundle.model.embeddingDim
    for (i, caption) in captions.enumerated() {
        let cosine = zip(image, texts[(i * e)..<((i + 1) * e)]).map { $0 * $1 }.reduce(0, +)
        print("\(caption): cosine \(String(format: "%.4f", cosine))")
    }
}

do {
    try run(Array(CommandLine.arguments.dropFirst()))
} catch {
    FileHandle.standardError.write(Data("error: \(error)\n".utf8))
    exit(1)
}
