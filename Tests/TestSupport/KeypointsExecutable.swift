import Foundation

/// Runs the built `keypoints` executable from tests and captures its output. `swift test` builds
/// every product into the folder of the test bundle (.build/<triple>/<config>/), so the
/// executable is found next to the running test process.
public enum KeypointsExecutable {
    public struct Result: Sendable {
        public let status: Int32
        public let stdout: String
        public let stderr: String
        public var stdoutData: Data { Data(stdout.utf8) }
    }

    /// The `keypoints` executable beside the test bundle.
    public static var url: URL {
        let me =
            (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        return URL(fileURLWithPath: me).deletingLastPathComponent().appendingPathComponent("keypoints")
    }

    /// A configured, not yet started process (for tests that signal it).
    public static func process(_ arguments: [String], cwd: URL? = nil, environment: [String: String] = [:]) -> Process {
        let p = Process()
        p.executableURL = url
        p.arguments = arguments
        if let cwd { p.currentDirectoryURL = cwd }
        p.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        return p
    }

    /// Runs to completion; stdout and stderr are read concurrently so that a large output cannot
    /// block the child.
    public static func run(_ arguments: [String], cwd: URL? = nil, environment: [String: String] = [:]) throws -> Result
    {
        let p = process(arguments, cwd: cwd, environment: environment)
        let out = Pipe()
        let err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        nonisolated(unsafe) var errData = Data()
        let group = DispatchGroup()
        group.enter()
        DispatchQueue.global().async {
            errData = err.fileHandleForReading.readDataToEndOfFile()
            group.leave()
        }
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        group.wait()
        p.waitUntilExit()
        return Result(
            status: p.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
            stderr: String(decoding: errData, as: UTF8.self))
    }

    /// A new empty folder under the system's temporary directory.
    public static func tempDirectory(prefix: String = "kp-cli") throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("\(prefix)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }
}
