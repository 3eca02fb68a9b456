// Anti-aliased thick lines for figures: a set of straight segments of one width with round caps
// and joins, drawn with the coverage rule of MarkerRenderer (8 x 8 samples per pixel, pixels
// whose centre is farther than sqrt(2)/2 from the stroke's edge classified whole without
// sampling). Text glyphs (TextStyle), outlines, ticks and the figure lines use it.

import Foundation

/// Straight segments of width `width` in image pixels (continuous coordinates: pixel (i, j)
/// spans [i, i+1) x [j, j+1)), each a capsule: every point within `width / 2` of the segment is
/// ink. Overlapping segments are one shape (their union), so joins are drawn once.
public struct StrokePath: Sendable, Equatable {
    /// One segment from (x0, y0) to (x1, y1); a point when both ends coincide (a round dot).
    public struct Segment: Sendable, Equatable {
        public var x0: Double, y0: Double, x1: Double, y1: Double
        public init(x0: Double, y0: Double, x1: Double, y1: Double) {
            self.x0 = x0
            self.y0 = y0
            self.x1 = x1
            self.y1 = y1
        }
    }

    public private(set) var segments: [Segment] = []
    /// Line width in pixels (> 0).
    public let width: Double

    public init(width: Double) {
        precondition(width > 0 && width.isFinite, "StrokePath: width \(width) must be positive and finite")
        self.width = width
    }

    /// Adds the segment from `a` to `b`.
    public mutating func addLine(from a: CanvasPoint, to b: CanvasPoint) {
        segments.append(Segment(x0: a.x, y0: a.y, x1: b.x, y1: b.y))
    }

    /// Adds segments through `points` in order (closing back to the first when `closed`).
    public mutating func addPolyline(_ points: [CanvasPoint], closed: Bool = false) {
        guard let first = points.first else { return }
        if points.count == 1 { addLine(from: first, to: first) }
        for (a, b) in zip(points, points.dropFirst()) { addLine(from: a, to: b) }
        if closed && points.count > 2, let last = points.last { addLine(from: last, to: first) }
    }

    /// The outline of an axis-aligned rectangle whose stroke is centred on its edges.
    public mutating func addRectangle(x: Double, y: Double, width w: Double, height h: Double) {
        addPolyline(
            [
                CanvasPoint(x: x, y: y), CanvasPoint(x: x + w, y: y), CanvasPoint(x: x + w, y: y + h),
                CanvasPoint(x: x, y: y + h),
            ], closed: true)
    }

    /// The pixels the path may touch (not clipped), or nil when it has no segment.
    public var pixelBounds: PixelRect? {
        guard var box = segments.first.map(bounds(of:)) else { return nil }
        for s in segments.dropFirst() {
            let b = bounds(of: s)
            let x0 = min(box.x, b.x)
            let y0 = min(box.y, b.y)
            box = PixelRect(x: x0, y: y0, width: max(box.maxX, b.maxX) - x0, height: max(box.maxY, b.maxY) - y0)
        }
        return box
    }

    /// The pixels segment `s` may touch.
    func bounds(of s: Segment) -> PixelRect {
        let r = width / 2
        let left = Int((min(s.x0, s.x1) - r).rounded(.down))
        let top = Int((min(s.y0, s.y1) - r).rounded(.down))
        let right = Int((max(s.x0, s.x1) + r).rounded(.down))
        let bottom = Int((max(s.y0, s.y1) + r).rounded(.down))
        return PixelRect(x: left, y: top, width: right - left + 1, height: bottom - top + 1)
    }

    /// How many of pixel (x, y)'s 64 sample points are ink (0 ... 64).
    public func coverage(ofPixel x: Int, _ y: Int) -> Int {
        coverage(ofPixel: x, y, segments: segments)
    }

    /// `coverage(ofPixel:_:)` over `candidates` only (the segments that may touch the pixel).
    func coverage(ofPixel x: Int, _ y: Int, segments candidates: [Segment]) -> Int {
        let r = width / 2
        let cx = Double(x) + 0.5
        let cy = Double(y) + 0.5
        var nearest2 = Double.infinity
        for s in candidates { nearest2 = min(nearest2, Self.distance2(s, cx, cy)) }
        let d = nearest2.squareRoot() - r
        if d > MarkerRenderer.wholePixelMargin { return 0 }
        if d < -MarkerRenderer.wholePixelMargin { return MarkerRenderer.samplesPerPixel }
        let r2 = r * r
        let n = MarkerRenderer.samplesPerAxis
        var k = 0
        for l in 0..<n {
            let sy = Double(y) + (Double(l) + 0.5) / Double(n)
            for m in 0..<n {
                let sx = Double(x) + (Double(m) + 0.5) / Double(n)
                if candidates.contains(where: { Self.distance2($0, sx, sy) <= r2 }) { k += 1 }
            }
        }
        return k
    }

    /// Blends `color` over `image` by coverage (`opacity` 0 ... 1 scales it):
    /// out = (base (64 - k) + colour k + 32) >> 6 per channel. Each pixel is blended once, with
    /// the coverage of the union of the segments that may touch it; only the segments' own
    /// bounding boxes are visited (a long thin outline costs its length, not its area).
    public func draw(on image: inout RGBImage, color: RGB, opacity: Double = 1) {
        let a64 = Int((min(max(opacity, 0), 1) * 64).rounded())
        if a64 == 0 || segments.isEmpty { return }
        let frame = PixelRect(x: 0, y: 0, width: image.width, height: image.height)
        let boxes = segments.map(bounds(of:))
        let W = image.width
        var candidates: [Segment] = []
        candidates.reserveCapacity(segments.count)
        image.pixels.withUnsafeMutableBufferPointer { p in
            for (i, full) in boxes.enumerated() {
                let box = full.intersection(frame)
                if box.isEmpty { continue }
                for py in box.y..<box.maxY {
                    for px in box.x..<box.maxX {
                        // Visited already through an earlier segment's box.
                        if boxes[..<i].contains(where: { $0.contains(px, py) }) { continue }
                        candidates.removeAll(keepingCapacity: true)
                        for (j, b) in boxes.enumerated().dropFirst(i) where b.contains(px, py) {
                            candidates.append(segments[j])
                        }
                        let k = coverage(ofPixel: px, py, segments: candidates)
                        MarkerRenderer.blend(p, offset: (py * W + px) * 3, coverage: k, opacity64: a64, color: color)
                    }
                }
            }
        }
    }

    // MARK: - Geometry

    /// Squared distance from (x, y) to segment `s`.
    @inline(__always)
    static func distance2(_ s: Segment, _ x: Double, _ y: Double) -> Double {
        let dx = s.x1 - s.x0
        let dy = s.y1 - s.y0
        let length2 = dx * dx + dy * dy
        var t = 0.0
        if length2 > 0 { t = min(max(((x - s.x0) * dx + (y - s.y0) * dy) / length2, 0), 1) }
        let ex = x - (s.x0 + t * dx)
        let ey = y - (s.y0 + t * dy)
        return ex * ex + ey * ey
    }
}

extension PixelRect {
    /// Whether pixel (px, py) lies inside.
    @inline(__always)
    func contains(_ px: Int, _ py: Int) -> Bool { px >= x && px < maxX && py >= y && py < maxY }
}
