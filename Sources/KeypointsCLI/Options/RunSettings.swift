import Foundation
import KeypointsSupport
import Localization
import ModelStore

/// A grid preset file resolved and read once: the preset for the search, the file's path and
/// SHA-256 for a results header.
struct GridFile {
    let url: URL
    let preset: GridPreset
    let sha256: String

    /// `value`: a file or a bare name in grids/ (`--grid`).
    static func load(_ value: String) throws -> GridFile {
        let url = try DataFiles.resolve(value, folder: "grids", option: "--grid")
        let data = try GridPreset.contents(of: url)
        return GridFile(
            url: url, preset: try GridPreset.decode(data, file: url.relativePath), sha256: SHA256Hasher.hash(data))
    }
}

/// What the results headers of `eval --out` and `localize --out` record about the model and the
/// grid: their content digests, which identify the run (resuming or merging with another model
/// or an edited preset is refused), and their paths, for information.
enum RunSettings {
    static func modelAndGrid(model: URL, grid: GridFile) throws -> [String: String] {
        let modelDigest: String
        do {
            modelDigest = try ModelDigest.digest(ofModelAt: model) { name, bytes in
                Console.note("hashing \(name) (\(bytes / 1_000_000) MB) once to identify the run by content")
            }
        } catch {
            throw CLIError("\(error)")
        }
        return [
            "model": model.standardizedFileURL.path, "model_sha256": modelDigest,
            "grid": grid.url.standardizedFileURL.path, "grid_sha256": grid.sha256,
        ]
    }
}
