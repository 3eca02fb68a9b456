import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Reading outside input files defensively: only regular files (checked without blocking, so a
/// FIFO or device at a data path cannot hang the process), with a size cap checked before the
/// first byte is read, and optionally only inside a root folder after resolving symlinks.
///
///     let bytes = try RegularFile.read(url, maxBytes: ImagingLimits.fileBytes,
///                                      limitName: "ImagingLimits.fileBytes",
///                                      containment: .init(root: datasetRoot))
///
/// Errors (`FileReadError`) name the path and what was wrong, never the file's contents.
public enum RegularFile {
    /// Where a file must lie: under `root` after symlinks are resolved, unless
    /// `followSymlinks` (the CLI's `--follow-symlinks`) allows any target.
    public struct Containment: Sendable, Equatable {
        public var root: URL
        public var followSymlinks: Bool

        public init(root: URL, followSymlinks: Bool = false) {
            self.root = root
            self.followSymlinks = followSymlinks
        }
    }

    /// Reads a whole regular file of at most `maxBytes` bytes.
    /// - Parameters:
    ///   - url: a file URL.
    ///   - maxBytes: the cap; a larger file is refused before reading.
    ///   - limitName: how errors name the cap (e.g. "ImagingLimits.fileBytes").
    ///   - containment: when given, the file's real path must lie under the real path of its root.
    /// - Throws: `FileReadError` naming the path: missing, not a regular file, over the cap,
    ///   outside the root, or a failed read.
    public static func read(
        _ url: URL, maxBytes: Int, limitName: String,
        containment: Containment? = nil
    ) throws(FileReadError) -> Data {
        let path = url.path
        let target = try containment.map { c throws(FileReadError) in try resolve(path, within: c) } ?? path
        // O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer.
        let fd = open(target, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
        guard fd >= 0 else { throw FileReadError(path: path, message: errorText()) }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw FileReadError(path: path, message: "cannot stat: \(errorText())") }
        guard (info.st_mode & S_IFMT) == S_IFREG else {
            throw FileReadError(path: path, message: "not a regular file (\(kind(info.st_mode)))")
        }
        let size = Int(info.st_size)
        guard size <= maxBytes else {
            throw FileReadError(path: path, message: "\(size) bytes, over the limit \(limitName) = \(maxBytes)")
        }
        // At most the size stat gave (<= maxBytes), even if the file grows meanwhile.
        var data = Data(count: size)
        var total = 0
        var failure: String?
        data.withUnsafeMutableBytes { raw in
            while total < raw.count {
                let n = Glibc.read(fd, raw.baseAddress! + total, raw.count - total)
                if n < 0 && (errno == EINTR || errno == EAGAIN) { continue }
                if n < 0 {
                    failure = "read failed: \(errorText())"
                    return
                }
                if n == 0 { break }  // the file shrank while reading
                total += n
            }
        }
        if let failure { throw FileReadError(path: path, message: failure) }
        if total < data.count { data.removeSubrange(total...) }
        return data
    }

    /// `read`, with a failure reported as the caller's own error: `failure` builds it from the
    /// `FileReadError` (whose `message` says what went wrong), so every reader names the file the
    /// same way.
    ///
    ///     let data = try RegularFile.read(url, maxBytes: L.fileBytes, limitName: "L.fileBytes") {
    ///         MyError.unreadable(file: url.path, reason: $0.message)
    ///     }
    public static func read<Failure: Error>(
        _ url: URL, maxBytes: Int, limitName: String, containment: Containment? = nil,
        orThrow failure: (FileReadError) -> Failure
    ) throws(Failure) -> Data {
        do { return try read(url, maxBytes: maxBytes, limitName: limitName, containment: containment) } catch {
            throw failure(error)
        }
    }

    /// The end of the message of a path refused for resolving outside the root (callers recognise
    /// the refusal by it).
    public static let followSymlinksHint = "(--follow-symlinks allows links out of the dataset)"

    /// The real path of `path` (symlinks resolved), checked to lie under the real path of the
    /// containment root unless `followSymlinks`.
    /// - Throws: `FileReadError` when the path does not resolve or resolves outside the root.
    public static func resolve(_ path: String, within containment: Containment) throws(FileReadError) -> String {
        guard let real = realPath(path) else { throw FileReadError(path: path, message: errorText()) }
        if containment.followSymlinks { return real }
        guard let root = realPath(containment.root.path) else {
            throw FileReadError(path: containment.root.path, message: "cannot resolve the root folder: \(errorText())")
        }
        let prefix = root.hasSuffix("/") ? root : root + "/"
        guard real.hasPrefix(prefix) else {
            throw FileReadError(
                path: path,
                message: "resolves to \(real), outside the root \(root); refused \(followSymlinksHint)")
        }
        return real
    }

    private static func realPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    private static func errorText() -> String { String(cString: strerror(errno)) }

    private static func kind(_ mode: mode_t) -> String {
        switch mode & S_IFMT {
        case S_IFDIR: return "a directory"
        case S_IFIFO: return "a FIFO"
        case S_IFCHR: return "a character device"
        case S_IFBLK: return "a block device"
        case S_IFSOCK: return "a socket"
        default: return "mode \(String(mode & S_IFMT, radix: 8))"
        }
    }
}
