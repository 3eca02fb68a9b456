import KeypointsSupport

/// A region of a photo as one bit per pixel: where the search may place candidates (a saliency
/// mask, the object's box, or a mask PNG). A continuous point (x, y) in original-image pixels is
/// inside when the pixel that holds it, (floor x, floor y), is set.
public struct PixelMask: Sendable, Equatable {
    public let width: Int
    public let height: Int
    /// (H W), non-zero = inside.
    public let bits: [UInt8]

    public init(width: Int, height: Int, bits: [UInt8]) {
        precondition(bits.count == width * height, "PixelMask: \(bits.count) bits for \(width)x\(height)")
        self.width = width
        self.height = height
        self.bits = bits
    }

    /// The pixels whose centre lies in `box`.
    public init(box: Box, width: Int, height: Int) {
        var bits = [UInt8](repeating: 0, count: width * height)
        for y in 0..<height {
            let cy = Double(y) + 0.5
            guard cy >= box.y, cy < box.maxY else { continue }
            for x in 0..<width {
                let cx = Double(x) + 0.5
                if cx >= box.x && cx < box.maxX { bits[y * width + x] = 1 }
            }
        }
        self.init(width: width, height: height, bits: bits)
    }

    /// A mask image: a pixel is inside when its grey level (mean of R, G, B) is at least 128 and,
    /// with an alpha channel, its alpha is at least 128.
    public init(maskImage image: DecodedImage) {
        let n = image.width * image.height
        var bits = [UInt8](repeating: 0, count: n)
        let px = image.rgb.pixels
        for i in 0..<n {
            let grey = (Int(px[3 * i]) + Int(px[3 * i + 1]) + Int(px[3 * i + 2])) / 3
            let opaque = image.alpha.map { $0[i] >= 128 } ?? true
            if grey >= 128 && opaque { bits[i] = 1 }
        }
        self.init(width: image.width, height: image.height, bits: bits)
    }

    /// `inner` (a mask of a crop) placed at (`x`, `y`) of a `width` x `height` photo; outside
    /// the crop nothing is inside.
    public init(placing inner: PixelMask, atX x0: Int, y y0: Int, width: Int, height: Int) {
        var bits = [UInt8](repeating: 0, count: width * height)
        for y in 0..<inner.height where y + y0 >= 0 && y + y0 < height {
            for x in 0..<inner.width where x + x0 >= 0 && x + x0 < width {
                bits[(y + y0) * width + x + x0] = inner.bits[y * inner.width + x]
            }
        }
        self.init(width: width, height: height, bits: bits)
    }

    /// Whether the point lies on a set pixel; points outside the photo are not inside.
    public func contains(_ p: Point) -> Bool {
        guard p.x >= 0, p.y >= 0, p.x < Double(width), p.y < Double(height) else { return false }
        return bits[Int(p.y) * width + Int(p.x)] != 0
    }

    /// SHA-256 (hex) of the mask as `width * height` bytes, row by row from the top-left, 1
    /// inside and 0 outside: identifies a mask whatever made it (`localize --scores`).
    public var sha256: String {
        var h = SHA256Hasher()
        h.update(bits.map { $0 != 0 ? UInt8(1) : 0 })
        return h.finalizeHex()
    }

    /// Fraction of the photo's pixels inside (0 for an empty photo).
    public var fraction: Double { bits.isEmpty ? 0 : Double(count) / Double(bits.count) }

    /// Number of set pixels.
    public var count: Int { bits.reduce(0) { $0 + ($1 != 0 ? 1 : 0) } }
    public var isEmpty: Bool { !bits.contains { $0 != 0 } }
}
