import Foundation
import KeypointsTestSupport
import Testing

/// Paths and checks shared by the hostile-input tests (issue 15). Every case runs the built
/// executable and checks: exit status, a one-line error naming the file and the limit, no
/// quoted file contents, under `timeLimit` seconds and `memoryLimitMB` resident.
enum Hostile {
    static var repositoryRoot: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
    }
    static var tinyModel: URL {
        repositoryRoot.appendingPathComponent("Tests/CLIPTests/Fixtures/models/tiny-quickgelu")
    }
    static var birdJPEG: URL { repositoryRoot.appendingPathComponent("Tests/CLIPTests/Fixtures/images/bird.jpg") }
    static var cub: URL { repositoryRoot.appendingPathComponent("Tests/EvaluationTests/Fixtures/cub/CUB_200_2011") }

    /// The budget per case.
    static let timeLimit = 2.0
    static let memoryLimitMB = 200.0

    static func temporaryFolder() throws -> URL { try KeypointsExecutable.tempDirectory(prefix: "kp-hostile") }

    /// A writable copy of the tiny test model.
    static func modelCopy() throws -> URL {
        let dir = try temporaryFolder().appendingPathComponent("model")
        try FileManager.default.copyItem(at: tinyModel, to: dir)
        return dir
    }

    /// Rewrites a JSON object file through `edit`.
    static func editJSON(_ url: URL, _ edit: (inout [String: Any]) -> Void) throws {
        var object = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
        edit(&object)
        try JSONSerialization.data(withJSONObject: object).write(to: url)
    }

    /// Runs the executable from the repository root and checks the budget (CPU seconds, peak
    /// resident memory of the child).
    @discardableResult
    static func run(
        _ arguments: [String], timeLimit: Double = Hostile.timeLimit,
        memoryLimitMB: Double = Hostile.memoryLimitMB
    ) throws -> KeypointsExecutable.MeasuredResult {
        // The budget is CPU time (other builds and tests share the cores); wall time only
        // catches hangs, which use no CPU (a blocked open on a FIFO).
        let r = try KeypointsExecutable.runMeasured(arguments, cwd: repositoryRoot, timeLimit: max(30, 10 * timeLimit))
        #expect(!r.timedOut, "killed after \(r.seconds) s: \(arguments)")
        #expect(r.cpuSeconds < timeLimit, "\(r.cpuSeconds) s CPU (limit \(timeLimit) s): \(arguments)")
        // Zero would mean the measurement read nothing (and every memory bound passed unread).
        #expect(r.peakResidentMB > 0, "no peak resident memory measured: \(arguments)")
        #expect(
            r.peakResidentMB < memoryLimitMB,
            "\(r.peakResidentMB) MB resident (limit \(memoryLimitMB) MB): \(arguments)")
        return r
    }

    /// Exit status of argument errors (ArgumentParser's EX_USAGE), which add usage lines.
    static let usageError: Int32 = 64

    /// Expects `status` (1: a runtime error) and one error line on stderr containing every part.
    static func expectOneLineError(
        _ r: KeypointsExecutable.MeasuredResult, _ parts: [String], status: Int32 = 1,
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        #expect(r.status == status, "status \(r.status), stderr: \(r.stderr)", sourceLocation: sourceLocation)
        let errors = r.stderr.split(separator: "\n").filter { $0.hasPrefix("Error:") || $0.hasPrefix("error:") }
        #expect(errors.count == 1, "stderr: \(r.stderr)", sourceLocation: sourceLocation)
        let line = errors.first.map(String.init) ?? ""
        for p in parts { #expect(line.contains(p), "missing \"\(p)\" in: \(line)", sourceLocation: sourceLocation) }
    }
}
