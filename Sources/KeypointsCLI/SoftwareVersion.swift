import Foundation

/// The software version shown by `--version` and recorded in results headers and JSON outputs.
///
/// SwiftPM cannot generate a source file at build time without a plugin, so the release is a
/// committed constant (bumped with each release), and the git commit is asked of `git describe`
/// at run time when the executable sits inside a git checkout (as `swift build` leaves it in
/// `.build/`). An installed copy outside a checkout reports the release alone.
enum SoftwareVersion {
    /// Bumped by hand at each release.
    static let release = "0.4.0"

    /// `git describe --always --dirty` of the checkout holding the executable, if any.
    static let gitDescription: String? = {
        let exe = URL(
            fileURLWithPath: (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
                ?? CommandLine.arguments[0])
        var dir = exe.deletingLastPathComponent()
        var checkout: URL?
        while dir.path != "/" {
            if FileManager.default.fileExists(atPath: dir.appendingPathComponent(".git").path) {
                checkout = dir
                break
            }
            dir = dir.deletingLastPathComponent()
        }
        guard let checkout else { return nil }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["git", "-C", checkout.path, "describe", "--always", "--dirty", "--abbrev=12"]
        let out = Pipe()
        p.standardOutput = out
        p.standardError = FileHandle.nullDevice
        do { try p.run() } catch { return nil }
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        guard p.terminationStatus == 0 else { return nil }
        let text = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        return text.isEmpty ? nil : text
    }()

    /// "0.4.0" or "0.4.0 (git 3dc71ef0a1b2-dirty)".
    static var full: String { release + (gitDescription.map { " (git \($0))" } ?? "") }
}
