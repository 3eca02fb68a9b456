import ArgumentParser
import Evaluation
import Foundation
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
            other settings are refused). --shard i/n evaluates images i, i+n, ... of the sorted \
            dataset; --limit N the first N of those. Merge shard files with `keypoints report`.

            Examples:
              keypoints eval --dataset cub --root CUB_200_2011 --model DIR --out cub.jsonl
              keypoints eval --dataset spair --root SPair-71k --method random --shard 0/4 \\
                --out spair-0.jsonl
            """
    )

    enum Dataset: String, ExpressibleByArgument, CaseIterable {
        case cub, spair, faces, coco
        var kind: DatasetKind {
            switch self {
            case .cub: return .cub
            case .spair: return .spair
            case .faces: return .faces
            case .coco: return .coco
            }
        }
    }

    enum Method: String, ExpressibleByArgument, CaseIterable {
        case redcircle, crop, random
    }

    enum Split: String, ExpressibleByArgument, CaseIterable {
        case test, train, all
        var split: DatasetSplit {
            switch self {
            case .test: return .test
            case .train: return .train
            case .all: return .all
            }
        }
    }

    @Option(help: "The dataset format.")
    var dataset: Dataset
    @Option(help: ArgumentHelp("Dataset root (the annotation JSON file for coco).", valueName: "path"))
    var root: String
    @Option(help: ArgumentHelp("A model name (default \(ModelRegistry.defaultModelName)), ORG/NAME or a model directory; not used by --method random.", valueName: "name|dir"))
    var model: String?
    @Option(help: ArgumentHelp("coco only: the image folder (default: the annotation file's folder).", valueName: "dir"))
    var images: String?
    @Option(help: "Which images: test (default for cub, spair), train, all (faces and coco have only all).")
    var split: Split?
    @Option(parsing: .upToNextOption,
            help: ArgumentHelp("Categories to evaluate, space- or comma-separated (spair default: bird cat cow dog horse sheep; cub: class names or ids; coco: category names).", valueName: "name"))
    var categories: [String] = []
    @Option(help: ArgumentHelp("Keypoint names and prompts (default: keypoints/<dataset>.json; coco: the file's names).", valueName: "file"))
    var vocabulary: String?
    @Option(help: ArgumentHelp("Candidate-grid preset for redcircle and crop (default: grids/fast.json).", valueName: "file"))
    var grid: String?
    @Option(help: "Localization method: redcircle (the paper's), crop (score crops), random (baseline).")
    var method: Method = .redcircle
    @Option(help: "PCK threshold factor: correct if distance <= alpha * max(box width, box height).")
    var alpha = 0.1
    @Option(help: "Evaluate only the first N images (of the shard).")
    var limit: Int?
    @Option(help: ArgumentHelp("Evaluate images i, i+n, i+2n, ... of the sorted dataset.", valueName: "i/n"))
    var shard: String?
    @Option(help: ArgumentHelp("Append results here (JSON lines) and resume from it.", valueName: "file"))
    var out: String?
    @Flag(help: "Print exactly one JSON document (the PCK report).")
    var json = false
    @Option(help: "Seed of the random method.")
    var seed: UInt64 = 0
    @Flag(name: .customLong("visible-only"), help: "coco only: evaluate v = 2 (visible) keypoints, not v = 1 (labelled, occluded).")
    var visibleOnly = false
    @OptionGroup var compute: ComputeOptions

    func validate() throws {
        if let split, !dataset.kind.splits.contains(split.split) {
            throw ValidationError("--dataset \(dataset.rawValue) has no \(split.rawValue) split; use --split all")
        }
        if images != nil && dataset != .coco { throw ValidationError("--images applies to --dataset coco only") }
        if visibleOnly && dataset != .coco { throw ValidationError("--visible-only applies to --dataset coco only") }
        if dataset == .faces && !categories.isEmpty {
            throw ValidationError("--dataset faces has a single category; --categories does not apply")
        }
        guard alpha.isFinite, alpha > 0, alpha <= 1 else { throw ValidationError("--alpha must be in (0, 1], got \(alpha)") }
        if let limit, limit < 1 { throw ValidationError("--limit must be at least 1, got \(limit)") }
        if let shard {
            do { _ = try Shard(parsing: shard) } catch { throw ValidationError("\(error)") }
        }
        if root.isEmpty { throw ValidationError("--root is empty") }
    }

    func run() throws {
        do {
            try evaluate()
        } catch let error as EvaluationError {
            throw CLIError(error.description)
        } catch let error as KeypointVocabularyError {
            throw CLIError(error.description)
        }
    }

    private func evaluate() throws {
        let rootURL = DataFiles.fileURL(root)
        let vocabulary = try loadVocabulary()
        let options = DatasetOptions(kind: dataset.kind, root: rootURL, images: images.map(DataFiles.fileURL), split: split?.split,
                                     categories: categories.flatMap { $0.split(separator: ",").map(String.init) },
                                     vocabulary: vocabulary, includeOccluded: !visibleOnly)
        let data = try EvalDataset.load(options)
        for note in data.notes { Console.note("note: \(note)") }
        let runner = EvalRunner(dataset: data, shard: try shard.map { try Shard(parsing: $0) }, limit: limit, alpha: alpha)
        let selected = runner.selection
        guard !selected.isEmpty else {
            throw CLIError("no images selected (\(data.items.count) in the \(data.split.rawValue) split"
                           + (shard.map { ", shard \($0)" } ?? "") + ")")
        }

        var predictor = try makePredictor()
        let settings = try runner.settings(for: predictor, extra: try modelAndGridSettings())
        let store: ResultStore
        if let out {
            store = try ResultStore.open(url: DataFiles.fileURL(out), settings: settings)
            if let torn = store.repairedTail { Console.warning("\(out): \(torn); truncated, that image is redone") }
            if store.resumed {
                let done = selected.filter { store.isDone($0.id) }.count
                Console.note("resuming \(out): \(done) of \(selected.count) selected images already done")
            }
        } else {
            store = ResultStore.inMemory(settings: settings)
        }
        defer { store.close() }

        let reporter = ProgressReporter(bar: ProgressBar(alpha: alpha))
        let report = try runner.run(predictor: &predictor, store: store) { reporter.update($0) }
        reporter.finish()
        if let clip = predictor as? CLIPPredictor { compute.reportNotices(clip.localizer.bundle.model.backend) }
        if json {
            try Console.printJSON(report)
        } else {
            print(report.table(), terminator: "")
            if let out { print("results: \(out)") }
        }
    }

    private func loadVocabulary() throws -> KeypointVocabulary? {
        let path: String
        if let vocabulary {
            path = vocabulary
        } else if let name = dataset.kind.vocabularyFileName {
            path = try DataFiles.resolve(String(name.dropLast(".json".count)), folder: "keypoints").path
        } else {
            return nil
        }
        return try KeypointVocabulary.load(from: DataFiles.fileURL(path))
    }

    /// The grid preset file the CLIP methods use.
    var gridPath: String { grid ?? "fast" }

    /// What the results header records about the model and the grid (CLIP methods only): the
    /// model directory, and the grid preset's path and SHA-256, so resuming with another model or
    /// an edited preset is refused.
    private func modelAndGridSettings() throws -> [String: String] {
        guard method != .random else { return [:] }
        let gridURL = try DataFiles.resolve(gridPath, folder: "grids")
        let data: Data
        do {
            data = try Data(contentsOf: gridURL)
        } catch {
            throw CLIError("\(gridPath): cannot read the grid preset (run from the repository root, or give --grid FILE)")
        }
        return ["model": try modelURL().standardizedFileURL.path, "grid": gridURL.standardizedFileURL.path, "grid_sha256": SHA256Hasher.hash(data)]
    }

    /// Builds the predictor for `--method`.
    // The header records "model", "grid" and "grid_sha256" (modelAndGridSettings()); the CLIP
    // predictor adds its visual prompt, fit, weights and backend.
    private func makePredictor() throws -> any KeypointPredictor {
        switch method {
        case .random:
            let delay = ProcessInfo.processInfo.environment[RandomPredictor.delayEnvironmentVariable].flatMap(Int.init) ?? 0
            return RandomPredictor(seed: seed, delayMilliseconds: delay)
        case .redcircle, .crop:
            let workers = try compute.configure()
            let preset = try GridPreset.load(from: try DataFiles.resolve(gridPath, folder: "grids"))
            let (backend, _) = compute.makeBackend()
            let bundle = try CLIPBundle.load(directory: try modelURL(), backend: backend)
            try compute.prepare(backend, for: bundle.model)
            for w in bundle.model.warnings { Console.warning(w) }
            let localizer = Localizer(bundle: bundle, preset: preset, workers: workers)
            return CLIPPredictor(method: method == .crop ? .crop : .redcircle, localizer: localizer)
        }
    }

    /// The model directory for the CLIP methods (the default model unless --model is given).
    private func modelURL() throws -> URL { try ModelStore().resolve(model ?? ModelRegistry.defaultModelName) }

}
