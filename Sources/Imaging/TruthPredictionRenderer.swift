// Ground truth next to prediction for every keypoint of one photo (`keypoints eval --visualize`).

import Foundation

/// One keypoint's annotated and predicted location, in original-image pixels.
public struct TruthPredictionPair: Sendable, Equatable {
    public var name: String
    public var truth: Point
    public var prediction: Point
    /// Short text after the name in the legend (e.g. the distance and whether it counts as
    /// correct), or nil.
    public var note: String?

    public init(name: String, truth: Point, prediction: Point, note: String? = nil) {
        self.name = name
        self.truth = truth
        self.prediction = prediction
        self.note = note
    }
}

/// Draws a photo at its own resolution (or downscaled once, bicubic, to at most `maxDisplaySide`;
/// never upscaled) with, for every keypoint in its own colour
/// (`OverlayRenderer.palette`, keypoint i gets entry i mod 20), the ground truth as a ring, the
/// prediction as a cross and a line joining them; optionally a dashed circle of the PCK
/// threshold radius around the ground truth and the object box. A white panel to the right of
/// the photo holds the heading lines, the key (ring = ground truth, cross = prediction, dashed =
/// threshold) and one row per keypoint: its colour, its number (1-based, in pair order), name
/// and note. Each ground truth also carries its name in a small label of its colour
/// (`labelHeight`); one with no room for it carries its number instead, in a smaller tag of its
/// colour (`OverlayRenderer`'s number tags), so that every mark on the photo is tied to its
/// legend row by more than colour.
///
/// Sizes grow with the photo as in the other figures: every length below is a design size,
/// multiplied by `FigureScale`'s factor (max(1, shown longer side / 640)).
public struct TruthPredictionRenderer: Sendable {
    /// The longer side of the photo in the figure at most (nil: the photo's own size); the
    /// legend panel is beside it.
    public var maxDisplaySide: Int?
    /// Ring and cross radius, design size (before `FigureScale`).
    public var markerRadius: Double
    /// Ring, cross and joining-line thickness, design size.
    public var lineWidth: Double
    /// Legend text height, design size.
    public var textHeight: Double
    /// Height of the name labels next to each ground truth on the photo, design size; nil
    /// draws no labels and no number tags (the legend still names every colour).
    public var labelHeight: Double?

    public init(
        maxDisplaySide: Int? = nil, markerRadius: Double = 7, lineWidth: Double = 2, textHeight: Double = 14,
        labelHeight: Double? = 10
    ) {
        self.maxDisplaySide = maxDisplaySide
        self.markerRadius = markerRadius
        self.lineWidth = lineWidth
        self.textHeight = textHeight
        self.labelHeight = labelHeight
    }

    /// Outline drawn under every mark so it shows on any background.
    static let outline = RGB(255, 255, 255)
    static let ink = RGB(0, 0, 0)
    static let boxColor = RGB(255, 255, 255)
    static let panelBackground = RGB(255, 255, 255)
    /// Dash and gap length of the threshold circle and the box, design size.
    static let dash = 6.0
    /// How much wider the white line under a number tag's leader line is, design size (as the
    /// overlay's dot rim).
    static let leaderOutline = 1.5

    /// Renders the figure: the photo at (0, 0), at its size or downscaled to `maxDisplaySide`,
    /// and the legend panel right of it.
    /// - Parameters:
    ///   - photo: the photo the points refer to (original pixels, whatever `maxDisplaySide`).
    ///   - pairs: the keypoints, in legend order (colour i for pair i).
    ///   - thresholdRadius: the PCK threshold in photo pixels, drawn dashed around each ground
    ///     truth; nil draws none.
    ///   - thresholdLabel: its key entry (e.g. "PCK@0.1 radius").
    ///   - box: the object box, drawn dashed; nil draws none.
    ///   - heading: lines at the top of the panel (image name, score).
    /// - Throws: `CanvasError.invalidParameter` for a non-finite point or radius.
    public func render(
        photo: RGBImage, pairs: [TruthPredictionPair], thresholdRadius: Double? = nil,
        thresholdLabel: String = "PCK threshold", box: Box? = nil, heading: [String] = []
    ) throws -> RGBImage {
        for p in pairs
        where !(p.truth.x.isFinite && p.truth.y.isFinite && p.prediction.x.isFinite && p.prediction.y.isFinite) {
            throw CanvasError.invalidParameter(
                name: "keypoint \"\(p.name)\"", expected: "finite coordinates",
                actual: "truth \(p.truth), prediction \(p.prediction)")
        }
        if let r = thresholdRadius, !(r.isFinite && r >= 0) {
            throw CanvasError.invalidParameter(
                name: "threshold radius", expected: "a finite radius >= 0", actual: "\(r)")
        }
        let original = (width: photo.width, height: photo.height)
        let photo = figurePhoto(photo, maxSide: maxDisplaySide)
        // Points, box and threshold in the shown photo's pixels.
        let sx = Double(photo.width) / Double(original.width)
        let sy = Double(photo.height) / Double(original.height)
        let shrink = Double(max(photo.width, photo.height)) / Double(max(original.width, original.height))
        let pairs = pairs.map { p in
            var q = p
            q.truth = Point(x: p.truth.x * sx, y: p.truth.y * sy)
            q.prediction = Point(x: p.prediction.x * sx, y: p.prediction.y * sy)
            return q
        }
        let box = box.map { Box(x: $0.x * sx, y: $0.y * sy, width: $0.width * sx, height: $0.height * sy) }
        let thresholdRadius = thresholdRadius.map { $0 * shrink }
        let s = FigureScale(photoWidth: photo.width, photoHeight: photo.height).factor
        let radius = markerRadius * s
        let width = lineWidth * s
        let text = TextStyle(height: textHeight * s, color: Self.ink)
        let legend = Legend(
            pairs: pairs, heading: heading, thresholdLabel: thresholdRadius == nil ? nil : thresholdLabel,
            boxLabel: box == nil ? nil : "object box", text: text, markerRadius: radius)
        // Labels and number tags are placed before anything is drawn, so that a tag's leader line
        // goes under the marks; labels and tags are drawn over them.
        let labels = labelHeight.map { h in
            placeLabels(
                pairs: pairs, height: h * s, minimumLabelHeight: OverlayRenderer.minimumLabelHeight * s,
                ringRadius: radius, markRadius: radius + width,
                bounds: PixelRect(x: 0, y: 0, width: photo.width, height: photo.height))
        }
        // Marks are clipped to the photo: drawn on a copy of it, which is then pasted into the figure.
        var canvas = photo
        if let box {
            Self.dashedRectangle(&canvas, box, width: width, dash: Self.dash * s, color: Self.boxColor)
        }
        for (i, p) in pairs.enumerated() {
            let color = OverlayRenderer.color(forIndex: i)
            let truth = CanvasPoint(x: p.truth.x, y: p.truth.y)
            let prediction = CanvasPoint(x: p.prediction.x, y: p.prediction.y)
            var join = StrokePath(width: width + 2)
            join.addLine(from: truth, to: prediction)
            join.draw(on: &canvas, color: Self.outline, opacity: 0.8)
            join = StrokePath(width: width)
            join.addLine(from: truth, to: prediction)
            join.draw(on: &canvas, color: color)
            if let r = thresholdRadius, r > 0 {
                Self.dashedCircle(
                    &canvas, at: truth, radius: r, width: max(1, width / 2), dash: Self.dash * s, color: color)
            }
        }
        // A number tag away from its ring is tied to it by a leader line, as in the overlay.
        for tag in labels?.tags ?? [] where !tag.onDot {
            let i = tag.indices[0]
            OverlayRenderer.drawLeader(
                &canvas, from: CanvasPoint(x: pairs[i].truth.x, y: pairs[i].truth.y), to: tag.place.box,
                minimumGap: radius + width + OverlayRenderer.leaderThreshold * s,
                width: OverlayRenderer.leaderWidth * s, outline: Self.leaderOutline * s,
                color: OverlayRenderer.color(forIndex: i))
        }
        func ring(_ i: Int) {
            CanvasDrawing.outlinedRing(
                &canvas, at: CanvasPoint(x: pairs[i].truth.x, y: pairs[i].truth.y), radius: radius, thickness: width,
                color: OverlayRenderer.color(forIndex: i), outline: 1, outlineColor: Self.outline)
        }
        for (i, p) in pairs.enumerated() {
            ring(i)
            CanvasDrawing.outlinedCross(
                &canvas, at: CanvasPoint(x: p.prediction.x, y: p.prediction.y), radius: radius, thickness: width,
                color: OverlayRenderer.color(forIndex: i), outline: 1, outlineColor: Self.outline)
        }
        if let labels {
            // A tagged keypoint's ring again on top, so that the ring its tag points at shows its colour.
            for tag in labels.tags { ring(tag.indices[0]) }
            for (_, place) in labels.names {
                place.style.draw(place.text, on: &canvas, x: Double(place.box.x), y: Double(place.box.y))
            }
            for tag in labels.tags {
                OverlayRenderer.drawTag(tag.place, color: OverlayRenderer.color(forIndex: tag.indices[0]), on: &canvas)
            }
        }
        var image = RGBImage(
            width: photo.width + legend.width, height: max(photo.height, legend.height), fill: Self.panelBackground)
        let photoRect = PixelRect(x: 0, y: 0, width: photo.width, height: photo.height)
        HeatmapRenderer.paste(canvas, from: photoRect, into: &image, at: photoRect)
        legend.draw(on: &image, x: photo.width, markerWidth: width)
        return image
    }

    /// Renders and writes the figure as PNG, atomically (temporary file, then rename).
    public func writePNG(
        to url: URL, photo: RGBImage, pairs: [TruthPredictionPair], thresholdRadius: Double? = nil,
        thresholdLabel: String = "PCK threshold", box: Box? = nil, heading: [String] = []
    ) throws {
        let image = try render(
            photo: photo, pairs: pairs, thresholdRadius: thresholdRadius, thresholdLabel: thresholdLabel, box: box,
            heading: heading)
        try ImageCodec.writePNG(image, to: url)
    }

    // MARK: - Marks

    /// Where the names and number tags on the photo go: each keypoint's name in a box of its
    /// colour next to its ground truth (`names`, in pair order), placed like the overlay's labels
    /// (`OverlayRenderer.placeShrinking`): inside `bounds`, off the other labels and marks,
    /// smaller when there is no room (down to `minimumLabelHeight`). A keypoint whose name finds
    /// no free place even at the smallest size gets its number instead (`tags`), placed after
    /// every name (names keep their places) like the overlay's number tags
    /// (`OverlayRenderer.placeNumberTags`): beside its ring, off the names and marks, else at the
    /// nearest free place, only with no room at all on the ring; keypoints whose ground truths
    /// lie within `ringRadius` of one another share one tag ("3-5"). Nothing is drawn over a
    /// name. `markRadius`: how far a ring or cross reaches from its centre, pixels.
    func placeLabels(
        pairs: [TruthPredictionPair], height: Double, minimumLabelHeight: Double, ringRadius: Double,
        markRadius: Double, bounds: PixelRect
    ) -> (names: [(index: Int, place: OverlayRenderer.LabelPlace)], tags: [OverlayRenderer.NumberTag]) {
        let r = Int(markRadius.rounded(.up))
        func rect(_ p: Point) -> PixelRect {
            PixelRect(
                x: Int(p.x.rounded(.down)) - r, y: Int(p.y.rounded(.down)) - r, width: 2 * r + 1, height: 2 * r + 1)
        }
        // Own mark first, so ownDot = 2 i skips it; the predictions are obstacles for every label.
        let marks = pairs.flatMap { [rect($0.truth), rect($0.prediction)] }
        let minimumHeight = min(height, minimumLabelHeight)
        var placed: [PixelRect] = []
        var names: [(index: Int, place: OverlayRenderer.LabelPlace)] = []
        var unlabelled: [Int] = []
        for (i, p) in pairs.enumerated() {
            let color = OverlayRenderer.color(forIndex: i)
            let style = Self.labelStyle(height: height, color: color)
            if let place = OverlayRenderer.placeShrinking(
                p.name, style: style, minimumHeight: minimumHeight, near: CanvasPoint(x: p.truth.x, y: p.truth.y),
                dotRadius: markRadius, bounds: bounds, avoid: placed, dots: marks, ownDot: 2 * i)
            {
                placed.append(place.box)
                names.append((i, place))
            } else {
                unlabelled.append(i)
            }
        }
        let centre = { (i: Int) in CanvasPoint(x: pairs[i].truth.x, y: pairs[i].truth.y) }
        let tags = OverlayRenderer.placeNumberTags(
            groups: OverlayRenderer.groupsOnOneMark(unlabelled, radius: ringRadius, centre: centre), centre: centre,
            markIndex: { 2 * $0 }, style: Self.labelStyle(height: height, color: Self.outline),
            minimumHeight: minimumHeight, clearance: markRadius, bounds: bounds, placed: &placed, dots: marks)
        return (names, tags)
    }

    /// The style of a name label or number tag on the photo: `height` pixels, on a box of `color`
    /// (slightly see-through) with text that reads on it.
    static func labelStyle(height: Double, color: RGB) -> TextStyle {
        TextStyle(
            height: height, color: CanvasDrawing.textColor(on: color), background: color, backgroundOpacity: 0.85,
            padding: max(1, height / 6))
    }

    /// A dashed circle: arcs of `dash` pixels with gaps of `dash` pixels, as short chords.
    static func dashedCircle(
        _ image: inout RGBImage, at c: CanvasPoint, radius: Double, width: Double, dash: Double, color: RGB
    ) {
        let circumference = 2 * Double.pi * radius
        let dashes = max(4, Int((circumference / (2 * dash)).rounded()))
        var path = StrokePath(width: width)
        let step = 2 * Double.pi / Double(dashes)
        let chords = 4  // per dash, so a dash follows the circle
        for d in 0..<dashes {
            let start = Double(d) * step
            let points = (0...chords).map { k -> CanvasPoint in
                let a = start + step / 2 * Double(k) / Double(chords)
                return CanvasPoint(x: c.x + radius * cos(a), y: c.y + radius * sin(a))
            }
            path.addPolyline(points)
        }
        path.draw(on: &image, color: color)
    }

    /// A dashed rectangle along `box`'s edges.
    static func dashedRectangle(_ image: inout RGBImage, _ box: Box, width: Double, dash: Double, color: RGB) {
        let corners = [
            CanvasPoint(x: box.x, y: box.y), CanvasPoint(x: box.maxX, y: box.y),
            CanvasPoint(x: box.maxX, y: box.maxY), CanvasPoint(x: box.x, y: box.maxY),
        ]
        var path = StrokePath(width: width)
        for i in 0..<4 {
            let a = corners[i]
            let b = corners[(i + 1) % 4]
            let length = hypot(b.x - a.x, b.y - a.y)
            var t = 0.0
            while t < length {
                let e = min(length, t + dash)
                path.addLine(
                    from: CanvasPoint(x: a.x + (b.x - a.x) * t / length, y: a.y + (b.y - a.y) * t / length),
                    to: CanvasPoint(x: a.x + (b.x - a.x) * e / length, y: a.y + (b.y - a.y) * e / length))
                t += 2 * dash
            }
        }
        path.draw(on: &image, color: ink, opacity: 0.6)
        var light = StrokePath(width: max(1, width / 2))
        for s in path.segments {
            light.addLine(from: CanvasPoint(x: s.x0, y: s.y0), to: CanvasPoint(x: s.x1, y: s.y1))
        }
        light.draw(on: &image, color: color)
    }

    // MARK: - Legend panel

    /// The panel right of the photo: its size and its drawing.
    struct Legend {
        let pairs: [TruthPredictionPair]
        let heading: [String]
        let thresholdLabel: String?
        let boxLabel: String?
        let text: TextStyle
        let markerRadius: Double

        var margin: Double { text.height }
        var rowHeight: Double { text.height * 1.5 }
        /// Room for a sample mark left of each row's text.
        var swatch: Double { 2 * markerRadius + text.height }
        var keyRows: [String] {
            ["ground truth", "prediction"] + [thresholdLabel, boxLabel].compactMap { $0 }
        }
        /// Keypoint `index`'s row: its number (as on its number tag), name and note.
        func row(_ index: Int) -> String {
            let p = pairs[index]
            return "\(OverlayRenderer.number(ofIndex: index)) \(p.name)" + (p.note.map { "  \($0)" } ?? "")
        }

        var width: Int {
            let texts =
                heading.map { text.width(of: $0) } + keyRows.map { text.width(of: $0) + swatch }
                + pairs.indices.map { text.width(of: row($0)) + swatch }
            return Int((2 * margin + (texts.max() ?? 0)).rounded(.up))
        }
        var height: Int {
            let rows = Double(heading.count + keyRows.count + pairs.count)
            let gaps = Double((heading.isEmpty ? 0 : 1) + (pairs.isEmpty ? 0 : 1)) * text.height / 2
            return Int((2 * margin + rows * rowHeight + gaps).rounded(.up))
        }

        func draw(on image: inout RGBImage, x x0: Int, markerWidth: Double) {
            let left = Double(x0) + margin
            var y = margin
            for line in heading {
                text.draw(line, on: &image, x: left, y: y)
                y += rowHeight
            }
            if !heading.isEmpty { y += text.height / 2 }
            let grey = RGB(110, 110, 110)
            for (k, label) in keyRows.enumerated() {
                let c = CanvasPoint(x: left + markerRadius, y: y + text.height / 2)
                switch k {
                case 0:
                    CanvasDrawing.marker(.circle, radius: markerRadius, thickness: markerWidth, color: grey)
                        .draw(on: &image, at: c)
                case 1:
                    CanvasDrawing.marker(.cross, radius: markerRadius, thickness: markerWidth, color: grey)
                        .draw(on: &image, at: c)
                default:
                    if label == thresholdLabel {
                        TruthPredictionRenderer.dashedCircle(
                            &image, at: c, radius: markerRadius, width: max(1, markerWidth / 2),
                            dash: markerRadius / 2, color: grey)
                    } else {
                        TruthPredictionRenderer.dashedRectangle(
                            &image,
                            Box(
                                x: c.x - markerRadius, y: c.y - markerRadius * 0.7, width: 2 * markerRadius,
                                height: 1.4 * markerRadius),
                            width: markerWidth, dash: markerRadius / 2, color: grey)
                    }
                }
                text.draw(label, on: &image, x: left + swatch, y: y)
                y += rowHeight
            }
            if !pairs.isEmpty { y += text.height / 2 }
            for i in pairs.indices {
                let color = OverlayRenderer.color(forIndex: i)
                var swatchLine = StrokePath(width: markerWidth * 2)
                swatchLine.addLine(
                    from: CanvasPoint(x: left, y: y + text.height / 2),
                    to: CanvasPoint(x: left + 2 * markerRadius, y: y + text.height / 2))
                swatchLine.draw(on: &image, color: color)
                text.draw(row(i), on: &image, x: left + swatch, y: y)
                y += rowHeight
            }
        }
    }
}
