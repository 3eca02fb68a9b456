/// An 8-bit RGB image, rows top to bottom, pixels interleaved R, G, B.
///
/// This is the one image type the imaging layer passes around: decoders produce it, markers are
/// drawn on it, the CLIP preprocessor consumes it. It knows nothing about CLIP.
public struct RGBImage: Sendable, Equatable {
    public let width: Int
    public let height: Int
    /// `height * width * 3` bytes: pixel (x, y) channel c is at `(y * width + x) * 3 + c`.
    public var pixels: [UInt8]

    /// - Precondition: `pixels.count == width * height * 3` (a programmer error otherwise).
    public init(width: Int, height: Int, pixels: [UInt8]) {
        precondition(width > 0 && height > 0, "RGBImage: empty size \(width)x\(height)")
        precondition(
            pixels.count == width * height * 3,
            "RGBImage: \(pixels.count) bytes for \(width)x\(height)x3")
        self.width = width
        self.height = height
        self.pixels = pixels
    }

    /// An image filled with one colour.
    public init(width: Int, height: Int, fill: RGB = RGB(0, 0, 0)) {
        precondition(width > 0 && height > 0, "RGBImage: empty size \(width)x\(height)")
        self.width = width
        self.height = height
        var p = [UInt8](repeating: 0, count: width * height * 3)
        for i in 0..<(width * height) {
            p[3 * i] = fill.r
            p[3 * i + 1] = fill.g
            p[3 * i + 2] = fill.b
        }
        self.pixels = p
    }

    public subscript(x: Int, y: Int) -> RGB {
        get {
            let o = (y * width + x) * 3
            return RGB(pixels[o], pixels[o + 1], pixels[o + 2])
        }
        set {
            let o = (y * width + x) * 3
            pixels[o] = newValue.r
            pixels[o + 1] = newValue.g
            pixels[o + 2] = newValue.b
        }
    }
}

/// One 8-bit RGB colour.
public struct RGB: Sendable, Equatable, Hashable, Codable {
    public var r: UInt8
    public var g: UInt8
    public var b: UInt8
    public init(_ r: UInt8, _ g: UInt8, _ b: UInt8) {
        self.r = r
        self.g = g
        self.b = b
    }
    public static let red = RGB(255, 0, 0)
}
