// MARK: - Points and regions in original-image pixels

/// A candidate marker location in original-image pixel coordinates (origin top-left, x to the
/// right, y down; pixel centres at half-integers are not assumed).
public struct SearchPoint: Hashable, Codable, Sendable, CustomStringConvertible {
    public var x: Double
    public var y: Double

    public init(x: Double, y: Double) {
        self.x = x
        self.y = y
    }

    public var description: String { "(\(x), \(y))" }
}

/// The rectangle searched, in original-image pixels: the whole image, a bounding box, or a
/// salient region. Candidates never leave it.
public struct SearchRegion: Hashable, Codable, Sendable, CustomStringConvertible {
    public var x: Double
    public var y: Double
    public var width: Double
    public var height: Double

    /// - Precondition: `width > 0 && height > 0` and all values finite (programmer error
    ///   otherwise: callers build regions from decoded images or validated boxes).
    public init(x: Double, y: Double, width: Double, height: Double) {
        precondition(x.isFinite && y.isFinite && width.isFinite && height.isFinite,
                     "SearchRegion: non-finite value")
        precondition(width > 0 && height > 0, "SearchRegion: empty size \(width)x\(height)")
        self.x = x
        self.y = y
        self.width = width
        self.height = height
    }

    /// The whole image of the given size.
    public init(imageWidth: Int, imageHeight: Int) {
        self.init(x: 0, y: 0, width: Double(imageWidth), height: Double(imageHeight))
    }

    public var description: String { "(\(x), \(y), \(width)x\(height))" }
}

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
