import Foundation

/// A dataset in its release layout, read into evaluation items. Each reader registers in
/// `DatasetKind.readers`, which makes it a `--dataset` choice.
protocol DatasetReader: SendableMetatype {
    /// The `--dataset` value and the results' `dataset` setting.
    static var name: String { get }
    /// The splits the dataset defines; the first is the default.
    static var splits: [DatasetSplit] { get }
    /// The vocabulary file under keypoints/ with the dataset's names; nil when the files name
    /// their keypoints (COCO).
    static var vocabularyFileName: String? { get }
    /// Reads `options.root` (already-checked `split`, trimmed non-empty `categories`), items in
    /// a deterministic order.
    static func read(_ options: DatasetOptions, split: DatasetSplit, categories: [String]) throws -> ReaderOutput
}
