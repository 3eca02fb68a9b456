import ArgumentParser
import CLIP
import Evaluation
import Foundation
import Imaging
import KeypointsSupport
import Localization
import Saliency

struct LocalizeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "localize",
        abstract: "Find named keypoints in photos: a red circle at each candidate, scored by CLIP.",
        discussion: """
            Coordinates are in original-image pixels, continuous: pixel (i, j) spans [i, i+1) x [j, j+1).
            EXIF orientation is not applied: photos are used as stored, as the CLIP reference reads them, with a warning for each rotated or mirrored one; with --exif-transpose they are turned upright first, and coordinates, --box, --boxes, --mask files and figures are in the displayed frame.
            --grid and --vocabulary take a file or a bare name looked up in grids/ and keypoints/.
            Figures (--heatmap, --overlay, --montage) are PNG or JPEG by their extension, at the photo's resolution up to --figure-max-side; {name} stands for the image's file name.
            A folder stands for its .jpg, .jpeg and .png files. --out FILE.jsonl records each photo's answer as it is found; the same command run again resumes from it (other settings are refused). --shard i/n takes photos i, i+n, ...; no output may overwrite a photo or another output.

            Examples:
              keypoints localize bird.jpg --vocabulary cub --heatmap out/
              keypoints localize bird.jpg --vocabulary cub --prompt ensemble \\
                --save-marked marked/
              keypoints localize bird.jpg --model ~/models/clip-vit-large-patch14-336 \\
                --vocabulary cub --overlay out/overlay.png
              keypoints localize horse.jpg --model ViT-B/16 --keypoint "front left hoof" \\
                --template "This image shows the {part} of the horse"
              keypoints localize bird.jpg --vocabulary cub \\
                --template "This is the {part} of a bird" \\
                --template "a photo of the {part} of a bird"
              keypoints localize a.jpg b.jpg --vocabulary spair --category dog \\
                --grid dense30 --json
              keypoints localize a.jpg b.jpg --vocabulary cub --common-scale \\
                --montage 'out/{name}_montage.jpg' --overlay 'out/{name}.png'
              keypoints localize photos/ --vocabulary cub --out birds.jsonl
              keypoints localize photos/ --vocabulary cub --csv > predictions.csv
              keypoints localize photos/ --vocabulary cub --shard auto \\
                --out 'birds-{shard}.jsonl'
            """
    )

    @Argument(
        help: ArgumentHelp(
            "Photos (JPEG or PNG), or folders of them (their .jpg, .jpeg and .png files, sorted by name).",
            valueName: "image"))
    var images: [String]
    @OptionGroup var model: ModelOptions
    @Option(
        name: .customLong("keypoint"),
        help: ArgumentHelp(
            "A free-text keypoint (repeatable); the text is the prompt unless --template is given.", valueName: "text"))
    var keypoints: [String] = []
    @Option(
        help: ArgumentHelp(
            "A keypoint vocabulary: a file or a name in keypoints/ (cub, spair, faces).", valueName: "file"))
    var vocabulary: String?
    @Option(help: ArgumentHelp("Category of the vocabulary (needed when it has several).", valueName: "name"))
    var category: String?
    @Option(help: ArgumentHelp("Only these keypoints of the vocabulary, comma-separated.", valueName: "names"))
    var only: String?
    @Option(help: ArgumentHelp("Grid-search preset: a file or a name in grids/ (fast, dense30).", valueName: "file"))
    var grid = "fast"
    @Option(
        help: ArgumentHelp(
            "How the image is fitted to the model input (overrides the preset): pad, crop or stretch.",
            valueName: "mode"))
    var fit: FitMode?
    @Option(help: ArgumentHelp("Restrict candidates to a box in original pixels.", valueName: "x,y,w,h"))
    var box: String?
    @Option(
        help: ArgumentHelp(
            "One box per photo from a CSV file with the header image,x,y,w,h (paths relative to the file's folder); instead of --box.",
            valueName: "file.csv"))
    var boxes: String?
    @Flag(
        name: .customLong("crop-to-box"),
        help: "Crop the image to --box (or its --boxes row) before fitting (the paper's SPair-71k protocol).")
    var cropToBox = false
    @OptionGroup var maskOptions: MaskOptions
    @OptionGroup(title: "Figures") var figures: FigureOptions
    @Option(
        help: ArgumentHelp(
            "Write every scored candidate as JSON: one file, or with {name} one file per photo, written as each is found (needed with --out); {shard} is replaced by the shard index.",
            valueName: "file"))
    var scores: String?
    @Flag(help: "Print exactly one JSON document.")
    var json = false
    @Flag(
        help: "Print the predictions as CSV: image,keypoint,x,y,score,passes,seconds (one row per photo and keypoint).")
    var csv = false
    @Option(help: ArgumentHelp("Marked images per forward pass (overrides the preset).", valueName: "n"))
    var batch: Int?
    @Flag(
        name: .customLong("allow-damaged-images"),
        help: "Localize in JPEGs with corrupt data (partly grey) with a warning and a note; refused by default.")
    var allowDamagedImages = false
    @OptionGroup var exif: ExifOptions
    @OptionGroup(title: "Ablations (the paper's switches)") var ablation: PromptOptions
    @Option(
        name: .customLong("save-marked"),
        help: ArgumentHelp(
            "Write the exact canvas CLIP scored at each prediction (what the model saw) into this folder; with a visual-prompt ensemble one per member, <image>_<keypoint>_marked_<m>.png.",
            valueName: "dir"))
    var saveMarked: String?
    @Option(
        help: ArgumentHelp(
            "Append each photo's answer here as it is found (JSON lines) and resume from it: the same command run again skips the photos already done; {shard} is replaced by the shard index.",
            valueName: "file"))
    var out: String?
    @OptionGroup var sharding: ShardOptions
    @OptionGroup var compute: ComputeOptions

    /// What keeping a photo's stored pixels means here (`ExifOptions.photo`).
    static let storedFrame = "keypoints are in the stored pixel frame"

    func validate() throws {
        try sharding.validate(out: out)
        if csv && json { throw ValidationError("give --json or --csv, not both") }
        if keypoints.isEmpty == (vocabulary == nil) {
            throw ValidationError("give either --keypoint TEXT (repeatable) or --vocabulary FILE")
        }
        if vocabulary == nil && (category != nil || only != nil) {
            throw ValidationError("--category and --only need --vocabulary")
        }
        if box != nil && boxes != nil {
            throw ValidationError("give --box (one box for every photo) or --boxes FILE, not both")
        }
        if cropToBox && box == nil && boxes == nil { throw ValidationError("--crop-to-box needs --box or --boxes") }
        if maskOptions.kind == .box && box == nil && boxes == nil {
            throw ValidationError("--mask box needs --box or --boxes")
        }
        if let box { _ = try Self.parseBox(box) }
        if let batch, batch < 1 || batch > LocalizationLimits.batch {
            throw ValidationError("--batch must be 1...\(LocalizationLimits.batch) (LocalizationLimits.batch)")
        }
        for k in keypoints where k.trimmingCharacters(in: .whitespaces).isEmpty {
            throw ValidationError("--keypoint texts must not be empty")
        }
        if let scores {
            let perPhoto = scores.contains(FigurePath.namePlaceholder)
            if sharding.shard == nil && scores.contains(Shard.outputPlaceholder) {
                throw ValidationError(
                    "--scores \(scores.displaySafe) holds \(Shard.outputPlaceholder) but no --shard is given")
            }
            if out != nil && !perPhoto {
                throw ValidationError(
                    "--scores \(scores.displaySafe) with --out: give a file name with {name} (e.g. 'scores/{name}.json'), one "
                        + "file per photo written as each is found, so that a resumed run keeps every photo's scores")
            }
            if sharding.shard != nil && !perPhoto && !scores.contains(Shard.outputPlaceholder) {
                throw ValidationError(
                    "--scores \(scores.displaySafe) with --shard: every shard would write that one file; put {shard} or {name} in it"
                )
            }
        }
    }

    /// `--scores` of one photo: `path` with `{name}` filled, or the one file.
    static func scoresURL(_ path: String, photo: String) -> URL {
        DataFiles.fileURL(
            path.replacingOccurrences(of: FigurePath.namePlaceholder, with: FigureDestinations.name(ofImage: photo)))
    }

    /// Output paths are checked before the model is loaded (issue 14: an existing file given to
    /// --heatmap used to fail after the compute with a raw Foundation error).
    /// Figure paths: a format their extension names (.png, .jpg, .jpeg), {name} when several
    /// images share one path; see `FigurePath`.
    /// `keypoints`: the run's keypoints, whose number decides whether a heatmap file name needs
    /// `{keypoint}`.
    /// `scores`: `--scores` with `{shard}` filled.
    func checkOutputPaths(photos: [String], keypoints: [KeypointQuery], scores: String?) throws
        -> FigureDestinations
    {
        let destinations = try figures.destinations(
            images: photos, keypointSlugs: Self.fileSlugs(keypoints.map(\.name)))
        if let saveMarked { try OutputPath.checkFolder(saveMarked, option: "--save-marked") }
        if let scores {
            // One check per folder the files go to (the check writes a probe file).
            var checked = Set<String>()
            for photo in photos {
                let url = Self.scoresURL(scores, photo: photo)
                if checked.insert(url.deletingLastPathComponent().path).inserted {
                    try OutputPath.checkFile(url.path, option: "--scores")
                }
            }
        }
        return destinations
    }

    /// Every file the run will write, checked before any compute: none may be one of the photos
    /// (`--overlay a.jpg` on the photo a.jpg used to replace it), and no two options may write
    /// one file (the last would silently win). Paths are compared after symlinks are resolved.
    /// - Parameters:
    ///   - out, scores: `--out` and `--scores` after `{shard}` is filled.
    ///   - otherInputs: the run's other input files (grid, vocabulary, mask, boxes) with what
    ///     they are ("the --mask file").
    ///   - markedImages: the images `--save-marked` writes per prediction (the visual prompt's members).
    func checkOutputsAgainstInputs(
        photos: [String], keypoints: [KeypointQuery], destinations: FigureDestinations, out: String?,
        scores: String?, otherInputs: [(what: String, url: URL)], markedImages: Int = 1
    ) throws {
        func key(_ url: URL) -> FilePathKey { FilePathKey(url: url.standardizedFileURL.resolvingSymlinksInPath()) }
        var inputs: [FilePathKey: String] = [:]
        for (what, url) in otherInputs { inputs[key(url)] = "\(what) \(url.path)" }
        for photo in photos { inputs[key(DataFiles.fileURL(photo))] = "photo \(photo)" }
        var written: [FilePathKey: String] = [:]
        func claim(_ url: URL, by option: String) throws {
            let k = key(url)
            if let input = inputs[k] {
                throw CLIError(
                    "\(option) \(url.path): is the input \(input), which would be overwritten; choose another path")
            }
            if let other = written[k], other != option {
                throw CLIError("\(other) and \(option) would both write \(url.path); give them different paths")
            }
            written[k] = option
        }
        if let scores {
            // One file for all photos, or one per photo ({name}), all claimed by --scores.
            for photo in photos { try claim(Self.scoresURL(scores, photo: photo), by: "--scores") }
            if scores.contains(FigurePath.namePlaceholder) {
                var first: [FilePathKey: String] = [:]
                for photo in photos {
                    let url = Self.scoresURL(scores, photo: photo)
                    if let other = first[FilePathKey(url: url)] {
                        throw CLIError(
                            "--scores \(scores): photos \(other) and \(photo) would both write \(url.path) ({name} is the "
                                + "file name without its extension); rename one of them")
                    }
                    first[FilePathKey(url: url)] = photo
                }
            }
        }
        if let out { try claim(DataFiles.fileURL(out), by: "--out") }
        let slugs = Self.fileSlugs(keypoints.map(\.name))
        for (index, photo) in photos.enumerated() {
            let prefix = Self.filePrefix(photo, index: index, of: photos.count)
            let name = FigureDestinations.name(ofImage: photo)
            if let heatmap = destinations.heatmap {
                for slug in slugs {
                    try claim(heatmap.url(prefix: prefix, name: name, keypoint: slug), by: "--heatmap")
                }
            }
            if let overlay = destinations.overlay {
                try claim(overlay.url(prefix: prefix, name: name), by: "--overlay")
            }
            if let montage = destinations.montage { try claim(montage.fileURL(name: name), by: "--montage") }
            if let saveMarked {
                for slug in slugs {
                    for url in Self.markedURLs(
                        folder: saveMarked, prefix: prefix, slug: slug, members: markedImages)
                    {
                        try claim(url, by: "--save-marked")
                    }
                }
            }
        }
    }

    /// The run's input files besides the photos, which no output may overwrite.
    func otherInputFiles() throws -> [(what: String, url: URL)] {
        var files: [(what: String, url: URL)] = [
            ("--grid file", try DataFiles.resolve(grid, folder: "grids", option: "--grid"))
        ]
        if let vocabulary {
            files.append(
                ("--vocabulary file", try DataFiles.resolve(vocabulary, folder: "keypoints", option: "--vocabulary")))
        }
        if case .file(let path) = maskOptions.kind { files.append(("--mask file", DataFiles.fileURL(path))) }
        if let boxes { files.append(("--boxes file", DataFiles.fileURL(boxes))) }
        return files
    }

    /// `--save-marked`'s files for one photo and keypoint, one per visual-prompt member:
    /// `<prefix>_<slug>_marked.png` for a single prompt, `<prefix>_<slug>_marked_<m>.png`
    /// (m = 1...M, in member order) for an ensemble of M.
    static func markedURLs(folder: String, prefix: String, slug: String, members: Int) -> [URL] {
        let dir = DataFiles.fileURL(folder)
        guard members > 1 else { return [dir.appendingPathComponent("\(prefix)_\(slug)_marked.png")] }
        return (1...members).map { dir.appendingPathComponent("\(prefix)_\(slug)_marked_\($0).png") }
    }

    static func parseBox(_ text: String) throws -> Box {
        let parts = text.split(separator: ",").map { Double($0.trimmingCharacters(in: .whitespaces)) }
        guard parts.count == 4, let x = parts[0], let y = parts[1], let w = parts[2], let h = parts[3],
            [x, y, w, h].allSatisfy(\.isFinite), w > 0, h > 0
        else {
            throw ValidationError("--box expects x,y,w,h with w, h > 0 (original pixels), got '\(text.displaySafe)'")
        }
        return Box(x: x, y: y, width: w, height: h)
    }

    // MARK: - Output documents

    struct Output: Encodable {
        let images: [LocalizationRecord]
        let model: String
        let grid: String
        let precision: Precision
        /// `SoftwareVersion.full`.
        let version: String
        /// The visual prompt as scored (marker shape, colour, size; blur or grey outside).
        let visualPrompt: String
        /// `--template`, if given once.
        let template: String?
        /// `--template`, if given several times (an ensemble).
        let templates: [String]?
        /// How photos were fitted to the model input (`--fit`, else the preset's).
        let fit: FitMode
        /// `--box` as x, y, width, height in original pixels, if given.
        let box: [Double]?
        let cropToBox: Bool
        /// `--mask`: "none", "box", "file PATH" or "saliency (MODEL, tau T, size S)".
        let mask: String
        /// `--exif-transpose`: true when given (photos turned upright first), absent otherwise.
        let exifTranspose: Bool?

        enum CodingKeys: String, CodingKey {
            case images, model, grid, precision, version, template, templates, fit, box, mask
            case visualPrompt = "visual_prompt"
            case cropToBox = "crop_to_box"
            case exifTranspose = "exif_transpose"
        }
    }

    struct ScoresOutput: Encodable {
        struct Image: Encodable {
            let path: String
            /// The EXIF orientation `--exif-transpose` applied (2...8), absent when none was.
            let exifTransposed: Int?
            /// Where it was found ("exif", "raw_profile", "xmp"), absent with it.
            let exifTransposedSource: ExifReader.Reading.Source?
            /// How the search mask was made (`MaskRecord`).
            let mask: MaskRecord
            let keypoints: [Keypoint]

            enum CodingKeys: String, CodingKey {
                case path, mask, keypoints
                case exifTransposed = "exif_transposed"
                case exifTransposedSource = "exif_transposed_source"
            }
        }
        struct Keypoint: Encodable {
            let name: String
            let samples: [SearchSample]
        }
        let images: [Image]
    }

    // MARK: - Run

    func run() throws {
        do {
            try localize(try makePlan())
        } catch let error as EvaluationError {
            throw CLIError(error.description)
        }
    }

    /// What the run step fixes once the model is loaded, the same for every photo.
    struct LoadedRun {
        let loaded: LoadedModel<CLIPBundle>
        let localizer: Localizer
        /// The plan's options with the visual prompt drawn for the model's input side.
        let options: LocalizationOptions
        /// Each pending photo's box, checked against its size.
        let validatedBoxes: [Int: Box]
        /// `--mask FILE.png`, checked against every pending photo's size.
        let fileMask: PixelMask?
        /// `--mask saliency`'s model, loaded once.
        let estimator: SaliencyEstimator?
        /// The saliency model's digest, recorded with `--scores` and `--out`.
        let saliencyDigest: String?
    }

    /// What the photos of a run answered: every selected photo's record (computed or read from
    /// `--out`) and, unless `--scores` writes one file per photo, the computed results and
    /// masks `--scores` writes at the end.
    struct Answers {
        var records: [LocalizationRecord] = []
        var computed: [ImageLocalization] = []
        var maskRecords: [MaskRecord] = []
        /// The record of each of `computed` (for the EXIF orientation applied to it, if any).
        var computedRecords: [LocalizationRecord] = []
    }

    /// The run step: loads the model, localizes the plan's pending photos (the others are
    /// answered from `--out`), writes their outputs and prints the results.
    private func localize(_ plan: Plan) throws {
        let store = plan.store
        defer { store?.close() }
        let run = try load(plan)
        // Ctrl-C is reported from before the file's header is written (as in eval).
        let interrupt = plan.out.map { InterruptNote(resultsFile: $0, items: "photo") }
        defer { interrupt?.cancel() }
        if let store, let out = plan.out {
            try store.start(
                settings: try runSettings(
                    grid: plan.gridFile, queries: plan.queries, options: run.options, loaded: run.loaded,
                    saliencyDigest: run.saliencyDigest, shard: plan.shard))
            if store.resumed {
                Console.note(
                    "resuming \(out): \(plan.selected.count - plan.pending.count) of \(plan.selected.count) photos already done"
                )
            }
        }

        let answers = try localizePhotos(plan, run: run, store: store)
        Console.endProgress()
        run.loaded.reportNotices()
        let fromFile = plan.selected.count - plan.pending.count
        let perPhotoOutputs = [
            (
                plan.destinations.heatmap != nil || plan.destinations.overlay != nil
                    || plan.destinations.montage != nil, "figures"
            ),
            (saveMarked != nil, "--save-marked"),
        ].filter(\.0).map(\.1)
        if fromFile > 0, let out = plan.out, !perPhotoOutputs.isEmpty {
            Console.note(
                "\(fromFile) photo(s) answered from \(out) get no new \(perPhotoOutputs.joined(separator: ", ")): "
                    + "those came from the run that found them")
        }
        if let scores = plan.scores, !plan.scoresPerPhoto {
            try writeScores(
                answers.computed, masks: answers.maskRecords, records: answers.computedRecords,
                to: Self.scoresURL(scores, photo: ""))
        }
        try printResults(answers.records, plan: plan, options: run.options, precision: run.loaded.precision)
    }

    /// Loads the model (on the precision and library `--out` was written with, when resumed) and
    /// checks what needs it before any photo is localized: every pending photo's geometry and
    /// box, and the mask file against every photo's size; a saliency model is loaded once.
    private func load(_ plan: Plan) throws -> LoadedRun {
        let compute = self.compute.resuming(recorded: plan.store?.recorded?.header?.settings)
        let loaded = try compute.loadModel { try CLIPBundle.load(directory: model.url, backend: $0) }
        var options = plan.options
        options.prompt = try ablation.visualPrompt(
            base: options.prompt, presetMarker: plan.preset.marker,
            inputSide: loaded.model.model.imageSize)
        for w in loaded.model.truncationWarnings(Array(Set(plan.queries.flatMap(\.prompts))).sorted()) {
            Console.warning(w)
        }
        let localizer = Localizer(bundle: loaded.model, preset: plan.preset, workers: loaded.workers)
        // Check geometry (boxes) for every photo up front as well.
        var validatedBoxes: [Int: Box] = [:]
        for index in plan.pending {
            guard let image = plan.sizes[index] else { continue }
            var imageOptions = options
            imageOptions.box = plan.box(of: index)
            _ = try localizer.geometry(
                width: image.width, height: image.height, path: image.path, options: imageOptions)
            let label = boxes.map { "\(image.path) (its --boxes \($0) row)" } ?? image.path
            validatedBoxes[index] = try imageOptions.box.map {
                try $0.validated(imageWidth: image.width, imageHeight: image.height, label: label)
            }
        }
        // The mask file is read and checked against every photo's size before any work; a
        // saliency model is loaded once. Masks are made per photo, before its CLIP passes.
        let fileMask = try maskOptions.loadFileMask(
            checkingSizes: plan.pending.compactMap { plan.sizes[$0] }.map { ($0.path, $0.width, $0.height) })
        let estimator = try maskOptions.loadEstimator(compute: compute)?.model
        let saliencyDigest =
            estimator != nil && (plan.scores != nil || plan.out != nil) ? try maskOptions.saliencyModelDigest() : nil
        return LoadedRun(
            loaded: loaded, localizer: localizer, options: options, validatedBoxes: validatedBoxes,
            fileMask: fileMask, estimator: estimator, saliencyDigest: saliencyDigest)
    }

    /// Localizes each selected photo that `store` does not answer, in order, writing its
    /// figures, `--save-marked` canvases, record and (per photo) scores as it is found.
    private func localizePhotos(
        _ plan: Plan, run: LoadedRun, store: LocalizationResultStore?
    ) throws -> Answers {
        var answers = Answers()
        let sinceStart = Stopwatch()
        var finished = 0
        for index in plan.selected {
            let path = plan.photos[index]
            if let record = store?.record(forPath: path) {
                answers.records.append(record)
                continue
            }
            // Warned about when the plan decoded it.
            let photo = exif.photo(
                try ImageCodec.decode(contentsOf: URL(fileURLWithPath: path), options: plan.readOptions),
                path: path, storedFrame: Self.storedFrame, warn: false)
            let image = photo.image
            let watch = Stopwatch()
            var imageOptions = run.options
            imageOptions.box = plan.box(of: index)
            let mask = try maskOptions.makeMask(
                photo: image, path: path, box: run.validatedBoxes[index],
                cropToBox: cropToBox, fileMask: run.fileMask, estimator: run.estimator,
                saliencyDigest: run.saliencyDigest, workspace: run.localizer.workspace)
            imageOptions.mask = mask.mask
            imageOptions.maskName = maskOptions.mask
            var result = try run.localizer.localize(
                image, path: path, keypoints: plan.queries, options: imageOptions
            ) { p in
                if plan.pending.count == 1 || compute.verbose {
                    Console.progress(
                        "stage \(p.stage + 1)/\(p.stageCount): \(p.stageScored)/\(p.stageTotal) locations, \(p.passes) passes"
                    )
                }
            }
            let seconds = watch.seconds
            if image.isDamaged {
                result.notes.append("damaged image, decoded anyway: " + image.warnings.joined(separator: "; "))
            }
            for note in result.notes { Console.warning("\(path): \(note)") }
            try writeFigures(
                result, image: image, index: index, of: plan.photos.count, to: plan.destinations,
                caption: FigureCaption(model: model.model, grid: plan.preset.name, box: imageOptions.box))
            if let saveMarked {
                try writeMarked(
                    result, image: image, index: index, of: plan.photos.count, folder: saveMarked,
                    localizer: run.localizer, options: imageOptions)
            }
            var record = LocalizationRecord(result, seconds: seconds)
            if plan.photoBoxes != nil { record.box = imageOptions.box }
            record.exifTransposed = photo.applied?.rawValue
            record.exifTransposedSource = photo.appliedSource
            try store?.append(record)
            answers.records.append(record)
            var maskRecord = mask.record
            maskRecord.applied = result.maskApplied
            if let scores = plan.scores, plan.scoresPerPhoto {
                try writeScores(
                    [result], masks: [maskRecord], records: [record],
                    to: Self.scoresURL(scores, photo: path))
            } else {
                answers.computed.append(result)
                answers.maskRecords.append(maskRecord)
                answers.computedRecords.append(record)
            }
            finished += 1
            if plan.pending.count > 1 {
                let elapsed = sinceStart.seconds
                let eta = elapsed / Double(finished) * Double(plan.pending.count - finished)
                Console.progress(
                    String(
                        format: "[%d/%d] %@: %d passes, %.1f s; %.2f images/s, ETA %.0f s",
                        finished, plan.pending.count, path, result.passes, seconds, Double(finished) / elapsed, eta))
            }
        }
        return answers
    }

    /// Prints every selected photo's answer: one JSON document (`--json`), CSV (`--csv`), or a
    /// table per photo.
    private func printResults(
        _ records: [LocalizationRecord], plan: Plan, options: LocalizationOptions, precision: Precision
    ) throws {
        let output = Output(
            images: records, model: model.model, grid: plan.preset.name, precision: precision,
            version: SoftwareVersion.full, visualPrompt: options.prompt.description,
            template: ablation.templates.count == 1 ? ablation.templates[0] : nil,
            templates: ablation.templates.count > 1 ? ablation.templates : nil,
            fit: options.fit, box: options.box.map { [$0.x, $0.y, $0.width, $0.height] }, cropToBox: options.cropToBox,
            mask: maskOptions.description, exifTranspose: exif.exifTranspose ? true : nil)
        if json {
            try Console.printJSON(output)
            return
        }
        if csv {
            print(LocalizationPredictions.csv(records), terminator: "")
            return
        }
        // The visual prompt is named when switches set it or it is not the preset's plain marker
        // (a preset's "visual_prompt", e.g. an ensemble, which multiplies the passes).
        let namesPrompt = ablation.changesThePrompt || options.prompt != .marker(plan.preset.marker)
        for r in records {
            Console.result(
                "\(r.path) (\(r.width)x\(r.height)): \(r.passes) passes, \(String(format: "%.1f", r.seconds)) s, grid \(plan.preset.name)"
                    + (namesPrompt ? ", \(options.prompt.compactDescription)" : ""))
            // Names are escaped before their widths are taken.
            let names = r.keypoints.map(\.name.displaySafe)
            let width = max(8, names.map(\.count).max() ?? 8)
            print(
                "  " + "keypoint".padding(toLength: width, withPad: " ", startingAt: 0)
                    + "         x         y     score")
            for (k, name) in zip(r.keypoints, names) {
                print(
                    "  " + name.padding(toLength: width, withPad: " ", startingAt: 0)
                        + String(format: " %9.1f %9.1f %9.4f", k.x, k.y, k.score))
            }
        }
        if let out = plan.out { Console.result("results: \(out)") }
    }

    func loadQueries() throws -> [KeypointQuery] {
        if !keypoints.isEmpty { return try KeypointVocabulary.freeText(keypoints, templates: ablation.templates) }
        let url = try DataFiles.resolve(vocabulary ?? "", folder: "keypoints", option: "--vocabulary")
        var vocab = try KeypointVocabulary.load(from: url)
        if !ablation.templates.isEmpty { vocab = try vocab.replacingTemplates(ablation.templates) }
        let name: String
        if let category {
            name = category
        } else if vocab.categories.count == 1 {
            name = vocab.categories[0].name
        } else {
            throw CLIError(
                "\(url.path): has categories \(vocab.categoryNames.joined(separator: ", ")); choose one with --category"
            )
        }
        let selection = only?.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        return try vocab.queries(category: name, keypoints: selection)
    }

    /// The file-name prefix of an image's outputs: its slug, numbered when there are several.
    /// `index`: the photo's position among the run's `count` photos (all shards).
    static func filePrefix(_ path: String, index: Int, of count: Int) -> String {
        let stem = DataFiles.slug(URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent)
        return count > 1 ? "\(index + 1)-\(stem)" : stem
    }

    /// One file-name slug per keypoint, distinct even when names fold to the same slug
    /// ("Left Eye", "left-eye").
    static func fileSlugs(_ names: [String]) -> [String] {
        var used = Set<String>()
        return names.enumerated().map { k, name in
            var slug = DataFiles.slug(name)
            if slug.isEmpty { slug = "keypoint-\(k + 1)" }
            if used.contains(slug) { slug += "-\(k + 1)" }
            used.insert(slug)
            return slug
        }
    }

    /// What the figures of a run say besides the scores.
    struct FigureCaption {
        /// `--model` as given (a known name or ORG/NAME; a directory by its last component).
        let model: String
        let grid: String
        /// `--box`, outlined on heatmaps.
        let box: Box?

        var modelName: String {
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: DataFiles.fileURL(model).path, isDirectory: &isDirectory),
                isDirectory.boolValue
            {
                return DataFiles.fileURL(model).lastPathComponent
            }
            return model
        }
    }

    /// A keypoint's prompts in a figure caption: `"the prompt"`, or the first of an ensemble and
    /// how many more.
    static func quoted(_ prompts: [String]) -> String {
        let first = "\"\(prompts.first ?? "")\""
        return prompts.count > 1 ? "\(first) + \(prompts.count - 1) more prompt(s), ensembled" : first
    }

    /// --heatmap, --overlay and --montage of one image.
    func writeFigures(
        _ r: ImageLocalization, image: DecodedImage, index: Int, of count: Int, to destinations: FigureDestinations,
        caption: FigureCaption
    ) throws {
        let prefix = Self.filePrefix(r.path, index: index, of: count)
        let name = FigureDestinations.name(ofImage: r.path)
        let samples = r.keypoints.indices.map { r.scoreSamples(keypoint: $0) }
        // One colour range for all keypoints of the image with --common-scale.
        let allScores = samples.joined().map(\.score)
        let common = figures.commonScale ? allScores.min().flatMap { lo in allScores.max().map { lo...$0 } } : nil
        let settings = "model \(caption.modelName), grid \(caption.grid), \(r.passes) passes"
        func annotation(_ k: Int) -> HeatmapAnnotation {
            let kp = r.keypoints[k]
            var lines = [Self.quoted(kp.prompts), settings]
            if common != nil { lines.append("one colour scale for all \(r.keypoints.count) keypoints of the image") }
            return HeatmapAnnotation(
                title: kp.name, subtitle: lines, scoreRange: common, box: caption.box, mask: r.searchMask)
        }
        // Heatmaps and the overlay show the photo at one size: downscale it once.
        let shown = figurePhoto(image.rgb, maxSide: figures.figureMaxSide)
        if let heatmap = destinations.heatmap {
            let renderer = HeatmapRenderer(maxDisplaySide: figures.figureMaxSide)
            for (k, (kp, slug)) in zip(r.keypoints, Self.fileSlugs(r.keypoints.map(\.name))).enumerated() {
                let url = heatmap.url(prefix: prefix, name: name, keypoint: slug)
                try FileManager.default.createDirectory(
                    at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
                try renderer.write(
                    to: url, format: heatmap.format, photo: shown, originalWidth: r.width, originalHeight: r.height,
                    samples: samples[k], prediction: kp.point, annotation: annotation(k))
            }
        }
        if let overlay = destinations.overlay {
            let url = overlay.url(prefix: prefix, name: name)
            try FileManager.default.createDirectory(
                at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try OverlayRenderer(maxDisplaySide: figures.figureMaxSide).write(
                to: url, format: overlay.format, photo: shown, originalWidth: r.width, originalHeight: r.height,
                points: r.labeledPoints)
        }
        if let montage = destinations.montage {
            let url = montage.fileURL(name: name)
            try FileManager.default.createDirectory(
                at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            let entries = r.keypoints.indices.map { k in
                var a = annotation(k)
                a.subtitle = [Self.quoted(r.keypoints[k].prompts)]
                return MontageEntry(samples: samples[k], prediction: r.keypoints[k].point, annotation: a)
            }
            let scale = common == nil ? "each keypoint on its own colour scale" : "one colour scale for all keypoints"
            let figure = try MontageRenderer(maxSide: figures.figureMaxSide).render(
                photo: image.rgb, entries: entries,
                title: "\(URL(fileURLWithPath: r.path).lastPathComponent): \(r.keypoints.count) keypoints",
                subtitle: [settings + ", " + scale])
            try ImageCodec.writeFigure(figure.image, to: url, format: montage.format)
        }
    }

    /// `--save-marked`: the canvas CLIP scored at each keypoint's prediction,
    /// `<image>_<keypoint>_marked.png` (model-input size, exactly the scored pixels); with a
    /// visual-prompt ensemble one per member, `<image>_<keypoint>_marked_<m>.png`.
    func writeMarked(
        _ r: ImageLocalization, image: DecodedImage, index: Int, of count: Int, folder: String,
        localizer: Localizer, options: LocalizationOptions
    ) throws {
        let prefix = Self.filePrefix(r.path, index: index, of: count)
        let dir = DataFiles.fileURL(folder)
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        for (kp, slug) in zip(r.keypoints, Self.fileSlugs(r.keypoints.map(\.name))) {
            let canvases = try localizer.markedCanvases(image, path: r.path, at: kp.point, options: options)
            let urls = Self.markedURLs(folder: folder, prefix: prefix, slug: slug, members: canvases.count)
            for (canvas, url) in zip(canvases, urls) {
                try DataFiles.writeAtomically(try ImageCodec.encodePNG(canvas), to: url)
            }
        }
    }

    /// - Parameters: results, masks, records: one entry per photo, in order (the records give
    ///   the EXIF orientation applied and its source).
    func writeScores(
        _ results: [ImageLocalization], masks: [MaskRecord], records: [LocalizationRecord], to url: URL
    ) throws {
        let doc = ScoresOutput(
            images: zip(results, zip(masks, records)).map { r, photo in
                ScoresOutput.Image(
                    path: r.path, exifTransposed: photo.1.exifTransposed,
                    exifTransposedSource: photo.1.exifTransposedSource, mask: photo.0,
                    keypoints: r.keypoints.enumerated().map { k, kp in
                        ScoresOutput.Keypoint(name: kp.name, samples: r.search.samples(keypoint: k))
                    })
            })
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        try DataFiles.writeAtomically(try encoder.encode(doc), to: url)
    }
}

extension FitMode: ExpressibleByArgument {}
