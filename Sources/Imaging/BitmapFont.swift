// A tiny fixed-width bitmap font for labels on heatmaps and overlays (no font files, no
// FreeType). Glyphs: BitmapFontGlyphs.swift (X11 misc-fixed 5x7, public domain).

/// The 5x7 X11 "fixed" font (ASCII 32...126), drawn at an integer scale.
///
/// Each glyph cell is 5 x 7 pixels including one blank column of letter spacing on the right;
/// row 6 holds descenders (g, j, p, q, y, comma). Characters outside ASCII 32...126 are drawn
/// as `?`.
public struct BitmapFont: Sendable, Equatable {
    /// Cell size at scale 1 (the advance and the glyph height).
    public static let cellWidth = 5
    public static let cellHeight = 7

    /// Integer magnification (each font pixel becomes scale x scale image pixels).
    public let scale: Int

    public init(scale: Int = 1) {
        precondition(scale >= 1, "BitmapFont: scale \(scale) must be >= 1")
        self.scale = scale
    }

    /// Horizontal advance per character in image pixels.
    public var advance: Int { BitmapFont.cellWidth * scale }
    /// Glyph height in image pixels (without line gap).
    public var glyphHeight: Int { BitmapFont.cellHeight * scale }
    /// Distance between baselines of consecutive lines (one blank row of gap).
    public var lineHeight: Int { (BitmapFont.cellHeight + 1) * scale }

    /// Width of `text` in image pixels, without the trailing spacing column of the last glyph.
    public func width(of text: String) -> Int {
        let n = text.unicodeScalars.count
        return n == 0 ? 0 : n * advance - scale
    }

    /// Whether font pixel (column `x` 0..<5, row `y` 0..<7) of `scalar` is ink.
    public static func isInk(_ scalar: Unicode.Scalar, column x: Int, row y: Int) -> Bool {
        precondition(
            (0..<cellWidth).contains(x) && (0..<cellHeight).contains(y),
            "BitmapFont.isInk: (\(x), \(y)) outside the 5x7 cell")
        let code = (32...126).contains(scalar.value) ? Int(scalar.value) : Int(("?" as Unicode.Scalar).value)
        let row = glyphRows5x7[(code - 32) * cellHeight + y]
        return row & (1 << (cellWidth - 1 - x)) != 0
    }

    /// Draws `text` with its top-left corner at (x, y), clipped to the image. Opaque ink, the
    /// background is left as it is.
    public func draw(_ text: String, on image: inout RGBImage, x: Int, y: Int, color: RGB) {
        let W = image.width
        let H = image.height
        let s = scale
        image.pixels.withUnsafeMutableBufferPointer { p in
            var originX = x
            for scalar in text.unicodeScalars {
                defer { originX += advance }
                if originX >= W || originX + advance <= 0 { continue }
                for row in 0..<BitmapFont.cellHeight {
                    for col in 0..<BitmapFont.cellWidth where BitmapFont.isInk(scalar, column: col, row: row) {
                        for dy in 0..<s {
                            let py = y + row * s + dy
                            if py < 0 || py >= H { continue }
                            for dx in 0..<s {
                                let px = originX + col * s + dx
                                if px < 0 || px >= W { continue }
                                let o = (py * W + px) * 3
                                p[o] = color.r
                                p[o + 1] = color.g
                                p[o + 2] = color.b
                            }
                        }
                    }
                }
            }
        }
    }
}
