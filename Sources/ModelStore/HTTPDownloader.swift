import Foundation
import KeypointsSupport

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// What one download of one file produced.
struct DownloadOutcome: Sendable {
    /// Bytes in the `.part` file.
    var size: Int64
    /// SHA-256 of the `.part` file's whole content (resumed prefix included).
    var sha256: String
    /// The hub's LFS digest (`X-Linked-Etag` of its redirect) when it sent one.
    var serverSHA256: String?
    /// The hub's LFS size (`X-Linked-Size`) when it sent one.
    var serverSize: Int64?
}

/// Downloads one URL into a `.part` file with URLSession, resuming an existing `.part` with a
/// `Range: bytes=N-` request.
///
/// Behaviour by status: 206 appends (the Content-Range start must equal N); 200 restarts from
/// zero (the server ignored the range); 416 means N is at or past the end: when the server's
/// total equals N the part file is complete, otherwise it is discarded and fetched again; 404
/// and other statuses fail without touching the part file. A connection closed mid-body or a
/// stall longer than `timeout` fails with the bytes kept, so a rerun resumes.
///
/// Checked on Linux (swift-corelibs-foundation over libcurl): the request timeout is an
/// inactivity timeout (a 5 s transfer with data every second survives a 3 s timeout, a 6 s
/// stall fails at 3 s), redirects keep the Range header, and a body cut short by the server
/// completes with an error ("transfer closed with N bytes remaining to read").
struct HTTPDownloader: Sendable {
    var timeout: TimeInterval
    var userAgent: String
    /// Free bytes on the file system holding a path (statvfs); replaceable in tests.
    var freeSpace: @Sendable (URL) -> Int64? = HTTPDownloader.availableBytes

    typealias ProgressHandler = @Sendable (_ done: Int64, _ total: Int64?, _ resumed: Int64, _ rate: Double) -> Void

    /// - Parameter cap: the most bytes the file may have (`ModelFileLimits.cap(ofFile:)`), nil for
    ///   none: a larger announced size stops the transfer before the first byte, a body that grows
    ///   past it stops at once; either way the part file is removed (it is not worth resuming).
    func download(
        from url: URL, to part: URL, knownSize: Int64?, cap: (bytes: Int, name: String)? = nil,
        progress: ProgressHandler?
    ) async throws -> DownloadOutcome {
        var restartedAfter416 = false
        while true {
            var offset = Self.fileSize(part) ?? 0
            if let knownSize, offset > knownSize {
                try Self.truncate(part)
                offset = 0
            }
            var hasher = SHA256Hasher()
            if offset > 0 {
                try ModelStoreError.mapping { () throws(FileReadError) in try hasher.update(contentsOf: part) }
            }
            if let knownSize, offset == knownSize {
                // Complete from an earlier run; nothing to ask the server.
                return DownloadOutcome(size: offset, sha256: hasher.finalizeHex(), serverSHA256: nil, serverSize: nil)
            }
            let result: AttemptResult
            do {
                result = try await attempt(
                    url: url, part: part, offset: offset, hasher: hasher, cap: cap, progress: progress)
            } catch ModelStoreError.fileTooLarge(let file, let u, let bytes, let announced, let limit, let name) {
                try? FileManager.default.removeItem(at: part)
                throw ModelStoreError.fileTooLarge(
                    file: file, url: u, bytes: bytes, announced: announced, limit: limit, limitName: name)
            }
            switch result {
            case .complete(let outcome):
                return outcome
            case .rangeNotSatisfiable(let total):
                if let total, total == offset {
                    return DownloadOutcome(
                        size: offset, sha256: hasher.finalizeHex(), serverSHA256: nil, serverSize: total)
                }
                guard !restartedAfter416 else {
                    throw ModelStoreError.badRangeResponse(
                        url: url.absoluteString,
                        detail: "416 for a request from byte 0 (server total \(total.map(String.init) ?? "unknown"))")
                }
                // The part file is longer than (or inconsistent with) the server's file: start over.
                restartedAfter416 = true
                try Self.truncate(part)
            }
        }
    }

    enum AttemptResult: Sendable {
        case complete(DownloadOutcome)
        case rangeNotSatisfiable(total: Int64?)
    }

    private func attempt(
        url: URL, part: URL, offset: Int64, hasher: SHA256Hasher, cap: (bytes: Int, name: String)?,
        progress: ProgressHandler?
    ) async throws -> AttemptResult {
        if !FileManager.default.fileExists(atPath: part.path) {
            guard FileManager.default.createFile(atPath: part.path, contents: nil) else {
                throw ModelStoreError.fileSystem(path: part.path, message: "cannot create file")
            }
        }
        let handle: FileHandle
        do {
            handle = try FileHandle(forWritingTo: part)
            try handle.seekToEnd()
        } catch {
            throw ModelStoreError.fileSystem(
                path: part.path, message: "cannot open for writing: \(error.localizedDescription)")
        }

        var request = URLRequest(url: url)
        request.httpMethod = "GET"
        request.setValue(userAgent, forHTTPHeaderField: "User-Agent")
        // Byte ranges and sizes refer to the stored bytes: no transparent decompression.
        request.setValue("identity", forHTTPHeaderField: "Accept-Encoding")
        if offset > 0 { request.setValue("bytes=\(offset)-", forHTTPHeaderField: "Range") }

        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = timeout
        configuration.requestCachePolicy = .reloadIgnoringLocalCacheData
        configuration.urlCache = nil
        let queue = OperationQueue()
        queue.maxConcurrentOperationCount = 1  // delegate callbacks in order: data, then completion
        let delegate = DownloadDelegate(
            url: url, handle: handle, part: part, offset: offset, hasher: hasher,
            timeout: timeout, freeSpace: freeSpace, cap: cap, progress: progress)
        let session = URLSession(configuration: configuration, delegate: delegate, delegateQueue: queue)
        defer { session.finishTasksAndInvalidate() }
        let task = session.dataTask(with: request)
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<AttemptResult, Error>) in
                delegate.start(task: task, continuation: continuation)
            }
        } onCancel: {
            task.cancel()
        }
    }

    // MARK: - File helpers

    /// Bytes available to this user on the file system that holds `url` (nil when unknown).
    @Sendable static func availableBytes(_ url: URL) -> Int64? {
        var info = statvfs()
        guard statvfs(url.deletingLastPathComponent().path, &info) == 0 else { return nil }
        return Int64(info.f_bavail) * Int64(info.f_frsize)
    }

    /// Space kept free beyond a file's remaining bytes: the manifest and other small files.
    static let spaceMargin: Int64 = 16 << 20

    static func fileSize(_ url: URL) -> Int64? {
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: url.path),
            let size = attributes[.size] as? NSNumber
        else { return nil }
        return size.int64Value
    }

    static func truncate(_ url: URL) throws {
        do {
            let h = try FileHandle(forWritingTo: url)
            defer { try? h.close() }
            try h.truncate(atOffset: 0)
        } catch {
            throw ModelStoreError.fileSystem(path: url.path, message: "cannot truncate: \(error.localizedDescription)")
        }
    }

    /// "bytes 100-199/1000" -> (100, 199, 1000); "bytes */1000" -> (nil, nil, 1000); total may be "*".
    /// Nil for anything else, a negative number or a total that is neither "*" nor a size.
    static func parseContentRange(_ value: String) -> (start: Int64?, end: Int64?, total: Int64?)? {
        let v = value.trimmingCharacters(in: .whitespaces)
        guard v.lowercased().hasPrefix("bytes") else { return nil }
        let rest = v.dropFirst(5).trimmingCharacters(in: .whitespaces)
        let halves = rest.split(separator: "/", maxSplits: 1).map(String.init)
        guard halves.count == 2 else { return nil }
        let total = halves[1] == "*" ? nil : parseSize(halves[1])
        guard total != nil || halves[1] == "*" else { return nil }
        if halves[0] == "*" { return (nil, nil, total) }
        let bounds = halves[0].split(separator: "-", maxSplits: 1).map { parseSize(String($0)) }
        guard bounds.count == 2, let start = bounds[0], let end = bounds[1], start <= end else { return nil }
        return (start, end, total)
    }

    /// A size from a header (X-Linked-Size, Content-Range): digits only, at most Int64.max; else nil.
    static func parseSize(_ value: String?) -> Int64? {
        guard let v = value?.trimmingCharacters(in: .whitespaces), !v.isEmpty,
            v.utf8.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) })
        else { return nil }
        return Int64(v)
    }

    /// The bytes a download still needs (`total - written`, at least 0) and whether `available`
    /// bytes hold them with `spaceMargin` to spare. Sizes from headers are >= 0 (`parseSize`,
    /// `parseContentRange`, `expectedContentLength`), as are `written` and `available`: nothing
    /// here overflows, even for a size of Int64.max (`needed + spaceMargin` did).
    static func spaceCheck(total: Int64, written: Int64, available: Int64) -> (needed: Int64, fits: Bool) {
        let needed = max(0, total - written)
        return (needed, needed <= available - spaceMargin)
    }

    /// `a + b` for sizes (>= 0), Int64.max when the sum does not fit: a server announcing an
    /// impossible length is then refused as too large, not trapped on.
    static func saturatingSum(_ a: Int64, _ b: Int64) -> Int64 {
        let (sum, overflow) = a.addingReportingOverflow(b)
        return overflow ? .max : sum
    }

    /// A 64-hex digest from an ETag-like header value (quotes and a W/ prefix removed), else nil.
    static func sha256FromETag(_ value: String?) -> String? {
        guard var v = value?.trimmingCharacters(in: .whitespaces) else { return nil }
        if v.hasPrefix("W/") { v.removeFirst(2) }
        v = v.trimmingCharacters(in: CharacterSet(charactersIn: "\""))
        let lower = v.lowercased()
        guard SHA256Hasher.isHexDigest(lower) else { return nil }
        return lower
    }
}

/// URLSession delegate of one attempt. Every callback runs on the session's serial delegate
/// queue, so the mutable state below is touched by one thread at a time.
private final class DownloadDelegate: NSObject, URLSessionDataDelegate, @unchecked Sendable {
    let url: URL
    let handle: FileHandle
    let part: URL
    let timeout: TimeInterval
    let freeSpace: @Sendable (URL) -> Int64?
    /// The most bytes the file may have, and the cap's name (nil: no cap).
    let cap: (bytes: Int, name: String)?
    let progress: HTTPDownloader.ProgressHandler?
    /// Minimum time between two progress reports.
    static let reportInterval: TimeInterval = 0.1

    private let lock = NSLock()
    private var continuation: CheckedContinuation<HTTPDownloader.AttemptResult, Error>?
    private var task: URLSessionDataTask?

    private var hasher: SHA256Hasher
    private var resumedFrom: Int64
    private var written: Int64
    private var bytesThisRequest: Int64 = 0
    private var expectedTotal: Int64?
    private var status: Int?
    private var failure: ModelStoreError?
    private var rangeNotSatisfiableTotal: Int64??
    private var serverSHA256: String?
    private var serverSize: Int64?
    private let started = Stopwatch()
    /// When progress was last reported (`Stopwatch.now()` seconds).
    private var lastReport = -Double.infinity

    init(
        url: URL, handle: FileHandle, part: URL, offset: Int64, hasher: SHA256Hasher, timeout: TimeInterval,
        freeSpace: @escaping @Sendable (URL) -> Int64?, cap: (bytes: Int, name: String)?,
        progress: HTTPDownloader.ProgressHandler?
    ) {
        self.url = url
        self.handle = handle
        self.part = part
        self.timeout = timeout
        self.freeSpace = freeSpace
        self.cap = cap
        self.progress = progress
        self.hasher = hasher
        self.resumedFrom = offset
        self.written = offset
    }

    func start(task: URLSessionDataTask, continuation: CheckedContinuation<HTTPDownloader.AttemptResult, Error>) {
        lock.withLock {
            self.task = task
            self.continuation = continuation
        }
        task.resume()
    }

    private func tooLarge(_ cap: (bytes: Int, name: String), bytes: Int64, announced: Bool) -> ModelStoreError {
        .fileTooLarge(
            file: part.lastPathComponent.replacingOccurrences(of: ModelStore.partSuffix, with: ""),
            url: url.absoluteString, bytes: bytes, announced: announced, limit: cap.bytes, limitName: cap.name)
    }

    private func reject(_ error: ModelStoreError, _ dataTask: URLSessionTask) {
        if failure == nil { failure = error }
        dataTask.cancel()
    }

    // MARK: - URLSessionDataDelegate

    func urlSession(
        _ session: URLSession, task: URLSessionTask, willPerformHTTPRedirection response: HTTPURLResponse,
        newRequest request: URLRequest, completionHandler: @escaping @Sendable (URLRequest?) -> Void
    ) {
        // The hub answers /resolve/ of an LFS file with a redirect to its CDN that carries the
        // file's SHA-256 and size (huggingface_hub reads the same headers).
        if let sha = HTTPDownloader.sha256FromETag(response.value(forHTTPHeaderField: "X-Linked-Etag")) {
            serverSHA256 = sha
        }
        if let size = HTTPDownloader.parseSize(response.value(forHTTPHeaderField: "X-Linked-Size")) {
            serverSize = size
        }
        completionHandler(request)
    }

    func urlSession(
        _ session: URLSession, dataTask: URLSessionDataTask, didReceive response: URLResponse,
        completionHandler: @escaping @Sendable (URLSession.ResponseDisposition) -> Void
    ) {
        guard let http = response as? HTTPURLResponse else {
            reject(.network(url: url.absoluteString, message: "not an HTTP response"), dataTask)
            completionHandler(.allow)
            return
        }
        status = http.statusCode
        let encoded = http.value(forHTTPHeaderField: "Content-Encoding").map { $0.lowercased() != "identity" } ?? false
        let length: Int64? = (!encoded && http.expectedContentLength >= 0) ? http.expectedContentLength : nil
        switch http.statusCode {
        case 200:
            if written > 0 {
                // The server ignored the Range header: the body is the whole file, start over.
                do { try handle.truncate(atOffset: 0) } catch {
                    reject(
                        .fileSystem(path: part.path, message: "cannot truncate: \(error.localizedDescription)"),
                        dataTask)
                }
                hasher.reset()
                written = 0
                resumedFrom = 0
            }
            expectedTotal = length
        case 206:
            guard let value = http.value(forHTTPHeaderField: "Content-Range"),
                let range = HTTPDownloader.parseContentRange(value), let start = range.start
            else {
                reject(
                    .badRangeResponse(url: url.absoluteString, detail: "206 without a valid Content-Range"), dataTask)
                break
            }
            guard start == written else {
                reject(
                    .badRangeResponse(
                        url: url.absoluteString,
                        detail: "asked for bytes from \(written), server sent from \(start)"), dataTask)
                break
            }
            expectedTotal = range.total ?? length.map { HTTPDownloader.saturatingSum(written, $0) }
        case 416:
            let total = http.value(forHTTPHeaderField: "Content-Range").flatMap(HTTPDownloader.parseContentRange)?.total
            rangeNotSatisfiableTotal = .some(total)
            dataTask.cancel()
        case 404:
            reject(.notFound(url: url.absoluteString), dataTask)
        default:
            reject(.httpStatus(url: url.absoluteString, status: http.statusCode), dataTask)
        }
        // Before the first byte is written: refuse a small file announced over its cap.
        if failure == nil, status == 200 || status == 206, let cap, let total = expectedTotal ?? serverSize,
            total > Int64(cap.bytes)
        {
            reject(tooLarge(cap, bytes: total, announced: true), dataTask)
        }
        // Before the first byte is written: refuse a body the disk cannot hold (the part file
        // keeps what it has, so the fetch resumes once there is room).
        if failure == nil, status == 200 || status == 206, let total = expectedTotal ?? serverSize,
            let available = freeSpace(part)
        {
            let space = HTTPDownloader.spaceCheck(total: total, written: written, available: available)
            if !space.fits {
                reject(
                    .insufficientSpace(
                        file: part.lastPathComponent.replacingOccurrences(of: ModelStore.partSuffix, with: ""),
                        path: part.deletingLastPathComponent().path, needed: space.needed,
                        available: available), dataTask)
            }
        }
        completionHandler(.allow)
    }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive data: Data) {
        guard failure == nil, rangeNotSatisfiableTotal == nil, let status, status == 200 || status == 206 else {
            return
        }
        if let cap, written + Int64(data.count) > Int64(cap.bytes) {
            // Sent without a size, or past the size it announced: stop before writing it.
            reject(tooLarge(cap, bytes: Int64(cap.bytes), announced: false), dataTask)
            return
        }
        do { try handle.write(contentsOf: data) } catch {
            reject(.fileSystem(path: part.path, message: "write failed: \(error.localizedDescription)"), dataTask)
            return
        }
        hasher.update(data)
        written += Int64(data.count)
        bytesThisRequest += Int64(data.count)
        report(force: false)
    }

    private func report(force: Bool) {
        guard let progress else { return }
        let now = Stopwatch.now()
        guard force || now - lastReport >= Self.reportInterval else { return }
        lastReport = now
        let elapsed = now - started.start
        let rate = elapsed > 0 ? Double(bytesThisRequest) / elapsed : 0
        progress(written, expectedTotal ?? serverSize, resumedFrom, rate)
    }

    func urlSession(_ session: URLSession, task: URLSessionTask, didCompleteWithError error: Error?) {
        do { try handle.synchronize() } catch {}
        try? handle.close()
        let continuation: CheckedContinuation<HTTPDownloader.AttemptResult, Error>? = lock.withLock {
            defer { self.continuation = nil }
            return self.continuation
        }
        guard let continuation else { return }
        continuation.resume(with: Result { try outcome(error: error) })
    }

    private func outcome(error: Error?) throws -> HTTPDownloader.AttemptResult {
        let u = url.absoluteString
        if let failure { throw failure }
        if let total = rangeNotSatisfiableTotal { return .rangeNotSatisfiable(total: total) }
        if let error {
            let code = (error as? URLError)?.code
            if code == .timedOut { throw ModelStoreError.timedOut(url: u, seconds: timeout) }
            if code == .cancelled { throw ModelStoreError.cancelled }
            if code == .cannotFindHost || code == .dnsLookupFailed {
                throw ModelStoreError.hostNotFound(url: u, host: url.host ?? u)
            }
            let reason = (error as NSError).localizedDescription
            if status == 200 || status == 206 {
                throw ModelStoreError.interrupted(url: u, received: written, expected: expectedTotal, reason: reason)
            }
            throw ModelStoreError.network(url: u, message: reason)
        }
        guard status == 200 || status == 206 else {
            throw ModelStoreError.network(url: u, message: "no HTTP response")
        }
        if let expectedTotal, written != expectedTotal {
            throw ModelStoreError.interrupted(
                url: u, received: written, expected: expectedTotal,
                reason: "the response ended early")
        }
        report(force: true)
        return .complete(
            DownloadOutcome(
                size: written, sha256: hasher.finalizeHex(),
                serverSHA256: serverSHA256, serverSize: serverSize))
    }
}
