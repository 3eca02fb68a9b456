import Foundation
import Imaging
import KeypointsSupport

/// `keypoints eval --visualize DIR N`: figures of ground truth against prediction for the first
/// `count` evaluated images of a run's selection, in dataset order (skipped images do not count),
/// so the same command writes the same files whether it runs at once or resumes: images already
/// in a resumed results file are drawn from their records. Each figure is the original photo at
/// its resolution, or downscaled to at most `maxSide` (`TruthPredictionRenderer`; not part of
/// the run's identity), written atomically as
/// `DIR/<image id>-<image file name>.png`.
public struct TruthPredictionFigures: Sendable {
    /// Upper bound of `count` (each figure decodes and writes one photo).
    public static let maximumCount = 100_000

    public let folder: URL
    public let count: Int
    /// The PCK alpha of the run: the threshold circle's radius and the notes' "correct".
    public let alpha: Double
    /// Whether to draw the PCK threshold circle around each ground truth.
    public let drawsThreshold: Bool
    public var renderer: TruthPredictionRenderer

    /// `maxSide`: the longer side of the photo in a figure at most (nil: the photo's own).
    public init(folder: URL, count: Int, alpha: Double, drawsThreshold: Bool, maxSide: Int? = nil) {
        precondition(
            (1...Self.maximumCount).contains(count),
            "TruthPredictionFigures: count \(count) outside 1...\(Self.maximumCount)")
        self.folder = folder
        self.count = count
        self.alpha = alpha
        self.drawsThreshold = drawsThreshold
        self.renderer = TruthPredictionRenderer(maxDisplaySide: maxSide)
    }

    /// The figure's file name: the image id and the image's file name (without extension), made
    /// file-name safe; the id alone when it already ends with the file name (SPair-71k ids).
    public static func fileName(for record: ImageRecord) -> String {
        func safe(_ s: String) -> String {
            String(s.map { $0.isLetter || $0.isNumber || $0 == "." || $0 == "-" || $0 == "_" ? $0 : "_" })
        }
        let stem = safe(((record.path as NSString).lastPathComponent as NSString).deletingPathExtension)
        let id = safe(record.id)
        return (id.hasSuffix(stem) ? id : "\(id)-\(stem)") + ".png"
    }

    /// What the figure of `record` shows: one pair per keypoint with its distance divided by the
    /// box's longer side, marked "correct" at `alpha`.
    public func pairs(for record: ImageRecord) -> [TruthPredictionPair] {
        let size = record.box.longerSide
        return record.keypoints.map { k in
            let d = k.pred.distance(to: k.gt) / size
            let correct = PCK.isCorrect(normalizedDistance: d, alpha: alpha)
            return TruthPredictionPair(
                name: k.name, truth: k.gt, prediction: k.pred,
                note: Self.distanceText(d, alpha: alpha) + (correct ? " correct" : ""))
        }
    }

    /// `d` (distance / box side) with 3 decimals, or more where 3 would put it on the other
    /// side of `alpha` than it is: a wrong 0.1004 at alpha 0.1 reads "0.1004", not "0.100"
    /// (with 2 decimals a wrong 0.1028 read "0.10", like a correct 0.0987).
    static func distanceText(_ d: Double, alpha: Double) -> String {
        let correct = PCK.isCorrect(normalizedDistance: d, alpha: alpha)
        var text = ""
        for decimals in 3...12 {
            text = String(format: "%.\(decimals)f", d)
            if let shown = Double(text), PCK.isCorrect(normalizedDistance: shown, alpha: alpha) == correct {
                break
            }
        }
        return text
    }

    /// The heading lines of the legend panel.
    public func heading(for record: ImageRecord) -> [String] {
        let correct = record.keypoints.filter {
            PCK.isCorrect(prediction: $0.pred, truth: $0.gt, boxSize: record.box.longerSide, alpha: alpha)
        }.count
        return [
            record.category, "image \(record.id)",
            "PCK@\(String(format: "%g", alpha)): \(correct) of \(record.keypoints.count) correct",
            "after each name: distance / box side",
        ]
    }

    /// Decodes the record's photo from `imageURL`, draws its figure and writes it (creating the
    /// folder if needed).
    /// - Returns: the file written.
    /// - Throws: `EvaluationError.unreadable` when the photo cannot be decoded or differs in size
    ///   from the record, `EvaluationError.writeFailed` when the figure cannot be written.
    @discardableResult
    public func write(_ record: ImageRecord, imageURL: URL, options: ImageReadOptions = ImageReadOptions()) throws
        -> URL
    {
        let photo: RGBImage
        do {
            photo = try ImageCodec.decode(contentsOf: imageURL, options: options).rgb
        } catch {
            throw EvaluationError.unreadable(file: imageURL.path, reason: rawMessage(of: error))
        }
        guard photo.width == record.width, photo.height == record.height else {
            throw EvaluationError.unreadable(
                file: imageURL.path,
                reason: "is \(photo.width)x\(photo.height), the results record says \(record.width)x\(record.height)")
        }
        let url = folder.appendingPathComponent(Self.fileName(for: record))
        do {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        } catch {
            throw EvaluationError.writeFailed(
                file: folder.path, reason: "cannot create the folder: \(error.localizedDescription)")
        }
        do {
            try renderer.writePNG(
                to: url, photo: photo, pairs: pairs(for: record),
                thresholdRadius: drawsThreshold ? PCK.threshold(alpha: alpha, boxSize: record.box.longerSide) : nil,
                thresholdLabel: "PCK@\(String(format: "%g", alpha)) radius", box: record.box,
                heading: heading(for: record))
        } catch {
            throw EvaluationError.writeFailed(file: url.path, reason: rawMessage(of: error))
        }
        return url
    }
}
