import Foundation
import Testing

/// README "Use from Swift", examples/swift-library and the package manifest agree: the README's
/// program is the example's main.swift, character for character; its dependency lines are the
/// example's; the example imports only modules of the KeypointsKit product.
@Suite struct LibraryDocumentationTests {
    static let examplePath = "examples/swift-library/Sources/LocalizeBirdParts/main.swift"

    /// The bodies of the ```swift code blocks between the heading `## Use from Swift` and the next
    /// `## ` heading.
    static func swiftBlocks(_ readme: String) -> [String] {
        let lines = readme.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        guard let start = lines.firstIndex(where: { $0.hasPrefix("## Use from Swift") }) else { return [] }
        let end = lines[(start + 1)...].firstIndex { $0.hasPrefix("## ") } ?? lines.count
        var blocks: [String] = []
        var current: [String]? = nil
        for line in lines[(start + 1)..<end] {
            if current == nil, line == "```swift" {
                current = []
            } else if current != nil, line.hasPrefix("```") {
                blocks.append((current ?? []).joined(separator: "\n"))
                current = nil
            } else {
                current?.append(line)
            }
        }
        return blocks
    }

    /// The modules a Swift source imports (`import X` lines).
    static func imports(_ source: String) -> [String] {
        source.split(separator: "\n").compactMap { line in
            let words = line.split(separator: " ")
            return words.count == 2 && words[0] == "import" ? String(words[1]) : nil
        }
    }

    /// The target names of the library product `name` in a package manifest.
    static func libraryTargets(_ manifest: String, name: String) -> [String] {
        guard let product = manifest.range(of: "name: \"\(name)\""),
            let open = manifest.range(of: "targets: [", range: product.upperBound..<manifest.endIndex),
            let close = manifest.range(of: "]", range: open.upperBound..<manifest.endIndex)
        else { return [] }
        return manifest[open.upperBound..<close.lowerBound].split(separator: ",").map {
            $0.trimmingCharacters(in: .whitespacesAndNewlines).trimmingCharacters(in: CharacterSet(charactersIn: "\""))
        }.filter { !$0.isEmpty }
    }

    @Test func readmeProgramIsTheExample() throws {
        let blocks = Self.swiftBlocks(try Repository.text("README.md"))
        let example = try Repository.text(Self.examplePath)
        let programs = blocks.filter { !Self.imports($0).isEmpty }
        #expect(programs.count == 1, "README \"Use from Swift\" has one program block, found \(programs.count)")
        guard let program = programs.first else { return }
        let expected = example.hasSuffix("\n") ? String(example.dropLast()) : example
        if program != expected {
            let readmeLines = program.split(separator: "\n", omittingEmptySubsequences: false)
            let exampleLines = expected.split(separator: "\n", omittingEmptySubsequences: false)
            let first =
                zip(readmeLines, exampleLines).enumerated().first { $0.element.0 != $0.element.1 }?.offset
                ?? min(readmeLines.count, exampleLines.count)
            Issue.record(
                "README's program differs from \(Self.examplePath) at line \(first + 1): copy the file into the README")
        }
    }

    @Test func readmeDependencyLinesAreTheExamples() throws {
        let blocks = Self.swiftBlocks(try Repository.text("README.md"))
        let manifest = try Repository.text("examples/swift-library/Package.swift")
        let product = ".product(name: \"KeypointsKit\", package: \"keypoints\")"
        let dependency = ".package(name: \"keypoints\", path: \"../..\")"
        #expect(manifest.contains(product) && manifest.contains(dependency), "examples/swift-library/Package.swift")
        let setup = blocks.filter { Self.imports($0).isEmpty }
        #expect(setup.contains { $0.contains(product) }, "README names the product as \(product)")
        #expect(setup.contains { $0.contains(".package(name: \"keypoints\", path: ") }, "README's dependency line")
        // The product is the root manifest's library.
        #expect(!Self.libraryTargets(try Repository.text("Package.swift"), name: "KeypointsKit").isEmpty)
    }

    @Test func exampleImportsOnlyKeypointsKitModules() throws {
        let targets = Self.libraryTargets(try Repository.text("Package.swift"), name: "KeypointsKit")
        #expect(targets.contains("Localization") && targets.contains("CLIP"), "parsed \(targets)")
        let imports = Self.imports(try Repository.text(Self.examplePath))
        #expect(imports.contains("Localization"))
        for module in imports where module != "Foundation" {
            #expect(targets.contains(module), "the example imports \(module), which KeypointsKit does not export")
        }
    }

    @Test func examplesReadmeListsTheExample() throws {
        #expect(try Repository.text("examples/README.md").contains("swift-library/"))
    }
}
