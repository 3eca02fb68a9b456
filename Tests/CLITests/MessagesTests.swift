import Foundation
import Testing

@testable import KeypointsCLI

/// Issue 14, "Exits and messages": each case failed (or printed raw text) before.
@Suite struct MessagesTests {
    static var model: String { CLIRunner.clipFixtures.appendingPathComponent("models/tiny-quickgelu").path }
    static var bird: String { CLIRunner.clipFixtures.appendingPathComponent("images/bird.jpg").path }
    static var evalFixtures: URL { CLIRunner.repositoryRoot.appendingPathComponent("Tests/EvaluationTests/Fixtures") }

    func run(_ arguments: [String]) throws -> CLIRunner.Result {
        try CLIRunner.run(arguments, cwd: CLIRunner.repositoryRoot)
    }

    @Test func unknownSubcommandSuggestsTheNearest() throws {
        let r = try run(["locallize", Self.bird])
        #expect(r.status != 0)
        #expect(
            r.stderr.contains("unknown command 'locallize'") && r.stderr.contains("did you mean 'localize'?"),
            "\(r.stderr)")
        #expect(!r.stderr.contains("unexpected argument"))
    }

    /// `keypoints model fecth` said "2 unexpected arguments"; a subcommand of `model` is
    /// suggested like a top-level command.
    @Test func unknownModelSubcommandSuggestsTheNearest() throws {
        let r = try run(["model", "fecth", "ViT-B/32"])
        #expect(r.status != 0)
        #expect(
            r.stderr.contains("unknown model command 'fecth'; did you mean 'fetch'?")
                && r.stderr.contains("commands: list, fetch, rm (keypoints model --help)"), "\(r.stderr)")
        #expect(!r.stderr.contains("unexpected argument"))
        let help = try run(["help", "model", "fetch"])
        #expect(help.status == 0 && help.stdout.contains("Download a model"), "\(help.stderr)")
    }

    /// `model fetch ViT-B/33` went to the network as a repository id, and `--model ViT-B/33`
    /// advised "keypoints model fetch ViT-B/33".
    @Test func misspelledModelNamesSuggestTheNearest() throws {
        let home = try CLIRunner.tempDirectory()
        let environment = ["KEYPOINTS_HOME": home.path, "KEYPOINTS_HF_ENDPOINT": "http://127.0.0.1:9"]
        let fetch = try CLIRunner.run(["model", "fetch", "ViT-B/33"], cwd: home, environment: environment)
        let localize = try CLIRunner.run(
            ["localize", Self.bird, "--model", "ViT-B/33", "--keypoint", "beak"], cwd: home, environment: environment)
        for r in [fetch, localize] {
            #expect(r.status == 1)
            #expect(r.stderr.contains("'ViT-B/33' is not a known model; did you mean ViT-B/32?"), "\(r.stderr)")
            #expect(!r.stderr.contains("model fetch ViT-B/33") && !r.stderr.contains("127.0.0.1"), "\(r.stderr)")
        }
    }

    @Test func versionIsPrinted() throws {
        let r = try run(["--version"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.range(of: #"^\d+\.\d+\.\d+"#, options: .regularExpression) != nil, "\(r.stdout)")
    }

    @Test func localizeJSONRecordsTheVersion() throws {
        let r = try run([
            "localize", Self.bird, "--model", Self.model, "--keypoint", "beak", "--grid", "dense30", "--json",
        ])
        #expect(r.status == 0, "\(r.stderr)")
        let doc = try JSONSerialization.jsonObject(with: r.stdoutData) as? [String: Any]
        let version = try #require(doc?["version"] as? String)
        #expect(version.hasPrefix(try run(["--version"]).stdout.split(separator: " ").first.map(String.init) ?? "?"))
    }

    @Test func negativeThreadsGetARangeMessage() throws {
        let r = try run(["localize", Self.bird, "--model", Self.model, "--keypoint", "beak", "--threads", "-2"])
        #expect(r.status != 0)
        #expect(r.stderr.contains("--threads must be at least 1") && r.stderr.contains("got -2"), "\(r.stderr)")
    }

    @Test func threadsBeyondOpenBLASAreRefused() throws {
        let r = try run(["localize", Self.bird, "--model", Self.model, "--keypoint", "beak", "--threads", "100000"])
        #expect(r.status == 1)
        #expect(r.stderr.contains("--threads 100000: this OpenBLAS runs at most"), "\(r.stderr)")
    }

    /// Checked before the model is loaded: a model path that does not exist is not what fails.
    @Test func outputPathsAreCheckedBeforeAnyCompute() throws {
        let dir = try CLIRunner.tempDirectory()
        let file = dir.appendingPathComponent("existing.txt")
        try Data("x".utf8).write(to: file)
        let base = ["localize", Self.bird, "--model", "/nonexistent/model", "--keypoint", "beak"]
        let heatmap = try run(base + ["--heatmap", file.path])
        #expect(heatmap.status == 1)
        #expect(heatmap.stderr.contains("--heatmap \(file.path): is a file"), "\(heatmap.stderr)")
        #expect(!heatmap.stderr.contains("NSCocoaErrorDomain") && !heatmap.stderr.contains("nonexistent"))
        let scores = try run(base + ["--scores", file.appendingPathComponent("scores.json").path])
        #expect(scores.status == 1)
        #expect(
            scores.stderr.contains("--scores") && scores.stderr.contains("is a file, not a folder"), "\(scores.stderr)")
        let overlay = try run([
            "localize", Self.bird, Self.bird, "--model", "/nonexistent/model", "--keypoint", "beak",
            "--overlay", dir.appendingPathComponent("x.png").path,
        ])
        #expect(overlay.status == 1)
        #expect(overlay.stderr.contains("2 images need a folder"), "\(overlay.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("x.png").path))
    }

    /// Folders that cannot be created or written to (here on /proc, where even root creates
    /// nothing) passed the permission-bit check and failed after the compute with a raw
    /// NSCocoaErrorDomain error; they are refused first, naming the option and the path.
    #if os(Linux)
        @Test func uncreatableOutputFoldersAreRefusedBeforeAnyCompute() throws {
            let base = ["localize", Self.bird, "--model", "/nonexistent/model", "--keypoint", "beak"]
            let cases: [(option: String, path: String, says: String)] = [
                ("--heatmap", "/proc/keypoints-test/", "cannot create files in /proc ("),
                ("--save-marked", "/proc/keypoints-test", "cannot create files in /proc ("),
                ("--scores", "/proc/keypoints-test/s.json", "cannot create files in /proc ("),
                ("--heatmap", "/proc", "cannot create files in this folder ("),
            ]
            for (option, path, says) in cases {
                let r = try run(base + [option, path])
                #expect(r.status == 1, "\(option) \(path): \(r.stderr)")
                #expect(r.stderr.contains("\(option) \(path): \(says)"), "\(option) \(path): \(r.stderr)")
                #expect(r.stderr.split(separator: "\n").count == 1, "\(r.stderr)")
                #expect(!r.stderr.contains("NSCocoaErrorDomain") && !r.stderr.contains("nonexistent"))
            }
            // The check leaves nothing behind in a folder that can be written.
            let dir = try CLIRunner.tempDirectory()
            let r = try run(base + ["--heatmap", dir.appendingPathComponent("maps").path + "/"])
            #expect(r.stderr.contains("nonexistent"), "the model is what fails: \(r.stderr)")
            #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).isEmpty)
        }
    #endif

    /// `localize` and `info` with a DINO directory said "field 'text_config': missing".
    @Test func aDINODirectoryWhereCLIPIsNeededIsNamed() throws {
        let dino = CLIRunner.repositoryRoot.appendingPathComponent("Tests/DINOTests/Fixtures/models/vit-p16-w36-h3")
        for arguments in [["localize", Self.bird, "--keypoint", "beak"], ["info"]] {
            let r = try run(arguments + ["--model", dino.path])
            #expect(r.status == 1, "\(arguments): \(r.stderr)")
            #expect(
                r.stderr.contains("\(dino.path) is a DINO ViT (model_type vit), not a CLIP model"),
                "\(arguments): \(r.stderr)")
            #expect(!r.stderr.contains("text_config"))
        }
    }

    @Test func evalThatScoresNothingIsAnErrorWithTheCause() throws {
        // COCO without --images: the images are not next to the annotation file.
        let coco = try run([
            "eval", "--dataset", "coco", "--root", Self.evalFixtures.appendingPathComponent("coco/dogs.json").path,
            "--method", "random",
        ])
        #expect(coco.status == 1, "\(coco.stdout)\n\(coco.stderr)")
        #expect(coco.stderr.contains("scored no keypoint") && coco.stderr.contains("--images DIR"), "\(coco.stderr)")
    }

    @Test func wrongCUBRootNamesTheRightFolder() throws {
        let parent = Self.evalFixtures.appendingPathComponent("cub")
        let r = try run(["eval", "--dataset", "cub", "--root", parent.path, "--method", "random"])
        #expect(r.status == 1)
        #expect(
            r.stderr.contains("did you mean --root \(parent.appendingPathComponent("CUB_200_2011").path)?"),
            "\(r.stderr)")
    }

    /// FaceSynthetics unpacks as dataset_100/ (or dataset/): a --root one level too high names it.
    @Test func wrongFacesRootNamesTheRightFolder() throws {
        let parent = Self.evalFixtures
        let r = try run(["eval", "--dataset", "faces", "--root", parent.path, "--method", "random"])
        #expect(r.status == 1)
        #expect(r.stderr.contains("no NNNNNN_ldmks.txt files"), "\(r.stderr)")
        #expect(
            r.stderr.contains("did you mean --root \(parent.appendingPathComponent("faces").path)?"), "\(r.stderr)")
    }

    @Test func overlongPromptsWarnWithTheTokenCount() throws {
        let long = Array(repeating: "beak", count: 90).joined(separator: " ")
        let r = try run(["localize", Self.bird, "--model", Self.model, "--keypoint", long, "--grid", "dense30"])
        #expect(r.status == 0, "\(r.stderr)")
        // At least 92 tokens (90 words, start, end); the tiny fixture's BPE may split words further.
        let count = r.stderr.firstMatch(of: /is (\d+) tokens; CLIP reads only the first 77/).flatMap { Int($0.1) }
        #expect((count ?? 0) >= 92, "\(r.stderr)")
        let short = try run(["localize", Self.bird, "--model", Self.model, "--keypoint", "beak"])
        #expect(!short.stderr.contains("tokens; CLIP reads only"))
    }

    /// The same warning from `embed` (its --text) and `eval` (the vocabulary's prompts, here made
    /// long through --template), each with the token count.
    @Test func embedAndEvalWarnAboutOverlongTextsToo() throws {
        let long = Array(repeating: "beak", count: 90).joined(separator: " ")
        let embed = try run(["embed", "--model", Self.model, "--text", long, "--text", "a bird"])
        #expect(embed.status == 0, "\(embed.stderr)")
        let embedWarnings = embed.stderr.matches(of: /is (\d+) tokens; CLIP reads only the first 77/)
        #expect(embedWarnings.count == 1 && (Int(embedWarnings[0].1) ?? 0) >= 92, "\(embed.stderr)")
        let cub = Self.evalFixtures.appendingPathComponent("cub/CUB_200_2011").path
        let eval = try run([
            "eval", "--dataset", "cub", "--root", cub, "--split", "all", "--limit", "1", "--model", Self.model,
            "--template", long + " {part}", "--json",
        ])
        #expect(eval.status == 0, "\(eval.stderr)")
        // One warning per distinct prompt: the fixture's images have 10 or 11 visible parts.
        let evalWarnings = eval.stderr.matches(of: /prompt "beak .*" is (\d+) tokens; CLIP reads only the first/)
        #expect(
            (10...11).contains(evalWarnings.count) && evalWarnings.allSatisfy { (Int($0.1) ?? 0) >= 92 },
            "\(eval.stderr)")
    }

    /// A name that cannot resolve (".invalid" never does) is not retried, and the message gives the
    /// three ways out.
    @Test func offlineFetchIsNotRetriedAndSaysWhatToDo() throws {
        let home = try CLIRunner.tempDirectory()
        let r = try CLIRunner.run(
            ["model", "fetch", "ViT-B/32", "--endpoint", "http://keypoints-test.invalid"],
            cwd: CLIRunner.repositoryRoot, environment: ["KEYPOINTS_HOME": home.path])
        #expect(r.status != 0)
        #expect(r.stderr.contains("cannot resolve keypoints-test.invalid"), "\(r.stderr)")
        #expect(
            r.stderr.contains("--endpoint") && r.stderr.contains("KEYPOINTS_HF_ENDPOINT")
                && r.stderr.contains("--model DIR"))
        #expect(!r.stderr.lowercased().contains("retry"), "\(r.stderr)")
    }

    /// Negative numbers were read as unknown options ("Missing value for '--radius <r>'"); they
    /// reach the option's own range check. And saliency --size names one range whatever the side
    /// it is out on (it said 1...4096 above, 16...4096 below).
    @Test func negativeNumbersGetTheOptionsRangeError() throws {
        let cub = CLIRunner.repositoryRoot.appendingPathComponent("Tests/EvaluationTests/Fixtures/cub/CUB_200_2011")
            .path
        let eval = ["eval", "--dataset", "cub", "--root", cub]
        let cases: [([String], String)] = [
            (["localize", "x.jpg", "--keypoint", "beak", "--radius", "-1"], "--radius expects a fraction"),
            (["localize", "x.jpg", "--keypoint", "beak", "--thickness", "-3px"], "--thickness expects a fraction"),
            (eval + ["--alpha", "-0.1"], "--alpha must be in (0, 1], got -0.1"),
            (eval + ["--limit", "-2"], "--limit must be at least 1, got -2"),
            (eval + ["--method", "random", "--seed", "-3"], "'-3' is invalid for '--seed"),
            (["experiment", "--tolerance", "-1"], "--tolerance must be non-negative, got -1"),
            (["report", "x.jsonl", "--alpha", "-1"], "--alpha must be in (0, 1]"),
            (["saliency", "x.jpg", "--tau", "-2"], "--tau must be a cosine in -1...1, got -2"),
            (["saliency", "x.jpg", "--size", "-5"], "--size -5: expected the model's patch...4096"),
            (["bench", "--arch", "ViT-B/32", "--batch", "-1"], "--batch and --text-batch must be at least 1"),
            (["model", "fetch", "ViT-B/32", "--retries", "-1"], "--retries must be at least 0, got -1"),
        ]
        for (arguments, expected) in cases {
            let r = try CLIRunner.run(arguments)
            #expect(r.status != 0, "\(arguments)")
            #expect(r.stderr.contains(expected) && !r.stderr.contains("Missing value"), "\(arguments): \(r.stderr)")
        }
        // --tau -0.5 is a valid cosine: it passes validation (and fails later, on the missing photo).
        let tau = try CLIRunner.run(["saliency", "x.jpg", "--tau", "-0.5", "--model", "/nonexistent-dino"])
        #expect(!tau.stderr.contains("Missing value") && !tau.stderr.contains("--tau"), "\(tau.stderr)")
        let dino = CLIRunner.repositoryRoot.appendingPathComponent("Tests/DINOTests/Fixtures")
        let bird = dino.appendingPathComponent("images/bird.jpg").path
        let model = dino.appendingPathComponent("models/vit-p16-w36-h3").path
        for (size, range) in [("100000", "the model's patch...4096"), ("10", "16...4096 (one patch of the model")] {
            let r = try CLIRunner.run(["saliency", bird, "--model", model, "--size", size])
            #expect(r.status != 0 && r.stderr.contains("--size \(size): expected \(range)"), "\(r.stderr)")
        }
    }

    /// Offline, the files to get another way are the model's own: a DINO ViT has no vocab.json or
    /// merges.txt (the message asked for them). And fetch's help says which revision a known model
    /// is fetched at (it said main, while the DINO ViTs are fetched at refs/pr/1).
    @Test func offlineFetchNamesTheModelsOwnFilesAndHelpItsRevision() throws {
        let home = try CLIRunner.tempDirectory()
        func fetch(_ name: String) throws -> String {
            let r = try CLIRunner.run(
                ["model", "fetch", name, "--endpoint", "http://keypoints-test.invalid"],
                cwd: CLIRunner.repositoryRoot, environment: ["KEYPOINTS_HOME": home.path])
            #expect(r.status != 0, "\(r.stderr)")
            return r.stderr
        }
        let dino = try fetch("dino-vits16")
        #expect(dino.contains("download config.json and model.safetensors another way"), "\(dino)")
        #expect(!dino.contains("vocab.json") && !dino.contains("merges.txt"), "\(dino)")
        let clip = try fetch("ViT-B/32")
        #expect(clip.contains("download config.json, model.safetensors, vocab.json and merges.txt"), "\(clip)")
        let help = try CLIRunner.run(["model", "fetch", "--help"], environment: ["COLUMNS": "1000"])
        let revision = help.stdout.split(separator: "\n").first { $0.hasPrefix("  --revision") } ?? ""
        #expect(revision.contains("refs/pr/1 for dino-vits16") && !revision.contains("(default: main)"), "\(revision)")
    }

    /// A `--box` outside the photo: one line naming the search box, the photo once, and the check.
    @Test func boxOutsideThePhotoNamesItOnce() throws {
        let r = try run(["localize", Self.bird, "--model", Self.model, "--keypoint", "beak", "--box", "400,10,500,50"])
        #expect(r.status != 0)
        #expect(r.stderr.contains("search box [x 400.0, y 10.0, w 500.0, h 50.0]"), "\(r.stderr)")
        #expect(r.stderr.contains("right edge x + w = 900.0 > image width"), "\(r.stderr)")
        #expect(r.stderr.components(separatedBy: Self.bird).count == 2, "the photo named once: \(r.stderr)")
    }

    @Test func unknownVocabularyListsTheKnownNames() throws {
        let r = try run(["localize", Self.bird, "--model", Self.model, "--vocabulary", "cubb"])
        #expect(r.status != 0)
        #expect(r.stderr.contains("(known: cub, faces, spair)"), "\(r.stderr)")
        #expect(r.stderr.contains("Error: --vocabulary 'cubb': no file keypoints/cubb.json"), "\(r.stderr)")
        let grid = try run(["localize", Self.bird, "--model", Self.model, "--keypoint", "beak", "--grid", "fastt"])
        #expect(grid.status != 0)
        #expect(grid.stderr.contains("Error: --grid 'fastt': no file grids/fastt.json"), "\(grid.stderr)")
    }

    /// Ctrl-C's line is exact once the append in progress has ended, and a lower bound ("at
    /// least") when it did not end within `DurableLineFile.haltWait` and the process exits anyway.
    @Test func interruptMessageSaysAtLeastWhenAnAppendDidNotEnd() {
        let exact = InterruptNote.message("r.jsonl", saved: 3, exact: true, items: "image")
        #expect(exact == "\ninterrupted: r.jsonl holds 3 finished image(s); run the same command again to resume\n")
        let bound = InterruptNote.message("r.jsonl", saved: 3, exact: false, items: "photo")
        #expect(bound.contains("holds at least 3 finished photo(s); run the same command again to resume"), "\(bound)")
    }
}
