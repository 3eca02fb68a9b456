import Foundation
import KeypointsTestSupport

/// The CLI tests' view of the built executable: KeypointsExecutable plus this repository's paths.
enum CLIRunner {
    typealias Result = KeypointsExecutable.Result

    static var repositoryRoot: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
    }

    static var clipFixtures: URL { repositoryRoot.appendingPathComponent("Tests/CLIPTests/Fixtures") }

    static var executable: URL { KeypointsExecutable.url }

    static func run(_ arguments: [String], cwd: URL? = nil, environment: [String: String] = [:]) throws -> Result {
        try KeypointsExecutable.run(arguments, cwd: cwd, environment: environment)
    }

    static func tempDirectory() throws -> URL { try KeypointsExecutable.tempDirectory() }

    /// The executable as a process not yet started (for tests that signal it).
    static func process(_ arguments: [String], cwd: URL? = nil) -> Process {
        KeypointsExecutable.process(arguments, cwd: cwd)
    }
}
