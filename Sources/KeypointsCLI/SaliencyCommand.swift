import ArgumentParser
import CLIP
import Foundation
import Imaging
import KeypointsSupport
import ModelStore
import Saliency

struct SaliencyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "saliency",
        abstract: "Find the salient object of photos without supervision: TokenCut on DINO ViT keys.",
        discussion: """
            The paper's saliency mask (TokenCut, Wang et al. CVPR 2022): the photo's longer side is \
            resized to --size, the keys of DINO's last layer are cut in two by a normalised cut of \
            their cosine-similarity graph (edges where similarity > --tau), and the 4-connected part \
            holding the strongest token is kept. EXIF orientation is not applied (photos are used as \
            stored, with a warning for each rotated or mirrored one) unless --exif-transpose is given.

            Example:
              keypoints saliency bird.jpg --png out/ --json
            """
    )

    @Argument(help: ArgumentHelp("Photos (JPEG or PNG).", valueName: "image"))
    var images: [String]
    @Option(
        help: ArgumentHelp(
            "A DINO model name (keypoints model list), ORG/NAME, or a Hugging Face ViTModel directory (config.json, model.safetensors or model.safetensors.index.json and its shards).",
            valueName: "name|dir"))
    var model: String = ModelRegistry.defaultSaliencyModelName
    // `.unconditional` on numbers (as --threads): "--tau -0.5" (a valid cosine) and "--size -1" are
    // read as values, not as unknown options reported as missing values.
    @Option(
        parsing: .unconditional,
        help: ArgumentHelp("Affinity threshold: token pairs with key cosine above it are linked.", valueName: "t"))
    var tau: Float = TokenCut.defaultTau
    @Option(parsing: .unconditional, help: ArgumentHelp("Longer side of the resized photo, pixels.", valueName: "px"))
    var size: Int = SaliencyEstimator.defaultSize
    @Option(
        help: ArgumentHelp("Write each photo with its mask shaded and outlined into this folder.", valueName: "dir"))
    var png: String?
    @Flag(help: "Print exactly one JSON document.")
    var json = false
    @OptionGroup var exif: ExifOptions
    @OptionGroup var compute: ComputeOptions

    func validate() throws {
        if images.isEmpty { throw ValidationError("give at least one image") }
        guard tau.isFinite, (-1...1).contains(tau) else {
            throw ValidationError("--tau must be a cosine in -1...1, got \(tau)")
        }
        // The lower bound is the model's patch, known once it is loaded (SaliencyInput checks it
        // with the same wording); here only what no model accepts.
        guard (1...SaliencyInput.maximumSize).contains(size) else {
            throw ValidationError("--size \(size): \(SaliencyInput.sizeRange(patch: nil))")
        }
    }

    struct Output: Encodable {
        struct Image: Encodable {
            let path: String
            let width: Int
            let height: Int
            let grid: [Int]
            let tokens: [[Int]]
            let foregroundFraction: Double
            /// The EXIF orientation applied (`--exif-transpose`), absent when used as stored.
            let exifTransposed: Int?
            /// Where it was found ("exif", "raw_profile", "xmp"), absent with it.
            let exifTransposedSource: ExifReader.Reading.Source?
            enum CodingKeys: String, CodingKey {
                case path, width, height, grid, tokens
                case foregroundFraction = "foreground_fraction"
                case exifTransposed = "exif_transposed"
                case exifTransposedSource = "exif_transposed_source"
            }
        }
        let model: String
        let tau: Float
        let size: Int
        let images: [Image]
    }

    func run() throws {
        // Checked before the model is loaded: an existing file given to --png is one line naming it.
        if let png { try OutputPath.checkFolder(png, option: "--png") }
        let loaded = try compute.loadModel {
            try SaliencyEstimator(directory: try ModelStore().resolve(model, option: "--model"), backend: $0)
        }
        let estimator = loaded.model
        let workers = loaded.workers
        // Every photo is decoded before any work, so a bad file fails before output is written.
        let decoded = try images.map {
            exif.photo(
                try ImageCodec.decode(contentsOf: DataFiles.fileURL($0)), path: $0,
                storedFrame: "the mask is in the stored pixel frame")
        }
        let photos = decoded.map(\.image.rgb)
        let ws = Workspace(workers: workers)
        var results: [Output.Image] = []
        var seconds: [Double] = []
        for (index, (path, photo)) in zip(images, photos).enumerated() {
            let watch = Stopwatch()
            let result: SaliencyEstimator.Result
            do { result = try estimator.estimate(photo, size: size, tau: tau, workspace: ws) } catch {
                throw CLIError("\(path): \(error)")
            }
            seconds.append(watch.seconds)
            let mask = result.mask
            if let png {
                let stem = DataFiles.slug(URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent)
                let name = images.count > 1 ? "\(index + 1)-\(stem)_saliency.png" : "\(stem)_saliency.png"
                let dir = DataFiles.fileURL(png)
                try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
                try ImageCodec.writePNG(
                    MaskRenderer().render(photo, mask: mask.pixelMask), to: dir.appendingPathComponent(name))
            }
            results.append(
                Output.Image(
                    path: path, width: photo.width, height: photo.height, grid: [mask.rows, mask.cols],
                    tokens: mask.tokenRows, foregroundFraction: mask.foregroundFraction,
                    exifTransposed: decoded[index].applied?.rawValue,
                    exifTransposedSource: decoded[index].appliedSource))
        }
        loaded.reportNotices()
        if json {
            try Console.printJSON(Output(model: model, tau: tau, size: size, images: results))
            return
        }
        Console.result("model \(model), tau \(Console.format(Double(tau), 3)), size \(size)")
        print("image                          size        grid    foreground tokens  fraction   seconds")
        for (r, s) in zip(results, seconds) {
            let kept = r.tokens.joined().reduce(0, +)
            Console.result(
                String(
                    format: "%-30@ %4dx%-6d %3dx%-4d %7d / %-7d %8.3f %9.3f",
                    r.path.displaySafe as NSString, r.width, r.height, r.grid[0], r.grid[1], kept,
                    r.grid[0] * r.grid[1],
                    r.foregroundFraction, s))
        }
    }
}
