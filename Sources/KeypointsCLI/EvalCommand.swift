import ArgumentParser
import Evaluation
import Foundation
import Imaging
import KeypointsSupport
import Localization
import ModelStore

struct EvalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Measure PCK on CUB-200-2011, SPair-71k, FaceSynthetics or COCO keypoints: resumable and shardable.",
        discussion: """
            Reads a dataset in its original layout, localizes each image's visible keypoints and \
            prints PCK@alpha overall, per category and per keypoint. --root is the folder holding \
            images.txt (cub), JPEGImages/ (spair), NNNNNN.png + NNNNNN_ldmks.txt (faces), or the \
            annotation JSON (coco, with --images DIR).

            With --out FILE every finished image is appended to FILE (JSON lines) and flushed; \
            running the same command again resumes where it stopped (a torn last line is redone; \
            other settings are refused); the report covers every image in FILE, also those of \
            earlier runs outside this --limit. --shard i/n evaluates images i, i+n, ... of the sorted \
            dataset; --limit N the first N of those. Merge shard files with `keypoints report`. \
            --shard auto takes i/n from a Slurm job array (SLURM_ARRAY_TASK_ID, \
            SLURM_ARRAY_TASK_COUNT, SLURM_ARRAY_TASK_MIN) or a Kubernetes Indexed Job \
            (JOB_COMPLETION_INDEX with --shards N); {shard} in --out becomes the shard index. \
            Runs are identified by content (model, grid, vocabulary and dataset digests, method, \
            precision), not paths: shards run anywhere merge. The precision used is recorded; a \
            resumed file keeps its precision unless --precision is given.

            Examples:
              keypoints eval --dataset cub --root CUB_200_2011 --model DIR --out cub.jsonl
              keypoints eval --dataset spair --root SPair-71k --method random --shard 0/4 \\
                --out spair-0.jsonl
              keypoints eval --dataset cub --root CUB_200_2011 --shard auto \\
                --out 'cub-{shard}.jsonl'
              keypoints eval --dataset cub --root CUB_200_2011 --limit 20 \\
                --visualize figures 20 --visualize-threshold
            """
    )

    enum Method: String, ExpressibleByArgument, CaseIterable {
        case redcircle, crop, random
    }

    @Option(help: "The dataset format.")
    var dataset: DatasetKind
    @Option(help: ArgumentHelp("Dataset root (the annotation JSON file for coco).", valueName: "path"))
    var root: String
    @Option(
        help: ArgumentHelp(
            "A model name (default \(ModelRegistry.defaultModelName)), ORG/NAME or a model directory; not used by --method random.",
            valueName: "name|dir"))
    var model: String?
    @Option(
        help: ArgumentHelp("coco only: the image folder (default: the annotation file's folder).", valueName: "dir"))
    var images: String?
    @Option(help: "Which images: test (default for cub, spair), train, all (faces and coco have only all).")
    var split: DatasetSplit?
    @Option(
        parsing: .upToNextOption,
        help: ArgumentHelp(
            "Categories to evaluate, space- or comma-separated (spair default: bird cat cow dog horse sheep; cub: class names or ids; coco: category names).",
            valueName: "name"))
    var categories: [String] = []
    @Option(
        help: ArgumentHelp(
            "Keypoint names and prompts: a file or a name in keypoints/ (default: keypoints/<dataset>.json; coco: the file's names).",
            valueName: "file|name"
        ))
    var vocabulary: String?
    @Option(
        help: ArgumentHelp(
            "Candidate-grid preset for redcircle and crop (default: grids/fast.json).", valueName: "file"))
    var grid: String?
    @Option(help: "Localization method: redcircle (the paper's), crop (score crops), random (baseline).")
    var method: Method = .redcircle
    @Option(
        help: ArgumentHelp(
            "How the image is fitted to the model input (default: the grid preset's, pad): pad, crop or stretch; redcircle and crop.",
            valueName: "mode"))
    var fit: FitMode?
    @Option(
        name: .customLong("crop-side"),
        help: ArgumentHelp(
            "--method crop: side of the square cut from the photo (or box crop) around each candidate: a fraction of its shorter side (default \(CropSide.standard.argument)) or pixels (64px).",
            valueName: "fraction|Npx"))
    var cropSide: String?
    // `.unconditional` on numbers (as --threads): "--alpha -0.1" reaches validate() and its range
    // error instead of being read as an unknown option and reported as a missing value.
    @Option(
        parsing: .unconditional,
        help: "PCK threshold factor: correct if distance <= alpha * max(box width, box height).")
    var alpha = 0.1
    @Option(parsing: .unconditional, help: "Evaluate only the first N images (of the shard).")
    var limit: Int?
    @OptionGroup var sharding: ShardOptions
    @Option(
        help: ArgumentHelp(
            "Append results here (JSON lines) and resume from it; {shard} is replaced by the shard index.",
            valueName: "file"))
    var out: String?
    @Flag(help: "Print exactly one JSON document (the PCK report).")
    var json = false
    @Option(
        parsing: .upToNextOption,
        help: ArgumentHelp(
            "Draw ground truth (ring) and prediction (cross) of every keypoint, joined by a line, one colour per keypoint, on the first N evaluated images (dataset order) into DIR as PNGs at the photo's resolution up to --figure-max-side.",
            valueName: "dir n"))
    var visualize: [String] = []
    @Flag(
        name: .customLong("visualize-threshold"),
        help: "With --visualize: draw the PCK threshold (alpha x box side) as a dashed circle around each ground truth."
    )
    var visualizeThreshold = false
    @Option(parsing: .unconditional, help: "Seed of the random method.")
    var seed: UInt64 = 0
    @Flag(
        name: .customLong("visible-only"),
        help: "coco only: evaluate v = 2 (visible) keypoints, not v = 1 (labelled, occluded).")
    var visibleOnly = false
    @Flag(
        name: .customLong("follow-symlinks"),
        help: "Read images whose path resolves (through symlinks) outside the dataset root; refused by default.")
    var followSymlinks = false
    @Flag(
        name: .customLong("allow-damaged-images"),
        help:
            "Evaluate JPEGs with corrupt data (partly grey) with a warning and a note in the results; skipped by default."
    )
    var allowDamagedImages = false
    @OptionGroup(title: "Figures (--visualize)") var figureSize: FigureSizeOptions
    @OptionGroup var maskOptions: MaskOptions
    @OptionGroup(title: "Ablations (the paper's switches)") var ablation: PromptOptions
    @OptionGroup var compute: ComputeOptions
    @OptionGroup(title: "Confidence intervals") var confidence: ConfidenceOptions<EvalCommand>

    func validate() throws {
        if let split, !dataset.splits.contains(split) {
            throw ValidationError("--dataset \(dataset.rawValue) has no \(split.rawValue) split; use --split all")
        }
        if images != nil && dataset != .coco { throw ValidationError("--images applies to --dataset coco only") }
        if visibleOnly && dataset != .coco { throw ValidationError("--visible-only applies to --dataset coco only") }
        if dataset == .faces && !categories.isEmpty {
            throw ValidationError("--dataset faces has a single category; --categories does not apply")
        }
        guard alpha.isFinite, alpha > 0, alpha <= 1 else {
            throw ValidationError("--alpha must be in (0, 1], got \(alpha)")
        }
        if let limit, limit < 1 { throw ValidationError("--limit must be at least 1, got \(limit)") }
        try sharding.validate(out: out)
        try confidence.check()
        if root.isEmpty { throw ValidationError("--root is empty") }
        if case .file = maskOptions.kind {
            throw ValidationError("--mask FILE.png applies to localize; eval takes none, saliency or box")
        }
        if let cropSide {
            guard method == .crop else { throw ValidationError("--crop-side applies to --method crop") }
            do { _ = try CropSide(parsing: cropSide, option: "--crop-side") } catch {
                throw ValidationError("\(error)")
            }
        }
        if method == .random {
            // random draws uniform points: a grid or a text prompt would be ignored (and a template,
            // recorded in the header, would keep otherwise equal random runs from merging).
            for (given, option) in [
                (fit != nil, "--fit"), (grid != nil, "--grid"), (!ablation.templates.isEmpty, "--template"),
            ]
            where given {
                throw ValidationError("\(option) applies to --method redcircle and crop")
            }
        }
        if !visualize.isEmpty {
            guard visualize.count == 2, let n = Int(visualize[1]) else {
                throw ValidationError(
                    "--visualize takes a folder and a number of images: --visualize DIR N (e.g. --visualize figures 10), got \(visualize.joined(separator: " ").displaySafe)"
                )
            }
            guard (1...TruthPredictionFigures.maximumCount).contains(n) else {
                throw ValidationError(
                    "--visualize \(visualize[0].displaySafe) \(n): the number of images must be 1 to \(TruthPredictionFigures.maximumCount)"
                )
            }
        }
        if visualizeThreshold && visualize.isEmpty {
            throw ValidationError("--visualize-threshold applies to --visualize DIR N")
        }
        if ablation.changesThePrompt && method != .redcircle {
            throw ValidationError("--marker, --color, --radius, --thickness and --prompt apply to --method redcircle")
        }
    }

    func run() throws {
        do {
            try evaluate()
        } catch let error as EvaluationError {
            throw CLIError(error.description + rootHint(for: error.description))
        } catch let error as KeypointVocabularyError {
            throw CLIError(error.description)
        }
    }

    private func evaluate() throws {
        let shard = try sharding.resolved()
        let out = ShardOptions.output(self.out, shard: shard)
        let rootURL = DataFiles.fileURL(root)
        let vocabulary = try loadVocabulary()
        let options = DatasetOptions(
            kind: dataset, root: rootURL, images: images.map(DataFiles.fileURL), split: split,
            categories: categories.flatMap { $0.split(separator: ",").map(String.init) },
            vocabulary: vocabulary, includeOccluded: !visibleOnly)
        let data = try EvalDataset.load(options)
        for note in data.notes { Console.note("note: \(note)") }
        var runner = EvalRunner(
            dataset: data, shard: shard, limit: limit, alpha: alpha,
            followSymlinks: followSymlinks, allowDamagedImages: allowDamagedImages)
        let selected = runner.selection
        guard !selected.isEmpty else {
            throw CLIError(
                "no images selected (\(data.items.count) in the \(data.split.rawValue) split"
                    + (shard.map { ", shard \($0)" } ?? "") + ")")
        }

        if let out { try OutputPath.checkFile(out, option: "--out") }
        if let figures = visualization { try OutputPath.checkFolder(figures.folder, option: "--visualize") }
        // --out is locked and read once, here, before any model is loaded: a damaged file fails at
        // once, and a resumed run keeps its precision and library (`clipPredictor`).
        let opened = try out.map { out in
            let store = try ResultStore.open(url: DataFiles.fileURL(out))
            if let torn = store.repairedTail { Console.warning("\(out): \(torn); truncated, that image is redone") }
            return store
        }
        defer { opened?.close() }
        let built: (predictor: any KeypointPredictor, precision: Precision?)
        var extra: [String: String] = [:]
        switch method {
        case .random:
            built = (randomPredictor(), nil)
        case .redcircle, .crop:
            let grid = try loadGrid()
            // Before the model is loaded (clipPredictor checks it again when it builds the prompt).
            try ablation.checkMarkerSwitches(base: grid.preset.effectiveVisualPrompt)
            built = try clipPredictor(
                preset: grid.preset, resuming: opened?.recordedSettings,
                prompts: selected.flatMap { $0.keypoints.flatMap(\.prompts) })
            extra = try RunSettings.modelAndGrid(model: try modelURL(), grid: grid)
        }
        var predictor = built.predictor
        runner.searchMask = try makeSearchMask()
        runner.figures = visualization.map {
            TruthPredictionFigures(
                folder: DataFiles.fileURL($0.folder), count: $0.count, alpha: alpha, drawsThreshold: visualizeThreshold,
                maxSide: figureSize.figureMaxSide)
        }
        if let vocabulary = try vocabularyFile {
            extra["vocabulary"] = vocabulary.url.standardizedFileURL.path
            extra["vocabulary_sha256"] = vocabulary.sha256
        }
        if let precision = built.precision { extra["precision"] = precision.rawValue }
        extra["software"] = SoftwareVersion.full  // information only (RunIdentity)
        for (k, v) in runner.searchMask?.settings ?? [:] { extra[k] = v }
        if let template = ablation.templateSetting { extra["template"] = template }
        let settings = try runner.settings(for: predictor, extra: extra)
        // Ctrl-C is reported from before the file's header is written: a header on disk means the
        // handler is live (EvalCLITests.sigintSaysHowToResume waits for it).
        let interrupt = out.map { InterruptNote(resultsFile: $0) }
        defer { interrupt?.cancel() }
        let store: ResultStore
        if let out, let opened {
            let url = DataFiles.fileURL(out)
            // OutputPath.checkFile promised that missing folders are created.
            do {
                try FileManager.default.createDirectory(
                    at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            } catch {
                throw CLIError("--out \(out): cannot create its folder: \(error.localizedDescription)")
            }
            try opened.start(settings: settings)
            store = opened
            if store.resumed {
                let done = selected.filter { store.isDone($0.id) }.count
                let file = Self.heldImages(store, selected: selected)
                Console.note(
                    "resuming \(out): \(done) of \(selected.count) selected images already done"
                        + (file.outside > 0 ? " (the file holds \(file.held))" : ""))
            }
        } else {
            store = ResultStore.inMemory(settings: settings)
        }
        defer { store.close() }

        let reporter = ProgressReporter(bar: ProgressBar(alpha: alpha))
        let report = try runner.run(predictor: &predictor, store: store) { progress in
            for note in progress.lastNotes + progress.lastWarnings { Console.warning("\(progress.lastID): \(note)") }
            reporter.update(progress)
        }
        reporter.finish()
        if let figures = visualization {
            let drawn = min(figures.count, selected.filter { store.isDone($0.id) }.count)
            Console.note("wrote \(drawn) figure(s) of ground truth and prediction to \(figures.folder)")
        }
        if let clip = predictor as? CLIPPredictor { ComputeOptions.reportNotices(of: clip.localizer.bundle.backend) }
        if let out, case let file = Self.heldImages(store, selected: selected), file.outside > 0 {
            Console.note(
                "note: the report covers all \(file.held) images in \(out), \(file.outside) of them outside this"
                    + " run's selection (--limit, --shard); `keypoints report \(out)` reports the same")
        }
        let shown = try confidence.computing { bootstrap throws(EvaluationError) in
            try bootstrap.map { settings throws(EvaluationError) in
                try report.addingIntervals(records: store.images, settings: settings)
            } ?? report
        }
        confidence.noteFewImages([store.images])
        if json {
            try Console.printJSON(shown)
        } else {
            print(shown.table(), terminator: "")
            if let out { Console.result("results: \(out)") }
        }
        if report.keypoints == 0 { throw CLIError(nothingScoredMessage(report)) }
    }

    /// The images (evaluated or skipped) `store` holds, and how many of them this run did not
    /// select: an earlier run without --limit, or with a larger one, left them. The report is
    /// over the whole file, as `keypoints report FILE` is.
    static func heldImages(_ store: ResultStore, selected: [EvalItem]) -> (held: Int, outside: Int) {
        let ids = Set(selected.map(\.id))
        let held = store.images.map(\.id) + store.unresolvedSkipped.map(\.id)
        return (held.count, held.filter { !ids.contains($0) }.count)
    }

    /// A hint for a `--root` that is not the dataset's folder: the folder one level down that
    /// holds the expected file, if there is one.
    func rootHint(for message: String) -> String {
        let fm = FileManager.default
        // expected.file: what the message names; holds: whether a folder is the dataset's root.
        let expected: (file: String, folder: String, holds: (URL) -> Bool)
        switch dataset {
        case .cub:
            expected = (
                "images.txt", "CUB_200_2011", { fm.fileExists(atPath: $0.appendingPathComponent("images.txt").path) }
            )
        case .spair:
            expected = (
                "JPEGImages", "SPair-71k", { fm.fileExists(atPath: $0.appendingPathComponent("JPEGImages").path) }
            )
        case .faces:
            // FaceSynthetics ships as dataset_100/, dataset_1000/, dataset/ of NNNNNN_ldmks.txt files.
            expected = (
                "_ldmks.txt", "FaceSynthetics",
                { ((try? fm.contentsOfDirectory(atPath: $0.path)) ?? []).contains { $0.hasSuffix("_ldmks.txt") } }
            )
        default: return ""
        }
        guard message.contains(expected.file) else { return "" }
        let rootURL = DataFiles.fileURL(root)
        let children = (try? fm.contentsOfDirectory(atPath: rootURL.path)) ?? []
        for child in children.sorted() where expected.holds(rootURL.appendingPathComponent(child)) {
            return "; did you mean --root \(rootURL.appendingPathComponent(child).path)?"
        }
        if dataset == .faces { return "" }  // the reader's message already says what the folder must hold
        return "; --root must be the \(expected.folder) folder that holds \(expected.file)"
    }

    /// Why a run scored no keypoint, and what to change (issue 14: such a run used to exit 0).
    func nothingScoredMessage(_ report: PCKReport) -> String {
        var message = "scored no keypoint"
        if report.skipped > 0 {
            message += ": all \(report.skipped) image(s) were skipped"
            if let first = report.skippedFiles.first { message += " (first: \(first.path): \(first.reason))" }
            if !report.skippedFiles.isEmpty
                && report.skippedFiles.allSatisfy({ $0.reason.contains(RegularFile.followSymlinksHint) })
            {
                // The root is right: its images are links to files elsewhere.
                return message
                    + "; the images are symlinks to files outside \(images ?? root): give --follow-symlinks to read them"
            }
            switch dataset {
            case .coco:
                message +=
                    images == nil
                    ? "; coco images are looked up next to the annotation file unless --images DIR names their folder"
                    : "; check that --images \(images ?? "") is the folder holding the files named in the annotation's file_name"
            case .cub:
                message += "; --root must be the CUB_200_2011 folder (images.txt, images/, parts/)"
            case .spair:
                message += "; --root must be the SPair-71k folder (JPEGImages/, ImageAnnotation/)"
            case .faces:
                message += "; --root must be the folder of NNNNNN.png and NNNNNN_ldmks.txt"
            default:
                message += "; check --root"
            }
        } else {
            message +=
                " in \(report.images) image(s): none has a visible keypoint with a name in the vocabulary"
                + " (check --categories and --vocabulary)"
        }
        return message
    }

    /// --visualize DIR N, checked by validate().
    var visualization: (folder: String, count: Int)? {
        guard visualize.count == 2, let n = Int(visualize[1]) else { return nil }
        return (visualize[0], n)
    }

    private func loadVocabulary() throws -> KeypointVocabulary? {
        guard let file = try vocabularyFile else {
            if !ablation.templates.isEmpty {
                throw CLIError(
                    "--template: coco without --vocabulary prompts with the annotation file's names; give --vocabulary FILE to use a template"
                )
            }
            return nil
        }
        let vocabulary = try KeypointVocabulary.load(from: file.url)
        return ablation.templates.isEmpty ? vocabulary : try vocabulary.replacingTemplates(ablation.templates)
    }

    /// The vocabulary file in use (--vocabulary, else the dataset's default) and its SHA-256,
    /// or nil (coco without --vocabulary).
    private var vocabularyFile: (url: URL, sha256: String)? {
        get throws {
            let url: URL
            if let vocabulary {
                // A file, or a bare name in keypoints/ (as localize --vocabulary and eval --grid).
                url = try DataFiles.resolve(vocabulary, folder: "keypoints", option: "--vocabulary")
            } else if let name = dataset.vocabularyFileName {
                url = try DataFiles.resolve(String(name.dropLast(".json".count)), folder: "keypoints")
            } else {
                return nil
            }
            // An unreadable file is reported by KeypointVocabulary.load with its own message.
            guard let data = try? Data(contentsOf: url) else { return (url, "(unreadable)") }
            return (url, SHA256Hasher.hash(data))
        }
    }

    /// The grid preset file the CLIP methods use.
    var gridPath: String { grid ?? "fast" }

    private func loadGrid() throws -> GridFile { try GridFile.load(gridPath) }

    /// Builds the CLIP predictor (`--method redcircle` or `crop`) and says which precision it
    /// computes in.
    ///
    /// A resumed results file keeps its precision and library (`ComputeOptions.resuming` of the
    /// settings `recorded` in its header).
    // The header records "model", "model_sha256", "grid" and "grid_sha256"
    // (RunSettings.modelAndGrid) and "precision"; the CLIP predictor adds its visual prompt, fit,
    // weights and backend.
    /// Warns once per distinct prompt longer than CLIP's text context (issue 14).
    private func clipPredictor(preset: GridPreset, resuming recorded: [String: String]?, prompts: [String]) throws -> (
        predictor: any KeypointPredictor, precision: Precision?
    ) {
        let compute = self.compute.resuming(recorded: recorded)
        let loaded = try compute.loadModel { try CLIPBundle.load(directory: try modelURL(), backend: $0) }
        for w in loaded.model.truncationWarnings(Array(Set(prompts)).sorted()) { Console.warning(w) }
        let localizer = Localizer(bundle: loaded.model, preset: preset, workers: loaded.workers)
        let prompt = try ablation.visualPrompt(
            base: Localizer.defaultOptions(for: preset).prompt, presetMarker: preset.marker,
            inputSide: loaded.model.model.imageSize)
        let side = try cropSide.map { try CropSide(parsing: $0, option: "--crop-side") } ?? .standard
        return (
            CLIPPredictor(
                method: method == .crop ? .crop : .redcircle, localizer: localizer, prompt: prompt, cropSide: side,
                fit: fit),
            loaded.precision
        )
    }

    /// The random baseline (`--method random`).
    private func randomPredictor() -> RandomPredictor {
        let delay = ProcessInfo.processInfo.environment[RandomPredictor.delayEnvironmentVariable].flatMap(Int.init) ?? 0
        return RandomPredictor(seed: seed, delayMilliseconds: delay)
    }

    /// The per-image search mask of --mask (nil for none).
    private func makeSearchMask() throws -> (any SearchMaskSource)? {
        switch maskOptions.kind {
        case .none, .file: return nil
        case .box: return BoxSearchMask()
        case .saliency:
            guard let loaded = try maskOptions.loadEstimator(compute: compute) else { return nil }
            let estimator = loaded.model
            let workers = loaded.workers
            return SaliencySearchMask(
                estimator: estimator, modelDigest: try maskOptions.saliencyModelDigest(), workers: workers)
        }
    }

    /// The model directory for the CLIP methods (the default model unless --model is given).
    private func modelURL() throws -> URL {
        try ModelStore().resolve(model ?? ModelRegistry.defaultModelName, option: "--model")
    }

}

extension DatasetKind: ExpressibleByArgument {}
extension DatasetSplit: ExpressibleByArgument {}

extension EvalCommand: ConfidenceIntervalsScope {
    /// `eval` has no --compare: its intervals are those of the report it prints at its end.
    static var confidenceIntervalsCover: String { "every PCK figure of the report printed at the end" }
}
