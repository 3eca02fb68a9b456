import Foundation
import Testing

/// The Swift names the README writes in code spans (`PCKReport.addingIntervals`,
/// `CLIPBundle.load(directory:)`, `PCKBootstrap`, `LocalizationLimits.promptsPerKeypoint`) exist in
/// this repository: the type (or module, target or test suite), the member in a file that
/// declares or extends the type, and the argument labels on one of its declarations.
@Suite struct ReadmeSwiftNamesTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    /// Names of other software the README cites, which a rename here cannot make stale.
    static let external: [String: String] = [
        "AlwaysUseLowerCamelCase": "a swift-format rule",
        "CLIPImageProcessor": "a transformers class",
        "ViTModel": "a transformers class",
        "Image.open": "Pillow",
        "Image.getexif()": "Pillow",
        "Sendable": "the Swift standard library",
        "SystemRandomNumberGenerator": "the Swift standard library",
    ]

    /// A span that is a Swift reference: `Type`, `Type(labels)`, `Type.member`,
    /// `Type.member(labels:)`, `Type().member(labels:)`.
    struct Reference {
        let text: String
        let type: String
        let initializerLabels: [String]?
        let member: String?
        let memberLabels: [String]?

        init?(_ text: String) {
            guard
                let m = text.wholeMatch(
                    of: /([A-Z][A-Za-z0-9]*)(\([^()]*\))?(?:\.([a-z][A-Za-z0-9]*)(\([^()]*\))?)?/)
            else { return nil }
            // A file name (`Package.swift`, `FILE.png`) is not a member.
            if let member = m.3, m.4 == nil, m.2 == nil,
                ["swift", "png", "jpg", "json", "jsonl", "txt", "csv", "py", "sh", "md", "svg"].contains(member)
            {
                return nil
            }
            // `CUB`, `PAPER`: capitals alone are placeholders, unless a member follows (`BLAS.threads`).
            guard m.3 != nil || m.1.contains(where: \.isLowercase) else { return nil }
            self.text = text
            type = String(m.1)
            initializerLabels = m.2.map { Self.labels(String($0)) }
            member = m.3.map(String.init)
            memberLabels = m.4.map { Self.labels(String($0)) }
        }

        /// `(directory:)` → ["directory"]; `(operand: .f32)` → ["operand"]; `(_:)` → ["_"].
        static func labels(_ list: String) -> [String] {
            list.dropFirst().dropLast().split(separator: ",").compactMap { part in
                let p = part.trimmingCharacters(in: .whitespaces)
                guard let colon = p.firstIndex(of: ":") else { return nil }
                return String(p[..<colon])
            }
        }
    }

    /// The repository's Swift sources (Sources, Tests, Fuzz, examples), by path.
    static func swiftFiles() throws -> [String: String] {
        var files: [String: String] = [:]
        for folder in ["Sources", "Tests", "Fuzz/Sources", "examples"] {
            let root = repository.appendingPathComponent(folder)
            guard let walker = FileManager.default.enumerator(at: root, includingPropertiesForKeys: nil) else {
                continue
            }
            for case let url as URL in walker {
                if url.lastPathComponent == ".build" { walker.skipDescendants() }
                if url.pathExtension == "swift" { files[url.path] = try String(contentsOf: url, encoding: .utf8) }
            }
        }
        return files
    }

    /// Module, target and product names: folders of Sources and Tests, `name: "…"` in manifests.
    static func moduleNames() throws -> Set<String> {
        var names: Set<String> = []
        for folder in ["Sources", "Tests", "Fuzz/Sources"] {
            let url = repository.appendingPathComponent(folder)
            names.formUnion((try? FileManager.default.contentsOfDirectory(atPath: url.path)) ?? [])
        }
        for manifest in ["Package.swift", "Fuzz/Package.swift"] {
            let text = try String(contentsOf: repository.appendingPathComponent(manifest), encoding: .utf8)
            names.formUnion(text.matches(of: /name: "([A-Za-z0-9]+)"/).map { String($0.1) })
        }
        return names
    }

    /// The argument labels of each declaration `func name(...)` (or `init(...)` for "init") in
    /// `source`, parameters spanning lines included.
    static func declarationLabels(_ name: String, in source: String) -> [[String]] {
        let head = name == "init" ? "init" : "func \(name)"
        var result: [[String]] = []
        for range in source.ranges(of: head) {
            var i = range.upperBound
            guard i < source.endIndex else { continue }
            if name != "init", source[i].isLetter || source[i].isNumber { continue }  // `func nameSuffix`
            if source[i] == "?" { i = source.index(after: i) }  // init?
            if i < source.endIndex, source[i] == "<", let close = source[i...].firstIndex(of: ">") {
                i = source.index(after: close)
            }
            guard i < source.endIndex, source[i] == "(" else { continue }
            var depth = 0
            var parameters: [String] = []
            var current = ""
            for c in source[i...] {
                if c == "(" || c == "[" { depth += 1 }
                if c == ")" || c == "]" { depth -= 1 }
                if depth == 0 { break }
                if depth == 1, c == "," {
                    parameters.append(current)
                    current = ""
                } else if !(depth == 1 && c == "(") {
                    current.append(c)
                }
            }
            parameters.append(current)
            result.append(
                parameters.compactMap { p in
                    let words = p.split(whereSeparator: { $0.isWhitespace || $0 == ":" })
                    return p.contains(":") ? words.first.map(String.init) : nil
                })
        }
        return result
    }

    @Test func swiftNamesInTheReadmeExist() throws {
        let readme = try String(contentsOf: Self.repository.appendingPathComponent("README.md"), encoding: .utf8)
        // Prose only: fenced blocks (the example program) are compiled by LibraryExampleTests.
        var prose: [Substring] = []
        var fenced = false
        for line in readme.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.trimmingCharacters(in: .whitespaces).hasPrefix("```") {
                fenced.toggle()
            } else if !fenced {
                prose.append(line)
            }
        }
        let references = prose.joined(separator: "\n").matches(of: /`([^`\n]+)`/).compactMap { Reference(String($0.1)) }
        #expect(references.count > 50, "README.md: few Swift names found (\(references.count))")
        let files = try Self.swiftFiles()
        let modules = try Self.moduleNames()
        var typeFiles: [String: [String]] = [:]
        for (path, source) in files {
            for m in source.matches(
                of: /(?:struct|class|enum|actor|protocol|typealias|extension)\s+([A-Z][A-Za-z0-9]*)/)
            {
                typeFiles[String(m.1), default: []].append(path)
            }
        }
        for reference in references where Self.external[reference.text] == nil {
            if reference.member == nil, reference.initializerLabels == nil, modules.contains(reference.type) {
                continue
            }
            guard let paths = typeFiles[reference.type], Self.external[reference.type] == nil else {
                #expect(
                    Self.external[reference.type] != nil,
                    "README.md names `\(reference.text)`: no type \(reference.type) in Sources, Tests, Fuzz or examples"
                )
                continue
            }
            let sources = Set(paths).compactMap { files[$0] }
            if let labels = reference.initializerLabels, !labels.isEmpty {
                let found = sources.flatMap { Self.declarationLabels("init", in: $0) }
                #expect(
                    found.contains { Self.contains($0, labels) },
                    "README.md names `\(reference.text)`: \(reference.type) has no init with labels \(labels): \(found)"
                )
            }
            guard let member = reference.member else { continue }
            // `func m`, `var m`, `let m`, `case m` or `case a, m` (members are letters and digits).
            let declaration = try Regex(
                "\\b(func|var|let|case)\\s+\(member)\\b|\\bcase\\s+[A-Za-z0-9_, ]*,\\s*\(member)\\b")
            let declared = sources.contains { $0.firstMatch(of: declaration) != nil }
            #expect(
                declared, "README.md names `\(reference.text)`: no member \(member) where \(reference.type) is declared"
            )
            if declared, let labels = reference.memberLabels, !labels.isEmpty {
                let found = sources.flatMap { Self.declarationLabels(member, in: $0) }
                #expect(
                    found.contains { Self.contains($0, labels) },
                    "README.md names `\(reference.text)`: \(reference.type).\(member) has no labels \(labels): \(found)"
                )
            }
        }
    }

    /// Whether `labels` appear in `declared` in order (the others have defaults, e.g.
    /// `load(directory:)` of `load(directory:backend:)`).
    static func contains(_ declared: [String], _ labels: [String]) -> Bool {
        var rest = declared[...]
        for label in labels {
            guard let i = rest.firstIndex(of: label) else { return false }
            rest = rest[(i + 1)...]
        }
        return true
    }
}
