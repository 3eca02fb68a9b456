// Coordinate convention of original-image pixels, shared by Imaging, Localization and Evaluation:
// continuous coordinates with the origin at the top-left CORNER of the top-left pixel, x to the
// right, y down. Pixel (i, j) covers [i, i + 1) x [j, j + 1) and its centre is (i + 0.5, j + 0.5);
// a point (x, y) lies on pixel (floor(x), floor(y)). The model's input canvas uses the same
// convention in its own pixels (`CanvasPoint`); `CanvasGeometry` maps between the two.

// MARK: - Point

/// A point on the original photo, in continuous original-image pixels (see the convention above).
///
/// Encoded as the array `[x, y]`, the form of the results file.
public struct Point: Sendable, Equatable, Hashable, Codable, CustomStringConvertible {
    public var x: Double
    public var y: Double

    public init(x: Double, y: Double) {
        self.x = x
        self.y = y
    }

    /// Euclidean distance in pixels.
    public func distance(to other: Point) -> Double {
        let dx = x - other.x
        let dy = y - other.y
        return (dx * dx + dy * dy).squareRoot()
    }

    public var description: String { "(\(x), \(y))" }

    // MARK: Codable

    public init(from decoder: Decoder) throws {
        var c = try decoder.unkeyedContainer()
        x = try c.decode(Double.self)
        y = try c.decode(Double.self)
        guard c.isAtEnd else { throw DecodingError.dataCorruptedError(in: c, debugDescription: "expected [x, y]") }
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.unkeyedContainer()
        try c.encode(x)
        try c.encode(y)
    }
}
