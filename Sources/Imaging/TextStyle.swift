// Text in figures: the Hershey simplex stroke font (HersheyFont.swift says why) drawn at any
// pixel height with anti-aliased strokes (StrokePath).

/// How a line of text is drawn: its height in pixels, colour, stroke width and an optional
/// background box. Measure with `width(of:)` / `boxSize(of:)`, draw with `draw(_:on:x:y:)`.
///
/// `height` is the height of a line of text: all ink of every glyph, stroke included, lies
/// within `height` pixels below the top (capital letters take about 60% of it, descenders reach
/// the bottom). Widths scale with the height: the same string at twice the height is twice as
/// wide.
public struct TextStyle: Sendable, Equatable {
    /// Line height in pixels (> 0).
    public var height: Double
    public var color: RGB
    /// Stroke width in pixels; default 1/14 of the height, at least 1 (a regular weight).
    public var strokeWidth: Double
    /// When set, text is drawn on a filled box of this colour, `padding` pixels larger all round.
    public var background: RGB?
    public var backgroundOpacity: Double
    /// Space between the text and the edge of its background box, pixels; default 1/4 of the
    /// height.
    public var padding: Double

    /// The default stroke width for a line height (1/14 of it, at least 1 pixel).
    public static func defaultStrokeWidth(height: Double) -> Double { max(1, height / 14) }

    public init(
        height: Double, color: RGB = RGB(0, 0, 0), strokeWidth: Double? = nil,
        background: RGB? = nil, backgroundOpacity: Double = 1, padding: Double? = nil
    ) {
        precondition(height > 0 && height.isFinite, "TextStyle: height \(height) must be positive and finite")
        self.height = height
        self.color = color
        self.strokeWidth = min(strokeWidth ?? Self.defaultStrokeWidth(height: height), height / 2)
        self.background = background
        self.backgroundOpacity = backgroundOpacity
        self.padding = padding ?? height / 4
    }

    /// Pixels per font unit.
    var unit: Double { (height - strokeWidth) / Double(HersheyFont.inkHeight) }

    /// Width of `text` in pixels (its advances plus the stroke's round ends; no background box).
    public func width(of text: String) -> Double {
        text.isEmpty ? 0 : Double(HersheyFont.simplex.advance(of: text)) * unit + strokeWidth
    }

    /// Whole-pixel size of what `draw` covers: the text, plus the padding when there is a
    /// background box.
    public func boxSize(of text: String) -> (width: Int, height: Int) {
        let pad = background == nil ? 0 : 2 * padding
        return (Int((width(of: text) + pad).rounded(.up)), Int((height + pad).rounded(.up)))
    }

    /// `text` cut to at most `maxWidth` pixels, ending with "..." when cut ("" when not even
    /// "..." fits).
    public func fitted(_ text: String, maxWidth: Double) -> String {
        if width(of: text) <= maxWidth { return text }
        var scalars = Array(text.unicodeScalars)
        while !scalars.isEmpty {
            scalars.removeLast()
            let s = String(String.UnicodeScalarView(scalars)) + "..."
            if width(of: s) <= maxWidth { return s }
        }
        return ""
    }

    /// The same style at another height (stroke width and padding scaled along).
    public func scaled(toHeight newHeight: Double) -> TextStyle {
        let f = newHeight / height
        var s = self
        s.height = newHeight
        s.strokeWidth = min(strokeWidth * f, newHeight / 2)
        s.padding = padding * f
        return s
    }

    /// Draws `text` with the top-left corner of its box at (x, y) (the background box's corner
    /// when there is one), clipped to the image, and returns the pixels of that box.
    @discardableResult
    public func draw(_ text: String, on image: inout RGBImage, x: Double, y: Double) -> PixelRect {
        let size = boxSize(of: text)
        let box = PixelRect(x: Int(x.rounded(.down)), y: Int(y.rounded(.down)), width: size.width, height: size.height)
        var originX = x
        var originY = y
        if let background {
            CanvasDrawing.fill(&image, box, color: background, opacity: backgroundOpacity)
            originX += padding
            originY += padding
        }
        let u = unit
        let half = strokeWidth / 2
        let top = originY + half - Double(HersheyFont.inkTop) * u
        var penX = originX + half
        for scalar in text.unicodeScalars {
            let glyph = HersheyFont.simplex.glyph(scalar)
            defer { penX += Double(glyph.advance) * u }
            if glyph.segments.isEmpty { continue }
            var path = StrokePath(width: strokeWidth)
            for s in glyph.segments {
                path.addLine(
                    from: CanvasPoint(x: penX + s.x0 * u, y: top + s.y0 * u),
                    to: CanvasPoint(x: penX + s.x1 * u, y: top + s.y1 * u))
            }
            path.draw(on: &image, color: color)
        }
        return box
    }
}
