import Foundation
import Testing

@testable import Imaging

@Suite("Text (Hershey simplex stroke font) and anti-aliased strokes")
struct TextStyleTests {
    /// Widths are sums of scaled advances: equal up to floating-point rounding.
    static let widthTolerance = 1e-9
    /// Ink bounding boxes are whole pixels with anti-aliased edges: a pixel at each end.
    static let inkBoundsSlackPixels = 3
    /// "(" and "p" reach within 10% of the line's top and bottom.
    static let usedHeightFraction = 0.9

    /// The bounding box of pixels that differ from `background`, or nil.
    static func inkBounds(_ image: RGBImage, background: RGB) -> PixelRect? {
        var x0 = Int.max
        var y0 = Int.max
        var x1 = -1
        var y1 = -1
        for y in 0..<image.height {
            for x in 0..<image.width where image[x, y] != background {
                x0 = min(x0, x)
                y0 = min(y0, y)
                x1 = max(x1, x)
                y1 = max(y1, y)
            }
        }
        return x1 < 0 ? nil : PixelRect(x: x0, y: y0, width: x1 - x0 + 1, height: y1 - y0 + 1)
    }

    static func rendered(_ text: String, _ style: TextStyle, width: Int = 600, height: Int = 200) -> RGBImage {
        var image = RGBImage(width: width, height: height, fill: RGB(255, 255, 255))
        style.draw(text, on: &image, x: 10, y: 10)
        return image
    }

    @Test("the table holds Hershey's glyphs: 'H' is three strokes, advance 22 units")
    func glyphData() {
        // futural line for 'H' (Hershey-Fonts 2.1.0): "G]KFK[ RYFY[ RKPYP": left bearing
        // G = -11, right ] = 11; strokes K(-7) F(-12) to K [(9), Y(7) F to Y [, K P(-2) to Y P;
        // x counted from the left bearing.
        let h = HersheyFont.simplex.glyph("H")
        #expect(h.advance == 22)
        #expect(
            h.segments == [
                StrokePath.Segment(x0: 4, y0: -12, x1: 4, y1: 9),
                StrokePath.Segment(x0: 18, y0: -12, x1: 18, y1: 9),
                StrokePath.Segment(x0: 4, y0: -2, x1: 18, y1: -2),
            ])
        // A dot: '.' is one point ("NVRVQWRXSWRV" is a small closed loop in simplex, so check
        // the lone-point rule on a made-up glyph instead).
        let dot = HersheyFont(jhfBodies: ["NVRR"]).glyphs[0]
        #expect(dot.segments == [StrokePath.Segment(x0: 4, y0: 0, x1: 4, y1: 0)] && dot.advance == 8)
        #expect(HersheyFont.simplex.glyphs.count == 95)
        // Outside ASCII: '?'.
        #expect(HersheyFont.simplex.glyph("é").segments == HersheyFont.simplex.glyph("?").segments)
        // Every glyph's ink lies within its advance and the ink range.
        for (i, g) in HersheyFont.simplex.glyphs.enumerated() {
            for s in g.segments {
                #expect(
                    [s.x0, s.x1].allSatisfy { $0 >= 0 && $0 <= Double(g.advance) }
                        && [s.y0, s.y1].allSatisfy { $0 >= -16 && $0 <= 16 }, "glyph \(i + 32)")
            }
        }
    }

    @Test("width and ink scale with the height")
    func scaling() throws {
        let text = "Beak 0.2764 (gyp)"
        let small = TextStyle(height: 20)
        let large = TextStyle(height: 40)
        // Stroke 1/14 of the height at both sizes, so every length doubles.
        #expect(abs(large.width(of: text) - 2 * small.width(of: text)) < Self.widthTolerance)
        #expect(small.width(of: "") == 0)
        #expect(small.width(of: "ii") < small.width(of: "MM"))  // proportional, not fixed-width

        let a = try #require(Self.inkBounds(Self.rendered(text, small), background: RGB(255, 255, 255)))
        let b = try #require(Self.inkBounds(Self.rendered(text, large), background: RGB(255, 255, 255)))
        // All ink within the measured box: x 10 ..< 10 + width, y 10 ..< 10 + height.
        for (box, style) in [(a, small), (b, large)] {
            #expect(box.x >= 10 && box.y >= 10)
            #expect(Double(box.maxX) <= 10 + style.width(of: text) + 1)
            #expect(Double(box.maxY) <= 10 + style.height + 1)
            // "(" reaches the top of the line and "p" nearly its bottom: the height is used.
            #expect(Double(box.height) >= Self.usedHeightFraction * style.height)
        }
        #expect(abs(b.width - 2 * a.width) <= Self.inkBoundsSlackPixels)
        #expect(abs(b.height - 2 * a.height) <= Self.inkBoundsSlackPixels)
    }

    @Test("text is anti-aliased ink of the style's colour; background box and padding")
    func drawing() throws {
        let style = TextStyle(height: 30, color: RGB(200, 0, 0))
        let image = Self.rendered("H", style)
        // The left stem of 'H' at x = 10 + sw/2 + 4 u, u = (30 - sw) / 32, sw = 30/14: a pixel
        // in its middle is pure colour, pixels beside the stroke are partly covered.
        let sw = 30.0 / 14
        let u = (30 - sw) / 32
        let stemX = 10 + sw / 2 + 4 * u
        let midY = Int(10 + sw / 2 + 10 * u)  // font y -6, inside the stem (-12 ... 9)
        #expect(image[Int(stemX), midY] == RGB(200, 0, 0))
        // The stroke's right edge at 15.62 cuts pixel 15: partly covered.
        let edge = image[Int(stemX + sw / 2), midY]
        #expect(edge != RGB(200, 0, 0) && edge != RGB(255, 255, 255))
        #expect(Self.rendered("", style) == RGBImage(width: 600, height: 200, fill: RGB(255, 255, 255)))

        var boxed = style
        boxed.background = RGB(0, 0, 80)
        var image2 = RGBImage(width: 200, height: 100, fill: RGB(255, 255, 255))
        let rect = boxed.draw("Hi", on: &image2, x: 20, y: 30)
        let size = boxed.boxSize(of: "Hi")
        #expect(rect == PixelRect(x: 20, y: 30, width: size.width, height: size.height))
        #expect(size.height == Int((30 + 2 * boxed.padding).rounded(.up)))
        #expect(image2[20, 30] == RGB(0, 0, 80) && image2[rect.maxX - 1, rect.maxY - 1] == RGB(0, 0, 80))
        #expect(image2[19, 30] == RGB(255, 255, 255) && image2[rect.maxX, rect.maxY] == RGB(255, 255, 255))
    }

    @Test("fitted cuts long text with '...' to the width")
    func fitted() {
        let style = TextStyle(height: 16)
        let text = "This is the back of the bird's head"
        let limit = style.width(of: text) / 2
        let cut = style.fitted(text, maxWidth: limit)
        #expect(cut.hasSuffix("...") && style.width(of: cut) <= limit && cut.count < text.count)
        #expect(style.fitted(text, maxWidth: 1000) == text)
        #expect(style.fitted(text, maxWidth: 1) == "")
    }

    @Test("stroke paths: full coverage inside, none outside, overlaps blended once")
    func strokes() {
        var line = StrokePath(width: 2)
        line.addLine(from: CanvasPoint(x: 5, y: 10), to: CanvasPoint(x: 50, y: 10))
        // The stroke covers y 9 ... 11: rows 9 and 10 fully, row 11 not at all.
        #expect(line.coverage(ofPixel: 20, 9) == 64 && line.coverage(ofPixel: 20, 10) == 64)
        #expect(line.coverage(ofPixel: 20, 11) == 0 && line.coverage(ofPixel: 20, 8) == 0)
        // Round cap: pixel (3, 9) lies partly within 1 px of (5, 10).
        let cap = line.coverage(ofPixel: 4, 9)
        #expect(cap > 0 && cap < 64)

        // The same line drawn as two overlapping halves gives the same pixels as one segment.
        var halves = StrokePath(width: 2.5)
        halves.addLine(from: CanvasPoint(x: 5, y: 10.3), to: CanvasPoint(x: 30, y: 10.3))
        halves.addLine(from: CanvasPoint(x: 20, y: 10.3), to: CanvasPoint(x: 50, y: 10.3))
        var whole = StrokePath(width: 2.5)
        whole.addLine(from: CanvasPoint(x: 5, y: 10.3), to: CanvasPoint(x: 50, y: 10.3))
        var a = RGBImage(width: 60, height: 20, fill: RGB(255, 255, 255))
        var b = a
        halves.draw(on: &a, color: RGB(0, 0, 0), opacity: 0.5)
        whole.draw(on: &b, color: RGB(0, 0, 0), opacity: 0.5)
        #expect(a == b)
        #expect(a[25, 10] == RGB(128, 128, 128))  // half opacity on full coverage: (255 * 32 + 32) >> 6

        // A rectangle outline touches its edges, not its inside.
        var rect = StrokePath(width: 3)
        rect.addRectangle(x: 10.5, y: 10.5, width: 40, height: 20)
        var image = RGBImage(width: 70, height: 40, fill: RGB(255, 255, 255))
        rect.draw(on: &image, color: RGB(255, 0, 0))
        #expect(image[10, 20] == RGB(255, 0, 0) && image[50, 20] == RGB(255, 0, 0))
        #expect(image[30, 10] == RGB(255, 0, 0) && image[30, 30] == RGB(255, 0, 0))
        #expect(image[30, 20] == RGB(255, 255, 255) && image[5, 5] == RGB(255, 255, 255))
    }
}
