import Foundation

/// Finds the project's data folders (`grids/`, `keypoints/`) for default presets and vocabularies.
///
/// A value that names an existing file is used as given. A bare name ("fast", "cub") is looked up
/// as `<folder>/<name>.json` in: $KEYPOINTS_DATA, the working directory, and the folders above
/// the executable (a checkout's .build/release/keypoints finds the checkout's files).
enum DataFiles {
    /// A path given on the command line, with `~` expanded.
    static func fileURL(_ path: String) -> URL {
        URL(fileURLWithPath: (path as NSString).expandingTildeInPath)
    }

    /// - Parameter option: the option the value came from (`--vocabulary`, `--grid`), named first in
    ///   the error; nil for names the program chose itself.
    static func resolve(_ value: String, folder: String, option: String? = nil) throws -> URL {
        let expanded = fileURL(value).path
        if FileManager.default.fileExists(atPath: expanded) { return URL(fileURLWithPath: expanded) }
        let isBareName = !value.contains("/") && !value.hasSuffix(".json")
        guard isBareName else { throw CLIError("\(value): no such file") }
        let name = "\(folder)/\(value).json"
        var roots: [URL] = []
        if let env = ProcessInfo.processInfo.environment["KEYPOINTS_DATA"] { roots.append(URL(fileURLWithPath: env)) }
        roots.append(URL(fileURLWithPath: FileManager.default.currentDirectoryPath))
        // /proc/self/exe: argv[0] is a bare name when the command is found on PATH.
        let executable =
            (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        var dir = URL(fileURLWithPath: executable).resolvingSymlinksInPath().deletingLastPathComponent()
        for _ in 0..<6 {
            roots.append(dir)
            dir = dir.deletingLastPathComponent()
        }
        for root in roots {
            let candidate = root.appendingPathComponent(name)
            if FileManager.default.fileExists(atPath: candidate.path) { return candidate }
        }
        // Name what is there: the bare names of the first data folder found.
        var known: [String] = []
        for root in roots {
            let dir = root.appendingPathComponent(folder)
            if let files = try? FileManager.default.contentsOfDirectory(atPath: dir.path) {
                known = files.filter { $0.hasSuffix(".json") }.map { String($0.dropLast(".json".count)) }.sorted()
                if !known.isEmpty { break }
            }
        }
        let list = known.isEmpty ? "" : " (known: \(known.joined(separator: ", ")))"
        let subject = option.map { "\($0) '\(value)'" } ?? "'\(value)'"
        throw CLIError(
            "\(subject): no file \(name) in $KEYPOINTS_DATA, the working directory or above the executable\(list);"
                + " give a name or a path, or set KEYPOINTS_DATA to a folder holding \(folder)/ (a checkout's, for an"
                + " executable copied out of it)")
    }

    /// Writes data atomically (temporary file in the same folder, then rename).
    static func writeAtomically(_ data: Data, to url: URL) throws {
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        do { try data.write(to: url, options: .atomic) } catch {
            throw CLIError("\(url.path): cannot write: \(error.localizedDescription)")
        }
    }

    /// A file-name-safe form of a keypoint or image name.
    static func slug(_ s: String) -> String {
        let mapped = s.lowercased().map { $0.isLetter || $0.isNumber ? $0 : "-" }
        return String(mapped).split(separator: "-").joined(separator: "-")
    }
}
