import Foundation
import Testing

/// Every subcommand is registered and documents its main options (help snapshots in spirit: the
/// options a user looks for must be listed).
@Suite struct HelpTests {
    static let expectations: [(String, [String])] = [
        (
            "localize",
            [
                "--keypoint", "--vocabulary", "--grid", "--fit", "--box", "--crop-to-box", "--heatmap", "--overlay",
                "--scores", "--json", "--batch", "--threads", "--precision", "--montage", "--figure-max-side",
                "--common-scale", "--exif-transpose",
            ]
        ),
        (
            "eval",
            [
                "--dataset", "--root", "--method", "--alpha", "--limit", "--shard", "--out", "--json",
                "--visualize", "--figure-max-side", "--ci",
            ]
        ),
        ("report", ["--alpha", "--curve", "--compare", "--json", "--ci", "--ci-level", "--ci-resamples", "--ci-seed"]),
        ("embed", ["--image", "--text", "--json", "--model", "--exif-transpose"]),
        ("saliency", ["--model", "--tau", "--size", "--png", "--json", "--precision", "--exif-transpose"]),
        ("info", ["--model", "--json"]),
        ("bench", ["--arch", "--batch", "--localize", "--precision", "--json"]),
        ("experiment", ["--grid", "--reference", "--trials", "--keypoints"]),
        ("model", ["list", "fetch", "rm"]),
    ]

    @Test(arguments: expectations.map(\.0))
    func subcommandHelpListsItsOptions(command: String) throws {
        let r = try CLIRunner.run([command, "--help"])
        #expect(r.status == 0, "\(command): \(r.stderr)")
        let expected = Self.expectations.first { $0.0 == command }?.1 ?? []
        for option in expected { #expect(r.stdout.contains(option), "\(command) --help lacks \(option)") }
    }

    /// Issue 14: examples must not wrap inside a command at 80 columns, so a user can copy them.
    static let helpWidth = 80

    /// The lines of the help's example block: from the line starting "Example" up to the next
    /// blank line (the header itself included when an example follows it on the same line).
    static func exampleLines(_ help: String) -> [String] {
        let lines = help.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        guard let start = lines.firstIndex(where: { $0.hasPrefix("Example") }) else { return [] }
        var block = [lines[start]]
        for line in lines[(start + 1)...] {
            if line.trimmingCharacters(in: .whitespaces).isEmpty { break }
            block.append(line)
        }
        return block
    }

    @Test(arguments: expectations.map(\.0) + ["model fetch", "model list", "model rm"])
    func examplesSitOnTheirOwnLinesAt80Columns(command: String) throws {
        let arguments = command.split(separator: " ").map(String.init) + ["--help"]
        let narrow = try CLIRunner.run(arguments, environment: ["COLUMNS": "\(Self.helpWidth)"])
        let wide = try CLIRunner.run(arguments, environment: ["COLUMNS": "1000"])
        #expect(narrow.status == 0 && wide.status == 0, "\(command): \(narrow.stderr)")
        let examples = Self.exampleLines(wide.stdout)
        // Wrapping at 80 columns changes nothing in the block.
        #expect(Self.exampleLines(narrow.stdout) == examples, "\(command) --help: an example wraps at 80 columns")
        guard let header = examples.first else { return }
        #expect(header == "Example:" || header == "Examples:", "\(command): put the example on its own line")
        var continued = false
        for line in examples.dropFirst() {
            #expect(line.count <= Self.helpWidth, "\(command): \(line.count) columns: \(line)")
            if !continued {
                #expect(line.hasPrefix("  keypoints "), "\(command): an example line that is not a command: \(line)")
            }
            continued = line.hasSuffix("\\")
        }
        #expect(!continued, "\(command): the last example ends with a line continuation")
    }

    /// Every command's help has examples (model list, fetch and rm had none, while the README
    /// promised them for every command).
    @Test(arguments: expectations.map(\.0) + ["model fetch", "model list", "model rm"])
    func everyCommandHasExamples(command: String) throws {
        let r = try CLIRunner.run(command.split(separator: " ").map(String.init) + ["--help"])
        #expect(r.status == 0, "\(command): \(r.stderr)")
        #expect(Self.exampleLines(r.stdout).count > 1, "\(command) --help has no examples")
    }

    @Test func rootHelpListsEverySubcommand() throws {
        let r = try CLIRunner.run(["--help"])
        #expect(r.status == 0)
        for (command, _) in Self.expectations { #expect(r.stdout.contains(command), "root help lacks \(command)") }
    }

    /// --ci is shared by report and eval; only report has --compare, so only its --ci help
    /// mentions it (eval's said "with --compare" too).
    @Test func ciHelpMentionsCompareOnlyWhereThereIsOne() throws {
        let eval = try CLIRunner.run(["eval", "--help"])
        let report = try CLIRunner.run(["report", "--help"])
        #expect(eval.status == 0 && report.status == 0, "\(eval.stderr)\(report.stderr)")
        let evalHelp = eval.stdout.split(whereSeparator: \.isWhitespace).joined(separator: " ")
        let reportHelp = report.stdout.split(whereSeparator: \.isWhitespace).joined(separator: " ")
        #expect(evalHelp.contains("--ci Confidence intervals on every PCK figure"), "\(evalHelp)")
        #expect(!evalHelp.contains("--compare"), "\(evalHelp)")
        #expect(reportHelp.contains("with --compare, on each run's paired difference to the first"), "\(reportHelp)")
    }

    /// --mask is shared by localize and eval; a PNG mask is localize's alone, and eval's help says so.
    @Test func evalHelpOffersMaskFilesToLocalizeOnly() throws {
        let r = try CLIRunner.run(["eval", "--help"])
        #expect(r.status == 0, "\(r.stderr)")
        let flat = r.stdout.split(whereSeparator: \.isWhitespace).joined(separator: " ")
        #expect(flat.contains("or, in localize only, a PNG of the photo's size"), "\(flat)")
    }
}
