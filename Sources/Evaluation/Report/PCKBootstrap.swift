import Foundation
import KeypointsSupport

/// Confidence intervals for the PCK figures of a report (overall, mean of categories, each
/// category, each keypoint, each category x keypoint): percentile bootstrap ones, or exact
/// binomial ones where a figure is a count over images or is 0 or 1 (below); and for the paired
/// difference between two runs (of the same figures), bootstrap ones.
///
/// Method: a cluster bootstrap over images, stratified by category. A resample draws, for each
/// category, as many of its images as it has, uniformly with replacement; an image's keypoints
/// move together (they share the photo, the object's pose and the box, so they are not
/// independent: resampling keypoints would understate the spread). An image is a photo: records
/// of one category with the same `path` (COCO's person annotations in one picture) are drawn
/// together, as one image (`PCKClusterTable`). Each category keeps its image
/// count, so every resample has every category, and the per-category figures and their mean are
/// those of the same categories as the report's. A figure's interval runs from its
/// (1 - level) / 2 to its 1 - (1 - level) / 2 percentile over the resamples (linear
/// interpolation between order statistics, numpy's default `percentile`). A resample in which a
/// figure has no keypoint (only images without that keypoint were drawn) does not count for that
/// figure.
///
/// Two kinds of figure get the exact (Clopper-Pearson) binomial interval at the same level
/// instead (`exactBinomial`, `ConfidenceInterval.Method.exactBinomial`, `PCKClusterTable
/// .exactWhereBinomial`), with n the images (clusters, as drawn) that hold the figure's keypoints:
/// - a figure in which every image holds at most one of its keypoints (a keypoint's figure, or
///   a category x keypoint cell, where each photo has each named keypoint once: CUB, SPair-71k,
///   FaceSynthetics) is a binomial count over independent images, x = its correct keypoints of
///   n, at every x. The percentile bootstrap of such a count undercovers at small counts (and
///   within categories of 2 images keeps half the variance): on the committed CUB sample it gave
///   1 right eye of 45 [0.00%, 4.76%], narrower than 0 left eyes of 53 [0.00%, 6.72%]; exact,
///   [0.06%, 11.77%]. The mean of categories, an average of proportions, is no count.
/// - any figure of exactly 0 or 1 on the data (every one of its keypoints wrong, or every one
///   right) is the same in every resample, so the percentiles would give [0, 0] or [1, 1], a
///   certainty the data do not support: x = 0 or n, [0, 1 - ((1 - level) / 2)^(1/n)] or
///   [((1 - level) / 2)^(1/n), 1]. It counts images, not keypoints, because an image's keypoints
///   move together: 10 images of 15 right keypoints each are not 150 independent successes,
///   and counting them so would make the interval too narrow; images are the conservative count
///   (10 of 10 right: [69.15%, 100%] at 95%).
/// Figures whose images hold several of their keypoints (overall, categories, a keypoint in
/// COCO pictures of several people) keep the bootstrap between 0 and 1. Paired differences keep
/// their bootstrap interval; any bootstrap interval whose resamples all gave the same value (two
/// runs that score every shared image alike on a figure: a difference of 0 in every resample) is
/// marked `ConfidenceInterval.everyResampleEqual`, since its zero width shows no spread, not
/// certainty.
///
/// Without stratification (`BootstrapSettings.stratified` false) a resample draws as many images
/// as there are from all of them; a category may then be missing from a resample, which does
/// not count for that category's figure, and the mean of categories is over those present.
///
/// The draws are SplitMix64 from the seed (`SplitMix64.index(below:)`, both written out in
/// KeypointsSupport), in a fixed order: resample by resample, categories in UTF-8 byte order of
/// their names, within a category its images in UTF-8 byte order of their ids. So a seed gives
/// the same intervals on every machine, whatever the order of the records or of the files they
/// came from.
///
/// Cost: one resample is one pass over the drawn images' keypoints into the category x keypoint
/// cells, whose sums give the other figures, with scratch allocated once (nothing is allocated
/// inside the resample loop); then, per figure, the order statistics its interval needs are
/// selected from its resampled values (`interval(selecting:tails:)`, linear time, not a sort).
/// The category x keypoint figures' values that do not fit beside the others'
/// (`BootstrapSettings.maxValues`) come from further passes that redraw the same resamples
/// (`PCKClusterTable.resample`).
public enum PCKBootstrap {
    /// Intervals of the figures of the report of `records` at `alpha`.
    /// - Throws: `EvaluationError.bootstrapSetting` when figures x resamples exceeds
    ///   `BootstrapSettings.maxValues`.
    public static func intervals(
        records: [ImageRecord], alpha: Double, settings: BootstrapSettings
    ) throws(EvaluationError) -> PCKIntervals {
        let table = PCKClusterTable(runs: [records], alpha: alpha)
        let (figures, cells) = try table.resample(settings: settings, paired: false, cells: true)
        return PCKIntervals(
            overall: figures[PCKClusterTable.overallFigure].interval,
            meanPerCategory: figures[PCKClusterTable.meanFigure].interval,
            perCategory: table.byCategory(figures).compactMapValues(\.interval),
            perKeypoint: table.byKeypoint(figures).compactMapValues(\.interval),
            perCategoryKeypoint: table.byCategoryKeypoint(cells).mapValues { $0.compactMapValues(\.interval) })
    }

    /// The paired difference `run` minus `baseline` of every figure, the category x keypoint
    /// ones included, over the images both runs scored (the same image id in the same
    /// category), with its interval: each resample draws the shared images (stratified by
    /// category as in `intervals`) and takes the difference of the two runs' figures on that
    /// draw.
    /// - Throws: `EvaluationError.bootstrapSetting` as `intervals` does.
    public static func difference(
        baseline: [ImageRecord], run: [ImageRecord], alpha: Double, settings: BootstrapSettings
    ) throws(EvaluationError) -> PCKDifference {
        var byID: [String: ImageRecord] = [:]
        for r in baseline { byID[r.id] = r }
        var shared: (baseline: [ImageRecord], run: [ImageRecord]) = ([], [])
        for r in run {
            guard let b = byID[r.id], b.category == r.category else { continue }
            shared.baseline.append(b)
            shared.run.append(r)
        }
        guard !shared.run.isEmpty else {
            return PCKDifference(
                sharedImages: 0, overall: nil, meanPerCategory: nil, perCategory: [:], perKeypoint: [:])
        }
        let table = PCKClusterTable(runs: [shared.baseline, shared.run], alpha: alpha)
        let (figures, cells) = try table.resample(settings: settings, paired: true, cells: true)
        return PCKDifference(
            sharedImages: shared.run.count,
            overall: figures[PCKClusterTable.overallFigure].estimate,
            meanPerCategory: figures[PCKClusterTable.meanFigure].estimate,
            perCategory: table.byCategory(figures).compactMapValues(\.estimate),
            perKeypoint: table.byKeypoint(figures).compactMapValues(\.estimate),
            perCategoryKeypoint: table.byCategoryKeypoint(cells).compactMapValues { row in
                let estimates = row.compactMapValues(\.estimate)
                return estimates.isEmpty ? nil : estimates
            })
    }

    /// The exact (Clopper-Pearson) interval at `level` of a proportion observed as `successes`
    /// of `trials` (x of n, n at least 1): [Q((1 - level) / 2; x, n - x + 1), Q(1 - (1 - level) /
    /// 2; x + 1, n - x)], Q the beta quantile (`BetaDistribution.quantile`), with 0 for the lower
    /// bound at x = 0 and 1 for the upper at x = n. At the ends the quantiles have a closed form,
    /// used there: 0 of n is [0, 1 - ((1 - level) / 2)^(1/n)] (Beta(1, n)'s CDF is 1 - (1 - p)^n),
    /// n of n [((1 - level) / 2)^(1/n), 1] (Beta(n, 1)'s is p^n). The interval records n
    /// (`ConfidenceInterval.images`).
    public static func exactBinomial(successes: Int, trials: Int, level: Double) -> ConfidenceInterval {
        precondition(trials > 0, "an exact binomial interval needs at least one trial")
        precondition((0...trials).contains(successes), "successes \(successes) of \(trials) trials")
        let (x, n) = (successes, trials)
        let tail = (1 - level) / 2
        let end = pow(tail, 1 / Double(n))
        let low =
            x == 0 ? 0 : x == n ? end : BetaDistribution.quantile(tail, a: Double(x), b: Double(n - x + 1))
        let high =
            x == n ? 1 : x == 0 ? 1 - end : BetaDistribution.quantile(1 - tail, a: Double(x + 1), b: Double(n - x))
        return ConfidenceInterval(low: low, high: high, method: .exactBinomial, images: n)
    }

    /// `exactBinomial(successes:trials:level:)` of 0 of `trials` (`allCorrect` false) or
    /// `trials` of `trials` (true).
    public static func exactBinomial(allCorrect: Bool, trials: Int, level: Double) -> ConfidenceInterval {
        exactBinomial(successes: allCorrect ? trials : 0, trials: trials, level: level)
    }

    /// Below this many images, resampling a category keeps (n - 1) / n of its variance, under
    /// 90%: its interval (and the pooled ones) are visibly narrower than the sampling spread.
    public static let fewImagesPerCategory = 10

    /// A warning when categories of `records` have fewer than `fewImagesPerCategory` images,
    /// with the factor by which the smallest one's interval width is understated
    /// (sqrt((n - 1) / n)); nil when every category has enough.
    public static func fewImagesNote(records: [ImageRecord]) -> String? {
        var photos: [String: Set<String>] = [:]
        for r in records { photos[r.category, default: []].insert(r.path) }
        let images = photos.mapValues(\.count)
        let few = images.values.filter { $0 < fewImagesPerCategory }
        guard let fewest = few.min() else { return nil }
        let factor = (Double(fewest - 1) / Double(fewest)).squareRoot()
        return "\(few.count) of \(images.count) categories have fewer than \(fewImagesPerCategory) images "
            + "(fewest: \(fewest)); the bootstrap resamples images within each category, which keeps (n - 1)/n "
            + "of a category's variance, so the intervals are too narrow (a category of \(fewest): "
            + String(format: "%.2f", factor) + " of the width)"
    }
}

/// Confidence intervals of a report's figures (fractions); a figure without keypoints has none.
public struct PCKIntervals: Sendable, Equatable {
    public var overall: ConfidenceInterval?
    public var meanPerCategory: ConfidenceInterval?
    public var perCategory: [String: ConfidenceInterval]
    public var perKeypoint: [String: ConfidenceInterval]
    /// By category, then keypoint (the report's `per_category_keypoint`).
    public var perCategoryKeypoint: [String: [String: ConfidenceInterval]]

    public init(
        overall: ConfidenceInterval?, meanPerCategory: ConfidenceInterval?, perCategory: [String: ConfidenceInterval],
        perKeypoint: [String: ConfidenceInterval], perCategoryKeypoint: [String: [String: ConfidenceInterval]] = [:]
    ) {
        self.overall = overall
        self.meanPerCategory = meanPerCategory
        self.perCategory = perCategory
        self.perKeypoint = perKeypoint
        self.perCategoryKeypoint = perCategoryKeypoint
    }
}

/// One run's figures minus another's on the images both scored (fractions), each with its
/// paired bootstrap interval. A figure that either run lacks on the shared images is absent.
public struct PCKDifference: Sendable, Equatable {
    public struct Estimate: Codable, Sendable, Equatable {
        /// The run's figure minus the baseline's, on the shared images.
        public var difference: Double
        /// Nil only when no resample had keypoints for the figure in both runs.
        public var ci: ConfidenceInterval?

        public init(difference: Double, ci: ConfidenceInterval?) {
            self.difference = difference
            self.ci = ci
        }
    }

    /// Images both runs scored (same id and category); 0 leaves every figure absent.
    public var sharedImages: Int
    public var overall: Estimate?
    public var meanPerCategory: Estimate?
    public var perCategory: [String: Estimate]
    public var perKeypoint: [String: Estimate]
    /// By category, then keypoint: the cells both runs have on the shared images (a category
    /// without such a cell is absent).
    public var perCategoryKeypoint: [String: [String: Estimate]]

    public init(
        sharedImages: Int, overall: Estimate?, meanPerCategory: Estimate?, perCategory: [String: Estimate],
        perKeypoint: [String: Estimate], perCategoryKeypoint: [String: [String: Estimate]] = [:]
    ) {
        self.sharedImages = sharedImages
        self.overall = overall
        self.meanPerCategory = meanPerCategory
        self.perCategory = perCategory
        self.perKeypoint = perKeypoint
        self.perCategoryKeypoint = perCategoryKeypoint
    }
}
