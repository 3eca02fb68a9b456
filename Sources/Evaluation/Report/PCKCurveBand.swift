import KeypointsSupport

/// A pointwise bootstrap band around a PCK-against-alpha curve: at each of the curve's alphas,
/// the `level` percentile interval of PCK at that alpha over the resamples of `PCKBootstrap`
/// (the same draws as the report's intervals for the same settings, so at the report's alpha
/// the band is the overall PCK's interval). Where the curve is 0 or 1 (the smallest and largest
/// alphas, often) the band is the exact binomial interval over the images with keypoints, as
/// the overall PCK's would be (`PCKBootstrap.exactBinomial`); and at every alpha where each
/// image holds at most one keypoint in all (the overall figure is then a count over images,
/// exact in the report too; never with several keypoints per image, where the band between 0
/// and 1 is the bootstrap's). Pointwise: each alpha's interval on its own, not a band that holds
/// the whole curve at that level.
public struct CurveBand: Sendable, Equatable {
    /// Two-sided level of each interval, in (0, 1).
    public var level: Double
    /// One per alpha of the curve (fractions); nil where no resample had keypoints.
    public var intervals: [ConfidenceInterval?]

    public init(level: Double, intervals: [ConfidenceInterval?]) {
        self.level = level
        self.intervals = intervals
    }
}

extension PCKBootstrap {
    /// The pointwise band of the PCK curve of `records` at `alphas` (ascending, as
    /// `PCKCurvePlot.alphas(reaching:)`): each resample is one pass over the drawn images'
    /// keypoints into a histogram over the alphas (the first alpha at which each keypoint is
    /// correct), whose running sum is the resample's curve; then per alpha a selection of the
    /// order statistics its interval needs (`PCKBootstrap.interval(selecting:tails:)`).
    public static func curveBand(
        records: [ImageRecord], alphas: [Double], settings: BootstrapSettings
    ) -> CurveBand {
        let table = PCKClusterTable(runs: [records], alpha: alphas.last ?? 0)
        return CurveBand(level: settings.level, intervals: table.curveBand(alphas: alphas, settings: settings))
    }
}

extension PCKClusterTable {
    /// Index of the first of `alphas` (ascending) at which a keypoint at normalised distance `d`
    /// is correct (`PCK.isCorrect(normalizedDistance:alpha:)`, as `PCK.curve` counts), or
    /// `alphas.count` when at none.
    static func firstCorrectAlpha(_ d: Double, alphas: [Double]) -> Int {
        var lo = 0
        var hi = alphas.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if PCK.isCorrect(normalizedDistance: d, alpha: alphas[mid]) { hi = mid } else { lo = mid + 1 }
        }
        return lo
    }

    /// One draw of `run`'s photos (photo i taken `weights[i]` times) tallied: `histogram[h]`
    /// becomes the drawn keypoints whose first correct alpha is `h` (`entryBin`, `alphas.count`:
    /// none); returns the drawn keypoints. Allocates nothing.
    /// weights: (photos,), entryBin: (keypoint entries,) -> histogram: (alphas + 1,)
    static func tally(_ run: Counts, entryBin: [Int], weights: [Int], into histogram: inout [Int]) -> Int {
        for h in histogram.indices { histogram[h] = 0 }
        var total = 0
        for i in 0..<weights.count {
            let weight = weights[i]
            guard weight > 0 else { continue }
            for e in run.entryStart[i]..<run.entryStart[i + 1] { histogram[entryBin[e]] += weight }
            total += weight * (run.entryStart[i + 1] - run.entryStart[i])
        }
        return total
    }

    /// The band's intervals (run 0) at `alphas` over `settings.resamples` resamples, drawn as
    /// `resample` draws them. The alphas' resampled values are held `valueBudget` at a time:
    /// alphas beyond it (a long curve at many resamples) in further passes over the same draws.
    func curveBand(
        alphas: [Double], settings: BootstrapSettings, valueBudget: Int = BootstrapSettings.maxValues
    ) -> [ConfidenceInterval?] {
        guard let run = runs.first, !alphas.isEmpty else { return alphas.map { _ in nil } }
        let resamples = settings.resamples
        let draws = settings.stratified ? strata : [0..<imageCount]
        let entryBin = run.entryDistance.map { Self.firstCorrectAlpha($0, alphas: alphas) }
        let perPass = max(1, valueBudget / resamples)
        // Scratch of one resample: draw counts per photo, keypoints per first-correct alpha.
        var weights = [Int](repeating: 0, count: imageCount)
        var histogram = [Int](repeating: 0, count: alphas.count + 1)
        // The curve on the data (and its correct keypoints at each alpha), and the photos with
        // keypoints: where the overall figure is a count over those photos (each holds at most
        // one keypoint), and anywhere the curve is 0 or 1, its band is the exact binomial
        // interval over them (`exactWhereBinomial`), as the report's overall figure's is.
        // (The data is the draw of every photo once, tallied as a resample is.)
        var points = [Double](repeating: .nan, count: alphas.count)
        var held = [Holding](repeating: holdings().figures[Self.overallFigure], count: alphas.count)
        let all = Self.tally(run, entryBin: entryBin, weights: [Int](repeating: 1, count: imageCount), into: &histogram)
        if all > 0 {
            var correct = 0
            for a in alphas.indices {
                correct += histogram[a]
                points[a] = Double(correct) / Double(all)
                held[a].correct = correct
            }
        }
        var out: [ConfidenceInterval?] = []
        for first in stride(from: 0, to: alphas.count, by: perPass) {
            let chunk = first..<min(alphas.count, first + perPass)
            // values[(a - first) * resamples + b]: PCK at alpha a in resample b (NaN: no keypoints).
            var values = [Double](repeating: .nan, count: chunk.count * resamples)
            var rng = SplitMix64(seed: settings.seed)
            for b in 0..<resamples {
                drawWeights(&weights, strata: draws, &rng)
                let total = Self.tally(run, entryBin: entryBin, weights: weights, into: &histogram)
                guard total > 0 else { continue }
                var correct = 0
                for a in 0..<chunk.upperBound {
                    correct += histogram[a]
                    if a >= first { values[(a - first) * resamples + b] = Double(correct) / Double(total) }
                }
            }
            values.withUnsafeMutableBufferPointer { values in
                for a in chunk {
                    let column = (a - first) * resamples..<(a - first + 1) * resamples
                    let figure = Self.figure(
                        UnsafeMutableBufferPointer(rebasing: values[column]), point: points[a], tails: settings.tails)
                    out.append(
                        Self.exactWhereBinomial(figure, held[a], level: settings.level, countOverPhotos: true).interval)
                }
            }
        }
        return out
    }
}
