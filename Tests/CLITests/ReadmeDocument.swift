import Foundation

/// The README as the documentation tests read it: its sections, and every `--option` it writes
/// with the `keypoints` command(s) it is attributed to.
///
/// Attribution rules (ReadmeOptionsTests):
/// - In fenced code blocks (not ```swift), an option belongs to the `keypoints CMD` before it on
///   its line, or on the line it continues (a line ending in `\`, or an indented synopsis line).
///   A shell separator (`|` between commands, `&&`, `;`, `>`, a `#` comment) ends a command, and a
///   quoted argument is a value unless it holds a `keypoints` command itself (`sbatch --wrap "…"`)
///   or is a shell variable's value starting with an option (`PAPER="--grid dense30 --fit crop"`,
///   given to commands as `$PAPER`), whose options belong to the section's commands (or any).
///   `keypoints WORD` with a WORD that is no command owns the options after it as command WORD,
///   so they fail the existence check instead of going unread (a renamed command).
///   Lines of other tools (`swift test --filter`, `sbatch --array`, `git`, scripts) hold no
///   `keypoints CMD`, so their options are not read.
/// - An inline code span is read the same way; one starting with a command's name (`eval
///   --visualize`, `model fetch`) is that command's; one starting with an option belongs to the
///   commands its section's heading names (`### `keypoints eval` and `keypoints report``), or to
///   any command in a section naming none; one starting with another word is another tool's.
/// - An option in prose outside code spans belongs to the section's commands (or any command).
struct ReadmeDocument {
    struct Section {
        /// 2 for `## `, 3 for `### `.
        let level: Int
        let heading: String
        /// Line indices of the heading and its text, up to the next heading of any level.
        let lines: Range<Int>
        /// Command paths (`localize`, `model fetch`) the heading names as `` `keypoints CMD` `` (a
        /// parent command names its subcommands); a heading naming none inherits the enclosing
        /// section's.
        let commands: [String]
    }

    /// Whose option a mention is.
    enum Owners: Equatable {
        /// One of these command paths ("" is `keypoints` itself).
        case commands([String])
        /// A section that names no command: some command must have it.
        case anyCommand
    }

    struct Mention {
        let option: String
        let owners: Owners
        /// 1-based line of the README.
        let line: Int
        let section: Section
        /// V of a synopsis's `[--option V]`, which writes the default (`[--seed 0]`).
        let bracketedValue: String?
        /// The word after the option in code (`--fit crop`, `--precision fp32|bf16`), if not an option.
        let value: String?
        /// The text after an option code span in prose, up to the next option span or sentence
        /// end (where "(default V)" is written).
        let followingProse: String?
    }

    let lines: [String]
    let sections: [Section]
    let mentions: [Mention]
    /// All command paths, longest first ("model fetch" before "model").
    let commandPaths: [String]

    /// The repository's README.md.
    static func load(commands: [String]) throws -> ReadmeDocument {
        let url = CLIRunner.repositoryRoot.appendingPathComponent("README.md")
        return ReadmeDocument(text: try String(contentsOf: url, encoding: .utf8), commands: commands)
    }

    init(text: String, commands: [String]) {
        lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        commandPaths = commands.sorted { $0.split(separator: " ").count > $1.split(separator: " ").count }
        // Fences (indented ones inside list items too) and headings outside them.
        var fenceInfo: [String?] = Array(repeating: nil, count: lines.count)
        var open: String? = nil
        var headings: [(index: Int, level: Int)] = []
        for (i, line) in lines.enumerated() {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.hasPrefix("```") {
                fenceInfo[i] = open ?? String(trimmed.dropFirst(3))
                open = open == nil ? String(trimmed.dropFirst(3)) : nil
                continue
            }
            fenceInfo[i] = open
            let level = line.prefix { $0 == "#" }.count
            if open == nil, level > 0, line.dropFirst(level).hasPrefix(" ") { headings.append((i, level)) }
        }
        var sections: [Section] = []
        var enclosing: [Section] = []
        for (n, heading) in headings.enumerated() {
            let end = n + 1 < headings.count ? headings[n + 1].index : lines.count
            enclosing.removeAll { $0.level >= heading.level }
            let title = lines[heading.index]
            let named = commands.filter { path in
                let parent = path.split(separator: " ").first.map(String.init) ?? path
                return !path.isEmpty
                    && (title.contains("`keypoints \(path)`") || title.contains("`keypoints \(parent)`"))
            }
            let section = Section(
                level: heading.level, heading: title, lines: heading.index..<end,
                commands: named.isEmpty ? (enclosing.last?.commands ?? []) : named)
            sections.append(section)
            enclosing.append(section)
        }
        self.sections = sections
        var mentions: [Mention] = []
        for section in sections {
            mentions += Self.mentions(in: section, lines: lines, fenceInfo: fenceInfo, commandPaths: commandPaths)
        }
        self.mentions = mentions
    }

    /// The text of every section attributed to `command` (its own heading or an enclosing one).
    func text(of command: String) -> String {
        sections.filter { $0.commands.contains(command) }.map { lines[$0.lines].joined(separator: "\n") }
            .joined(separator: "\n")
    }

    /// The text of the section `heading` up to its first subsection.
    func introduction(of heading: String) -> String {
        sections.first { $0.heading == heading }.map { lines[$0.lines].joined(separator: "\n") } ?? ""
    }

    // MARK: - Mentions

    private static func mentions(
        in section: Section, lines: [String], fenceInfo: [String?], commandPaths: [String]
    ) -> [Mention] {
        let sectionOwners: Owners = section.commands.isEmpty ? .anyCommand : .commands(section.commands)
        var found: [Mention] = []
        // Fenced blocks, line by line, a command continued on the next line.
        var carried: Owners? = nil
        var backslash = false
        var prose: [(line: Int, text: String)] = []
        for i in section.lines.dropFirst() {
            guard let info = fenceInfo[i] else {
                prose.append((i, lines[i]))
                carried = nil
                continue
            }
            let line = lines[i]
            if line.trimmingCharacters(in: .whitespaces).hasPrefix("```") || info.hasPrefix("swift") {
                carried = nil
                continue
            }
            let continues = carried != nil && (backslash || line.first?.isWhitespace == true)
            let words = Shell.tokens(line, comments: true)
            let result = Shell.options(
                words, initial: continues ? carried : nil, commandPaths: commandPaths, variableOwners: sectionOwners)
            for option in result.options {
                found.append(
                    Mention(
                        option: option.name, owners: option.owners, line: i + 1, section: section,
                        bracketedValue: option.bracketedValue, value: option.value, followingProse: nil))
            }
            carried = result.open
            backslash = line.hasSuffix("\\")
        }
        // Prose: code spans (which may run over a line break), then what lies outside them.
        let text = prose.map(\.text).joined(separator: "\n")
        let lineStarts = prose.map(\.line)
        func lineNumber(_ index: String.Index) -> Int {
            lineStarts[text[..<index].count { $0 == "\n" }] + 1
        }
        let spans = text.matches(of: /`([^`]+)`/).filter { !$0.1.contains("\n\n") }
        for (n, span) in spans.enumerated() {
            let words = Shell.tokens(String(span.1), comments: false)
            var initial: Owners? = nil
            var rest = words[...]
            if let first = words.first, case .word(let word) = first, word.hasPrefix("--") || word.hasPrefix("[--") {
                initial = sectionOwners
            } else if let (path, count) = Shell.commandPath(at: words[...], commandPaths: commandPaths) {
                initial = .commands([path])
                rest = words.dropFirst(count)
            }
            let result = Shell.options(Array(rest), initial: initial, commandPaths: commandPaths)
            // The prose after a lone option span, up to the next option span or the sentence's end.
            var following: String? = nil
            if result.options.count == 1, words.count <= 2 {
                let end = n + 1 < spans.count ? spans[n + 1].range.lowerBound : text.endIndex
                let after = String(text[span.range.upperBound..<end])
                following = after.components(separatedBy: ". ").first
            }
            for option in result.options {
                found.append(
                    Mention(
                        option: option.name, owners: option.owners, line: lineNumber(span.range.lowerBound),
                        section: section, bracketedValue: nil, value: option.value, followingProse: following))
            }
        }
        var outside = text
        for span in spans.reversed() {
            outside.replaceSubrange(span.range, with: String(repeating: " ", count: text[span.range].count))
        }
        for match in outside.matches(of: /(?:^|[\s(])(--[a-z0-9][a-z0-9-]*)/) {
            found.append(
                Mention(
                    option: String(match.1), owners: sectionOwners, line: lineNumber(match.range.lowerBound),
                    section: section, bracketedValue: nil, value: nil, followingProse: nil))
        }
        return found
    }
}

/// Just enough of a shell's words to tell which command an option is given to.
enum Shell {
    enum Token: Equatable {
        case word(String)
        case quoted(String)
        /// `|` (between commands), `||`, `&&`, `;`, `>`, `>>`, `<`, each a word of its own (a `;`
        /// ending a word is prose in a synopsis: `(redcircle; see localize)`).
        case separator
    }

    static let separators: Set<String> = ["|", "||", "&&", ";", ">", ">>", "<", "2>"]

    /// The words of `text`: quoted strings are one token; with `comments`, a word starting with
    /// `#` ends the line.
    static func tokens(_ text: String, comments: Bool) -> [Token] {
        var tokens: [Token] = []
        var word = ""
        var quote: Character? = nil
        func flush() {
            guard !word.isEmpty else { return }
            tokens.append(separators.contains(word) ? .separator : .word(word))
            word = ""
        }
        var characters = text.makeIterator()
        while let c = characters.next() {
            if let q = quote {
                if c == q {
                    tokens.append(.quoted(word))
                    word = ""
                    quote = nil
                } else {
                    word.append(c)
                }
            } else if c == "\"" || c == "'", word.isEmpty || word.hasSuffix("=") {
                if !word.isEmpty { flush() }
                quote = c
            } else if c.isWhitespace {
                flush()
            } else if comments, c == "#", word.isEmpty {
                break
            } else {
                word.append(c)
            }
        }
        if quote != nil { tokens.append(.quoted(word)) } else { flush() }
        // A `|` before an option or a bracket is a synopsis's alternative (`[--json | --csv]`).
        return tokens.enumerated().map { n, token in
            guard token == .separator, n + 1 < tokens.count, case .word(let next) = tokens[n + 1],
                next.hasPrefix("-") || next.hasPrefix("[") || next.hasPrefix("(")
            else { return token }
            return .word("|")
        }
    }

    /// The command path the words start with (`model fetch` as 2 words), if any.
    static func commandPath(at words: ArraySlice<Token>, commandPaths: [String]) -> (String, Int)? {
        for path in commandPaths where !path.isEmpty {
            let parts = path.split(separator: " ").map { Token.word(String($0)) }
            if words.count >= parts.count, Array(words.prefix(parts.count)) == parts { return (path, parts.count) }
        }
        return nil
    }

    struct Option {
        let name: String
        let owners: ReadmeDocument.Owners
        let bracketedValue: String?
        let value: String?
    }

    /// Whether `words[n]` starts a command: the first word, or after a separator, a `$` prompt or
    /// a variable assignment (`KEYPOINTS_THREADS=2 keypoints ...`).
    static func startsCommand(_ words: [Token], at n: Int) -> Bool {
        guard n > 0 else { return true }
        switch words[n - 1] {
        case .separator: return true
        case .word(let w): return w == "$" || w.contains("=")
        case .quoted: return false
        }
    }

    /// Whether `words[n]` is an option.
    static func isOption(_ words: [Token], at n: Int) -> Bool {
        guard n < words.count, case .word(let w) = words[n] else { return false }
        return w.hasPrefix("-")
    }

    /// The options in `words` with their owners: after `keypoints CMD` that command's, before any
    /// the `initial` owners' (nil: another tool's, not read); a separator ends a command. A quoted
    /// variable value starting with an option (`PAPER="--grid dense30"`) is read with
    /// `variableOwners` when given. `open` is the owner still in force at the end.
    static func options(
        _ words: [Token], initial: ReadmeDocument.Owners?, commandPaths: [String],
        variableOwners: ReadmeDocument.Owners? = nil
    ) -> (options: [Option], open: ReadmeDocument.Owners?) {
        var owners = initial
        var found: [Option] = []
        var n = 0
        while n < words.count {
            defer { n += 1 }
            switch words[n] {
            case .separator:
                owners = nil
            case .quoted(let text):
                if text.contains("keypoints ") {
                    found += options(tokens(text, comments: false), initial: nil, commandPaths: commandPaths).options
                } else if let variableOwners, n > 0, case .word(let name) = words[n - 1], name.hasSuffix("="),
                    text.hasPrefix("--")
                {
                    found +=
                        options(tokens(text, comments: false), initial: variableOwners, commandPaths: commandPaths)
                        .options
                }
            case .word(let word):
                if word == "keypoints" || word.hasSuffix("/keypoints") {
                    if let (path, count) = commandPath(at: words[(n + 1)...], commandPaths: commandPaths) {
                        owners = .commands([path])
                        n += count
                    } else if n + 1 < words.count, case .word(let next) = words[n + 1], !next.hasPrefix("-") {
                        // Not a command: a misspelling shown (`keypoints locallize`), the word in
                        // a sentence (output: "keypoints are in the stored frame"), or a renamed
                        // command, whose options are its own (which no definition has) when it
                        // starts the command line or an option follows it.
                        if Self.startsCommand(words, at: n) || Self.isOption(words, at: n + 2) {
                            owners = .commands([next])
                            n += 1
                        } else {
                            owners = nil
                        }
                    } else {
                        owners = .commands([""])
                    }
                    continue
                }
                guard let owners, let match = word.firstMatch(of: /^[\[(]*(--[a-z0-9][a-z0-9-]*)/) else { continue }
                var value: String? = nil
                var bracketed: String? = nil
                // A value follows the option's own word (not `--fit,` in a sentence).
                let alone = word.drop { $0 == "[" || $0 == "(" } == match.1
                if alone, n + 1 < words.count, case .word(let next) = words[n + 1], !next.hasPrefix("-"),
                    !next.hasPrefix("[")
                {
                    value = String(next.prefix { $0 != "]" && $0 != ")" })
                    if word.hasPrefix("["), next.hasSuffix("]") { bracketed = value }
                }
                found.append(Option(name: String(match.1), owners: owners, bracketedValue: bracketed, value: value))
            }
        }
        return (found, owners)
    }
}
