import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// An exclusive advisory lock (flock) on a file; released by `release()` or when the process ends.
final class FetchLock {
    private var fd: Int32
    let url: URL

    init(_ url: URL) throws {
        self.url = url
        do {
            try FileManager.default.createDirectory(
                at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        } catch {
            throw ModelStoreError.fileSystem(
                path: url.deletingLastPathComponent().path,
                message: "cannot create folder: \(error.localizedDescription)")
        }
        fd = open(url.path, O_CREAT | O_RDWR, 0o644)
        guard fd >= 0 else {
            throw ModelStoreError.fileSystem(
                path: url.path, message: "cannot open lock file: \(String(cString: strerror(errno)))")
        }
        if flock(fd, LOCK_EX | LOCK_NB) != 0 {
            close(fd)
            fd = -1
            throw ModelStoreError.busy(path: url.deletingPathExtension().path)
        }
    }

    func release(removingFile: Bool = false) {
        guard fd >= 0 else { return }
        if removingFile { unlink(url.path) }
        flock(fd, LOCK_UN)
        close(fd)
        fd = -1
    }

    deinit { release() }
}
