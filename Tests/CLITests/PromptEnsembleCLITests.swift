import Foundation
import Testing

/// `--template` given several times (CLIP's prompt ensembling) on `localize` and `eval`, and the
/// results files of builds before ensembles, which must still resume.
@Suite struct PromptEnsembleCLITests {
    static var model: String { CLIRunner.clipFixtures.appendingPathComponent("models/tiny-quickgelu").path }
    static var bird: String { CLIRunner.clipFixtures.appendingPathComponent("images/bird.jpg").path }
    static var cub: String {
        CLIRunner.repositoryRoot.appendingPathComponent("Tests/EvaluationTests/Fixtures/cub/CUB_200_2011").path
    }
    static let templates = ["This is the {part} of a bird", "a photo of the {part} of a bird"]

    struct Output: Decodable {
        struct Image: Decodable { let keypoints: [Keypoint] }
        struct Keypoint: Decodable {
            let name: String
            let prompt: String?
            let prompts: [String]?
            let score: Float
        }
        let images: [Image]
        let template: String?
        let templates: [String]?
    }

    func localize(_ extra: [String], cwd: URL = CLIRunner.repositoryRoot) throws -> CLIRunner.Result {
        try CLIRunner.run(["localize", Self.bird, "--model", Self.model, "--grid", "fast"] + extra, cwd: cwd)
    }

    /// The settings of a results file's header line.
    func headerSettings(_ url: URL) throws -> [String: String] {
        let header = try #require(
            String(decoding: try Data(contentsOf: url), as: UTF8.self).split(separator: "\n").first)
        let json = try JSONSerialization.jsonObject(with: Data(header.utf8)) as? [String: Any]
        return try #require(json?["settings"] as? [String: String])
    }

    @Test func twoTemplatesMakeAnEnsembleShownInJSONAndTheHeader() throws {
        let ensemble = Self.templates.flatMap { ["--template", $0] }
        let free = try localize(["--keypoint", "beak", "--keypoint", "left eye", "--json"] + ensemble)
        #expect(free.status == 0, "\(free.stderr)")
        let out = try JSONDecoder().decode(Output.self, from: free.stdoutData)
        #expect(out.templates == Self.templates && out.template == nil)
        #expect(
            out.images[0].keypoints.map(\.prompts) == [
                ["This is the beak of a bird", "a photo of the beak of a bird"],
                ["This is the left eye of a bird", "a photo of the left eye of a bird"],
            ])
        #expect(out.images[0].keypoints.allSatisfy { $0.prompt == nil })

        // The ensemble scores differently from either template alone.
        for t in Self.templates {
            let alone = try localize(["--keypoint", "beak", "--keypoint", "left eye", "--json", "--template", t])
            #expect(alone.status == 0, "\(alone.stderr)")
            let one = try JSONDecoder().decode(Output.self, from: alone.stdoutData)
            #expect(one.template == t && one.templates == nil)
            #expect(
                one.images[0].keypoints.map(\.prompt)
                    == ["beak", "left eye"].map { t.replacingOccurrences(of: "{part}", with: $0) })
            #expect(one.images[0].keypoints.map(\.score) != out.images[0].keypoints.map(\.score), "\(t)")
        }

        // With a vocabulary, the templates replace its own; --out records the prompts and resumes.
        let dir = try CLIRunner.tempDirectory()
        let file = dir.appendingPathComponent("r.jsonl")
        let args = ["--vocabulary", "cub", "--only", "beak,tail", "--out", file.path, "--json"] + ensemble
        let first = try localize(args)
        #expect(first.status == 0, "\(first.stderr)")
        let keypoints = try #require(try headerSettings(file)["keypoints"])
        #expect(
            keypoints
                == #"[{"name":"beak","prompts":["This is the beak of a bird","a photo of the beak of a bird"]},"#
                + #"{"name":"tail","prompts":["This is the tail of a bird","a photo of the tail of a bird"]}]"#)
        let before = try Data(contentsOf: file)
        let again = try localize(args)
        #expect(again.status == 0, "\(again.stderr)")
        #expect(again.stderr.contains("1 of 1 photos already done"), "\(again.stderr)")
        #expect(try Data(contentsOf: file) == before)
        // One template less is another run.
        let other = try localize([
            "--vocabulary", "cub", "--only", "beak,tail", "--out", file.path, "--template", Self.templates[0],
        ])
        #expect(other.status != 0 && other.stderr.contains("keypoints"), "\(other.stderr)")
    }

    @Test func templateErrorsAndTheLimit() throws {
        let bad = try localize(["--keypoint", "beak", "--template", "the {part}", "--template", "no placeholder"])
        #expect(bad.status != 0)
        #expect(bad.stderr.contains("template \"no placeholder\"") && bad.stderr.contains("{part}"), "\(bad.stderr)")
        let many = try localize(["--keypoint", "beak"] + (0...100).flatMap { ["--template", "the {part} \($0)"] })
        #expect(many.status != 0)
        #expect(
            many.stderr.contains(
                "--template given 101 times, over the limit LocalizationLimits.promptsPerKeypoint = 100"),
            "\(many.stderr)")
    }

    @Test func evalRecordsTheEnsembleAndResumes() throws {
        let dir = try CLIRunner.tempDirectory()
        let out = dir.appendingPathComponent("r.jsonl")
        let args =
            [
                "eval", "--dataset", "cub", "--root", Self.cub, "--split", "all", "--limit", "1",
                "--model", Self.model, "--grid", "fast", "--out", out.path,
            ] + Self.templates.flatMap { ["--template", $0] }
        let r = try CLIRunner.run(args, cwd: CLIRunner.repositoryRoot)
        #expect(r.status == 0, "\(r.stderr)")
        let settings = try headerSettings(out)
        #expect(settings["template"] == #"["This is the {part} of a bird","a photo of the {part} of a bird"]"#)
        let single = dir.appendingPathComponent("single.jsonl")
        let one = try CLIRunner.run(
            Array(args.dropLast(4)) + ["--template", Self.templates[0], "--out", single.path],
            cwd: CLIRunner.repositoryRoot)
        #expect(one.status == 0, "\(one.stderr)")
        // The prompts are part of the dataset's digest.
        #expect(try headerSettings(single)["dataset_sha256"] != settings["dataset_sha256"])
        let again = try CLIRunner.run(args, cwd: CLIRunner.repositoryRoot)
        #expect(again.status == 0, "\(again.stderr)")
        #expect(again.stderr.contains("resuming"), "\(again.stderr)")
    }

    // MARK: - Files written before ensembles

    /// Fuzz/Seeds/localize-results/photos.jsonl was written by `keypoints localize
    /// Tests/CLIPTests/Fixtures/images --model Tests/CLIPTests/Fixtures/models/tiny-quickgelu
    /// --keypoint beak --keypoint eye --out photos.jsonl` before ensembles existed
    /// (`"keypoints":"[{\"name\":\"beak\",\"prompt\":\"beak\"},...]"`, records with
    /// `"prompt":"beak"`), the checkout's path replaced by /data/keypoints/. Put back in this
    /// checkout, the same command resumes it without redoing a photo.
    @Test func aLocalizeFileOfEarlierBuildsResumes() throws {
        let root = CLIRunner.repositoryRoot
        let seed = try String(
            contentsOf: root.appendingPathComponent("Fuzz/Seeds/localize-results/photos.jsonl"), encoding: .utf8)
        #expect(seed.contains(#"\"prompt\":\"beak\""#) && seed.contains(#""prompt":"eye""#))
        let dir = try CLIRunner.tempDirectory()
        let file = dir.appendingPathComponent("photos.jsonl")
        // The digests of this checkout's model and grid, from a fresh header (the fixtures may
        // change; the keypoints setting is what this test is about).
        let fresh = dir.appendingPathComponent("fresh.jsonl")
        let command = [
            "localize", "Tests/CLIPTests/Fixtures/images", "--model", "Tests/CLIPTests/Fixtures/models/tiny-quickgelu",
            "--keypoint", "beak", "--keypoint", "eye",
        ]
        var text = seed.replacingOccurrences(of: "/data/keypoints/", with: root.standardizedFileURL.path + "/")
        let one = try CLIRunner.run(
            ["localize", "Tests/CLIPTests/Fixtures/images/bird.jpg"] + command.dropFirst(2) + ["--out", fresh.path],
            cwd: root)
        #expect(one.status == 0, "\(one.stderr)")
        let now = try headerSettings(fresh)
        for key in ["model_sha256", "grid_sha256"] {
            let old = try #require(text.firstMatch(of: try Regex("\"\(key)\":\"([0-9a-f]+)\"")))
            text = text.replacingOccurrences(of: String(old.0), with: "\"\(key)\":\"\(now[key] ?? "")\"")
        }
        #expect(now["keypoints"] == #"[{"name":"beak","prompt":"beak"},{"name":"eye","prompt":"eye"}]"#)
        try Data(text.utf8).write(to: file)
        let records = text.split(separator: "\n").count - 1
        let resumed = try CLIRunner.run(command + ["--out", file.path], cwd: root)
        #expect(resumed.status == 0, "\(resumed.stderr)")
        #expect(resumed.stderr.contains("\(records) of \(records) photos already done"), "\(resumed.stderr)")
        #expect(String(decoding: try Data(contentsOf: file), as: UTF8.self) == text)
    }

    /// Fuzz/Seeds/results/cub-random.jsonl was written by `keypoints eval --dataset cub --root
    /// Tests/EvaluationTests/Fixtures/cub/CUB_200_2011 --split all --method random --out
    /// cub-random.jsonl` before ensembles existed; its `dataset_sha256` covers the prompts, so
    /// the same command resuming it shows one-prompt keypoints digest as before.
    @Test func anEvalFileOfEarlierBuildsResumes() throws {
        let root = CLIRunner.repositoryRoot
        let dir = try CLIRunner.tempDirectory()
        let file = dir.appendingPathComponent("cub-random.jsonl")
        try FileManager.default.copyItem(
            at: root.appendingPathComponent("Fuzz/Seeds/results/cub-random.jsonl"), to: file)
        let before = try Data(contentsOf: file)
        let r = try CLIRunner.run(
            [
                "eval", "--dataset", "cub", "--root", Self.cub, "--split", "all", "--method", "random", "--out",
                file.path,
            ],
            cwd: root)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stderr.contains("3 of 3 selected images already done"), "\(r.stderr)")
        // Nothing redone: only the new session line is appended.
        let after = try Data(contentsOf: file)
        #expect(after.prefix(before.count) == before)
        #expect(!String(decoding: after.dropFirst(before.count), as: UTF8.self).contains("\"type\":\"image\""))
    }
}
