// Anti-aliased marker drawing at a sub-pixel canvas position.
//
// Coverage: each pixel is split into an 8 x 8 grid of sample points at (i + (k + 0.5) / 8,
// j + (l + 0.5) / 8), and coverage = (number of samples inside the shape) / 64. Pixels whose
// centre is farther than sqrt(2)/2 from the shape's boundary (by a 1-Lipschitz signed distance)
// are classified whole without sampling, so only the ~2 px wide boundary band is supersampled.
// Blend, per channel, in integers: out = (base * (64 - k) + colour * k + 32) >> 6, k = samples
// inside; k = 64 gives exactly the colour, k = 0 leaves the pixel untouched.
// Reference implementation of the same definition (brute force, no fast path):
// Tests/ImagingTests/Fixtures/markers/make_marker_golden.py.

import Foundation

/// Draws one `MarkerStyle` at candidate points. Immutable and `Sendable`: share one per style
/// and canvas size across workers; each worker draws into its own canvas buffer.
public struct MarkerRenderer: Sendable {
    /// Samples per pixel axis (coverage resolution 1/64).
    public static let samplesPerAxis = 8
    /// Number of samples per pixel; `coverage` returns 0 ... this.
    public static let samplesPerPixel = samplesPerAxis * samplesPerAxis
    /// A pixel centre farther than this from the boundary is fully in or out: sqrt(2)/2 (the
    /// farthest a point of the pixel can be from its centre) rounded up.
    static let wholePixelMargin = 0.7072

    public let style: MarkerStyle
    /// Radius r and line thickness t in canvas pixels (resolved from the style).
    public let radius: Double
    public let thickness: Double
    let kind: Kind

    // MARK: - Init

    /// - Parameter shorterSide: H, the shorter side of the canvas (model input), which
    ///   fraction sizes refer to.
    public init(style: MarkerStyle, shorterSide: Int) {
        precondition(shorterSide > 0, "MarkerRenderer: shorter side \(shorterSide)")
        let (r, t) = style.pixelSizes(shorterSide: shorterSide)
        self.style = style
        self.radius = r
        self.thickness = t
        self.kind = Kind(shape: style.shape, r: r, t: t)
    }

    /// A renderer for a `width x height` canvas (H = min(width, height)).
    public init(style: MarkerStyle, canvasWidth: Int, canvasHeight: Int) {
        self.init(style: style, shorterSide: min(canvasWidth, canvasHeight))
    }

    /// A filled disk of `radius` pixels (used as the "inside" region of blur/grey prompts).
    init(diskRadius: Double, color: RGB) {
        self.style = MarkerStyle(
            shape: .circle, color: color, radius: diskRadius / 2,
            thickness: diskRadius, units: .pixels)
        self.radius = diskRadius / 2
        self.thickness = diskRadius
        self.kind = Kind(shape: .circle, r: diskRadius / 2, t: diskRadius)
    }

    // MARK: - Queries

    /// The pixels the marker may touch when centred at `c` (not clipped to any canvas).
    public func pixelBounds(at c: CanvasPoint) -> PixelRect {
        let x0 = Int((c.x + kind.minX).rounded(.down))
        let x1 = Int((c.x + kind.maxX).rounded(.down))
        let y0 = Int((c.y + kind.minY).rounded(.down))
        let y1 = Int((c.y + kind.maxY).rounded(.down))
        return PixelRect(x: x0, y: y0, width: x1 - x0 + 1, height: y1 - y0 + 1)
    }

    /// How many of pixel (x, y)'s 64 sample points fall inside the marker centred at `c`.
    public func coverage(ofPixel x: Int, _ y: Int, markerAt c: CanvasPoint) -> Int {
        kind.coverage(px: x, py: y, cx: c.x, cy: c.y)
    }

    // MARK: - Drawing

    /// Draws the marker centred at `c` onto `canvas`, touching only its bounding box. Does not
    /// allocate when `canvas` owns its pixel buffer (no other copy shares it).
    public func draw(on canvas: inout RGBImage, at c: CanvasPoint) {
        draw(on: &canvas, at: c, opacity64: 64)
    }

    /// `draw` with the coverage scaled by `opacity64 / 64` (for translucent annotation dots).
    func draw(on canvas: inout RGBImage, at c: CanvasPoint, opacity64: Int) {
        precondition((0...64).contains(opacity64), "MarkerRenderer.draw: opacity64 \(opacity64)")
        let W = canvas.width
        let box = pixelBounds(at: c).intersection(PixelRect(x: 0, y: 0, width: W, height: canvas.height))
        if box.isEmpty { return }
        let kind = self.kind
        let color = style.color
        canvas.pixels.withUnsafeMutableBufferPointer { p in
            for py in box.y..<box.maxY {
                for px in box.x..<box.maxX {
                    let k = kind.coverage(px: px, py: py, cx: c.x, cy: c.y)
                    Self.blend(p, offset: (py * W + px) * 3, coverage: k, opacity64: opacity64, color: color)
                }
            }
        }
    }

    /// Blends `color` over the pixel at byte `offset` by `coverage` samples of 64, scaled by
    /// `opacity64 / 64`: out = (base (64 - k) + colour k + 32) >> 6 per channel.
    @inline(__always)
    static func blend(
        _ p: UnsafeMutableBufferPointer<UInt8>, offset o: Int, coverage: Int, opacity64: Int, color: RGB
    ) {
        let k = opacity64 < 64 ? (coverage * opacity64 + 32) >> 6 : coverage
        if k == 0 { return }
        let ik = 64 - k
        p[o] = UInt8((Int(p[o]) * ik + Int(color.r) * k + 32) >> 6)
        p[o + 1] = UInt8((Int(p[o + 1]) * ik + Int(color.g) * k + 32) >> 6)
        p[o + 2] = UInt8((Int(p[o + 2]) * ik + Int(color.b) * k + 32) >> 6)
    }

    /// Copies `base` into the preallocated `out` (same size) and draws the marker at `c`.
    /// No allocation when `out` owns its buffer: reuse one `out` per worker across candidates.
    public func render(base: RGBImage, at c: CanvasPoint, into out: inout RGBImage) {
        CanvasOps.copy(base, into: &out)
        draw(on: &out, at: c)
    }

    /// Inside the marker's coverage, blends `source` over `out` instead of the flat colour:
    /// out = (out * (64 - k) + source * k + 32) >> 6. Same size images. Used to paste the sharp
    /// canvas inside a disk over a blurred or grey background.
    func composite(_ source: RGBImage, onto out: inout RGBImage, at c: CanvasPoint) {
        precondition(source.width == out.width && source.height == out.height, "composite: size mismatch")
        let W = out.width
        let box = pixelBounds(at: c).intersection(PixelRect(x: 0, y: 0, width: W, height: out.height))
        if box.isEmpty { return }
        let kind = self.kind
        source.pixels.withUnsafeBufferPointer { s in
            out.pixels.withUnsafeMutableBufferPointer { p in
                for py in box.y..<box.maxY {
                    for px in box.x..<box.maxX {
                        let k = kind.coverage(px: px, py: py, cx: c.x, cy: c.y)
                        if k == 0 { continue }
                        let o = (py * W + px) * 3
                        let ik = 64 - k
                        for ch in 0..<3 {
                            p[o + ch] = UInt8((Int(p[o + ch]) * ik + Int(s[o + ch]) * k + 32) >> 6)
                        }
                    }
                }
            }
        }
    }
}

// MARK: - Shape geometry

extension MarkerRenderer {
    /// Precomputed geometry of one shape, relative to the candidate point (dx, dy).
    /// `inside` decides each sample; `distance` is a 1-Lipschitz signed distance (negative
    /// inside) with the same zero set, used only to skip whole pixels.
    struct Kind: Sendable {
        enum Shape: Sendable { case ring, square, cross, arrow }
        let shape: Shape
        let r: Double, ht: Double  // radius, half thickness
        let in2: Double, out2: Double  // ring: squared inner/outer radius
        let inner: Double, outer: Double  // square: half-side of inner/outer edge
        // arrow: shaft segment from (tx, ty) to (ex, ey); head triangle (ax, ay) (bx, by) (qx, qy)
        let tx: Double, ty: Double, ex: Double, ey: Double
        let ax: Double, ay: Double, bx: Double, by: Double, qx: Double, qy: Double
        let orient: Double  // sign of the triangle's signed area
        let minX: Double, minY: Double, maxX: Double, maxY: Double

        init(shape: MarkerShape, r: Double, t: Double) {
            self.r = r
            ht = t / 2
            let rin = max(0, r - t / 2)
            let rout = r + t / 2
            in2 = rin * rin
            out2 = rout * rout
            inner = r - t / 2
            outer = r + t / 2
            // Arrow: unit direction of travel u = (1, 1)/sqrt(2) (from the upper left to the
            // tip at the origin), length L = 2r, head length 0.7r, head half-width 0.45r.
            let u = 1.0 / 2.0.squareRoot()
            let L = 2 * r
            let hl = 0.7 * r
            let hw = 0.45 * r
            tx = -L * u
            ty = -L * u
            ex = -0.5 * hl * u
            ey = -0.5 * hl * u
            ax = 0
            ay = 0
            // base centre (-hl u, -hl u), normal n = (-u, u)
            bx = -hl * u - hw * -u
            by = -hl * u - hw * u
            qx = -hl * u + hw * -u
            qy = -hl * u + hw * u
            let area = (bx - ax) * (qy - ay) - (by - ay) * (qx - ax)
            orient = area >= 0 ? 1 : -1
            switch shape {
            case .circle:
                self.shape = .ring
                (minX, minY, maxX, maxY) = (-rout, -rout, rout, rout)
            case .square:
                self.shape = .square
                (minX, minY, maxX, maxY) = (-rout, -rout, rout, rout)
            case .cross:
                self.shape = .cross
                let e = max(r, t / 2)
                (minX, minY, maxX, maxY) = (-e, -e, e, e)
            case .arrow:
                self.shape = .arrow
                minX = min(tx - t / 2, bx, qx)
                minY = min(ty - t / 2, by, qy)
                maxX = max(ax, ex + t / 2)
                maxY = max(ay, ey + t / 2)
            }
        }

        @inline(__always)
        func coverage(px: Int, py: Int, cx: Double, cy: Double) -> Int {
            let d = distance(Double(px) + 0.5 - cx, Double(py) + 0.5 - cy)
            if d > MarkerRenderer.wholePixelMargin { return 0 }
            if d < -MarkerRenderer.wholePixelMargin { return MarkerRenderer.samplesPerPixel }
            var k = 0
            for l in 0..<MarkerRenderer.samplesPerAxis {
                let dy = (Double(py) + (Double(l) + 0.5) / 8) - cy
                for m in 0..<MarkerRenderer.samplesPerAxis {
                    let dx = (Double(px) + (Double(m) + 0.5) / 8) - cx
                    if inside(dx, dy) { k += 1 }
                }
            }
            return k
        }

        @inline(__always)
        func inside(_ dx: Double, _ dy: Double) -> Bool {
            switch shape {
            case .ring:
                let d2 = dx * dx + dy * dy
                return d2 >= in2 && d2 <= out2
            case .square:
                let m = max(abs(dx), abs(dy))
                return m <= outer && m >= inner
            case .cross:
                let a = abs(dx)
                let b = abs(dy)
                return (a <= r && b <= ht) || (b <= r && a <= ht)
            case .arrow:
                return shaftDistance2(dx, dy) <= ht * ht || inTriangle(dx, dy)
            }
        }

        @inline(__always)
        func distance(_ dx: Double, _ dy: Double) -> Double {
            switch shape {
            case .ring:
                return abs((dx * dx + dy * dy).squareRoot() - r) - ht
            case .square:
                return abs(max(abs(dx), abs(dy)) - r) - ht
            case .cross:
                let a = abs(dx)
                let b = abs(dy)
                return min(max(a - r, b - ht), max(b - r, a - ht))
            case .arrow:
                return min(shaftDistance2(dx, dy).squareRoot() - ht, triangleDistance(dx, dy))
            }
        }

        /// Squared distance from (x, y) to the shaft segment.
        @inline(__always)
        func shaftDistance2(_ x: Double, _ y: Double) -> Double {
            let sx = ex - tx
            let sy = ey - ty
            let s = ((x - tx) * sx + (y - ty) * sy) / (sx * sx + sy * sy)
            let c = min(max(s, 0), 1)
            let dx = x - (tx + c * sx)
            let dy = y - (ty + c * sy)
            return dx * dx + dy * dy
        }

        /// Edge function of edge P -> Q at (x, y), times the orientation (>= 0 inside).
        @inline(__always)
        func edge(_ px: Double, _ py: Double, _ qx: Double, _ qy: Double, _ x: Double, _ y: Double) -> Double {
            orient * ((qx - px) * (y - py) - (qy - py) * (x - px))
        }

        @inline(__always)
        func inTriangle(_ x: Double, _ y: Double) -> Bool {
            edge(ax, ay, bx, by, x, y) >= 0 && edge(bx, by, qx, qy, x, y) >= 0 && edge(qx, qy, ax, ay, x, y) >= 0
        }

        /// max over edges of the signed distance to the edge's line (positive outside):
        /// exact inside a convex polygon, a lower bound outside, 1-Lipschitz.
        @inline(__always)
        func triangleDistance(_ x: Double, _ y: Double) -> Double {
            let e1 = -edge(ax, ay, bx, by, x, y) / hypot(bx - ax, by - ay)
            let e2 = -edge(bx, by, qx, qy, x, y) / hypot(qx - bx, qy - by)
            let e3 = -edge(qx, qy, ax, ay, x, y) / hypot(ax - qx, ay - qy)
            return max(e1, max(e2, e3))
        }
    }
}
