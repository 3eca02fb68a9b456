import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Checks of output paths (`--heatmap`, `--overlay`, `--scores`, `--out`) made before any
/// model is loaded or image scored, so that a bad path fails in a second with the option, the
/// path and the fix, not after the compute with a raw file-system error.
enum OutputPath {
    /// A file to be written (created or replaced): not an existing folder, and its nearest
    /// existing ancestor is a folder a file can be created in (missing folders are created).
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

    /// A folder to be written into: not an existing file, and creatable (a file can be created in
    /// it, or in its nearest existing ancestor).
    static func checkFolder(_ path: String, option: String) throws {
        let url = DataFiles.fileURL(path)
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else {
                throw CLIError("\(option) \(path): is a file; \(option) takes a folder (created if missing)")
            }
            if let reason = cannotCreateFiles(in: url) {
                throw CLIError(
                    "\(option) \(path): cannot create files in this folder (\(reason)); choose another folder")
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
        if let reason = cannotCreateFiles(in: dir) {
            throw CLIError("\(option) \(path): cannot create files in \(dir.path) (\(reason)); choose another path")
        }
    }

    /// Why no file can be created in the folder `dir`, or nil when one can. Found by creating and
    /// removing an empty probe file: permission bits alone (access(2)) say yes to root everywhere
    /// and know nothing of read-only or virtual file systems such as /proc and /sys.
    private static func cannotCreateFiles(in dir: URL) -> String? {
        let probe = dir.appendingPathComponent(".keypoints-write-check-\(getpid())-\(UUID().uuidString)")
        let fd = open(probe.path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else { return String(cString: strerror(errno)) }
        close(fd)
        unlink(probe.path)
        return nil
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
