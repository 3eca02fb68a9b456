import Foundation

/// SHA-256 by coreutils `sha256sum`, an implementation independent of the one under test.
public enum ExternalSHA256 {
    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    /// The hex digest of `data`.
    public static func hex(_ data: Data) throws -> String {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("kp-sha-\(UUID().uuidString)")
        try data.write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["sha256sum", file.path]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let out = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0,
            let digest = String(decoding: out, as: UTF8.self).split(separator: " ").first
        else {
            throw Failure(description: "sha256sum failed with status \(process.terminationStatus)")
        }
        return String(digest)
    }
}
