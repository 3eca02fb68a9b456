import Testing

/// Every subcommand is registered and documents its main options (help snapshots in spirit: the
/// options a user looks for must be listed).
@Suite struct HelpTests {
    static let expectations: [(String, [String])] = [
        (
            "localize",
            [
                "--keypoint", "--vocabulary", "--grid", "--fit", "--box", "--crop-to-box", "--heatmap", "--overlay",
                "--scores", "--json", "--batch", "--threads", "--precision",
            ]
        ),
        ("eval", ["--dataset", "--root", "--method", "--alpha", "--limit", "--shard", "--out", "--json"]),
        ("report", ["--alpha", "--curve", "--compare", "--json"]),
        ("embed", ["--image", "--text", "--json", "--model"]),
        ("saliency", ["--model", "--tau", "--size", "--png", "--json", "--precision"]),
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

    @Test func rootHelpListsEverySubcommand() throws {
        let r = try CLIRunner.run(["--help"])
        #expect(r.status == 0)
        for (command, _) in Self.expectations { #expect(r.stdout.contains(command), "root help lacks \(command)") }
    }
}
