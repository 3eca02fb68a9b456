import CLIP
import Evaluation
import Foundation
import Imaging
import KeypointsSupport
import Localization
import Saliency

extension LocalizeCommand {
    /// The header settings of `--out`: what identifies the run (compared when the file is
    /// resumed) and paths for information (`LocalizationResults.informationKeys`).
    /// The keypoints and their prompts are recorded as they are asked (after `--template`), so
    /// the vocabulary file is information only.
    func runSettings(
        grid: GridFile, queries: [KeypointQuery], options: LocalizationOptions, loaded: LoadedModel<CLIPBundle>,
        saliencyDigest: String?, shard: Shard?
    ) throws -> [String: String] {
        var settings = try RunSettings.modelAndGrid(model: try model.url, grid: grid)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // Without the dataset id: `{"name":...,"prompt":...}` for one prompt, as before ensembles
        // existed (older files resume), `{"name":...,"prompts":[...]}` for an ensemble.
        let keypoints = queries.map { KeypointQuery(id: nil, name: $0.name, prompts: $0.prompts) }
        settings["keypoints"] = String(decoding: try encoder.encode(keypoints), as: UTF8.self)
        if let vocabulary {
            settings["vocabulary"] = try DataFiles.resolve(vocabulary, folder: "keypoints").standardizedFileURL.path
        }
        settings["visual_prompt"] = options.prompt.description
        settings["fit"] = options.fit.rawValue
        if let box = options.box {
            settings["box"] = [box.x, box.y, box.width, box.height].map { "\($0)" }.joined(separator: ",")
            settings["crop_to_box"] = "\(options.cropToBox)"
        }
        if let boxes {
            let url = DataFiles.fileURL(boxes)
            // Each record carries its photo's box, checked on resume (`checkRecorded`), so rows
            // may be added for new photos between runs; the file's path only informs.
            settings["boxes"] = url.standardizedFileURL.path
            settings["box"] = "per photo (--boxes)"
            settings["crop_to_box"] = "\(options.cropToBox)"
        }
        switch maskOptions.kind {
        case .none: settings["mask"] = "none"
        case .box: settings["mask"] = "box"
        case .file(let path):
            let url = DataFiles.fileURL(path)
            settings["mask"] = "file"
            settings["mask_file"] = url.standardizedFileURL.path
            // The PNG was read and bounded when the mask was loaded (`MaskOptions.loadFileMask`).
            do { settings["mask_sha256"] = try SHA256Hasher.hashFile(at: url) } catch {
                throw CLIError("--mask \(url.path): \(error.message)")
            }
        case .saliency:
            settings["mask"] = "saliency"
            settings["mask_tau"] = "\(TokenCut.defaultTau)"
            settings["mask_size"] = "\(SaliencyEstimator.defaultSize)"
            settings["saliency_model_sha256"] = saliencyDigest ?? ""
        }
        settings["precision"] = loaded.precision.rawValue
        settings["backend"] = loaded.model.backend.name
        settings["software"] = SoftwareVersion.full
        if let shard { settings["shard"] = shard.description }
        // Only when given, so files of runs without it keep their settings (and resume).
        if exif.exifTranspose { settings["exif_transpose"] = "true" }
        return settings
    }

    /// What an earlier run recorded for the photos this run answers from `--out` must be what
    /// this run would compute from: the same keypoints in the same order (the header records
    /// them, but a record is checked on its own too), and with `--boxes` the same box.
    /// - Parameter boxOf: the box this run gives the photo at a record's path.
    static func checkRecorded(
        _ record: LocalizationRecord, line: Int, in out: String, keypoints: [KeypointQuery],
        box: Box?, perPhotoBoxes: Bool
    ) throws {
        let names = keypoints.map(\.name)
        guard record.keypoints.map(\.name) == names else {
            throw CLIError(
                "\(out) line \(line): \(record.path) was recorded with the keypoints "
                    + "\(record.keypoints.map(\.name).joined(separator: ", ")), this run asks for \(names.joined(separator: ", "))"
                    + "; use another --out")
        }
        if perPhotoBoxes && record.box != box {
            let recorded = record.box.map { "\($0)" } ?? "none"
            let now = box.map { "\($0)" } ?? "none"
            throw CLIError(
                "\(out) line \(line): \(record.path) was localized in the box \(recorded), --boxes now gives \(now); "
                    + "use another --out, or restore its row")
        }
    }
}
