import Imaging
import KeypointsSupport

/// Errors of a candidate search: bad arguments, or a scorer that broke its contract.
public enum SearchError: RawMessageError, Equatable {
    case invalidArgument(String)
    /// The scorer returned a different number of rows than points sent.
    case wrongRowCount(expected: Int, got: Int)
    /// A row did not hold one score per keypoint.
    case wrongScoreCount(point: Point, expected: Int, got: Int)
    /// A NaN or infinite score.
    case nonFiniteScore(point: Point, keypoint: Int, value: Float)

    /// The message, its outside text (paths, keys, names) as it is (`RawMessageError`).
    public var rawMessage: String {
        switch self {
        case .invalidArgument(let m):
            return "search: \(m)"
        case .wrongRowCount(let e, let g):
            return "search: the scorer returned \(g) rows of scores for \(e) points"
        case .wrongScoreCount(let p, let e, let g):
            return "search: the scorer returned \(g) scores for point \(p), expected one per keypoint (\(e))"
        case .nonFiniteScore(let p, let k, let v):
            return "search: the scorer returned \(v) for keypoint \(k) at point \(p), expected a finite score"
        }
    }
}
