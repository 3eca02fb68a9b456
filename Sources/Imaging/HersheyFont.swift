// The stroke font of every figure's text: Hershey's "simplex Roman" (A. V. Hershey, US National
// Bureau of Standards, 1967; public-domain glyph data, table and provenance in
// HersheySimplexGlyphs.swift, made by Tests/ImagingTests/Fixtures/fonts/make_hershey_table.py).
//
// Why a stroke font: a glyph is a handful of line segments, so text is drawn at any pixel height
// with the anti-aliased thick lines of StrokePath, from a 6 KB table and no font library
// (no FreeType, no font files to find at run time). Hershey simplex is the face OpenCV's putText
// draws (FONT_HERSHEY_SIMPLEX): the data has been stable and maintained in that form for decades.
// A bitmap font would need one table per size and looks blocky when scaled.

/// The glyphs of a Hershey font in font units (y down; cap line -12, baseline 9, descenders 16,
/// the tallest ink -16 ... 16), one per ASCII character 32 ... 126.
public struct HersheyFont: Sendable {
    /// One character: its advance (right minus left side bearing) and its strokes as segments,
    /// x measured from the left side bearing.
    struct Glyph: Sendable {
        let advance: Int
        let segments: [StrokePath.Segment]
    }

    /// Highest and lowest ink of any glyph (`(`, `[`, `{`, `|` and the like), font units.
    static let inkTop = -16
    static let inkBottom = 16
    /// Font units from the highest to the lowest ink.
    static var inkHeight: Int { inkBottom - inkTop }

    let glyphs: [Glyph]

    /// Simplex Roman, parsed once from the committed table.
    public static let simplex = HersheyFont(jhfBodies: simplexBodies)

    /// Parses .jhf glyph bodies (side bearings, then coordinate pairs relative to "R", " R" lifting
    /// the pen), one per character from ASCII 32. The bodies are the committed table, so a
    /// malformed one is a programmer error.
    init(jhfBodies: [String]) {
        let origin = Int(("R" as Unicode.Scalar).value)
        let penUp = Int((" " as Unicode.Scalar).value) - origin
        glyphs = jhfBodies.enumerated().map { index, body in
            let codes = body.unicodeScalars.map { Int($0.value) - origin }
            precondition(
                codes.count >= 2 && codes.count % 2 == 0, "HersheyFont: glyph \(index + 32) has an odd length")
            let left = codes[0]
            // Pair k (k >= 1) lifts the pen when it is " R"; one past the last pair counts as lifted.
            func liftsPen(_ k: Int) -> Bool { 2 * k >= codes.count || (codes[2 * k] == penUp && codes[2 * k + 1] == 0) }
            var segments: [StrokePath.Segment] = []
            var previous: (x: Double, y: Double)? = nil
            for k in 1..<(codes.count / 2) {
                if liftsPen(k) {
                    previous = nil
                    continue
                }
                let y = codes[2 * k + 1]
                precondition(
                    (HersheyFont.inkTop...HersheyFont.inkBottom).contains(y),
                    "HersheyFont: glyph \(index + 32) has y \(y) outside the ink range")
                let point = (x: Double(codes[2 * k] - left), y: Double(y))
                if let p = previous {
                    segments.append(StrokePath.Segment(x0: p.x, y0: p.y, x1: point.x, y1: point.y))
                } else if liftsPen(k + 1) {
                    // A lone point (the pen put down and lifted again) is a dot.
                    segments.append(StrokePath.Segment(x0: point.x, y0: point.y, x1: point.x, y1: point.y))
                }
                previous = point
            }
            return Glyph(advance: codes[1] - left, segments: segments)
        }
    }

    /// The glyph of `scalar`; characters outside ASCII 32 ... 126 are drawn as "?".
    func glyph(_ scalar: Unicode.Scalar) -> Glyph {
        let code = (32...126).contains(scalar.value) ? Int(scalar.value) : Int(("?" as Unicode.Scalar).value)
        return glyphs[code - 32]
    }

    /// Sum of the advances of `text`'s characters, font units.
    func advance(of text: String) -> Int {
        text.unicodeScalars.reduce(0) { $0 + glyph($1).advance }
    }
}
