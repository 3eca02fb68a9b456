import ArgumentParser
import CLIP
import Foundation
import Imaging
import KeypointsSupport
import Localization

struct LocalizeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "localize",
        abstract: "Find named keypoints in photos: a red circle at each candidate, scored by CLIP.",
        discussion: """
            Coordinates are in original-image pixels, continuous: pixel (i, j) spans [i, i+1) x [j, j+1).
            --grid and --vocabulary take a file or a bare name looked up in grids/ and keypoints/.
            Figures (--heatmap, --overlay, --montage) are PNG or JPEG by their extension, at the photo's resolution up to --figure-max-side; {name} stands for the image's file name.

            Examples:
              keypoints localize bird.jpg --vocabulary cub --heatmap out/
              keypoints localize bird.jpg --model ~/models/clip-vit-large-patch14-336 \\
                --vocabulary cub --overlay out/overlay.png
              keypoints localize horse.jpg --model ViT-B/16 --keypoint "front left hoof" \\
                --template "This image shows the {part} of the horse"
              keypoints localize a.jpg b.jpg --vocabulary spair --category dog \\
                --grid dense30 --json
              keypoints localize a.jpg b.jpg --vocabulary cub --common-scale \\
                --montage 'out/{name}_montage.jpg' --overlay 'out/{name}.png'
            """
    )

    @Argument(help: ArgumentHelp("Photos (JPEG or PNG).", valueName: "image"))
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
    @Flag(
        name: .customLong("crop-to-box"),
        help: "Crop the image to --box before fitting (the paper's SPair-71k protocol).")
    var cropToBox = false
    @OptionGroup var maskOptions: MaskOptions
    @OptionGroup(title: "Figures") var figures: FigureOptions
    @Option(help: ArgumentHelp("Write every scored candidate as JSON.", valueName: "file"))
    var scores: String?
    @Flag(help: "Print exactly one JSON document.")
    var json = false
    @Option(help: ArgumentHelp("Marked images per forward pass (overrides the preset).", valueName: "n"))
    var batch: Int?
    @Flag(
        name: .customLong("allow-damaged-images"),
        help: "Localize in JPEGs with corrupt data (partly grey) with a warning and a note; refused by default.")
    var allowDamagedImages = false
    @OptionGroup(title: "Ablations (the paper's switches)") var ablation: PromptOptions
    @Option(
        name: .customLong("save-marked"),
        help: ArgumentHelp(
            "Write the exact canvas CLIP scored at each prediction (what the model saw) into this folder.",
            valueName: "dir"))
    var saveMarked: String?
    @OptionGroup var compute: ComputeOptions

    func validate() throws {
        if keypoints.isEmpty == (vocabulary == nil) {
            throw ValidationError("give either --keypoint TEXT (repeatable) or --vocabulary FILE")
        }
        if vocabulary == nil && (category != nil || only != nil) {
            throw ValidationError("--category and --only need --vocabulary")
        }
        if cropToBox && box == nil { throw ValidationError("--crop-to-box needs --box") }
        if maskOptions.kind == .box && box == nil { throw ValidationError("--mask box needs --box") }
        if let box { _ = try Self.parseBox(box) }
        if let batch, batch < 1 || batch > LocalizationLimits.batch {
            throw ValidationError("--batch must be 1...\(LocalizationLimits.batch) (LocalizationLimits.batch)")
        }
        for k in keypoints where k.trimmingCharacters(in: .whitespaces).isEmpty {
            throw ValidationError("--keypoint texts must not be empty")
        }
    }

    /// Output paths are checked before the model is loaded (issue 14: an existing file given to
    /// --heatmap used to fail after the compute with a raw Foundation error).
    /// Figure paths: a format their extension names (.png, .jpg, .jpeg), {name} when several
    /// images share one path; see `FigurePath`.
    /// `keypoints`: the run's keypoints, whose number decides whether a heatmap file name needs
    /// `{keypoint}`.
    func checkOutputPaths(keypoints: [KeypointQuery]) throws -> FigureDestinations {
        let destinations = try figures.destinations(
            images: images, keypointSlugs: Self.fileSlugs(keypoints.map(\.name)))
        if let saveMarked { try OutputPath.checkFolder(saveMarked, option: "--save-marked") }
        if let scores { try OutputPath.checkFile(scores, option: "--scores") }
        return destinations
    }

    static func parseBox(_ text: String) throws -> Box {
        let parts = text.split(separator: ",").map { Double($0.trimmingCharacters(in: .whitespaces)) }
        guard parts.count == 4, let x = parts[0], let y = parts[1], let w = parts[2], let h = parts[3],
            [x, y, w, h].allSatisfy(\.isFinite), w > 0, h > 0
        else {
            throw ValidationError("--box expects x,y,w,h with w, h > 0 (original pixels), got '\(text)'")
        }
        return Box(x: x, y: y, width: w, height: h)
    }

    // MARK: - Output documents

    struct Output: Encodable {
        struct Image: Encodable {
            let path: String, width: Int, height: Int, passes: Int, seconds: Double
            let keypoints: [KeypointPrediction]
            let notes: [String]
        }
        let images: [Image]
        let model: String
        let grid: String
        let precision: Precision
        /// `SoftwareVersion.full`.
        let version: String
        /// The visual prompt as scored (marker shape, colour, size; blur or grey outside).
        let visualPrompt: String
        /// `--template`, if given.
        let template: String?

        enum CodingKeys: String, CodingKey {
            case images, model, grid, precision, version, template
            case visualPrompt = "visual_prompt"
        }
    }

    struct ScoresOutput: Encodable {
        struct Image: Encodable {
            let path: String
            /// How the search mask was made (`MaskRecord`).
            let mask: MaskRecord
            let keypoints: [Keypoint]
        }
        struct Keypoint: Encodable {
            let name: String
            let samples: [SearchSample]
        }
        let images: [Image]
    }

    // MARK: - Run

    func run() throws {
        let queries = try loadQueries()
        let destinations = try checkOutputPaths(keypoints: queries)
        let presetURL = try DataFiles.resolve(grid, folder: "grids", option: "--grid")
        var preset = try GridPreset.load(from: presetURL)
        if let batch { preset.batch = batch }
        var options = Localizer.defaultOptions(for: preset)
        if let fit { options.fit = fit }
        if let box { options.box = try Self.parseBox(box) }
        options.cropToBox = cropToBox

        // Decode every image once before any work, so that a bad file among several stops the run
        // before anything is written, keeping only its size: each photo is decoded again when its
        // turn comes and dropped after, so memory holds one photo whatever the number of images.
        let readOptions = ImageReadOptions(allowDamaged: allowDamagedImages)
        let sizes = try images.map { path in
            let image = try ImageCodec.decode(contentsOf: URL(fileURLWithPath: path), options: readOptions)
            for w in image.warnings { Console.warning("\(path): decoder: \(w)") }
            return (path: path, width: image.width, height: image.height)
        }
        let loaded = try compute.loadModel { try CLIPBundle.load(directory: model.url, backend: $0) }
        let precision = loaded.precision
        options.prompt = try ablation.visualPrompt(
            base: options.prompt, presetMarker: preset.marker,
            inputSide: loaded.model.model.imageSize)
        for w in loaded.model.truncationWarnings(Array(Set(queries.map(\.prompt))).sorted()) { Console.warning(w) }
        let localizer = Localizer(bundle: loaded.model, preset: preset, workers: loaded.workers)
        // Check geometry (boxes) for every image up front as well.
        var validatedBoxes: [Box?] = []
        for image in sizes {
            _ = try localizer.geometry(width: image.width, height: image.height, path: image.path, options: options)
            validatedBoxes.append(
                try options.box.map {
                    try $0.validated(imageWidth: image.width, imageHeight: image.height, label: image.path)
                })
        }
        // The mask file is read and checked against every photo's size before any work; a
        // saliency model is loaded once. Masks are made per photo, before its CLIP passes.
        let fileMask = try maskOptions.loadFileMask(checkingSizes: sizes.map { ($0.path, $0.width, $0.height) })
        let estimator = try maskOptions.loadEstimator(compute: compute)?.model
        let saliencyDigest = estimator != nil && scores != nil ? try maskOptions.saliencyModelDigest() : nil

        var results: [(ImageLocalization, Double)] = []
        var maskRecords: [MaskRecord] = []
        let run = Stopwatch()
        for (index, path) in images.enumerated() {
            let image = try ImageCodec.decode(contentsOf: URL(fileURLWithPath: path), options: readOptions)
            let watch = Stopwatch()
            var imageOptions = options
            let mask = try maskOptions.makeMask(
                photo: image, path: path, box: validatedBoxes[index],
                cropToBox: cropToBox, fileMask: fileMask, estimator: estimator, saliencyDigest: saliencyDigest,
                workspace: localizer.workspace)
            imageOptions.mask = mask.mask
            imageOptions.maskName = maskOptions.mask
            var result = try localizer.localize(image, path: path, keypoints: queries, options: imageOptions) { p in
                if images.count == 1 || compute.verbose {
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
                result, image: image, index: index, to: destinations,
                caption: FigureCaption(model: model.model, grid: preset.name, box: options.box))
            if let saveMarked {
                try writeMarked(
                    result, image: image, index: index, folder: saveMarked, localizer: localizer, options: imageOptions)
            }
            results.append((result, seconds))
            var record = mask.record
            record.applied = result.maskApplied
            maskRecords.append(record)
            if images.count > 1 {
                let elapsed = run.seconds
                let done = Double(index + 1)
                let eta = elapsed / done * (Double(images.count) - done)
                Console.progress(
                    String(
                        format: "[%d/%d] %@: %d passes, %.1f s; %.2f images/s, ETA %.0f s",
                        index + 1, images.count, path, result.passes, seconds, done / elapsed, eta))
            }
        }
        Console.endProgress()
        loaded.reportNotices()
        if let scores { try writeScores(results.map(\.0), masks: maskRecords, to: URL(fileURLWithPath: scores)) }

        let output = Output(
            images: results.map { r, s in
                Output.Image(
                    path: r.path, width: r.width, height: r.height, passes: r.passes, seconds: s,
                    keypoints: r.keypoints, notes: r.notes)
            }, model: model.model, grid: preset.name, precision: precision, version: SoftwareVersion.full,
            visualPrompt: options.prompt.description, template: ablation.template)
        if json {
            try Console.printJSON(output)
            return
        }
        for (r, s) in results {
            print(
                "\(r.path) (\(r.width)x\(r.height)): \(r.passes) passes, \(String(format: "%.1f", s)) s, grid \(preset.name)"
                    + (ablation.changesThePrompt ? ", \(options.prompt)" : ""))
            let width = max(8, r.keypoints.map(\.name.count).max() ?? 8)
            print(
                "  " + "keypoint".padding(toLength: width, withPad: " ", startingAt: 0)
                    + "         x         y     score")
            for k in r.keypoints {
                print(
                    "  " + k.name.padding(toLength: width, withPad: " ", startingAt: 0)
                        + String(format: " %9.1f %9.1f %9.4f", k.x, k.y, k.score))
            }
        }
    }

    func loadQueries() throws -> [KeypointQuery] {
        if !keypoints.isEmpty { return try KeypointVocabulary.freeText(keypoints, template: ablation.template) }
        let url = try DataFiles.resolve(vocabulary ?? "", folder: "keypoints", option: "--vocabulary")
        var vocab = try KeypointVocabulary.load(from: url)
        if let template = ablation.template { vocab = try vocab.replacingTemplate(template) }
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
    func filePrefix(_ r: ImageLocalization, index: Int) -> String {
        let stem = DataFiles.slug(URL(fileURLWithPath: r.path).deletingPathExtension().lastPathComponent)
        return images.count > 1 ? "\(index + 1)-\(stem)" : stem
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

    /// --heatmap, --overlay and --montage of one image.
    func writeFigures(
        _ r: ImageLocalization, image: DecodedImage, index: Int, to destinations: FigureDestinations,
        caption: FigureCaption
    ) throws {
        let prefix = filePrefix(r, index: index)
        let name = FigureDestinations.name(ofImage: r.path)
        let samples = r.keypoints.indices.map { r.scoreSamples(keypoint: $0) }
        // One colour range for all keypoints of the image with --common-scale.
        let allScores = samples.joined().map(\.score)
        let common = figures.commonScale ? allScores.min().flatMap { lo in allScores.max().map { lo...$0 } } : nil
        let settings = "model \(caption.modelName), grid \(caption.grid), \(r.passes) passes"
        func annotation(_ k: Int) -> HeatmapAnnotation {
            let kp = r.keypoints[k]
            var lines = ["\"\(kp.prompt)\"", settings]
            if common != nil { lines.append("one colour scale for all \(r.keypoints.count) keypoints of the image") }
            return HeatmapAnnotation(
                title: kp.name, subtitle: lines, scoreRange: common, box: caption.box, mask: r.searchMask)
        }
        // Heatmaps and the overlay show the photo at one size: downscale it once.
        let shown = figurePhoto(image.rgb, maxSide: figures.figureMaxSide)
        if let heatmap = destinations.heatmap {
            let renderer = HeatmapRenderer(maxDisplaySide: figures.figureMaxSide)
            for (k, (kp, slug)) in zip(r.keypoints, Self.fileSlugs(r.keypoints.map(\.name))).enumerated() {
                let url: URL
                switch heatmap.kind {
                case .folder:
                    let dir = DataFiles.fileURL(heatmap.value)
                    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
                    url = dir.appendingPathComponent("\(prefix)_\(slug).png")
                case .file:
                    url = heatmap.fileURL(name: name, keypoint: slug)
                    try FileManager.default.createDirectory(
                        at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
                }
                try renderer.write(
                    to: url, format: heatmap.format, photo: shown, originalWidth: r.width, originalHeight: r.height,
                    samples: samples[k], prediction: kp.point, annotation: annotation(k))
            }
        }
        if let overlay = destinations.overlay {
            var url: URL
            switch overlay.kind {
            case .folder:
                url = DataFiles.fileURL(overlay.value)
                try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
                url = url.appendingPathComponent("\(prefix)_overlay.png")
            case .file:
                url = overlay.fileURL(name: name)
                try FileManager.default.createDirectory(
                    at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            }
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
                a.subtitle = ["\"\(r.keypoints[k].prompt)\""]
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
    /// `<image>_<keypoint>_marked.png` (model-input size, exactly the scored pixels).
    func writeMarked(
        _ r: ImageLocalization, image: DecodedImage, index: Int, folder: String,
        localizer: Localizer, options: LocalizationOptions
    ) throws {
        let prefix = filePrefix(r, index: index)
        let dir = DataFiles.fileURL(folder)
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        for (kp, slug) in zip(r.keypoints, Self.fileSlugs(r.keypoints.map(\.name))) {
            let canvas = try localizer.markedCanvas(image, path: r.path, at: kp.point, options: options)
            try DataFiles.writeAtomically(
                try ImageCodec.encodePNG(canvas), to: dir.appendingPathComponent("\(prefix)_\(slug)_marked.png"))
        }
    }

    func writeScores(_ results: [ImageLocalization], masks: [MaskRecord], to url: URL) throws {
        let doc = ScoresOutput(
            images: zip(results, masks).map { r, mask in
                ScoresOutput.Image(
                    path: r.path, mask: mask,
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
