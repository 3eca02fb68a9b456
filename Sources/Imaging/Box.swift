// MARK: - Box

/// An axis-aligned box in original-image pixels (the convention of `Point`): `x, y` is the
/// top-left corner, `width, height` the size, so it covers [x, x + width) x [y, y + height).
///
/// Used for dataset bounding boxes (PCK normaliser), search boxes and search regions. Encoded as
/// the array `[x, y, width, height]` (COCO's bbox order, the form of the results file).
public struct Box: Sendable, Equatable, Hashable, Codable, CustomStringConvertible {
    public var x: Double
    public var y: Double
    public var width: Double
    public var height: Double

    public init(x: Double, y: Double, width: Double, height: Double) {
        self.x = x
        self.y = y
        self.width = width
        self.height = height
    }

    /// The whole image of the given size.
    public init(imageWidth: Int, imageHeight: Int) {
        self.init(x: 0, y: 0, width: Double(imageWidth), height: Double(imageHeight))
    }

    /// Right edge, `x + width`.
    public var maxX: Double { x + width }
    /// Bottom edge, `y + height`.
    public var maxY: Double { y + height }
    /// `max(width, height)`, the PCK normaliser.
    public var longerSide: Double { max(width, height) }
    /// Whether all four values are finite and the size is positive.
    public var isFiniteAndNonEmpty: Bool {
        x.isFinite && y.isFinite && width.isFinite && height.isFinite && width > 0 && height > 0
    }

    /// Edges may stick out of the image by this much before the box is an error, because
    /// datasets store boxes with inclusive integer corners (x2 = W - 1 + 1 = W, or one past).
    /// Within the tolerance the box is clamped to the image.
    public static let edgeTolerance = 1.0

    /// Checks that the box is finite, non-empty and inside a `imageWidth x imageHeight` image
    /// (up to `edgeTolerance`), and returns it clamped to the image.
    /// - Parameter label: names the image (path or id) in the error message.
    /// - Throws: `CanvasError.boxOutsideImage` naming the box, the image and the failed check.
    public func validated(imageWidth: Int, imageHeight: Int, label: String = "image") throws -> Box {
        func fail(_ reason: String) -> CanvasError {
            .boxOutsideImage(
                label: label, box: self, imageWidth: imageWidth,
                imageHeight: imageHeight, reason: reason)
        }
        guard x.isFinite, y.isFinite, width.isFinite, height.isFinite else { throw fail("not finite") }
        guard width > 0, height > 0 else { throw fail("empty (w and h must be > 0)") }
        let tol = Box.edgeTolerance
        let W = Double(imageWidth)
        let H = Double(imageHeight)
        guard x >= -tol, y >= -tol else { throw fail("top-left corner is left of or above the image") }
        guard maxX <= W + tol else { throw fail("right edge x + w = \(maxX) > image width \(imageWidth)") }
        guard maxY <= H + tol else { throw fail("bottom edge y + h = \(maxY) > image height \(imageHeight)") }
        let x0 = max(0, x)
        let y0 = max(0, y)
        let x1 = min(W, maxX)
        let y1 = min(H, maxY)
        guard x1 > x0, y1 > y0 else { throw fail("no area left inside the image") }
        return Box(x: x0, y: y0, width: x1 - x0, height: y1 - y0)
    }

    /// The integer pixels the box touches: `floor(x) ..< ceil(x + width)` (same for y).
    public var coveringPixels: PixelRect {
        let x0 = Int(x.rounded(.down))
        let y0 = Int(y.rounded(.down))
        let x1 = Int(maxX.rounded(.up))
        let y1 = Int(maxY.rounded(.up))
        return PixelRect(x: x0, y: y0, width: x1 - x0, height: y1 - y0)
    }

    /// The pixels of a `imageWidth x imageHeight` image the box touches: `coveringPixels` cut to
    /// the image (empty when the box lies outside it). What a crop to the box keeps: the
    /// `--crop-to-box` canvas source, and the image `eval` shows for SPair-71k. Converted after
    /// clamping, so any box (huge, infinite) gives a rectangle inside the image.
    public func pixels(inImageWidth imageWidth: Int, imageHeight: Int) -> PixelRect {
        func clamp(_ v: Double, _ limit: Int) -> Int { v.isNaN ? 0 : Int(min(max(v, 0), Double(limit))) }
        let x0 = clamp(x.rounded(.down), imageWidth)
        let y0 = clamp(y.rounded(.down), imageHeight)
        let x1 = clamp(maxX.rounded(.up), imageWidth)
        let y1 = clamp(maxY.rounded(.up), imageHeight)
        return PixelRect(x: x0, y: y0, width: max(0, x1 - x0), height: max(0, y1 - y0))
    }

    public var description: String { "[x \(x), y \(y), w \(width), h \(height)]" }

    // MARK: Codable

    public init(from decoder: Decoder) throws {
        var c = try decoder.unkeyedContainer()
        x = try c.decode(Double.self)
        y = try c.decode(Double.self)
        width = try c.decode(Double.self)
        height = try c.decode(Double.self)
        guard c.isAtEnd else {
            throw DecodingError.dataCorruptedError(
                in: c, debugDescription: "expected [x, y, w, h], got more than 4 numbers")
        }
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.unkeyedContainer()
        try c.encode(x)
        try c.encode(y)
        try c.encode(width)
        try c.encode(height)
    }
}
