import ArgumentParser
import CLIP
import Foundation
import Imaging
import ModelStore
import Saliency
import Tensor

/// --mask and --saliency-model: where candidates may lie (issue 10).
struct MaskOptions: ParsableArguments {
    @Option(
        help: ArgumentHelp(
            "Keep candidates only inside a mask: none, saliency (TokenCut on DINO, the paper's), box (the --box or the object's box) or a PNG of the photo's size (white = inside).",
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
            throw ValidationError("--mask expects none, saliency, box or a .png file, got '\(path)'")
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
            try SaliencyEstimator(directory: try ModelStore().resolve(saliencyModel), backend: $0)
        }
    }

    /// For --mask FILE.png: the mask, checked against the size of every photo it will serve.
    func loadFileMask(checkingSizes sizes: [(path: String, width: Int, height: Int)]) throws -> PixelMask? {
        guard case .file(let file) = kind else { return nil }
        let image = try ImageCodec.decode(contentsOf: DataFiles.fileURL(file))
        for s in sizes where (s.width, s.height) != (image.width, image.height) {
            throw CLIError(
                "\(file): mask is \(image.width)x\(image.height), the photo \(s.path) is \(s.width)x\(s.height)")
        }
        return PixelMask(maskImage: image)
    }

    /// The mask of one photo (original pixels), or nil for --mask none.
    /// - Parameters:
    ///   - box: the object's or the --box box (original pixels), already validated; needed by `box`.
    ///   - cropToBox: the saliency mask is computed on the box crop.
    ///   - fileMask: `loadFileMask`'s result for --mask FILE.png.
    func makeMask(
        photo: DecodedImage, path: String, box: Box?, cropToBox: Bool, fileMask: PixelMask?,
        estimator: SaliencyEstimator?, workspace: Workspace
    ) throws -> PixelMask? {
        switch kind {
        case .none: return nil
        case .box:
            guard let box else { throw CLIError("\(path): --mask box needs a box (--box, or a dataset with boxes)") }
            return PixelMask(box: box, width: photo.width, height: photo.height)
        case .file(let file):
            guard let fileMask, fileMask.width == photo.width, fileMask.height == photo.height else {
                throw CLIError("\(file): mask not loaded for the \(photo.width)x\(photo.height) photo \(path)")
            }
            return fileMask
        case .saliency:
            guard let estimator else { throw CLIError("--mask saliency: no saliency model loaded") }
            do {
                return try estimator.pixelMask(photo.rgb, crop: cropToBox ? box : nil, workspace: workspace)
            } catch { throw CLIError("\(path): saliency mask: \(error)") }
        }
    }
}
