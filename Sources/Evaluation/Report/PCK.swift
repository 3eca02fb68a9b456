import Imaging

/// PCK@alpha (percentage of correct keypoints): a prediction is correct when its distance to the
/// ground truth is at most `alpha * max(box width, box height)`, boundary included.
public enum PCK {
    /// Relative slack on the threshold. Why: the square root and the division by the box size
    /// each round, and alpha (0.1) is not exact in binary, so a point at exactly alpha x size can
    /// come out one ulp above alpha; 1e-9 is far below any pixel distance that matters.
    public static let boundaryTolerance = 1e-9

    /// `alpha * boxSize`.
    public static func threshold(alpha: Double, boxSize: Double) -> Double { alpha * boxSize }

    /// Whether `prediction` lies within `alpha * boxSize` of `truth` (inclusive).
    public static func isCorrect(prediction: Point, truth: Point, boxSize: Double, alpha: Double) -> Bool {
        isCorrect(normalizedDistance: prediction.distance(to: truth) / boxSize, alpha: alpha)
    }

    /// Whether a distance divided by the box size counts as correct at `alpha`.
    public static func isCorrect(normalizedDistance d: Double, alpha: Double) -> Bool {
        d <= alpha * (1 + boundaryTolerance)
    }

    /// Distance / box size of every keypoint of `records`, sorted ascending (the data of the
    /// PCK-against-alpha curve: PCK(alpha) = fraction of values <= alpha).
    public static func normalizedDistances(_ records: [ImageRecord]) -> [Double] {
        var out: [Double] = []
        for r in records {
            let size = r.box.longerSide
            for k in r.keypoints { out.append(k.pred.distance(to: k.gt) / size) }
        }
        return out.sorted()
    }

    /// PCK at each alpha from sorted normalised distances; nil when there are no keypoints.
    public static func curve(sortedDistances d: [Double], alphas: [Double]) -> [Double?] {
        guard !d.isEmpty else { return alphas.map { _ in nil } }
        return alphas.map { a in
            // number of values <= a (with the boundary slack): binary search for the first above.
            let limit = a * (1 + boundaryTolerance)
            var lo = 0
            var hi = d.count
            while lo < hi {
                let mid = (lo + hi) / 2
                if d[mid] <= limit { lo = mid + 1 } else { hi = mid }
            }
            return Double(lo) / Double(d.count)
        }
    }
}
