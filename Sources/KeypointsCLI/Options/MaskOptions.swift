import ArgumentParser
import CLIP
import Foundation
import Imaging
import KeypointsSupport
import ModelStore
import Saliency
import Tensor

/// --mask and --saliency-model: where candidates may lie (issue 10).
struct MaskOptions: ParsableArguments {
    @Option(
        help: ArgumentHelp(
            "Keep candidates only inside a mask: none, saliency (TokenCut on DINO, the paper's), box (localize: the --box; eval: each object's box) or, in localize only, a PNG of the photo's size (white = inside).",
            valueName: "none|saliency|box|file.png"))
    var mask: String = "none"
    @Option(
        name: .customLong("saliency-model"),
        help: ArgumentHelp("The DINO model of --mask saliency (name, ORG/NAME or directory).", valueName: "name|dir"))
    var saliencyModel: String = ModelRegistry.defaultSaliencyModelName

    enum Kind: Equatable {
        case none, saliency, box
        case file(String)
    }

    var kind: Kind {
        switch mask {
        case "none": return .none
        case "saliency": return .saliency
        case "box": return .box
        default: return .file(mask)
        }
    }

    func validate() throws {
        if case .file(let path) = kind, !path.lowercased().hasSuffix(".png") {
            throw ValidationError("--mask expects none, saliency, box or a .png file, got '\(path.displaySafe)'")
        }
    }

    /// The settings recorded with results: kind, and for saliency TokenCut's tau and size and the model.
    var description: String {
        switch kind {
        case .none: return "none"
        case .box: return "box"
        case .file(let p): return "file \(p)"
        case .saliency:
            return "saliency (\(saliencyModel), tau \(TokenCut.defaultTau), size \(SaliencyEstimator.defaultSize))"
        }
    }

    /// The DINO estimator for --mask saliency, loaded like every model (`ComputeOptions.loadModel`);
    /// nil for the other kinds.
    func loadEstimator(compute: ComputeOptions) throws -> LoadedModel<SaliencyEstimator>? {
        guard kind == .saliency else { return nil }
        return try compute.loadModel {
            try SaliencyEstimator(
                directory: try ModelStore().resolve(saliencyModel, option: "--saliency-model"), backend: $0)
        }
    }

    /// For --mask FILE.png: the mask, checked against the size of every photo it will serve.
    func loadFileMask(checkingSizes sizes: [(path: String, width: Int, height: Int)]) throws -> PixelMask? {
        guard case .file(let file) = kind else { return nil }
        let image: DecodedImage
        do { image = try ImageCodec.decode(contentsOf: DataFiles.fileURL(file)) } catch {
            throw CLIError("--mask \(file): \(error) (give a PNG of the photo's size, white = inside)")
        }
        for s in sizes where (s.width, s.height) != (image.width, image.height) {
            throw CLIError(
                "--mask \(file): mask is \(image.width)x\(image.height), the photo \(s.path) is \(s.width)x\(s.height)"
                    + "; give a PNG of the photo's size")
        }
        return PixelMask(maskImage: image)
    }

    /// SHA-256 of the --saliency-model's weights (model.safetensors, or for a sharded checkpoint
    /// the digest over its index and shards, `ModelDigest.weightsDigest`): identifies the DINO
    /// checkpoint in eval results headers and `localize --scores`.
    func saliencyModelDigest() throws -> String {
        let directory = try ModelStore().resolve(saliencyModel, option: "--saliency-model")
        do { return try ModelDigest.weightsDigest(ofModelAt: directory) } catch {
            throw CLIError("--saliency-model \(directory.path): cannot identify the weights: \(error)")
        }
    }

    /// The mask of one photo (original pixels; nil for --mask none) and how it was made.
    /// - Parameters:
    ///   - box: the object's or the --box box (original pixels), already validated; needed by `box`.
    ///   - cropToBox: the saliency mask is computed on the box crop.
    ///   - fileMask: `loadFileMask`'s result for --mask FILE.png.
    ///   - saliencyDigest: `saliencyModelDigest()` for --mask saliency, recorded in the record.
    func makeMask(
        photo: DecodedImage, path: String, box: Box?, cropToBox: Bool, fileMask: PixelMask?,
        estimator: SaliencyEstimator?, saliencyDigest: String? = nil, workspace: Workspace
    ) throws -> (mask: PixelMask?, record: MaskRecord) {
        switch kind {
        case .none: return (nil, MaskRecord(kind: "none"))
        case .box:
            guard let box else { throw CLIError("\(path): --mask box needs a box (--box, or a dataset with boxes)") }
            let mask = PixelMask(box: box, width: photo.width, height: photo.height)
            var record = MaskRecord(kind: "box", mask: mask)
            record.box = [box.x, box.y, box.width, box.height]
            return (mask, record)
        case .file(let file):
            guard let fileMask, fileMask.width == photo.width, fileMask.height == photo.height else {
                throw CLIError("\(file): mask not loaded for the \(photo.width)x\(photo.height) photo \(path)")
            }
            var record = MaskRecord(kind: "file", mask: fileMask)
            record.file = file
            return (fileMask, record)
        case .saliency:
            guard let estimator else { throw CLIError("--mask saliency: no saliency model loaded") }
            let made: (pixels: PixelMask, tokens: SaliencyMask, origin: (x: Int, y: Int))
            do {
                made = try estimator.searchMask(photo.rgb, crop: cropToBox ? box : nil, workspace: workspace)
            } catch { throw CLIError("\(path): saliency mask: \(error)") }
            var record = MaskRecord(kind: "saliency", mask: made.pixels)
            record.model = saliencyModel
            record.modelSHA256 = saliencyDigest
            record.tau = TokenCut.defaultTau
            record.size = SaliencyEstimator.defaultSize
            record.region = [made.origin.x, made.origin.y, made.tokens.width, made.tokens.height]
            record.grid = [made.tokens.rows, made.tokens.cols]
            record.tokens = made.tokens.tokenRows
            return (made.pixels, record)
        }
    }
}

/// How one photo's search mask was made, as `localize --scores` records it (issue 10): enough to
/// check or rebuild it. Every kind but `none` has the mask's `pixels` (count inside), `fraction`
/// of the photo and `sha256` (`PixelMask.sha256`: the photo-sized 0/1 bytes, row-major); `box`
/// adds the box, `file` the PNG's path, `saliency` the DINO model and its weights' SHA-256, tau,
/// size, the `region` TokenCut saw (`[x, y, w, h]` in photo pixels: the photo, or the box crop
/// under --crop-to-box) and its token `grid` ([rows, cols]) and `tokens` (1 = kept), exactly as
/// `keypoints saliency --json` prints them for that region. `applied` is false when the mask held
/// none of the first stage's locations and the search ran without it.
struct MaskRecord: Encodable {
    let kind: String
    var applied = false
    var pixels: Int?
    var fraction: Double?
    var sha256: String?
    var box: [Double]?
    var file: String?
    var model: String?
    var modelSHA256: String?
    var tau: Float?
    var size: Int?
    var region: [Int]?
    var grid: [Int]?
    var tokens: [[Int]]?

    init(kind: String, mask: PixelMask? = nil) {
        self.kind = kind
        if let mask {
            pixels = mask.count
            fraction = mask.fraction
            sha256 = mask.sha256
        }
    }

    enum CodingKeys: String, CodingKey {
        case kind, applied, pixels, fraction, sha256, box, file, model, tau, size, region, grid, tokens
        case modelSHA256 = "model_sha256"
    }
}
