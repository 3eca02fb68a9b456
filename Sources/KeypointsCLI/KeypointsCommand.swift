import ArgumentParser
import Foundation

@main
struct KeypointsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keypoints",
        abstract: "Find named keypoints in photos by visual prompting of CLIP (no training).",
        discussion: """
            A red circle is drawn at candidate locations and each marked image is scored with CLIP \
            against a prompt such as "This is the beak of a bird". Models are Hugging Face \
            openai/clip-vit-* directories (config.json, model.safetensors, vocab.json, merges.txt).
            """,
        version: SoftwareVersion.full,
        subcommands: [
            LocalizeCommand.self, EvalCommand.self, ReportCommand.self, SaliencyCommand.self, EmbedCommand.self,
            InfoCommand.self, BenchCommand.self, ExperimentCommand.self, ModelCommand.self,
        ]
    )

    /// Parses and runs; a first argument that is neither an option nor a subcommand is refused
    /// with the nearest subcommand name (ArgumentParser alone says "unexpected argument").
    static func main() async {
        let arguments = Array(CommandLine.arguments.dropFirst())
        if let first = arguments.first, !first.hasPrefix("-") {
            let names = configuration.subcommands.compactMap { $0.configuration.commandName } + ["help"]
            if !names.contains(first) {
                let nearest = names.min { editDistance($0, first) < editDistance($1, first) } ?? "localize"
                let hint = editDistance(nearest, first) <= max(2, first.count / 3) ? "did you mean '\(nearest)'? " : ""
                FileHandle.standardError.write(
                    Data(
                        "Error: unknown command '\(first)'; \(hint)commands: \(names.dropLast().joined(separator: ", ")) (keypoints --help)\n"
                            .utf8))
                Foundation.exit(64)
            }
        }
        do {
            var command = try parseAsRoot(arguments)
            if var asyncCommand = command as? AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            exit(withError: error)
        }
    }

    /// Levenshtein distance, for suggestions.
    static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a.lowercased())
        let b = Array(b.lowercased())
        if a.isEmpty || b.isEmpty { return max(a.count, b.count) }
        var previous = Array(0...b.count)
        for i in 1...a.count {
            var current = [i] + [Int](repeating: 0, count: b.count)
            for j in 1...b.count {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            previous = current
        }
        return previous[b.count]
    }
}
