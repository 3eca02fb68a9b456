import Foundation
import KeypointsSupport

/// The photos of a `localize` run: its arguments, each a photo or a folder of photos.
enum PhotoList {
    /// File extensions taken from a folder (case-insensitive).
    static let extensions: Set<String> = ["jpg", "jpeg", "png"]

    /// `arguments` with every folder replaced by its photos: its regular files (or links to them)
    /// ending in .jpg, .jpeg or .png, not hidden, not recursive, sorted by name, written as the
    /// folder's path plus the file name. A photo argument is kept as given (its format is
    /// checked when it is decoded).
    /// - Throws: `CLIError` for a folder holding no photo, or one that cannot be listed.
    static func expand(_ arguments: [String]) throws -> [String] {
        var photos: [String] = []
        for argument in arguments {
            let url = DataFiles.fileURL(argument)
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory), isDirectory.boolValue
            else {
                photos.append(argument)
                continue
            }
            let names: [String]
            do {
                names = try FileManager.default.contentsOfDirectory(atPath: url.path)
            } catch {
                throw CLIError("\(argument): cannot list the folder (\(error.localizedDescription))")
            }
            let found = names.filter { name in
                guard !name.hasPrefix("."),
                    extensions.contains((name as NSString).pathExtension.lowercased())
                else { return false }
                var nameIsDirectory: ObjCBool = false
                return FileManager.default.fileExists(
                    atPath: url.appendingPathComponent(name).path, isDirectory: &nameIsDirectory)
                    && !nameIsDirectory.boolValue
            }.sorted()
            guard !found.isEmpty else {
                throw CLIError("\(argument): a folder with no photos (.jpg, .jpeg or .png files)")
            }
            let folder = argument.hasSuffix("/") ? argument : argument + "/"
            photos.append(contentsOf: found.map { folder + $0 })
        }
        return photos
    }

    /// With `--out`, photos are keyed by path: one given twice (directly or through a folder)
    /// would be answered twice and recorded once.
    static func checkDistinct(_ photos: [String]) throws {
        if let r = photos.lazy.map({ FilePathKey(url: DataFiles.fileURL($0)) }).firstRepeat() {
            throw CLIError(
                "photo \(photos[r.second]) is given twice (photos \(r.first + 1) and \(r.second + 1)); with --out each photo is recorded once"
            )
        }
    }
}
