// Score heatmaps: the photo with the score field of one keypoint painted over it.

import Foundation

/// One evaluated candidate: a location in ORIGINAL-image pixels and its score.
public struct ScoreSample: Sendable, Equatable, Codable {
    public var x: Double
    public var y: Double
    public var score: Double
    public init(x: Double, y: Double, score: Double) {
        self.x = x
        self.y = y
        self.score = score
    }
    /// The sampled location, original-image pixels.
    public var point: Point { Point(x: x, y: y) }
}

/// Draws a heatmap panel for one keypoint:
///
/// - a title strip with the keypoint name;
/// - the photo (downscaled so its longer side is at most `maxDisplaySide`), with the score field
///   painted over it at `opacity` in `colormap`. Fill rule: NEAREST SAMPLE (each pixel takes the
///   score of the closest evaluated location, i.e. Voronoi cells: the cells of a regular grid,
///   finer cells where coarse-to-fine sampled densely). Pixels farther from every sample than
///   0.75 x the coarsest sample spacing are left unpainted (a regular grid's cells are covered
///   completely; regions never sampled, e.g. far outside a saliency mask, are not);
/// - small dark dots where samples were taken (`showSampleDots`);
/// - the ground truth (optional) as a green ring, the prediction as a white-outlined cross;
/// - a colour bar with the score range ("min 0.2113" left, "max 0.2764" right) so maps of
///   different keypoints can be compared.
public struct HeatmapRenderer: Sendable {
    public var colormap: Colormap
    /// Opacity of the colour layer over the photo.
    public var opacity: Double
    /// The photo is downscaled (bicubic) so its longer side is at most this; never upscaled.
    public var maxDisplaySide: Int
    public var showSampleDots: Bool
    /// Inner colour of the prediction cross (outlined in white).
    public var predictionColor: RGB
    /// Colour of the ground-truth ring (outlined in white).
    public var truthColor: RGB

    public init(
        colormap: Colormap = .viridis, opacity: Double = 0.55, maxDisplaySide: Int = 512,
        showSampleDots: Bool = true, predictionColor: RGB = .red, truthColor: RGB = RGB(0, 230, 0)
    ) {
        self.colormap = colormap
        self.opacity = opacity
        self.maxDisplaySide = maxDisplaySide
        self.showSampleDots = showSampleDots
        self.predictionColor = predictionColor
        self.truthColor = truthColor
    }

    // MARK: Layout (panel pixels)

    static let margin = 8
    static let gap = 6
    static let barHeight = 12
    /// Line heights of the title and range text (the smaller one when the larger does not fit).
    static let textHeight = 14
    static let smallTextHeight = 10
    static let background = RGB(28, 28, 30)
    static let textColor = RGB(240, 240, 240)
    /// Paint reaches this multiple of the coarsest sample spacing (> sqrt(2)/2, the farthest
    /// point of a grid cell measured in its larger step).
    static let reachFactor = 0.75
    /// The spacing of a sample is the distance to its 4th nearest neighbour (on a rectangular
    /// grid: the larger of the two steps).
    static let reachNeighbour = 4
    /// Prediction cross: half-length, thickness and outline in panel pixels.
    static let crossRadius = 9.0, crossThickness = 2.0, crossOutline = 1.5

    // MARK: Rendering

    /// Renders the panel.
    /// - Parameters:
    ///   - photo: the original photo, or a downscaled copy of it (same aspect ratio).
    ///   - originalWidth, originalHeight: size of the image the sample coordinates refer to
    ///     (defaults: the photo's size).
    ///   - samples: scores at original-image points (a dense grid, or coarse-to-fine samples).
    ///   - prediction: the predicted point (original pixels), marked with a cross.
    ///   - truth: the ground-truth point, if known, marked with a ring.
    ///   - title: the keypoint name (cut with "..." if too long).
    /// - Throws: `CanvasError.invalidSample` (empty list, non-finite value),
    ///   `CanvasError.invalidSize`.
    public func render(
        photo: RGBImage, originalWidth: Int? = nil, originalHeight: Int? = nil,
        samples: [ScoreSample], prediction: Point?, truth: Point? = nil,
        title: String
    ) throws -> AnnotatedImage {
        let ow = originalWidth ?? photo.width
        let oh = originalHeight ?? photo.height
        guard ow > 0, oh > 0 else {
            throw CanvasError.invalidSize(what: "heatmap original image", width: ow, height: oh)
        }
        guard !samples.isEmpty else { throw CanvasError.invalidSample(index: 0, reason: "no samples to draw") }
        for (i, s) in samples.enumerated() where !(s.x.isFinite && s.y.isFinite && s.score.isFinite) {
            throw CanvasError.invalidSample(index: i, reason: "not finite: x \(s.x) y \(s.y) score \(s.score)")
        }
        guard opacity >= 0, opacity <= 1 else {
            throw CanvasError.invalidParameter(name: "heatmap opacity", expected: "0...1", actual: "\(opacity)")
        }

        let display = Self.displayPhoto(photo, maxSide: maxDisplaySide)
        let sx = Double(display.width) / Double(ow)
        let sy = Double(display.height) / Double(oh)
        let lo = samples.reduce(Double.infinity) { min($0, $1.score) }
        let hi = samples.reduce(-Double.infinity) { max($0, $1.score) }

        // Colour layer over the photo.
        var tinted = display
        paintScores(
            on: &tinted, samples: samples, scaleX: sx, scaleY: sy, low: lo, high: hi,
            originalWidth: ow, originalHeight: oh)

        // Panel layout.
        let m = Self.margin
        let gap = Self.gap
        let big = TextStyle(height: Double(Self.textHeight), color: Self.textColor)
        let small = TextStyle(height: Double(Self.smallTextHeight), color: Self.textColor)
        let minText = String(format: "min %.4f", lo)
        let maxText = String(format: "max %.4f", hi)
        let rangeWidth = big.width(of: minText + "  " + maxText)
        let rangeFont = rangeWidth <= Double(max(display.width, 240)) ? big : small
        let contentWidth = max(display.width, Int(rangeFont.width(of: minText + "  " + maxText).rounded(.up)))
        let panelWidth = contentWidth + 2 * m
        let titleFont = big.width(of: title) <= Double(contentWidth) ? big : small
        let titleText = titleFont.fitted(title, maxWidth: Double(contentWidth))
        let photoY = m + Self.textHeight + gap
        let barY = photoY + display.height + gap
        let textY = barY + Self.barHeight + 4
        let panelHeight = textY + Self.textHeight + m
        let photoX = m + (contentWidth - display.width) / 2

        var panel = RGBImage(width: panelWidth, height: panelHeight, fill: Self.background)
        titleFont.draw(titleText, on: &panel, x: Double(m), y: Double(m))
        let photoRect = PixelRect(x: photoX, y: photoY, width: display.width, height: display.height)
        let tintedRect = PixelRect(x: 0, y: 0, width: display.width, height: display.height)
        Self.paste(tinted, from: tintedRect, into: &panel, at: photoRect)

        // Colour bar under the photo, full content width, with the range below it.
        let barRect = PixelRect(x: m, y: barY, width: contentWidth, height: Self.barHeight)
        for x in 0..<barRect.width {
            let color = colormap.color(at: (Double(x) + 0.5) / Double(barRect.width))
            CanvasDrawing.fill(
                &panel, PixelRect(x: barRect.x + x, y: barRect.y, width: 1, height: barRect.height),
                color: color)
        }
        rangeFont.draw(minText, on: &panel, x: Double(m), y: Double(textY))
        rangeFont.draw(
            maxText, on: &panel, x: Double(m + contentWidth) - rangeFont.width(of: maxText), y: Double(textY))

        let result = AnnotatedImage(image: panel, photoRect: photoRect, scaleX: sx, scaleY: sy)

        // Marks on top, in panel coordinates.
        if showSampleDots {
            let dot = CanvasDrawing.disk(radius: 1.3, color: RGB(0, 0, 0))
            for s in samples where s.x >= 0 && s.y >= 0 && s.x < Double(ow) && s.y < Double(oh) {
                dot.draw(on: &panel, at: result.panelPoint(fromImage: s.point), opacity64: 40)
            }
        }
        if let t = truth {
            let c = result.panelPoint(fromImage: t)
            CanvasDrawing.marker(.circle, radius: 8, thickness: 4.5, color: RGB(255, 255, 255)).draw(on: &panel, at: c)
            CanvasDrawing.marker(.circle, radius: 8, thickness: 2, color: truthColor).draw(on: &panel, at: c)
        }
        if let p = prediction {
            CanvasDrawing.outlinedCross(
                &panel, at: result.panelPoint(fromImage: p), radius: Self.crossRadius,
                thickness: Self.crossThickness, color: predictionColor,
                outline: Self.crossOutline, outlineColor: RGB(255, 255, 255))
        }
        return AnnotatedImage(image: panel, photoRect: photoRect, scaleX: sx, scaleY: sy)
    }

    /// Renders the panel and writes it as PNG (atomically).
    public func writePNG(
        to url: URL, photo: RGBImage, originalWidth: Int? = nil, originalHeight: Int? = nil,
        samples: [ScoreSample], prediction: Point?, truth: Point? = nil,
        title: String
    ) throws {
        let panel = try render(
            photo: photo, originalWidth: originalWidth, originalHeight: originalHeight,
            samples: samples, prediction: prediction, truth: truth, title: title)
        try ImageCodec.writePNG(panel.image, to: url)
    }

    // MARK: Helpers

    /// The photo downscaled (bicubic) so its longer side is at most `maxSide`; unchanged if
    /// already small enough.
    static func displayPhoto(_ photo: RGBImage, maxSide: Int) -> RGBImage {
        let long = max(photo.width, photo.height)
        guard maxSide > 0, long > maxSide else { return photo }
        let s = Double(maxSide) / Double(long)
        let w = max(1, Int((Double(photo.width) * s).rounded()))
        let h = max(1, Int((Double(photo.height) * s).rounded()))
        return Resample.bicubic(photo, width: w, height: h)
    }

    /// Copies `src` pixels `from` into `dst` at `to` (same sizes, inside both images).
    static func paste(_ src: RGBImage, from: PixelRect, into dst: inout RGBImage, at to: PixelRect) {
        let W = dst.width
        src.pixels.withUnsafeBufferPointer { s in
            dst.pixels.withUnsafeMutableBufferPointer { d in
                for y in 0..<from.height {
                    let so = ((from.y + y) * src.width + from.x) * 3
                    let dOff = ((to.y + y) * W + to.x) * 3
                    (d.baseAddress! + dOff).update(from: s.baseAddress! + so, count: from.width * 3)
                }
            }
        }
    }

    /// Blends the nearest-sample colour over every display pixel within reach of a sample.
    // display: (h, w, 3) u8, in place
    func paintScores(
        on display: inout RGBImage, samples: [ScoreSample], scaleX sx: Double, scaleY sy: Double,
        low: Double, high: Double, originalWidth ow: Int, originalHeight oh: Int
    ) {
        let xs = samples.map(\.x)
        let ys = samples.map(\.y)
        let index = HeatmapSampleIndex(xs: xs, ys: ys, bounds: (0, 0, Double(ow), Double(oh)))
        // Reach: a pixel is painted if its nearest sample is within R = 0.75 x the largest
        // 4th-nearest-neighbour spacing of any sample (the coarsest grid's larger step), so a
        // regular grid of any aspect ratio is covered cell by cell (half-diagonal
        // <= 0.707 x larger step), coarse-to-fine runs are covered by their coarse grid, and
        // regions farther than that from every sample stay unpainted. Fewer than 5 distinct
        // locations: everything is painted.
        var reach2 = Double.infinity
        if samples.count > Self.reachNeighbour {
            var spacing2 = 0.0
            for i in samples.indices {
                spacing2 = max(spacing2, index.kthNearestDistance2(xs[i], ys[i], k: Self.reachNeighbour))
            }
            if spacing2.isFinite { reach2 = Self.reachFactor * Self.reachFactor * spacing2 }
        }
        let range = high - low
        var colors = [UInt8](repeating: 0, count: samples.count * 3)
        for (i, s) in samples.enumerated() {
            let c = colormap.color(at: range > 0 ? (s.score - low) / range : 0.5)
            colors[3 * i] = c.r
            colors[3 * i + 1] = c.g
            colors[3 * i + 2] = c.b
        }
        let a = Int((opacity * 256).rounded())
        let ia = 256 - a
        let W = display.width
        let H = display.height
        display.pixels.withUnsafeMutableBufferPointer { p in
            for j in 0..<H {
                let y = (Double(j) + 0.5) / sy
                for i in 0..<W {
                    let x = (Double(i) + 0.5) / sx
                    let (k, d2) = index.nearest(x, y)
                    if k < 0 || d2 > reach2 { continue }
                    let o = (j * W + i) * 3
                    for ch in 0..<3 {
                        p[o + ch] = UInt8((Int(p[o + ch]) * ia + Int(colors[3 * k + ch]) * a + 128) >> 8)
                    }
                }
            }
        }
    }
}
