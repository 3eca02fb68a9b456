import Imaging

/// One distinct location scored for an image, with the scores of all keypoints.
public struct ScoredPoint: Codable, Sendable, Equatable {
    /// Location in original-image pixels.
    public var point: Point
    /// Location on the plan's integer lattice (the cache key).
    public var lattice: LatticePoint
    /// The stage (0-based) that first asked for this location and scored it.
    public var stage: Int
    /// One score per keypoint.
    public var scores: [Float]
}

/// One keypoint's view of one scored location, e.g. for a heatmap or `--scores` output.
public struct SearchSample: Codable, Sendable, Equatable {
    public var x: Double
    public var y: Double
    /// 0-based stage that scored the location.
    public var stage: Int
    public var score: Float
}

/// The answer for one keypoint.
public struct KeypointResult: Codable, Sendable, Equatable {
    /// Index of the keypoint in the caller's order (the scorer's column).
    public var keypoint: Int
    /// The best location among the locations this keypoint's own search asked for (any stage).
    /// Ties: lowest stage, then lowest y, then lowest x (the order of a run for it alone).
    public var point: Point
    public var score: Float
    /// 0-based stage at which this keypoint's search asked for `point`.
    public var stage: Int
    /// `survivors[t]`: the locations of stage `t` whose windows stage `t + 1` refined, best first.
    public var survivors: [[Point]]
    /// Indices into `SearchResult.points` of the locations this keypoint's search asked for, in
    /// its own order (by the stage that first asked for it, then row-major). Its pass count
    /// alone is `locations.count`.
    public var locations: [Int]
    /// `locationStages[i]`: the stage at which this keypoint's search first asked for `locations[i]`.
    public var locationStages: [Int]
}

/// Everything a search found for one image.
public struct SearchResult: Codable, Sendable, Equatable {
    public var presetName: String
    public var region: Box
    /// Cells per region side of the finest stage.
    public var finestResolution: Int
    /// Every distinct location scored, in scoring order: by stage, then row-major (y, then x).
    public var points: [ScoredPoint]
    /// One entry per keypoint, in the caller's order.
    public var keypoints: [KeypointResult]
    /// New (distinct, not cached) locations scored by each stage.
    public var locationsPerStage: [Int]
    /// Model forward passes per location: the scorer's `passesPerLocation` (1, or a visual-prompt
    /// ensemble's member count).
    public var passesPerLocation: Int

    public init(
        presetName: String, region: Box, finestResolution: Int, points: [ScoredPoint], keypoints: [KeypointResult],
        locationsPerStage: [Int], passesPerLocation: Int = 1
    ) {
        self.presetName = presetName
        self.region = region
        self.finestResolution = finestResolution
        self.points = points
        self.keypoints = keypoints
        self.locationsPerStage = locationsPerStage
        self.passesPerLocation = passesPerLocation
    }

    /// Model forward passes spent: the distinct locations scored times the images scored per
    /// location (one marked image each, or one per ensemble member).
    public var passes: Int { points.count * passesPerLocation }

    /// Model forward passes spent by each stage (`locationsPerStage` times `passesPerLocation`).
    public var passesPerStage: [Int] { locationsPerStage.map { $0 * passesPerLocation } }

    /// The locations keypoint `keypoint`'s own search asked for, in its own order, with the stage
    /// at which it asked (independent of the other keypoints, like its answer).
    public func samples(keypoint: Int) -> [SearchSample] {
        let r = keypoints[keypoint]
        return zip(r.locations, r.locationStages).map { i, stage in
            SearchSample(x: points[i].point.x, y: points[i].point.y, stage: stage, score: points[i].scores[keypoint])
        }
    }
}

/// Progress of a running search, reported after each scorer call.
public struct SearchProgress: Sendable, Equatable {
    /// 0-based stage being scored.
    public var stage: Int
    public var stageCount: Int
    /// New locations of this stage scored so far / in total.
    public var stageScored: Int
    public var stageTotal: Int
    /// Model forward passes spent so far for the image (locations scored times the scorer's
    /// `passesPerLocation`).
    public var passes: Int
}
