import Foundation
import Imaging
import KeypointsSupport

/// Measures how well a cheap preset reproduces a reference preset's answers on seeded synthetic
/// landscapes (`SyntheticLandscape`), and what it costs. The lead's `keypoints experiment`
/// command runs it; grids/README.md records the numbers behind the shipped presets.
///
/// Each trial draws K landscapes (K = 1: one independent landscape; K > 1: `birdLike`, CUB-like
/// clustering), runs both presets on the same scorer over the same region, and compares each
/// keypoint's answers. A keypoint succeeds when the preset's point is within `toleranceCells`
/// cells of the reference's point along both axes (Chebyshev distance; one cell =
/// 1 / reference finest resolution of the region side, i.e. 1/30 for dense30).
public enum SearchExperiment {
    /// The region searched in every trial: non-square and offset, so pixel geometry is exercised.
    public static let region = Box(x: 12, y: 34, width: 480, height: 360)

    /// Runs `trials` seeded trials.
    /// - Parameters:
    ///   - preset: the preset under test (e.g. fast).
    ///   - reference: the preset whose answers count as truth (e.g. dense30).
    ///   - trials: number of synthetic images.
    ///   - seed: trial `i` uses the stream `SplitMix64(seed: SplitMix64.mix(seed &+ i))`, so any
    ///     trial can be rerun alone.
    ///   - keypoints: K per image.
    ///   - toleranceCells: success radius in reference cells (Chebyshev).
    ///   - parameters: the landscape distribution.
    ///   - keepTrials: include per-trial records in the report.
    public static func run(
        preset: GridPreset, reference: GridPreset, trials: Int, seed: UInt64,
        keypoints: Int, toleranceCells: Double = 1,
        parameters: SyntheticLandscape.Parameters = .init(),
        keepTrials: Bool = true
    ) throws -> SearchExperimentReport {
        guard trials >= 1 else { throw SearchError.invalidArgument("trials must be >= 1, got \(trials)") }
        let search = try CoarseToFineSearch(preset: preset, region: region, keypointCount: keypoints)
        let truth = try CoarseToFineSearch(preset: reference, region: region, keypointCount: keypoints)
        let cellX = region.width / Double(truth.plan.finestResolution)
        let cellY = region.height / Double(truth.plan.finestResolution)
        // Distances are compared with a relative slack: lattice points computed through
        // different resolutions differ by a few ulps of the pixel coordinate.
        let slack = 1e-9

        var records: [SearchExperimentReport.Trial] = []
        var successes = 0
        var exact = 0
        var totalPasses = 0
        var maxPasses = 0
        var totalReferencePasses = 0
        var totalRegret = 0.0
        var maxRegret = 0.0
        for t in 0..<trials {
            var rng = SplitMix64(seed: SplitMix64.mix(seed &+ UInt64(t)))
            let landscapes =
                keypoints == 1
                ? [SyntheticLandscape.random(&rng, parameters: parameters)]
                : SyntheticLandscape.birdLike(&rng, keypoints: keypoints, parameters: parameters)
            var scorer = LandscapeScorer(landscapes: landscapes, region: region)
            let found = try search.run(&scorer)
            var truthScorer = LandscapeScorer(landscapes: landscapes, region: region)
            let expected = try truth.run(&truthScorer)

            var outcomes: [SearchExperimentReport.Outcome] = []
            for k in 0..<keypoints {
                let f = found.keypoints[k]
                let e = expected.keypoints[k]
                let distance = max(abs(f.point.x - e.point.x) / cellX, abs(f.point.y - e.point.y) / cellY)
                let ok = distance <= toleranceCells * (1 + slack)
                let regret = Double(e.score) - Double(f.score)
                successes += ok ? 1 : 0
                exact += distance <= slack ? 1 : 0
                totalRegret += regret
                maxRegret = max(maxRegret, regret)
                outcomes.append(
                    .init(
                        found: f.point, reference: e.point, distanceCells: distance,
                        success: ok, scoreRegret: regret))
            }
            totalPasses += found.passes
            maxPasses = max(maxPasses, found.passes)
            totalReferencePasses += expected.passes
            if keepTrials {
                records.append(
                    .init(
                        index: t, passes: found.passes, referencePasses: expected.passes,
                        keypoints: outcomes))
            }
        }
        let n = Double(trials * keypoints)
        return SearchExperimentReport(
            preset: preset.name, reference: reference.name, trials: trials, seed: seed, keypoints: keypoints,
            layout: keypoints == 1 ? "single" : "bird-like",
            toleranceCells: toleranceCells, successRate: Double(successes) / n, exactRate: Double(exact) / n,
            meanPasses: Double(totalPasses) / Double(trials), maxPasses: maxPasses,
            meanReferencePasses: Double(totalReferencePasses) / Double(trials),
            meanScoreRegret: totalRegret / n, maxScoreRegret: maxRegret,
            parameters: parameters, trialRecords: keepTrials ? records : nil)
    }
}

/// What `SearchExperiment.run` measured. Rates are over all (trial, keypoint) pairs.
public struct SearchExperimentReport: Codable, Sendable {
    public struct Outcome: Codable, Sendable {
        public var found: Point
        public var reference: Point
        /// Chebyshev distance in reference cells.
        public var distanceCells: Double
        public var success: Bool
        /// Reference best score minus the preset's best score (>= 0 when the preset's points
        /// are a subset of the reference's; may be negative otherwise).
        public var scoreRegret: Double
    }

    public struct Trial: Codable, Sendable {
        public var index: Int
        public var passes: Int
        public var referencePasses: Int
        public var keypoints: [Outcome]
    }

    public var preset: String
    public var reference: String
    public var trials: Int
    public var seed: UInt64
    public var keypoints: Int
    /// "single" (K = 1) or "bird-like" (clustered, K > 1).
    public var layout: String
    public var toleranceCells: Double
    /// Fraction of keypoints within `toleranceCells` of the reference answer.
    public var successRate: Double
    /// Fraction of keypoints at exactly the reference answer.
    public var exactRate: Double
    /// Passes per image (distinct locations scored) of the preset.
    public var meanPasses: Double
    public var maxPasses: Int
    public var meanReferencePasses: Double
    public var meanScoreRegret: Double
    public var maxScoreRegret: Double
    public var parameters: SyntheticLandscape.Parameters
    public var trialRecords: [Trial]?

    enum CodingKeys: String, CodingKey {
        case preset, reference, trials, seed, keypoints, layout
        case toleranceCells = "tolerance_cells"
        case successRate = "success_rate"
        case exactRate = "exact_rate"
        case meanPasses = "mean_passes"
        case maxPasses = "max_passes"
        case meanReferencePasses = "mean_reference_passes"
        case meanScoreRegret = "mean_score_regret"
        case maxScoreRegret = "max_score_regret"
        case parameters
        case trialRecords = "trial_records"
    }

    /// A few lines for humans.
    public var summary: String {
        func pct(_ x: Double) -> String { String(format: "%.1f%%", 100 * x) }
        return """
            preset \(preset) vs \(reference): \(trials) trials x \(keypoints) keypoint(s) (\(layout)), seed \(seed)
            within \(toleranceCells == 1 ? "1 cell" : "\(toleranceCells) cells"): \(pct(successRate)), exact: \(pct(exactRate))
            passes per image: mean \(String(format: "%.1f", meanPasses)), max \(maxPasses) (reference \(String(format: "%.0f", meanReferencePasses)))
            score regret: mean \(String(format: "%.4f", meanScoreRegret)), max \(String(format: "%.4f", maxScoreRegret))
            """
    }
}
