import ArgumentParser
import Foundation
import Imaging
import Testing

@testable import KeypointsCLI

/// `--prompt ensemble` and comma lists (the paper's visual-prompt ensemble on keypoints): parsing,
/// the prompt they build, and localize/eval end to end on the random-weight test model.
@Suite struct PromptEnsembleOptionTests {
    static let side = 336

    static func prompt(_ arguments: [String], base: VisualPrompt = .paper) throws -> VisualPrompt {
        try PromptOptions.parse(arguments).visualPrompt(base: base, presetMarker: .paper, inputSide: side)
    }

    @Test("--prompt ensemble is the paper's three: circle, circle+blur, circle+grey with the blur sigma")
    func ensembleIsThePapersThree() throws {
        #expect(try Self.prompt(["--prompt", "ensemble"]) == .paperEnsemble(.paper, sigma: PromptOptions.blurSigma))
        #expect(try Self.prompt(["--prompt", " Ensemble "]) == .paperEnsemble(.paper, sigma: PromptOptions.blurSigma))
    }

    @Test("the marker switches apply to every member")
    func markerSwitchesApplyToEachMember() throws {
        let p = try Self.prompt(["--prompt", "ensemble", "--marker", "square", "--color", "blue", "--radius", "30px"])
        let style = MarkerStyle(shape: .square, color: RGB(0, 0, 255), radius: 30, thickness: 3, units: .pixels)
        #expect(p == .paperEnsemble(style, sigma: PromptOptions.blurSigma), "\(p)")
    }

    @Test(
        "comma lists name an ensemble of those prompts in order; one item is that prompt alone",
        arguments: [
            ("circle,circle+grey", VisualPrompt.ensemble([.paper, .markerGreyOutside(.paper)])),
            (
                "circle+grey, circle+blur",
                .ensemble([.markerGreyOutside(.paper), .markerBlurOutside(.paper, sigma: PromptOptions.blurSigma)])
            ),
            ("circle+blur", .markerBlurOutside(.paper, sigma: PromptOptions.blurSigma)),
            ("circle", .paper),
        ])
    func commaLists(text: String, expected: VisualPrompt) throws {
        #expect(try Self.prompt(["--prompt", text]) == expected)
        #expect(try PromptOptions.parse(["--prompt", text]).promptMemberCount(base: .paper) == expected.members.count)
    }

    @Test(
        "bad lists are refused with a message naming --prompt and the bad item",
        arguments: [
            ("circle,", "an empty item"), ("circle,,circle+grey", "an empty item"), ("square", "'square'"),
            ("circle,ensemble", "'ensemble' stands alone"), ("circle,circle", "lists circle twice"),
            ("", "an empty item"),
        ])
    func badLists(text: String, reason: String) {
        #expect {
            _ = try PromptOptions.parse(["--prompt", text])
        } throws: { error in
            let message = PromptOptions.message(for: error)
            return message.contains("--prompt") && message.contains(reason)
        }
    }

    @Test("without --prompt nothing changes; without marker switches the preset's prompt is kept")
    func unsetKeepsThePreset() throws {
        let preset = VisualPrompt.markerGreyOutside(MarkerStyle(shape: .cross))
        #expect(try Self.prompt([], base: preset) == preset)
        #expect(try PromptOptions.parse([]).promptMemberCount(base: .paper) == 1)
    }

    @Test("marker switches without --prompt keep a preset's ensemble and change each member's marker")
    func markerSwitchesKeepThePresetsEnsemble() throws {
        let base = VisualPrompt.ensemble([.markerBlurOutside(.paper, sigma: 3), .crop(.pixels(64))])
        let p = try Self.prompt(["--color", "blue"], base: base)
        var blue = MarkerStyle.paper
        blue.color = RGB(0, 0, 255)
        #expect(p == .ensemble([.markerBlurOutside(blue, sigma: 3), .crop(.pixels(64))]), "\(p)")
        #expect(try PromptOptions.parse([]).promptMemberCount(base: base) == 2)
        #expect(try PromptOptions.parse(["--prompt", "circle"]).promptMemberCount(base: base) == 1)
    }

    @Test("marker switches without --prompt are refused when the preset's prompt draws no marker")
    func markerSwitchesOnACropPresetAreRefused() throws {
        for base in [VisualPrompt.crop(.standard), .ensemble([.crop(.pixels(64)), .crop(.fraction(0.5))])] {
            #expect {
                try Self.prompt(["--color", "blue"], base: base)
            } throws: { error in
                "\(error)".contains("--color") && "\(error)".contains("draws none") && "\(error)".contains("--prompt")
            }
        }
        // With --prompt the switches draw the new prompt's marker; a mixed ensemble keeps its crop.
        var blue = MarkerStyle.paper
        blue.color = RGB(0, 0, 255)
        #expect(try Self.prompt(["--prompt", "circle", "--color", "blue"], base: .crop(.standard)) == .marker(blue))
        let mixed = VisualPrompt.ensemble([.paper, .crop(.standard)])
        #expect(try Self.prompt(["--color", "blue"], base: mixed) == .ensemble([.marker(blue), .crop(.standard)]))
    }

    // MARK: - End to end

    static var model: String { AblationSwitchTests.model }
    static var bird: String { AblationSwitchTests.bird }

    struct Output: Decodable {
        struct Image: Decodable { let passes: Int }
        let images: [Image]
        let visual_prompt: String
    }

    @Test("localize --prompt ensemble: 3 passes per location, the prompt recorded, every member's image saved")
    func localizeWithTheEnsemble() throws {
        let dir = try CLIRunner.tempDirectory()
        let run = { (extra: [String]) in
            try CLIRunner.run(
                ["localize", Self.bird, "--model", Self.model, "--keypoint", "beak", "--grid", "dense30", "--json"]
                    + extra, cwd: CLIRunner.repositoryRoot)
        }
        let plain = try run([])
        let ensemble = try run(["--prompt", "ensemble", "--save-marked", dir.path, "--heatmap", dir.path])
        #expect(plain.status == 0 && ensemble.status == 0, "\(ensemble.stderr)")
        let a = try JSONDecoder().decode(Output.self, from: plain.stdoutData)
        let b = try JSONDecoder().decode(Output.self, from: ensemble.stdoutData)
        #expect(a.images[0].passes == 900 && b.images[0].passes == 2700)
        #expect(b.visual_prompt.hasPrefix("ensemble of 3 (mean score): [marker circle"), "\(b.visual_prompt)")
        #expect(b.visual_prompt.contains("blur outside") && b.visual_prompt.contains("grey outside"))
        let files = try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted()
        #expect(
            files == ["bird_beak.png", "bird_beak_marked_1.png", "bird_beak_marked_2.png", "bird_beak_marked_3.png"])
        let images = try (1...3).map {
            try ImageCodec.decode(contentsOf: dir.appendingPathComponent("bird_beak_marked_\($0).png")).rgb
        }
        #expect(images[0] != images[1] && images[1] != images[2] && images[0] != images[2])
        let bad = try run(["--prompt", "circle,star"])
        #expect(
            bad.status != 0 && bad.stderr.contains("--prompt expects") && bad.stderr.contains("'star'"), "\(bad.stderr)"
        )
    }

    /// A one-stage 4 x 4 preset with the paper's marker and `visualPrompt` (JSON), written as
    /// `grid4.json` in `dir`.
    static func writeGrid(_ visualPrompt: String, in dir: URL) throws -> URL {
        let grid = dir.appendingPathComponent("grid4.json")
        try Data(
            #"""
            {"name": "grid4", "stages": [{"grid": 4}], "fit": "pad",
             "marker": {"shape": "circle", "color": [255, 0, 0], "radius": 0.06, "thickness": 0.01, "units": "fraction"},
             "visual_prompt": \#(visualPrompt)}
            """#.utf8
        ).write(to: grid)
        return grid
    }

    @Test("a grid preset's visual_prompt ensemble is scored and saved like --prompt ensemble")
    func presetEnsemble() throws {
        let dir = try CLIRunner.tempDirectory()
        let grid = try Self.writeGrid(
            #"{"type": "ensemble", "prompts": [{"type": "marker"}, {"type": "markerGreyOutside"}]}"#, in: dir)
        let marked = dir.appendingPathComponent("marked")
        let r = try CLIRunner.run(
            [
                "localize", Self.bird, "--model", Self.model, "--keypoint", "beak", "--grid", grid.path, "--json",
                "--save-marked", marked.path,
            ], cwd: CLIRunner.repositoryRoot)
        #expect(r.status == 0, "\(r.stderr)")
        let out = try JSONDecoder().decode(Output.self, from: r.stdoutData)
        #expect(out.images[0].passes == 32 && out.visual_prompt.hasPrefix("ensemble of 2"), "\(out.visual_prompt)")
        let files = try FileManager.default.contentsOfDirectory(atPath: marked.path).sorted()
        #expect(files == ["bird_beak_marked_1.png", "bird_beak_marked_2.png"])
    }

    @Test("localize's table names a preset's visual_prompt unless it is the plain marker")
    func tableNamesThePresetsPrompt() throws {
        func firstLine(_ visualPrompt: String) throws -> String {
            let dir = try CLIRunner.tempDirectory()
            let grid = try Self.writeGrid(visualPrompt, in: dir)
            let r = try CLIRunner.run(
                ["localize", Self.bird, "--model", Self.model, "--keypoint", "beak", "--grid", grid.path],
                cwd: CLIRunner.repositoryRoot)
            #expect(r.status == 0, "\(r.stderr)")
            return r.stdout.components(separatedBy: "\n")[0]
        }
        // 16 locations x 2 members: the line says why there are 32 passes.
        let ensemble = try firstLine(
            #"{"type": "ensemble", "prompts": [{"type": "marker"}, {"type": "markerGreyOutside"}]}"#)
        #expect(
            ensemble.contains("32 passes")
                && ensemble.hasSuffix(
                    ", grid grid4, ensemble of 2 (mean score): marker, marker + grey outside; "
                        + "marker circle rgb(255,0,0) r 0.06H t 0.01H"
                ),
            "\(ensemble)")
        let grey = try firstLine(#"{"type": "markerGreyOutside"}"#)
        #expect(grey.hasSuffix(", grid grid4, marker circle rgb(255,0,0) r 0.06H t 0.01H, grey outside"), "\(grey)")
        // The preset's own marker spelt out: the line stays as without a visual_prompt.
        let plain = try firstLine(#"{"type": "marker"}"#)
        #expect(plain.contains("16 passes") && plain.hasSuffix(", grid grid4"), "\(plain)")
    }

    @Test("localize and eval refuse marker switches on a crop preset before loading the model")
    func markerSwitchesOnACropPresetFailEarly() throws {
        let dir = try CLIRunner.tempDirectory()
        let grid = try Self.writeGrid(#"{"type": "crop", "fraction": 0.3}"#, in: dir)
        let cub = CLIRunner.repositoryRoot.appendingPathComponent("Tests/EvaluationTests/Fixtures/cub/CUB_200_2011")
        // A model folder that does not exist: the refusal must come before it is looked for.
        let missing = dir.appendingPathComponent("no-model").path
        for command in [
            ["localize", Self.bird, "--keypoint", "beak"],
            ["eval", "--dataset", "cub", "--root", cub.path, "--split", "all", "--limit", "1"],
        ] {
            let r = try CLIRunner.run(
                command + ["--model", missing, "--grid", grid.path, "--marker", "square"], cwd: CLIRunner.repositoryRoot
            )
            #expect(r.status != 0, "\(command[0])")
            #expect(
                r.stderr.contains("--marker, --color, --radius and --thickness change a marker")
                    && r.stderr.contains("crop of the photo") && !r.stderr.contains("no-model"),
                "\(command[0]): \(r.stderr)")
        }
        let drawn = try CLIRunner.run(
            [
                "localize", Self.bird, "--keypoint", "beak", "--model", Self.model, "--grid", grid.path, "--marker",
                "square", "--prompt", "circle", "--json",
            ], cwd: CLIRunner.repositoryRoot)
        #expect(drawn.status == 0, "\(drawn.stderr)")
        let out = try JSONDecoder().decode(Output.self, from: drawn.stdoutData)
        #expect(out.visual_prompt.hasPrefix("marker square"), "\(out.visual_prompt)")
    }

    @Test("eval --prompt circle,circle+grey records the ensemble in its results header and counts its passes")
    func evalRecordsTheEnsemble() throws {
        let dir = try CLIRunner.tempDirectory()
        let out = dir.appendingPathComponent("r.jsonl")
        let cub = CLIRunner.repositoryRoot.appendingPathComponent("Tests/EvaluationTests/Fixtures/cub/CUB_200_2011")
        let r = try CLIRunner.run(
            [
                "eval", "--dataset", "cub", "--root", cub.path, "--split", "all", "--limit", "1", "--model",
                Self.model, "--grid", "dense30", "--prompt", "circle,circle+grey", "--out", out.path,
            ], cwd: CLIRunner.repositoryRoot)
        #expect(r.status == 0, "\(r.stderr)")
        let lines = String(decoding: try Data(contentsOf: out), as: UTF8.self).split(separator: "\n")
        let header = try JSONSerialization.jsonObject(with: Data(try #require(lines.first).utf8)) as? [String: Any]
        let settings = try #require(header?["settings"] as? [String: String])
        #expect(settings["visual_prompt"]?.hasPrefix("ensemble of 2 (mean score)") == true, "\(settings)")
        let record = try JSONSerialization.jsonObject(with: Data(try #require(lines.last).utf8)) as? [String: Any]
        #expect(record?["passes"] as? Int == 1800, "\(String(describing: record))")
    }

    @Test("report --compare heads an ensemble's column with its short label; the JSON keeps the full description")
    func compareLabelsTheEnsembleShortly() throws {
        let dir = try CLIRunner.tempDirectory()
        let cub = CLIRunner.repositoryRoot.appendingPathComponent("Tests/EvaluationTests/Fixtures/cub/CUB_200_2011")
        let files = try [
            ("plain", [String]()), ("ensemble", ["--prompt", "ensemble"]),
            ("blue", ["--prompt", "ensemble", "--color", "blue"]),
        ].map { name, extra in
            let out = dir.appendingPathComponent("\(name).jsonl").path
            let r = try CLIRunner.run(
                [
                    "eval", "--dataset", "cub", "--root", cub.path, "--split", "all", "--limit", "1", "--model",
                    Self.model,
                ]
                    + extra + ["--out", out], cwd: CLIRunner.repositoryRoot)
            #expect(r.status == 0, "\(r.stderr)")
            return out
        }
        let table = try CLIRunner.run(["report", "--compare"] + files.prefix(2), cwd: CLIRunner.repositoryRoot)
        #expect(table.status == 0, "\(table.stderr)")
        let heading = table.stdout.components(separatedBy: "\n")[1]
        #expect(
            heading.hasSuffix("redcircle (visual_prompt ensemble of 3: circle, circle+blur, circle+grey)")
                && heading.contains("redcircle (visual_prompt marker circle rgb(255,0,0) r 0.06H t 0.01H)"),
            "\(heading)")
        let json = try CLIRunner.run(
            ["report", "--compare", "--json"] + files.prefix(2), cwd: CLIRunner.repositoryRoot)
        let object = try JSONSerialization.jsonObject(with: json.stdoutData) as? [String: Any]
        let runs = try #require(object?["runs"] as? [[String: Any]])
        let settings = try #require(runs.last?["settings"] as? [String: String])
        #expect(
            settings["visual_prompt"]?.hasPrefix("ensemble of 3 (mean score): [marker circle rgb(255,0,0)") == true,
            "\(settings)")
        #expect((runs.last?["label"] as? String)?.hasSuffix("circle+grey)") == true, "\(runs)")
        // Ensembles differing only in colour share a short label: their full descriptions tell them apart.
        let colours = try CLIRunner.run(["report", "--compare"] + files.suffix(2), cwd: CLIRunner.repositoryRoot)
        let headings = colours.stdout.components(separatedBy: "\n")[1]
        #expect(
            colours.status == 0
                && headings.contains("visual_prompt ensemble of 3 (mean score): [marker circle rgb(255,0,0)")
                && headings.contains("[marker circle rgb(0,0,255)"), "\(headings) \(colours.stderr)")
    }
}
