import Foundation

/// Checks of output paths (`--heatmap`, `--overlay`, `--scores`, `--out`) made before any
/// model is loaded or image scored, so that a bad path fails in a second with the option, the
/// path and the fix, not after the compute with a raw file-system error.
enum OutputPath {
    /// A file to be written (created or replaced): not an existing folder, and its nearest
    /// existing ancestor is a writable folder (missing folders are created).
    static func checkFile(_ path: String, option: String) throws {
        let url = DataFiles.fileURL(path)
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory), isDirectory.boolValue {
            throw CLIError(
                "\(option) \(path): is a folder; give a file name (e.g. \(url.appendingPathComponent(exampleName(option)).path))"
            )
        }
        try checkAncestor(of: url, option: option, path: path)
    }

    /// A folder to be written into: not an existing file, and creatable.
    static func checkFolder(_ path: String, option: String) throws {
        let url = DataFiles.fileURL(path)
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else {
                throw CLIError("\(option) \(path): is a file; \(option) takes a folder (created if missing)")
            }
            guard FileManager.default.isWritableFile(atPath: url.path) else {
                throw CLIError("\(option) \(path): folder is not writable; choose another folder")
            }
            return
        }
        try checkAncestor(of: url, option: option, path: path)
    }

    private static func checkAncestor(of url: URL, option: String, path: String) throws {
        var dir = url.deletingLastPathComponent()
        var isDirectory: ObjCBool = false
        while !FileManager.default.fileExists(atPath: dir.path, isDirectory: &isDirectory) && dir.path != "/" {
            dir = dir.deletingLastPathComponent()
        }
        guard isDirectory.boolValue else {
            throw CLIError("\(option) \(path): \(dir.path) is a file, not a folder; choose another path")
        }
        guard FileManager.default.isWritableFile(atPath: dir.path) else {
            throw CLIError("\(option) \(path): cannot create files in \(dir.path) (not writable); choose another path")
        }
    }

    private static func exampleName(_ option: String) -> String {
        switch option {
        case "--overlay": return "overlay.png"
        case "--out": return "results.jsonl"
        case "--curve": return "pck.png"
        default: return "scores.json"
        }
    }
}
