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

/// What a heatmap panel says besides the scores: its title lines and what else it outlines.
public struct HeatmapAnnotation: Sendable, Equatable {
    /// The first line, large (the keypoint's name).
    public var title: String
    /// Smaller lines under the title (the prompt; model, grid and passes), each cut with "..."
    /// when too long.
    public var subtitle: [String]
    /// The score range the colours span; nil: the samples' own minimum and maximum. Several
    /// panels given one range (`--common-scale`) use the same colours for the same score.
    public var scoreRange: ClosedRange<Double>?
    /// The search box (original pixels), drawn as an outline.
    public var box: Box?
    /// The search mask (the photo's size), drawn as an outline of its region.
    public var mask: PixelMask?

    public init(
        title: String, subtitle: [String] = [], scoreRange: ClosedRange<Double>? = nil,
        box: Box? = nil, mask: PixelMask? = nil
    ) {
        self.title = title
        self.subtitle = subtitle
        self.scoreRange = scoreRange
        self.box = box
        self.mask = mask
    }
}

/// A rendered heatmap panel and where its parts are.
public struct HeatmapPanel: Sendable, Equatable {
    public let annotated: AnnotatedImage
    /// The score range the colour bar spans.
    public let scoreRange: ClosedRange<Double>
    /// The colour bar's pixels.
    public let colorBarRect: PixelRect
    /// The colour bar with its tick marks and labels (everything that depends on the range).
    public let colorScaleRect: PixelRect
    /// The tick values labelled under the colour bar.
    public let ticks: [Double]
}

/// Draws a heatmap panel for one keypoint:
///
/// - a title (the keypoint's name) and smaller subtitle lines (prompt, model, grid);
/// - the photo at its own resolution, or downscaled (bicubic) so its longer side is at most
///   `maxDisplaySide`, never upscaled, with the score field painted over it at `opacity` in
///   `colormap`. Fill rule: NEAREST SAMPLE (each pixel takes the score of the closest evaluated
///   location, i.e. Voronoi cells: the cells of a regular grid, finer cells where coarse-to-fine
///   sampled densely). Pixels farther from every sample than 0.75 x the coarsest sample spacing
///   are left unpainted (a regular grid's cells are covered completely; regions never sampled,
///   e.g. far outside a saliency mask, are not);
/// - small dark dots where samples were taken (`showSampleDots`);
/// - the search box and the search mask as outlines (`boxColor`, `maskColor`);
/// - the ground truth (optional) as a green ring, the prediction as a white-outlined cross;
/// - a colour bar with a few round tick values, so maps of different keypoints can be compared
///   (on one scale with `HeatmapAnnotation.scoreRange`).
///
/// Text, lines and markers are sized by `FigureScale` of the displayed photo.
public struct HeatmapRenderer: Sendable {
    public var colormap: Colormap
    /// Opacity of the colour layer over the photo.
    public var opacity: Double
    /// The photo is downscaled (bicubic) so its longer side is at most this; never upscaled;
    /// nil: the photo's own size.
    public var maxDisplaySide: Int?
    public var showSampleDots: Bool
    /// Inner colour of the prediction cross (outlined in white).
    public var predictionColor: RGB
    /// Colour of the ground-truth ring (outlined in white).
    public var truthColor: RGB
    /// Outline colours of the search box and the search mask.
    public var boxColor: RGB
    public var maskColor: RGB

    public init(
        colormap: Colormap = .viridis, opacity: Double = 0.55, maxDisplaySide: Int? = nil,
        showSampleDots: Bool = true, predictionColor: RGB = .red, truthColor: RGB = RGB(0, 230, 0),
        boxColor: RGB = RGB(255, 140, 0), maskColor: RGB = RGB(0, 230, 255)
    ) {
        self.colormap = colormap
        self.opacity = opacity
        self.maxDisplaySide = maxDisplaySide
        self.showSampleDots = showSampleDots
        self.predictionColor = predictionColor
        self.truthColor = truthColor
        self.boxColor = boxColor
        self.maskColor = maskColor
    }

    // MARK: Layout (design sizes, scaled by FigureScale)

    static let margin = 10.0
    static let gap = 8.0
    static let titleHeight = 22.0
    static let subtitleHeight = 14.0
    static let lineGap = 4.0
    static let barHeight = 14.0
    static let tickLength = 5.0
    static let tickLabelHeight = 14.0
    /// The narrowest content (the colour bar) of a panel whose photo is narrower.
    static let minimumContentWidth = 200.0
    static let background = RGB(28, 28, 30)
    static let textColor = RGB(240, 240, 240)
    static let subtitleColor = RGB(190, 190, 195)
    /// Paint reaches this multiple of the coarsest sample spacing (> sqrt(2)/2, the farthest
    /// point of a grid cell measured in its larger step).
    static let reachFactor = 0.75
    /// The spacing of a sample is the distance to its 4th nearest neighbour (on a rectangular
    /// grid: the larger of the two steps).
    static let reachNeighbour = 4
    /// Prediction cross: half-length, thickness and outline; ground-truth ring radius and
    /// width; sample dots; box and mask outlines (design pixels).
    static let crossRadius = 10.0, crossThickness = 2.5, crossOutline = 1.5
    static let truthRadius = 9.0, truthThickness = 2.0
    static let dotRadius = 1.5
    static let outlineWidth = 2.0

    // MARK: Rendering

    /// Renders the panel (see `renderPanel` for the parts and their places).
    public func render(
        photo: RGBImage, originalWidth: Int? = nil, originalHeight: Int? = nil,
        samples: [ScoreSample], prediction: Point?, truth: Point? = nil,
        title: String
    ) throws -> AnnotatedImage {
        try renderPanel(
            photo: photo, originalWidth: originalWidth, originalHeight: originalHeight,
            samples: samples, prediction: prediction, truth: truth,
            annotation: HeatmapAnnotation(title: title)
        ).annotated
    }

    /// Renders the panel.
    /// - Parameters:
    ///   - photo: the original photo, or a downscaled copy of it (same aspect ratio).
    ///   - originalWidth, originalHeight: size of the image the sample coordinates refer to
    ///     (defaults: the photo's size).
    ///   - samples: scores at original-image points (a dense grid, or coarse-to-fine samples).
    ///   - prediction: the predicted point (original pixels), marked with a cross.
    ///   - truth: the ground-truth point, if known, marked with a ring.
    ///   - annotation: title, subtitle, score range, box and mask.
    /// - Throws: `CanvasError.invalidSample` (empty list, non-finite value),
    ///   `CanvasError.invalidSize`, `CanvasError.invalidParameter` (opacity, score range, mask
    ///   size).
    public func renderPanel(
        photo: RGBImage, originalWidth: Int? = nil, originalHeight: Int? = nil,
        samples: [ScoreSample], prediction: Point?, truth: Point? = nil,
        annotation: HeatmapAnnotation
    ) throws -> HeatmapPanel {
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
        if let r = annotation.scoreRange, !(r.lowerBound.isFinite && r.upperBound.isFinite) {
            throw CanvasError.invalidParameter(name: "heatmap score range", expected: "finite", actual: "\(r)")
        }
        if let m = annotation.mask, m.width != ow || m.height != oh {
            throw CanvasError.imageSizeMismatch(
                what: "heatmap mask", expectedWidth: ow, expectedHeight: oh, actualWidth: m.width,
                actualHeight: m.height)
        }

        let display = Self.displayPhoto(photo, maxSide: maxDisplaySide)
        let scale = FigureScale(photoWidth: display.width, photoHeight: display.height)
        let sx = Double(display.width) / Double(ow)
        let sy = Double(display.height) / Double(oh)
        let range =
            annotation.scoreRange
            ?? samples.reduce(Double.infinity) {
                min($0, $1.score)
            }...samples.reduce(-Double.infinity) {
                max($0, $1.score)
            }

        // Colour layer over the photo, then the mask outline in photo pixels.
        var tinted = display
        paintScores(
            on: &tinted, samples: samples, scaleX: sx, scaleY: sy, low: range.lowerBound, high: range.upperBound,
            originalWidth: ow, originalHeight: oh)
        if let mask = annotation.mask {
            let region = RegionOutline.resampled(mask, width: display.width, height: display.height)
            let band = RegionOutline.boundary(
                region, width: display.width, height: display.height, radius: scale.pixels(Self.outlineWidth))
            let color = maskColor
            tinted.pixels.withUnsafeMutableBufferPointer { p in
                for (i, on) in band.enumerated() where on {
                    p[3 * i] = color.r
                    p[3 * i + 1] = color.g
                    p[3 * i + 2] = color.b
                }
            }
        }

        // Panel layout, top to bottom: title, subtitle lines, photo, colour bar, ticks, labels.
        let m = scale.pixels(Self.margin)
        let gap = scale.pixels(Self.gap)
        let titleStyle = TextStyle(height: scale.size(Self.titleHeight), color: Self.textColor)
        let subtitleStyle = TextStyle(height: scale.size(Self.subtitleHeight), color: Self.subtitleColor)
        let labelStyle = TextStyle(height: scale.size(Self.tickLabelHeight), color: Self.textColor)
        let contentWidth = max(display.width, scale.pixels(Self.minimumContentWidth))
        let panelWidth = contentWidth + 2 * m
        var y = m
        let titleY = y
        y += Int(titleStyle.height.rounded(.up))
        var subtitleYs: [Int] = []
        for _ in annotation.subtitle {
            y += scale.pixels(Self.lineGap)
            subtitleYs.append(y)
            y += Int(subtitleStyle.height.rounded(.up))
        }
        y += gap
        let photoRect = PixelRect(
            x: m + (contentWidth - display.width) / 2, y: y, width: display.width, height: display.height)
        y += display.height + gap
        let barRect = PixelRect(x: m, y: y, width: contentWidth, height: scale.pixels(Self.barHeight))
        y = barRect.maxY
        let tickLength = scale.pixels(Self.tickLength)
        let labelY = y + tickLength + scale.pixels(Self.lineGap)
        let panelHeight = labelY + Int(labelStyle.height.rounded(.up)) + m

        var panel = RGBImage(width: panelWidth, height: panelHeight, fill: Self.background)
        titleStyle.draw(
            titleStyle.fitted(annotation.title, maxWidth: Double(contentWidth)), on: &panel, x: Double(m),
            y: Double(titleY))
        for (line, lineY) in zip(annotation.subtitle, subtitleYs) {
            subtitleStyle.draw(
                subtitleStyle.fitted(line, maxWidth: Double(contentWidth)), on: &panel, x: Double(m), y: Double(lineY))
        }
        Self.paste(
            tinted, from: PixelRect(x: 0, y: 0, width: display.width, height: display.height), into: &panel,
            at: photoRect)

        // Colour bar, its ticks and their labels.
        for x in 0..<barRect.width {
            let color = colormap.color(at: (Double(x) + 0.5) / Double(barRect.width))
            CanvasDrawing.fill(
                &panel, PixelRect(x: barRect.x + x, y: barRect.y, width: 1, height: barRect.height), color: color)
        }
        let ticks = Self.colorBarTicks(range: range, barWidth: Double(barRect.width), style: labelStyle)
        var tickPath = StrokePath(width: max(1, scale.size(1)))
        for (value, text) in ticks {
            let span = range.upperBound - range.lowerBound
            let x = Double(barRect.x) + (span > 0 ? (value - range.lowerBound) / span : 0.5) * Double(barRect.width)
            tickPath.addLine(
                from: CanvasPoint(x: x, y: Double(barRect.maxY)),
                to: CanvasPoint(x: x, y: Double(barRect.maxY + tickLength)))
            let w = labelStyle.width(of: text)
            let left = min(max(x - w / 2, Double(barRect.x)), Double(barRect.maxX) - w)
            labelStyle.draw(text, on: &panel, x: left, y: Double(labelY))
        }
        tickPath.draw(on: &panel, color: Self.textColor)

        let result = AnnotatedImage(image: panel, photoRect: photoRect, scaleX: sx, scaleY: sy)

        // Marks on top, in panel coordinates.
        if let box = annotation.box {
            var outline = StrokePath(width: scale.size(Self.outlineWidth))
            let a = result.panelPoint(fromImage: Point(x: box.x, y: box.y))
            let b = result.panelPoint(fromImage: Point(x: box.maxX, y: box.maxY))
            outline.addRectangle(x: a.x, y: a.y, width: b.x - a.x, height: b.y - a.y)
            outline.draw(on: &panel, color: boxColor)
        }
        if showSampleDots {
            let dot = CanvasDrawing.disk(radius: scale.size(Self.dotRadius), color: RGB(0, 0, 0))
            for s in samples where s.x >= 0 && s.y >= 0 && s.x < Double(ow) && s.y < Double(oh) {
                dot.draw(on: &panel, at: result.panelPoint(fromImage: s.point), opacity64: 40)
            }
        }
        if let t = truth {
            CanvasDrawing.outlinedRing(
                &panel, at: result.panelPoint(fromImage: t), radius: scale.size(Self.truthRadius),
                thickness: scale.size(Self.truthThickness), color: truthColor,
                outline: scale.size(Self.crossOutline), outlineColor: RGB(255, 255, 255))
        }
        if let p = prediction {
            CanvasDrawing.outlinedCross(
                &panel, at: result.panelPoint(fromImage: p), radius: scale.size(Self.crossRadius),
                thickness: scale.size(Self.crossThickness), color: predictionColor,
                outline: scale.size(Self.crossOutline), outlineColor: RGB(255, 255, 255))
        }
        return HeatmapPanel(
            annotated: AnnotatedImage(image: panel, photoRect: photoRect, scaleX: sx, scaleY: sy),
            scoreRange: range, colorBarRect: barRect,
            colorScaleRect: PixelRect(
                x: barRect.x, y: barRect.y, width: barRect.width, height: panelHeight - m - barRect.y),
            ticks: ticks.map(\.value))
    }

    /// Renders the panel and writes it in `format` (atomically).
    public func write(
        to url: URL, format: FigureFormat, photo: RGBImage, originalWidth: Int? = nil, originalHeight: Int? = nil,
        samples: [ScoreSample], prediction: Point?, truth: Point? = nil, annotation: HeatmapAnnotation
    ) throws {
        let panel = try renderPanel(
            photo: photo, originalWidth: originalWidth, originalHeight: originalHeight,
            samples: samples, prediction: prediction, truth: truth, annotation: annotation)
        try ImageCodec.writeFigure(panel.annotated.image, to: url, format: format)
    }

    /// Renders the panel and writes it as PNG (atomically).
    public func writePNG(
        to url: URL, photo: RGBImage, originalWidth: Int? = nil, originalHeight: Int? = nil,
        samples: [ScoreSample], prediction: Point?, truth: Point? = nil,
        title: String
    ) throws {
        try write(
            to: url, format: .png, photo: photo, originalWidth: originalWidth, originalHeight: originalHeight,
            samples: samples, prediction: prediction, truth: truth, annotation: HeatmapAnnotation(title: title))
    }

    /// Round tick values of the colour bar and their labels: as many as fit side by side with
    /// a label's width of space between them (at most 6).
    static func colorBarTicks(range: ClosedRange<Double>, barWidth: Double, style: TextStyle) -> [(
        value: Double, text: String
    )] {
        for count in stride(from: 6, through: 1, by: -1) {
            let (values, decimals) = NiceTicks.values(low: range.lowerBound, high: range.upperBound, maxCount: count)
            let labels = values.map { String(format: "%.\(decimals)f", $0) }
            let widest = labels.map { style.width(of: $0) }.max() ?? 0
            if count == 1 || Double(labels.count) * widest * 2 <= barWidth {
                return Array(zip(values, labels)).map { (value: $0.0, text: $0.1) }
            }
        }
        return []
    }

    // MARK: Helpers

    /// The photo downscaled (bicubic) so its longer side is at most `maxSide`; unchanged if
    /// already small enough or `maxSide` is nil.
    static func displayPhoto(_ photo: RGBImage, maxSide: Int?) -> RGBImage {
        figurePhoto(photo, maxSide: maxSide)
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
