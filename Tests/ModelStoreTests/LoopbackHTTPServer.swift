import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A tiny HTTP/1.1 file server on 127.0.0.1 (port chosen by the kernel) for the fetch tests,
/// serving files in the hub's layout (`/ORG/NAME/resolve/main/FILE`) with Range support and
/// injectable faults. One thread per connection, `Connection: close` on every response, 5 s
/// socket timeouts, and `stop()` closes the listener, so no test can hang on it. Nothing
/// leaves the loopback interface.
final class LoopbackHTTPServer: @unchecked Sendable {
    struct Request: Sendable {
        let method: String
        let path: String
        /// Header names lower-cased.
        let headers: [String: String]
    }

    /// Faults keyed by request path.
    struct Faults: Sendable {
        /// Answer 404 although the file exists.
        var notFound: Set<String> = []
        /// Flip the bits of the byte at this offset in every response.
        var corruptByteAt: [String: Int] = [:]
        /// On the first request for the path, send the headers (full Content-Length) and this
        /// many body bytes, then close the connection.
        var closeAfterFirst: [String: Int] = [:]
        /// On the first request, send this many body bytes and then nothing until the client
        /// hangs up (or `stallSeconds` pass, then close): the stall ends on the client's timeout,
        /// however late that fires, not at a time chosen here.
        var stallAfterFirst: [String: Int] = [:]
        var stallSeconds: Double = 30
        /// Answer 200 with the whole file even when a Range is asked for.
        var ignoreRange: Set<String> = []
        /// Answer like the hub for an LFS file: 302 to `/cdn<path>` with `X-Linked-Etag: "<sha>"`
        /// and `X-Linked-Size`; the file is then served from `/cdn<path>`.
        var lfsRedirect: [String: String] = [:]
        /// With `lfsRedirect`: this X-Linked-Size value instead of the file's size.
        var linkedSize: [String: String] = [:]
        /// Send the body without a Content-Length, ended by closing the connection (HTTP/1.0
        /// style, as some proxies do).
        var noContentLength: Set<String> = []
    }

    let port: UInt16
    var baseURL: String { "http://127.0.0.1:\(port)" }

    private let listener: Int32
    private let files: [String: Data]
    private let faults: Faults
    private let lock = NSLock()
    private var log: [Request] = []
    private var counts: [String: Int] = [:]
    private var stopped = false

    /// - Parameter files: Body by URL path, e.g. "/org/tiny/resolve/main/config.json".
    init(files: [String: Data], faults: Faults = Faults()) throws {
        self.files = files
        self.faults = faults
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw ServerError("socket: \(String(cString: strerror(errno)))") }
        var yes: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(0).bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard bound == 0, listen(fd, 16) == 0 else {
            close(fd)
            throw ServerError("bind/listen on 127.0.0.1: \(String(cString: strerror(errno)))")
        }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        listener = fd
        port = UInt16(bigEndian: address.sin_port)
        let thread = Thread { [self] in acceptLoop() }
        thread.start()
    }

    deinit { stop() }

    /// Closes the listening socket; connection threads end within their timeouts.
    func stop() {
        let wasStopped = lock.withLock { () -> Bool in
            defer { stopped = true }
            return stopped
        }
        guard !wasStopped else { return }
        shutdown(listener, Int32(SHUT_RDWR))
        close(listener)
    }

    var requests: [Request] { lock.withLock { log } }

    func requests(for path: String) -> [Request] { requests.filter { $0.path == path } }

    private var isStopped: Bool { lock.withLock { stopped } }

    // MARK: - Serving

    private func acceptLoop() {
        while true {
            let client = accept(listener, nil, nil)
            if client < 0 {
                if errno == EINTR && !isStopped { continue }
                return
            }
            var timeout = timeval(tv_sec: 5, tv_usec: 0)
            setsockopt(client, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
            setsockopt(client, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
            Thread { [self] in
                handle(client)
                close(client)
            }.start()
        }
    }

    private func handle(_ fd: Int32) {
        guard let request = readRequest(fd) else { return }
        let count: Int = lock.withLock {
            log.append(request)
            counts[request.path, default: 0] += 1
            return counts[request.path] ?? 1
        }
        let path = request.path
        if let sha = faults.lfsRedirect[path], let body = files[path] {
            respond(
                fd, status: "302 Found",
                headers: [
                    "Location": "/cdn" + path, "X-Linked-Etag": "\"\(sha)\"",
                    "X-Linked-Size": faults.linkedSize[path] ?? "\(body.count)",
                ], body: Data())
            return
        }
        let filePath = path.hasPrefix("/cdn/") ? String(path.dropFirst(4)) : path
        guard var body = files[filePath], !faults.notFound.contains(path) else {
            respond(
                fd, status: "404 Not Found", headers: ["Content-Type": "text/plain"], body: Data("Entry not found".utf8)
            )
            return
        }
        if let i = faults.corruptByteAt[path], i < body.count { body[i] ^= 0xFF }

        var status = "200 OK"
        var headers = ["Content-Type": "application/octet-stream", "Accept-Ranges": "bytes"]
        if let range = request.headers["range"], !faults.ignoreRange.contains(path) {
            guard let (start, endInclusive) = Self.parseRange(range, size: body.count) else {
                respond(
                    fd, status: "416 Range Not Satisfiable", headers: ["Content-Range": "bytes */\(body.count)"],
                    body: Data())
                return
            }
            status = "206 Partial Content"
            headers["Content-Range"] = "bytes \(start)-\(endInclusive)/\(body.count)"
            body = body.subdata(in: start..<(endInclusive + 1))
        }
        if faults.noContentLength.contains(path) {
            sendHead(fd, status: status, headers: headers)
            sendAll(fd, body)
            shutdown(fd, Int32(SHUT_RDWR))
            return
        }
        headers["Content-Length"] = "\(body.count)"
        if count == 1, let n = faults.closeAfterFirst[path] {
            sendHead(fd, status: status, headers: headers)
            sendAll(fd, body.prefix(n))
            shutdown(fd, Int32(SHUT_RDWR))
            return
        }
        if count == 1, let n = faults.stallAfterFirst[path] {
            sendHead(fd, status: status, headers: headers)
            sendAll(fd, body.prefix(n))
            // The cap is read on the monotonic clock: a wall-clock step must not end or stretch it.
            let until = ContinuousClock.now.advanced(by: .seconds(faults.stallSeconds))
            while ContinuousClock.now < until && !isStopped && !Self.peerClosed(fd) { usleep(20_000) }
            return
        }
        sendHead(fd, status: status, headers: headers)
        sendAll(fd, body)
    }

    /// True once the client has closed the connection (end of file, or an error other than "no
    /// data yet", on a peek that takes nothing).
    private static func peerClosed(_ fd: Int32) -> Bool {
        var byte: UInt8 = 0
        let n = recv(fd, &byte, 1, Int32(MSG_PEEK | MSG_DONTWAIT))
        return n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
    }

    /// "bytes=N-" or "bytes=N-M" -> (N, min(M, size-1)); nil when N is past the end.
    static func parseRange(_ value: String, size: Int) -> (Int, Int)? {
        guard value.hasPrefix("bytes=") else { return nil }
        let parts = value.dropFirst(6).split(separator: "-", maxSplits: 1, omittingEmptySubsequences: false)
        guard parts.count == 2, let start = Int(parts[0]), start < size else { return nil }
        let end = parts[1].isEmpty ? size - 1 : min(size - 1, Int(parts[1]) ?? size - 1)
        return start <= end ? (start, end) : nil
    }

    private func readRequest(_ fd: Int32) -> Request? {
        var buffer = [UInt8]()
        var chunk = [UInt8](repeating: 0, count: 4096)
        let terminator: [UInt8] = [13, 10, 13, 10]
        while buffer.count < 65_536 {
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            guard n > 0 else { return nil }
            buffer.append(contentsOf: chunk[0..<n])
            if buffer.count >= 4,
                (0...(buffer.count - 4)).contains(where: { Array(buffer[$0..<($0 + 4)]) == terminator })
            {
                break
            }
        }
        let text = String(decoding: buffer, as: UTF8.self)
        let lines = text.components(separatedBy: "\r\n")
        let first = lines[0].split(separator: " ")
        guard first.count >= 2 else { return nil }
        var headers: [String: String] = [:]
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(
                in: .whitespaces)
        }
        return Request(method: String(first[0]), path: String(first[1]), headers: headers)
    }

    private func respond(_ fd: Int32, status: String, headers: [String: String], body: Data) {
        var h = headers
        h["Content-Length"] = "\(body.count)"
        sendHead(fd, status: status, headers: h)
        sendAll(fd, body)
    }

    private func sendHead(_ fd: Int32, status: String, headers: [String: String]) {
        var head = "HTTP/1.1 \(status)\r\nConnection: close\r\n"
        for (k, v) in headers.sorted(by: { $0.key < $1.key }) { head += "\(k): \(v)\r\n" }
        head += "\r\n"
        sendAll(fd, Data(head.utf8))
    }

    private func sendAll(_ fd: Int32, _ data: Data) {
        data.withUnsafeBytes { (raw: UnsafeRawBufferPointer) in
            guard let base = raw.baseAddress else { return }
            var sent = 0
            while sent < raw.count {
                let n = send(fd, base + sent, raw.count - sent, Int32(MSG_NOSIGNAL))
                if n <= 0 { return }
                sent += n
            }
        }
    }

    struct ServerError: Error, CustomStringConvertible {
        let description: String
        init(_ d: String) { description = d }
    }
}
