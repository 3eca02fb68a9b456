import Foundation
import Testing

/// Issue 14: the README's set-up works as root and as a user, and CI runs exactly the README's
/// test command.
@Suite struct SetupDocumentationTests {
    static var readme: String {
        get throws {
            try String(
                contentsOf: CLIRunner.repositoryRoot.appendingPathComponent("README.md"), encoding: .utf8)
        }
    }

    /// The lines of the `sh` code blocks between the heading `## Set-up` and the next `## `
    /// heading, block by block.
    static func setupBlocks(_ readme: String) -> [[String]] {
        let lines = readme.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        guard let start = lines.firstIndex(where: { $0.hasPrefix("## Set-up") }) else { return [] }
        let end = lines[(start + 1)...].firstIndex { $0.hasPrefix("## ") } ?? lines.count
        var blocks: [[String]] = []
        var current: [String]? = nil
        for line in lines[(start + 1)..<end] {
            if current == nil, line.hasPrefix("```sh") {
                current = []
            } else if current != nil, line.hasPrefix("```") {
                blocks.append(current ?? [])
                current = nil
            } else {
                current?.append(line)
            }
        }
        return blocks
    }

    @Test func setupCommandsWorkAsRootAndAsAUser() throws {
        let blocks = Self.setupBlocks(try Self.readme)
        #expect(blocks.count >= 2, "the Set-up section has the main-job block and the test block")
        guard let main = blocks.first else { return }
        #expect(main.joined().contains("apt-get install"), "the main-job block installs the packages")
        for line in main {
            // Each command of the line (split at && and ;) must not start with sudo: a root shell
            // (containers, CI images) has none.
            let commands = line.components(separatedBy: "&&").flatMap { $0.components(separatedBy: ";") }
            for command in commands {
                let words = command.split(separator: " ")
                #expect(words.first != "sudo", "bare sudo in the README's set-up: \(line)")
            }
        }
    }

    @Test func ciRunsExactlyTheReadmeTestCommand() throws {
        let blocks = Self.setupBlocks(try Self.readme)
        let readmeTests = blocks.dropFirst().first?.filter { !$0.isEmpty } ?? []
        #expect(readmeTests.count == 1, "one test command in the README: \(readmeTests)")
        guard let command = readmeTests.first else { return }
        let script = try String(
            contentsOf: CLIRunner.repositoryRoot.appendingPathComponent(".ci/run"), encoding: .utf8)
        let commands = script.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty && !$0.hasPrefix("#") }
        #expect(commands.filter { $0 == command }.count == 1, ".ci/run does not run `\(command)` exactly once")
        // No other form of it (extra flags, filters) that would make CI differ from the README.
        let tool = command.split(separator: " ").prefix(2).joined(separator: " ")
        #expect(commands.filter { $0.hasPrefix(tool) }.count == 1, ".ci/run runs \(tool) in another form too")
    }
}
