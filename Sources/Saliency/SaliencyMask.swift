/// A TokenCut foreground mask: kept tokens on the padded token grid, and their footprint on the
/// original photo.
///
/// Each kept token covers its patch of the resized photo; an original pixel (x, y) (continuous
/// coordinates, pixel i spans [i, i + 1)) is foreground when the point (x, y) scaled to the resized
/// photo, (x rw / W, y rh / H), lies in a kept token's patch.
public struct SaliencyMask: Sendable, Equatable {
    /// The original photo's size.
    public let width: Int
    public let height: Int
    /// Token grid of the padded, resized photo.
    public let rows: Int
    public let cols: Int
    public let patch: Int
    public let resizedWidth: Int
    public let resizedHeight: Int
    /// (rows cols), 1 = foreground.
    public let tokens: [UInt8]

    public init(
        width: Int, height: Int, rows: Int, cols: Int, patch: Int, resizedWidth: Int, resizedHeight: Int,
        tokens: [UInt8]
    ) {
        precondition(tokens.count == rows * cols, "SaliencyMask: \(tokens.count) tokens for \(rows)x\(cols)")
        self.width = width
        self.height = height
        self.rows = rows
        self.cols = cols
        self.patch = patch
        self.resizedWidth = resizedWidth
        self.resizedHeight = resizedHeight
        self.tokens = tokens
    }

    /// Whether the original-image point (x, y) is foreground; points outside the photo are not.
    public func contains(x: Double, y: Double) -> Bool {
        guard x >= 0, y >= 0, x < Double(width), y < Double(height) else { return false }
        let rx = x * Double(resizedWidth) / Double(width)
        let ry = y * Double(resizedHeight) / Double(height)
        let col = min(cols - 1, Int(rx) / patch)
        let row = min(rows - 1, Int(ry) / patch)
        return tokens[row * cols + col] != 0
    }

    /// (height, width) bytes, 1 where the pixel's centre is foreground.
    public var pixelMask: [UInt8] {
        var out = [UInt8](repeating: 0, count: width * height)
        for y in 0..<height {
            for x in 0..<width where contains(x: Double(x) + 0.5, y: Double(y) + 0.5) { out[y * width + x] = 1 }
        }
        return out
    }

    /// Fraction of the photo's pixels (by centre) that are foreground.
    public var foregroundFraction: Double {
        guard width > 0, height > 0 else { return 0 }
        return Double(pixelMask.reduce(0) { $0 + Int($1) }) / Double(width * height)
    }

    /// The token grid as rows of 0/1.
    public var tokenRows: [[Int]] {
        (0..<rows).map { r in (0..<cols).map { Int(tokens[r * cols + $0]) } }
    }
}
