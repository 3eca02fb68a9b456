import Imaging

/// Scores candidate marker locations for every keypoint of one image.
///
/// The real scorer (CLIP) renders one marked image per point (one per member of a visual-prompt
/// ensemble) and compares its embedding with K cached text embeddings; tests implement it
/// directly as functions of (x, y). The marked image does not depend on the keypoint, so one call
/// serves all K keypoints.
///
/// Contract, checked by `CoarseToFineSearch`:
/// - `score(points)` returns exactly `points.count` rows, row `i` for `points[i]`;
/// - every row has the same K entries, one per keypoint, in the caller's keypoint order;
/// - scores are finite; higher is better (CLIP: cosine similarity).
/// The search never sends the same location twice for one image, and never more than its batch
/// size in one call.
public protocol CandidateScorer {
    /// - Parameter points: candidate locations in original-image pixels, at most the batch size.
    /// - Returns: `points.count` rows of K scores.
    mutating func score(_ points: [Point]) throws -> [[Float]]

    /// Model forward passes one location costs (the images scored per point): 1, or an
    /// ensemble's member count. The search reports `passes` as locations times this.
    var passesPerLocation: Int { get }
}

extension CandidateScorer {
    /// One image per location.
    public var passesPerLocation: Int { 1 }
}
