import ArgumentParser
import Foundation
import Testing

@testable import KeypointsCLI

/// The command line as ArgumentParser defines it, read in-process (`_dumpHelp()`, the JSON that
/// `--experimental-dump-help` prints): every command path and its long options.
struct CommandLineDefinition {
    struct Option {
        let name: String
        /// ArgumentParser's default, else the "(default V" its help text writes (an optional
        /// option whose default is computed, such as `--ci-level`).
        let defaultValue: String?
        /// The values an enumeration option takes (`--precision`: fp32, bf16), else empty.
        let choices: [String]
    }

    /// Options by command path: "" is `keypoints` itself, then "localize", "model fetch", ...
    let commands: [String: [String: Option]]

    private struct ToolInfo: Decodable { let command: CommandInfo }
    private struct CommandInfo: Decodable {
        let commandName: String
        let subcommands: [CommandInfo]?
        let arguments: [ArgumentInfo]?
    }
    private struct ArgumentInfo: Decodable {
        struct Name: Decodable {
            let kind: String
            let name: String
        }
        let names: [Name]?
        let defaultValue: String?
        let abstract: String?
        let allValues: [String]?
    }

    init(_ type: ParsableArguments.Type) throws {
        let info = try JSONDecoder().decode(ToolInfo.self, from: Data(type._dumpHelp().utf8))
        var commands: [String: [String: Option]] = [:]
        func add(_ command: CommandInfo, path: [String]) {
            var options: [String: Option] = [:]
            for argument in command.arguments ?? [] {
                let stated = argument.abstract?.firstMatch(of: /\(default:? ([^),;]+)/).map { String($0.1) }
                for name in argument.names ?? [] where name.kind == "long" {
                    options["--" + name.name] = Option(
                        name: "--" + name.name, defaultValue: argument.defaultValue ?? stated,
                        choices: argument.allValues ?? [])
                }
            }
            commands[path.joined(separator: " ")] = options
            // ArgumentParser's own `help` command is not ours to document.
            for sub in command.subcommands ?? [] where !(path.isEmpty && sub.commandName == "help") {
                add(sub, path: path + [sub.commandName])
            }
        }
        add(info.command, path: [])
        self.commands = commands
    }

    /// `option` of each of `owners`' commands that has it.
    func options(_ option: String, of owners: ReadmeDocument.Owners) -> [Option] {
        switch owners {
        case .anyCommand: commands.values.compactMap { $0[option] }
        case .commands(let paths): paths.compactMap { commands[$0]?[option] }
        }
    }
}

/// The README documents every option of every command, in that command's section, and every
/// `--option` it attributes to `keypoints` exists there, with the default the code has (see
/// ReadmeDocument for how an option is attributed to a command).
@Suite struct ReadmeOptionsTests {
    /// `--help` and `--version` are ArgumentParser's, on every command.
    static let builtins: Set<String> = ["--help", "--version"]

    /// Option groups shared by many commands, documented once in the section with this heading.
    static let sharedGroups: [(group: ParsableArguments.Type, heading: String)] = [
        (ComputeOptions.self, "## Commands")
    ]

    static func load() throws -> (CommandLineDefinition, ReadmeDocument) {
        let definition = try CommandLineDefinition(KeypointsCommand.self)
        return (definition, try ReadmeDocument.load(commands: Array(definition.commands.keys)))
    }

    static func describe(_ owners: ReadmeDocument.Owners) -> String {
        switch owners {
        case .anyCommand: "any keypoints command"
        case .commands(let paths):
            paths.map { "keypoints \($0)".trimmingCharacters(in: .whitespaces) }
                .joined(separator: " or ")
        }
    }

    static func location(_ mention: ReadmeDocument.Mention) -> String {
        "README.md:\(mention.line) (section \(mention.section.heading))"
    }

    @Test func everyOptionIsDocumentedInItsCommandsSection() throws {
        let (definition, readme) = try Self.load()
        var shared: [String: String] = [:]
        for (group, heading) in Self.sharedGroups {
            let options = try CommandLineDefinition(group).commands[""]?.keys.map { $0 } ?? []
            for option in options { shared[option] = readme.introduction(of: heading) }
        }
        for (command, options) in definition.commands.sorted(by: { $0.key < $1.key }) where !command.isEmpty {
            let text = readme.text(of: command)
            let headings = readme.sections.filter { $0.commands.contains(command) }.map(\.heading)
            #expect(!text.isEmpty, "README.md has no section whose heading names `keypoints \(command)`")
            for option in options.keys.sorted() where !Self.builtins.contains(option) {
                let documented =
                    Self.mentions(option, in: text) || shared[option].map { Self.mentions(option, in: $0) } == true
                #expect(
                    documented,
                    "keypoints \(command) \(option) is not documented in README.md's section \(headings.joined(separator: ", "))"
                )
            }
        }
    }

    @Test func everyOptionTheReadmeWritesExists() throws {
        let (definition, readme) = try Self.load()
        #expect(readme.mentions.count > 100, "README.md: no options found; has its layout changed?")
        for mention in readme.mentions {
            let exists = !definition.options(mention.option, of: mention.owners).isEmpty
            #expect(
                exists,
                "\(Self.location(mention)): \(mention.option) is not an option of \(Self.describe(mention.owners))")
        }
    }

    /// A default the README writes, as `[--option V]` in a synopsis or "`--option` ... (default V"
    /// in prose, is the code's (numbers only: words such as "the grid preset's" are prose).
    @Test func defaultsTheReadmeWritesAreTheCodes() throws {
        let (definition, readme) = try Self.load()
        var checked = 0
        for mention in readme.mentions {
            let written =
                mention.bracketedValue
                ?? mention.followingProse?.firstMatch(of: /\bdefault:?\s+([0-9][0-9.]*)/).map { String($0.1) }
            guard let written, let value = Double(written.trimmingCharacters(in: CharacterSet(charactersIn: ".")))
            else { continue }
            let defaults = definition.options(mention.option, of: mention.owners).compactMap(\.defaultValue)
            #expect(
                defaults.contains { Double($0) == value },
                "\(Self.location(mention)): \(mention.option) default \(written); the code's: \(defaults)")
            checked += 1
        }
        #expect(checked > 10, "README.md: few defaults found (\(checked)); has its layout changed?")
    }

    /// A value the README gives an enumeration option in code (`--fit crop`, `--backend
    /// openblas|onednn|invariant`, `--dataset cub\\|spair` in a table) is one of its values;
    /// words with capitals are placeholders (`--split SPLIT`).
    @Test func valuesTheReadmeWritesAreTheChoices() throws {
        let (definition, readme) = try Self.load()
        var checked = 0
        for mention in readme.mentions {
            guard let value = mention.value else { continue }
            let choices = definition.options(mention.option, of: mention.owners).map(\.choices).filter { !$0.isEmpty }
            guard !choices.isEmpty else { continue }
            let parts = value.replacingOccurrences(of: "\\|", with: "|").split(separator: "|").map(String.init)
            for part in parts where !part.contains(where: \.isUppercase) {
                #expect(
                    choices.contains { $0.contains(part) },
                    "\(Self.location(mention)): \(mention.option) \(part) is not one of \(Set(choices.joined()).sorted().joined(separator: ", "))"
                )
                checked += 1
            }
        }
        #expect(checked > 20, "README.md: few option values found (\(checked)); has its layout changed?")
    }

    /// Whether `text` holds `option` as a whole option (`--seed` is not in `--seeds` or `--ci-seed`).
    static func mentions(_ option: String, in text: String) -> Bool {
        text.ranges(of: option).contains { range in
            let before = range.lowerBound == text.startIndex ? nil : text[text.index(before: range.lowerBound)]
            let after = range.upperBound == text.endIndex ? nil : text[range.upperBound]
            func isNamePart(_ c: Character?) -> Bool { c.map { $0.isLetter || $0.isNumber || $0 == "-" } ?? false }
            return !isNamePart(before) && !isNamePart(after)
        }
    }
}
