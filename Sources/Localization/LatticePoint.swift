// MARK: - The integer search lattice

/// A candidate position on the finest lattice of a `SearchPlan`, in exact integer units.
///
/// One unit is `1 / (2 * finestResolution)` of the region side (separately for x and y), so the
/// centre of cell `n` of an `N x N` stage grid, `(n + 0.5) / N`, is the integer
/// `(2n + 1) * finestResolution / N`. Every stage's grid is such a cell-centre grid and every
/// `finestResolution / N` is an integer (the plan checks it), so points of all stages and all
/// keypoints share one exact coordinate system: two requests for the same location are equal
/// integers, never two floating-point values that almost agree. This is the key of the score cache.
public struct LatticePoint: Hashable, Codable, Sendable, Comparable {
    /// Horizontal position in lattice units from the region's left edge.
    public var a: Int
    /// Vertical position in lattice units from the region's top edge.
    public var b: Int

    public init(a: Int, b: Int) {
        self.a = a
        self.b = b
    }

    /// Row-major order: lower y first, then lower x. This is the order points are scored in
    /// within a stage, and the final tie-break between equal scores.
    public static func < (l: LatticePoint, r: LatticePoint) -> Bool {
        l.b != r.b ? l.b < r.b : l.a < r.a
    }
}
