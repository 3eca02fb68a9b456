import Foundation
import Imaging
import KeypointsSupport

/// Progress after each item (for progress bars).
public struct EvalProgress: Sendable {
    /// Items of this run's selection finished so far (evaluated or skipped), including those
    /// already in the results file when the run started.
    public var finished: Int
    /// Items in this run's selection.
    public var total: Int
    /// Of `finished`, how many were already in the file.
    public var alreadyDone: Int
    /// Items skipped by this run.
    public var skipped: Int
    /// Keypoints evaluated and correct at `alpha`, over every image record in the store.
    public var keypoints: Int
    public var correct: Int
    /// Seconds since the run started.
    public var elapsed: Double
    /// The item just finished.
    public var lastID: String
    /// Its record's notes (e.g. a damaged image decoded anyway), for warnings.
    public var lastNotes: [String] = []
    /// Warnings about its image that its record does not keep (an EXIF orientation left
    /// unapplied), to print.
    public var lastWarnings: [String] = []

    public var runningPCK: Double? { keypoints > 0 ? Double(correct) / Double(keypoints) : nil }
}

/// Runs a predictor over a dataset selection and records results.
///
/// Selection: the dataset's items in their deterministic order; with a shard, those at positions
/// `p % n == i`; with a limit, the first N of those. Items already recorded in the store are
/// skipped, so rerunning with the same `--out` resumes, and `--limit 2` followed by a run
/// without limit evaluates every item once.
///
/// Per item: the image is decoded (a missing or undecodable image, or one whose size differs
/// from the annotation, is recorded as skipped and the run continues); for crop datasets it is
/// cropped to the box (the pixels [x, x + w) x [y, y + h) it covers, clamped to the image: the
/// crop of `localize --crop-to-box`); the predictor
/// gets the keypoint names and prompts, never the ground truth; predictions are checked and
/// mapped back to original pixels; the record is appended and flushed.
public struct EvalRunner {
    public let dataset: EvalDataset
    public let shard: Shard?
    public let limit: Int?
    /// For the running PCK shown while evaluating (results do not depend on it).
    public let alpha: Double

    /// Setting keys the runner writes; a predictor's `settings` must not use them.
    public static let reservedSettingKeys: Set<String> = [
        "dataset", "root", "images", "split", "categories", "dataset_sha256", "dataset_items", "coco_occluded",
        "box_crop",
        "method", "shard",
    ]

    /// How images are read: by default only inside `dataset.imageContainmentRoot` (after
    /// symlinks) and damaged JPEGs are skipped.
    public let imageOptions: ImageReadOptions
    /// Where candidates may lie, per image (`--mask`); nil = everywhere. Its `settings` belong in
    /// the `extra` of `settings(for:extra:)`.
    public var searchMask: (any SearchMaskSource)?
    /// Ground-truth-against-prediction figures of the first evaluated images (`--visualize`);
    /// nil = none.
    public var figures: TruthPredictionFigures?

    public init(
        dataset: EvalDataset, shard: Shard? = nil, limit: Int? = nil, alpha: Double = 0.1,
        followSymlinks: Bool = false, allowDamagedImages: Bool = false
    ) {
        self.dataset = dataset
        self.shard = shard
        self.limit = limit
        self.alpha = alpha
        self.imageOptions = ImageReadOptions(
            containment: RegularFile.Containment(root: dataset.imageContainmentRoot, followSymlinks: followSymlinks),
            allowDamaged: allowDamagedImages)
    }

    /// The items this run covers, in order.
    public var selection: [EvalItem] {
        var items = dataset.items
        if let shard {
            items = items.enumerated().filter { shard.contains(position: $0.offset) }.map(\.element)
        }
        if let limit { items = Array(items.prefix(limit)) }
        return items
    }

    /// The results header settings for `predictor`: the dataset's, the method, the shard, `extra`
    /// (e.g. the CLI's model directory and grid preset hash) and the predictor's own.
    /// - Throws: `invalidSelection` if `extra` or the predictor uses a reserved key, or if the
    ///   predictor gives a key of `extra` another value.
    public func settings(for predictor: any KeypointPredictor, extra: [String: String] = [:]) throws -> [String: String]
    {
        var s = dataset.settings
        s["method"] = predictor.method
        s["shard"] = shard?.description ?? "all"
        for (k, v) in extra {
            guard !Self.reservedSettingKeys.contains(k) else {
                throw EvaluationError.invalidSelection("setting key \"\(k)\" is reserved for the runner")
            }
            s[k] = v
        }
        for (k, v) in predictor.settings {
            guard !Self.reservedSettingKeys.contains(k) else {
                throw EvaluationError.invalidSelection(
                    "predictor \(predictor.method) uses the reserved setting key \"\(k)\"")
            }
            if let given = extra[k], given != v {
                throw EvaluationError.invalidSelection(
                    "predictor \(predictor.method) sets \"\(k)\" to \(v), the command line to \(given)")
            }
            s[k] = v
        }
        return s
    }

    /// Evaluates every selected item not yet in `store`.
    /// - Parameters:
    ///   - predictor: the method.
    ///   - store: where results go; its settings must be `settings(for: predictor)`.
    ///   - progress: called after each item.
    /// - Returns: the summary over every image record in the store at `alpha`.
    /// - Throws: predictor errors, `predictorContract`, write errors (results or figures). Items
    ///   finished before the error stay recorded.
    @discardableResult
    public func run(
        predictor: inout any KeypointPredictor, store: ResultStore,
        progress: ((EvalProgress) -> Void)? = nil
    ) throws -> PCKReport {
        let items = selection
        let started = Stopwatch()
        let already = items.filter { store.isDone($0.id) }.count
        try store.beginSession(
            SessionRecord(
                started: ResultStore.timestamp(), limit: limit, selected: items.count,
                doneBefore: already))
        var state = EvalProgress(
            finished: already, total: items.count, alreadyDone: already, skipped: 0,
            keypoints: 0, correct: 0, elapsed: 0, lastID: "")
        for r in store.images { count(r, into: &state) }
        // Figures go to the first `figures.count` items with an image record, in selection order,
        // whether computed now or read back from a resumed file.
        var figuresLeft = figures?.count ?? 0
        func drawFigure(_ item: EvalItem, _ record: ImageRecord) throws {
            guard let figures, figuresLeft > 0 else { return }
            try figures.write(record, imageURL: item.imageURL, options: imageOptions)
            figuresLeft -= 1
        }
        for item in items {
            if store.isDone(item.id) {
                if figuresLeft > 0, let record = store.images.first(where: { $0.id == item.id }) {
                    try drawFigure(item, record)
                }
                continue
            }
            switch Self.loadImage(item, options: imageOptions) {
            case .failure(let reason):
                try store.appendSkipped(
                    SkippedRecord(
                        id: item.id, category: item.category, path: item.imagePath,
                        reason: reason.message))
                state.skipped += 1
                state.lastNotes = []
                state.lastWarnings = []
            case .success(let loaded):
                let record = try evaluate(item, loaded, predictor: &predictor)
                try store.append(record)
                try drawFigure(item, record)
                count(record, into: &state)
                state.lastNotes = record.notes
                state.lastWarnings = loaded.warnings
            }
            state.finished += 1
            state.elapsed = started.seconds
            state.lastID = item.id
            progress?(state)
        }
        return PCKReport.compute(
            records: store.images, skipped: store.unresolvedSkipped, settings: store.settings, alpha: alpha)
    }

    private func count(_ r: ImageRecord, into state: inout EvalProgress) {
        for k in r.keypoints {
            state.keypoints += 1
            if PCK.isCorrect(prediction: k.pred, truth: k.gt, boxSize: r.box.longerSide, alpha: alpha) {
                state.correct += 1
            }
        }
    }

    // MARK: - One item

    struct SkipReason: Error {
        let message: String
    }

    struct LoadedImage {
        let image: DecodedImage
        let originalWidth: Int
        let originalHeight: Int
        /// Crop rectangle (original pixels) when the dataset crops.
        let crop: Box?
        /// For the record: e.g. that the image was damaged and decoded anyway.
        let notes: [String]
        /// Not recorded (results stay as before): an EXIF orientation left unapplied, or an
        /// unreadable EXIF block. Annotations are in the stored frame, as the image is used.
        var warnings: [String] = []
    }

    /// What eval says about an image's EXIF orientation, which it never applies.
    static func exifWarnings(_ decoded: DecodedImage) -> [String] {
        [
            decoded.exifUnreadableMessage,
            decoded.exifIgnoredMessage("the image and its annotations are used in the stored pixel frame"),
        ].compactMap { $0 }
    }

    /// Decodes (and crops) an item's image, or says why it cannot be evaluated.
    /// The decoded image is dropped when the item is done: the runner holds one photo at a time.
    static func loadImage(_ item: EvalItem, options: ImageReadOptions = ImageReadOptions()) -> Result<
        LoadedImage, SkipReason
    > {
        let path = item.imageURL.path
        guard FileManager.default.fileExists(atPath: path) else {
            return .failure(SkipReason(message: "missing image file \(path)"))
        }
        let decoded: DecodedImage
        do {
            decoded = try ImageCodec.decode(contentsOf: item.imageURL, options: options)
        } catch {
            // As it is: the reason is written to the results file, which keeps text as data
            // (`report` escapes it when it prints it).
            return .failure(SkipReason(message: "cannot decode: \(error.rawMessage)"))
        }
        let notes =
            decoded.isDamaged ? ["damaged image, decoded anyway: " + decoded.warnings.joined(separator: "; ")] : []
        if let w = item.expectedWidth, let h = item.expectedHeight, w != decoded.width || h != decoded.height {
            return .failure(
                SkipReason(
                    message: "image is \(decoded.width)x\(decoded.height) but the annotation says \(w)x\(h): \(path)"))
        }
        if item.region == .box {
            // The search box must lie inside the image (1 px of slack, as Box.validated allows).
            let b = item.box
            guard b.width > 0, b.height > 0, b.x >= -1, b.y >= -1, b.x + b.width <= Double(decoded.width) + 1,
                b.y + b.height <= Double(decoded.height) + 1
            else {
                return .failure(
                    SkipReason(
                        message:
                            "annotation box \(b) is not inside the \(decoded.width)x\(decoded.height) image \(path)"))
            }
        }
        guard item.region == .crop else {
            return .success(
                LoadedImage(
                    image: decoded, originalWidth: decoded.width, originalHeight: decoded.height, crop: nil,
                    notes: notes, warnings: exifWarnings(decoded)))
        }
        // The pixels [x, x + w) x [y, y + h) the box covers, as `localize --crop-to-box` crops
        // (`CanvasGeometry`): SPair's x2 - x1 is the box's width, so pixel x2 is outside it.
        guard item.box.isFiniteAndNonEmpty else {
            return .failure(
                SkipReason(
                    message: "annotation box \(item.box) has no area (width and height must be finite and > 0): "
                        + "nothing to crop in \(path)"))
        }
        let covered = item.box.pixels(inImageWidth: decoded.width, imageHeight: decoded.height)
        guard !covered.isEmpty else {
            return .failure(
                SkipReason(message: "box \(item.box) lies outside the \(decoded.width)x\(decoded.height) image \(path)")
            )
        }
        let (x0, y0, w, h) = (covered.x, covered.y, covered.width, covered.height)
        // The crop keeps what the file held beyond RGB (colour model, ink, alpha, warnings, EXIF),
        // as the whole photo of a box dataset does.
        return .success(
            LoadedImage(
                image: decoded.cropped(x: x0, y: y0, width: w, height: h), originalWidth: decoded.width,
                originalHeight: decoded.height,
                crop: Box(x: Double(x0), y: Double(y0), width: Double(w), height: Double(h)), notes: notes,
                warnings: exifWarnings(decoded)))
    }

    func evaluate(_ item: EvalItem, _ loaded: LoadedImage, predictor: inout any KeypointPredictor) throws -> ImageRecord
    {
        var predictions: [Prediction] = []
        var passes = 0
        let watch = Stopwatch()
        if !item.keypoints.isEmpty {
            let region: Box? = item.region == .box ? item.box : nil
            let shift: (x: Double, y: Double) = loaded.crop.map { ($0.x, $0.y) } ?? (0, 0)
            var request = PredictionRequest(
                imageID: item.id, category: item.category, image: loaded.image,
                region: region, keypoints: item.keypoints.map(\.query),
                objectBox: Box(
                    x: item.box.x - shift.x, y: item.box.y - shift.y,
                    width: item.box.width, height: item.box.height))
            if let searchMask { request.mask = try searchMask.mask(for: request) }
            let output = try predictor.predict(request)
            predictions = output.predictions
            passes = output.passes
            try check(output, item: item, method: predictor.method)
        }
        let seconds = watch.seconds
        let dx = loaded.crop?.x ?? 0
        let dy = loaded.crop?.y ?? 0
        let keypoints = zip(item.keypoints, predictions).map { truth, p in
            KeypointRecord(name: truth.name, gt: truth.point, pred: Point(x: p.x + dx, y: p.y + dy), score: p.score)
        }
        return ImageRecord(
            id: item.id, category: item.category, path: item.imagePath, width: loaded.originalWidth,
            height: loaded.originalHeight, box: item.box, crop: loaded.crop, keypoints: keypoints,
            unnamed: item.unnamedKeypoints, passes: passes, seconds: seconds, notes: loaded.notes)
    }

    private func check(_ output: PredictionOutput, item: EvalItem, method: String) throws {
        guard output.predictions.count == item.keypoints.count else {
            throw EvaluationError.predictorContract(
                method: method, imageID: item.id,
                message: "\(output.predictions.count) predictions for \(item.keypoints.count) keypoints")
        }
        for (p, k) in zip(output.predictions, item.keypoints) {
            guard p.name == k.name else {
                throw EvaluationError.predictorContract(
                    method: method, imageID: item.id,
                    message: "prediction \"\(p.name)\" where \"\(k.name)\" was asked (same order expected)")
            }
            guard p.x.isFinite, p.y.isFinite, p.score?.isFinite ?? true else {
                throw EvaluationError.predictorContract(
                    method: method, imageID: item.id,
                    message:
                        "non-finite prediction for \"\(p.name)\": (\(p.x), \(p.y)) score \(p.score.map { "\($0)" } ?? "nil")"
                )
            }
        }
        guard output.passes >= 0 else {
            throw EvaluationError.predictorContract(
                method: method, imageID: item.id, message: "negative passes \(output.passes)")
        }
    }
}
