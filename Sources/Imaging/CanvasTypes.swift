import KeypointsSupport

// Small value types shared by the geometry, marker and heatmap code. Coordinates follow the
// continuous pixel convention documented in Point.swift.

// MARK: - Canvas points

/// A point on the canvas (the model-input image, or an annotation panel), in continuous pixels of
/// that image: a different space from the original photo's `Point`.
public struct CanvasPoint: Sendable, Equatable, Hashable, Codable, CustomStringConvertible {
    public var x: Double
    public var y: Double
    public init(x: Double, y: Double) {
        self.x = x
        self.y = y
    }
    /// The centre of canvas pixel (i, j).
    public static func pixelCenter(_ i: Int, _ j: Int) -> CanvasPoint {
        CanvasPoint(x: Double(i) + 0.5, y: Double(j) + 0.5)
    }
    public var description: String { "(\(x), \(y)) canvas px" }
}

// MARK: - Integer rectangles

/// An integer pixel rectangle: columns `x ..< x + width`, rows `y ..< y + height`.
public struct PixelRect: Sendable, Equatable, Hashable, Codable, CustomStringConvertible {
    public var x: Int
    public var y: Int
    public var width: Int
    public var height: Int
    public init(x: Int, y: Int, width: Int, height: Int) {
        self.x = x
        self.y = y
        self.width = width
        self.height = height
    }
    public var maxX: Int { x + width }
    public var maxY: Int { y + height }
    public var isEmpty: Bool { width <= 0 || height <= 0 }
    /// The part of `self` inside `other` (possibly empty, then width or height is 0).
    public func intersection(_ other: PixelRect) -> PixelRect {
        let x0 = max(x, other.x)
        let y0 = max(y, other.y)
        let x1 = min(maxX, other.maxX)
        let y1 = min(maxY, other.maxY)
        return PixelRect(x: x0, y: y0, width: max(0, x1 - x0), height: max(0, y1 - y0))
    }
    public func intersects(_ other: PixelRect) -> Bool { !intersection(other).isEmpty }
    public var description: String { "x \(x) y \(y) w \(width) h \(height)" }
}

// MARK: - Errors

/// Errors of the drawing side of the imaging layer (geometry, boxes, prompts, heatmaps).
public enum CanvasError: RawMessageError, Equatable {
    /// A size that must be positive is not (`what` names it).
    case invalidSize(what: String, width: Int, height: Int)
    /// A bounding box is empty, not finite or not inside its image.
    case boxOutsideImage(label: String, box: Box, imageWidth: Int, imageHeight: Int, reason: String)
    /// An image handed to a geometry does not have the size the geometry was built for.
    case imageSizeMismatch(
        what: String, expectedWidth: Int, expectedHeight: Int,
        actualWidth: Int, actualHeight: Int)
    /// A parameter is out of its valid range (`name` is the parameter or JSON key).
    case invalidParameter(name: String, expected: String, actual: String)
    /// A score sample cannot be drawn (`index` in the caller's list).
    case invalidSample(index: Int, reason: String)

    /// The message, its outside text (paths, keys, names) as it is (`RawMessageError`).
    public var rawMessage: String {
        switch self {
        case .invalidSize(let what, let w, let h):
            return "\(what): size \(w)x\(h) is not positive"
        case .boxOutsideImage(let label, let box, let iw, let ih, let reason):
            return "box \(box) of \(label) (image \(iw)x\(ih)): \(reason)"
        case .imageSizeMismatch(let what, let ew, let eh, let aw, let ah):
            return "\(what): expected an image of \(ew)x\(eh), got \(aw)x\(ah)"
        case .invalidParameter(let name, let expected, let actual):
            return "\(name): expected \(expected), got \(actual)"
        case .invalidSample(let index, let reason):
            return "score sample \(index): \(reason)"
        }
    }
}

// MARK: - Annotation output

/// An annotation image (heatmap or overlay panel) and where the photo sits in it.
public struct AnnotatedImage: Sendable, Equatable {
    public let image: RGBImage
    /// The pixels of `image` that show the (possibly downscaled) photo.
    public let photoRect: PixelRect
    /// Panel pixels per original-image pixel, per axis.
    public let scaleX: Double
    public let scaleY: Double

    public init(image: RGBImage, photoRect: PixelRect, scaleX: Double, scaleY: Double) {
        self.image = image
        self.photoRect = photoRect
        self.scaleX = scaleX
        self.scaleY = scaleY
    }

    /// Where an original-image point is drawn in `image` (continuous panel pixels).
    public func panelPoint(fromImage p: Point) -> CanvasPoint {
        CanvasPoint(x: Double(photoRect.x) + p.x * scaleX, y: Double(photoRect.y) + p.y * scaleY)
    }
}
