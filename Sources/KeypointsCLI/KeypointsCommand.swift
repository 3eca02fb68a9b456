import ArgumentParser
import Foundation
import KeypointsSupport

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
    /// with the nearest subcommand name (ArgumentParser alone says "unexpected argument"), and so
    /// is the second argument of a command that has subcommands (`keypoints model fecth`).
    static func main() async {
        let arguments = Array(CommandLine.arguments.dropFirst())
        if let message = unknownSubcommand(in: arguments, of: Self.self, path: []) {
            FileHandle.standardError.write(Data("Error: \(message.displaySafe)\n".utf8))
            Foundation.exit(64)
        }
        var command: ParsableCommand
        do { command = try parseAsRoot(arguments) } catch {
            exitDisplaySafe(withError: error, fromParser: true, arguments: arguments)
        }
        do {
            if var asyncCommand = command as? AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            exitDisplaySafe(withError: error, fromParser: false, arguments: arguments)
        }
    }

    /// `exit(withError:)` with the printed text made display-safe (`displaySafe`): the arguments
    /// and the files they name are outside text. A runtime error (`fromParser` false, and none of
    /// ArgumentParser's own) is one line, escaped whole, so a line feed in a path that an error of
    /// Foundation quotes stays inside it; ArgumentParser's messages (an error, then usage lines)
    /// are escaped line by line, an argument they quote kept in its one line
    /// (`displaySafeFullMessage`). Help and version text go to stdout unchanged.
    static func exitDisplaySafe(withError error: Error, fromParser: Bool, arguments: [String]) -> Never {
        let code = exitCode(for: error)
        if code == .success { exit(withError: error) }
        let ownError = fromParser || error is ValidationError || error is ExitCode || error is CleanExit
        let text =
            ownError
            ? displaySafeFullMessage(for: error, arguments: arguments) : "Error: " + message(for: error).displaySafe
        if !text.isEmpty { FileHandle.standardError.write(Data((text + "\n").utf8)) }
        Foundation.exit(code.rawValue)
    }

    /// ArgumentParser's text for `error` (the error, then usage and help lines) display-safe,
    /// line by line, after every argument holding a line feed (or the value after `=` of an
    /// `--option=value`) is escaped where the text quotes it ('value', as ArgumentParser quotes):
    /// the value stays in its one line ("The value 'a\\nb' is invalid"), and ArgumentParser's own
    /// lines (a list of the values an option takes, usage) stay lines.
    static func displaySafeFullMessage(for error: Error, arguments: [String]) -> String {
        var text = fullMessage(for: error)
        let values = arguments.flatMap { argument -> [String] in
            guard argument.hasPrefix("-"), let equals = argument.firstIndex(of: "=") else { return [argument] }
            return [argument, String(argument[argument.index(after: equals)...])]
        }
        // Longest first: a value may hold another.
        let spanning = Set(values.filter { $0.unicodeScalars.contains("\n") }).sorted { $0.count > $1.count }
        for value in spanning { text = text.replacingOccurrences(of: "'\(value)'", with: "'\(value.displaySafe)'") }
        return text.split(separator: "\n", omittingEmptySubsequences: false).map(\.displaySafe).joined(separator: "\n")
    }

    /// Why `arguments` do not start with a subcommand of `command` (which has subcommands), with
    /// the nearest name; nil when they do, or start with an option.
    static func unknownSubcommand(
        in arguments: [String], of command: ParsableCommand.Type, path: [String]
    ) -> String? {
        let subcommands = command.configuration.subcommands
        guard !subcommands.isEmpty, let first = arguments.first, !first.hasPrefix("-") else { return nil }
        if let match = subcommands.first(where: { $0.configuration.commandName == first }) {
            return unknownSubcommand(in: Array(arguments.dropFirst()), of: match, path: path + [first])
        }
        let names = subcommands.compactMap { $0.configuration.commandName }
        // ArgumentParser's `help` command exists at the top level only (`keypoints help model fetch`).
        let builtins = path.isEmpty ? ["help"] : []
        if builtins.contains(first) { return nil }
        let hint = Spelling.nearest(to: first, among: names + builtins).map { "did you mean '\($0)'? " } ?? ""
        let kind = path.isEmpty ? "command" : path.joined(separator: " ") + " command"
        let help = (["keypoints"] + path + ["--help"]).joined(separator: " ")
        return "unknown \(kind) '\(first)'; \(hint)commands: \(names.joined(separator: ", ")) (\(help))"
    }
}
