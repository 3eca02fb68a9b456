import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// An append-only file of lines that survives interruption: the results files of `eval --out`
/// and `localize --out`.
///
/// The file is opened for appending and locked (`flock`, exclusive, non-blocking) while open, so
/// two runs cannot interleave lines. Every line is written with one `write(2)` loop of the whole
/// line plus its newline and `fsync`ed before `append` returns, so after a crash or SIGKILL the
/// file holds every appended line plus at most one torn last line, which the reader finds and
/// `truncate(toLength:)` removes.
///
///     let file = try DurableLineFile.open(url)
///     let existing = try RegularFile.read(url, ...)   // parse, find the last complete line
///     try file.truncate(toLength: validLength)
///     try file.append(line: encodedRecord)
public final class DurableLineFile {
    /// Why opening or writing failed. The caller turns it into its own module's error, naming
    /// the file.
    public enum Failure: Error, Equatable {
        /// Another process holds the lock.
        case locked
        /// A system call failed; the text says which and why (`strerror`).
        case failed(String)
    }

    public let url: URL
    private var fd: Int32

    private init(url: URL, fd: Int32) {
        self.url = url
        self.fd = fd
    }

    deinit {
        if fd >= 0 { closeDescriptor(fd) }
    }

    /// How long `open` keeps trying a lock that is taken before it reports `.locked`. A process
    /// that starts a child (Foundation's `Process`, `posix_spawn`) lends the child every open
    /// file, this lock's included, until the child has closed them or called exec: a lock just
    /// released by its owner can stay taken for that long, about a millisecond. Measured here: of
    /// 126,541 open-lock-close cycles run while a second thread started 300 children, 11,576 found
    /// the lock taken; with retries every 10 ms none did, and none needed a second retry.
    /// A real second run holds the lock for its whole run, so it is still refused, a second later.
    public static let lockWait = 1.0
    /// Pause between two tries of a taken lock, in seconds.
    static let lockRetryInterval = 0.01

    /// Opens `url` for appending, creating it (and making its folder entry durable) if missing,
    /// and takes the lock, trying again for up to `lockWait` seconds while it is taken.
    public static func open(_ url: URL, lockWait: Double = lockWait) throws(Failure) -> DurableLineFile {
        let path = url.path
        let existed = FileManager.default.fileExists(atPath: path)
        let fd = openDescriptor(path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw .failed(errorText()) }
        let file = DurableLineFile(url: url, fd: fd)
        let deadline = DispatchTime.now().uptimeNanoseconds + UInt64(max(0, lockWait) * 1e9)
        while flock(fd, LOCK_EX | LOCK_NB) != 0 {
            let reason = errno
            if reason == EINTR { continue }
            guard reason == EWOULDBLOCK else { throw .failed(errorText()) }
            guard DispatchTime.now().uptimeNanoseconds < deadline else { throw .locked }
            Thread.sleep(forTimeInterval: lockRetryInterval)
        }
        if !existed { syncDirectory(of: url) }
        return file
    }

    /// The file's length in bytes now (another process may have written it before the lock was
    /// taken).
    public func length() throws(Failure) -> Int {
        var status = stat()
        guard fstat(fd, &status) == 0 else { throw .failed(Self.errorText()) }
        return Int(status.st_size)
    }

    /// Cuts the file to its first `length` bytes (a torn last line) and makes that durable.
    public func truncate(toLength length: Int) throws(Failure) {
        guard ftruncate(fd, off_t(length)) == 0, fsync(fd) == 0 else { throw .failed(Self.errorText()) }
    }

    /// Held by every `append` for its write and fsync, across all files of the process, so that
    /// `haltAppends()` can wait for the line being written and keep any other from starting.
    static let appendGate = AppendGate()

    /// Waits for an `append` in progress (of any file of this process) to finish, durably, and
    /// blocks every later one for good: after it returns true the files on disk stop changing, so
    /// what a Ctrl-C handler counts in them is what they hold when the process exits. Call it only
    /// on the way out (an `exit` follows). Returns false if the append in progress has not ended
    /// within `timeout` seconds (an `fsync` on a hung network mount): the caller exits anyway, so
    /// that Ctrl-C still ends the process, and that append may still be under way.
    @discardableResult
    public static func haltAppends(timeout: Double = haltWait) -> Bool {
        appendGate.halt(timeout: timeout)
    }

    /// How long `haltAppends` waits for an append in progress: a write and fsync of one line take
    /// milliseconds on a local disk; far longer means the file system is stuck.
    public static let haltWait = 5.0

    /// A lock that appends hold while they write, and that `halt` takes for good.
    public final class AppendGate: @unchecked Sendable {
        private let lock = NSLock()

        public init() {}

        /// Runs `body` (one append) holding the gate; blocks while another holds it, and forever
        /// once the gate is halted.
        public func during<T, E: Error>(_ body: () throws(E) -> T) throws(E) -> T {
            lock.lock()
            defer { lock.unlock() }
            return try body()
        }

        /// Takes the gate and never gives it back: true once the `during` in progress (if any)
        /// has ended; false if it has not within `timeout` seconds (the gate is then not taken).
        public func halt(timeout: Double) -> Bool {
            lock.lock(before: Date(timeIntervalSinceNow: max(0, timeout)))
        }
    }

    /// Appends `line` and a newline, durably. `line` must not contain a newline.
    public func append(line: Data) throws(Failure) {
        try Self.appendGate.during { () throws(Failure) in try write(line: line) }
    }

    /// `append`'s work: one write loop of the line and its newline, then fsync.
    private func write(line: Data) throws(Failure) {
        var data = line
        data.append(0x0A)
        var failure: Failure?
        data.withUnsafeBytes { raw in
            guard let base = raw.baseAddress else { return }
            var offset = 0
            while offset < raw.count {
                let n = writeDescriptor(fd, base + offset, raw.count - offset)
                if n < 0 {
                    if errno == EINTR { continue }
                    failure = .failed(Self.errorText())
                    return
                }
                offset += n
            }
        }
        if let failure { throw failure }
        guard fsync(fd) == 0 else { throw .failed("fsync: \(Self.errorText())") }
    }

    /// Releases the lock and closes the file (also done on deinit).
    public func close() {
        if fd >= 0 { closeDescriptor(fd) }
        fd = -1
    }

    /// fsync of the folder, so a newly created file's directory entry is durable too.
    private static func syncDirectory(of url: URL) {
        let dir = openDescriptor(url.deletingLastPathComponent().path, O_RDONLY | O_CLOEXEC, 0)
        if dir >= 0 {
            _ = fsync(dir)
            closeDescriptor(dir)
        }
    }

    private static func errorText() -> String { String(cString: strerror(errno)) }
}

// File-scope wrappers: inside `DurableLineFile`, `open`/`close` name its own methods.
private func openDescriptor(_ path: String, _ flags: Int32, _ mode: mode_t) -> Int32 { open(path, flags, mode) }
private func closeDescriptor(_ fd: Int32) { _ = close(fd) }
private func writeDescriptor(_ fd: Int32, _ buffer: UnsafeRawPointer, _ count: Int) -> Int { write(fd, buffer, count) }

extension DurableLineFile.Failure {
    /// What went wrong, for the caller's error message ("another process holds the lock" or the
    /// system's reason).
    public var reason: String {
        switch self {
        case .locked: return "another process holds the lock"
        case .failed(let text): return text
        }
    }
}
