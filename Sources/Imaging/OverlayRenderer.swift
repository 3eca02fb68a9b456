// All predicted keypoints of one photo on a single image, with their names.

import Foundation

/// A named point in original-image pixels.
public struct LabeledPoint: Sendable, Equatable, Codable {
    public var name: String
    public var point: Point
    public init(name: String, point: Point) {
        self.name = name
        self.point = point
    }
}

/// Draws the photo (at its own resolution, or downscaled to at most `maxDisplaySide`; never
/// upscaled) with every keypoint as a dot in its own colour (white rim) and its name in a label
/// box of the same colour next to it. Dots, rims and labels are design sizes scaled by the
/// photo's `FigureScale`, so they keep their proportion at any resolution. Labels
/// stay inside the image: each tries right of, left of, above and below its dot (then right and
/// left, then above and below, shifted by 1, 2, ... `maximumShift` label heights up and down) and takes the first
/// that fits inside the photo without overlapping an earlier label or another dot; if none does,
/// the same places with the label's text smaller, step by step down to `minimumLabelHeight`
/// (a legible minimum); if still none does, the label goes into a list beside the photo
/// (white, right of it, the figure widened), so no label ever covers another. A listed label
/// starts with its keypoint's number (1-based: "12 left wing"), and the same number is drawn in
/// a small tag of its colour by its dot (placed like a label, after all labels, its leader line
/// crossing no other dot or label; else at the nearest free place on the photo; only on a photo
/// with no room left, on the dot itself; listed keypoints on one dot share a tag, "11-15"), so a
/// list entry is tied to its dot by more than colour. A label or number tag that ends up away
/// from its dot is tied to it by a thin leader line in its colour.
public struct OverlayRenderer: Sendable {
    /// The longer side of the figure at most (nil: the photo's own size).
    public var maxDisplaySide: Int?
    /// Dot radius, design pixels (scaled by `FigureScale`).
    public var dotRadius: Double
    /// Line height of the labels, design pixels (scaled by `FigureScale`).
    public var labelHeight: Double

    public init(maxDisplaySide: Int? = nil, dotRadius: Double = 5, labelHeight: Double = 14) {
        self.maxDisplaySide = maxDisplaySide
        self.dotRadius = dotRadius
        self.labelHeight = labelHeight
    }

    /// Kenneth Kelly's 20 colours of maximum contrast (Color Eng. 3(6), 1965), without white
    /// and black, in his order; keypoint i gets entry i mod 20, so the first few differ most.
    public static let palette: [RGB] = [
        RGB(0xF3, 0xC3, 0x00), RGB(0x87, 0x56, 0x92), RGB(0xF3, 0x84, 0x00), RGB(0xA1, 0xCA, 0xF1),
        RGB(0xBE, 0x00, 0x32), RGB(0xC2, 0xB2, 0x80), RGB(0x84, 0x84, 0x82), RGB(0x00, 0x88, 0x56),
        RGB(0xE6, 0x8F, 0xAC), RGB(0x00, 0x67, 0xA5), RGB(0xF9, 0x93, 0x79), RGB(0x60, 0x4E, 0x97),
        RGB(0xF6, 0xA6, 0x00), RGB(0xB3, 0x44, 0x6C), RGB(0xDC, 0xD3, 0x00), RGB(0x88, 0x2D, 0x17),
        RGB(0x8D, 0xB6, 0x00), RGB(0x65, 0x45, 0x22), RGB(0xE2, 0x58, 0x22), RGB(0x2B, 0x3D, 0x26),
    ]

    /// Colour of keypoint `index` (0-based).
    public static func color(forIndex index: Int) -> RGB {
        palette[((index % palette.count) + palette.count) % palette.count]
    }

    /// Labels try positions shifted up and down by up to this many label heights (a crowd of
    /// keypoints stacks its labels beside it).
    static let maximumShift = 8
    /// A leader line ties a label to its dot when they are farther apart than this beyond the
    /// dot's radius (design pixels); its width (design pixels).
    static let leaderThreshold = 6.0
    static let leaderWidth = 1.2

    /// Label box padding around the text, design pixels.
    static let labelPadding = 3
    /// A label with no free place is tried again this much smaller, step by step.
    static let labelShrinkStep = 0.9
    /// The smallest label text height, design pixels (scaled by `FigureScale`): 8 px Hershey
    /// simplex (1 px strokes) is about the smallest text that still reads at 100 % (below it
    /// "e", "a" and "s" close up).
    public static let minimumLabelHeight = 8.0
    /// Background of the list of labels that found no place on the photo.
    static let listBackground = RGB(255, 255, 255)

    /// A placed label: its text (fitted), style (background and padding included) and box.
    struct LabelPlace {
        var text: String
        var style: TextStyle
        var box: PixelRect
    }

    /// The first free place (`placeLabel`) for `text` in `style` (with its background, so its
    /// box includes the padding) next to `c`, at the style's height, then `labelShrinkStep`
    /// smaller step by step down to `minimumHeight` pixels (padding shrinks along); the text is
    /// cut to fit `bounds`' width. Nil when no size finds a free place.
    static func placeShrinking(
        _ text: String, style: TextStyle, minimumHeight: Double, near c: CanvasPoint, dotRadius: Double,
        bounds: PixelRect, avoid: [PixelRect], dots: [PixelRect], ownDot: Int, leaderClear: Bool = false
    ) -> LabelPlace? {
        var heights = [style.height]
        while heights[heights.count - 1] > minimumHeight {
            heights.append(max(minimumHeight, heights[heights.count - 1] * labelShrinkStep))
        }
        for height in heights {
            let sized = style.scaled(toHeight: height)
            let fitted = sized.fitted(text, maxWidth: Double(bounds.width) - 2 * sized.padding)
            if fitted.isEmpty { continue }
            let size = sized.boxSize(of: fitted)
            if let box = placeLabel(
                size: (size.width, size.height), near: c, dotRadius: dotRadius, bounds: bounds, avoid: avoid,
                dots: dots, ownDot: ownDot, leaderClear: leaderClear)
            {
                return LabelPlace(text: fitted, style: sized, box: box)
            }
        }
        return nil
    }

    /// Renders the overlay. Points outside the image are drawn clipped (their labels are still
    /// kept inside).
    /// - Parameters:
    ///   - photo: the original photo or a downscaled copy (same aspect ratio).
    ///   - originalWidth, originalHeight: size the points refer to (defaults: the photo's).
    /// - Throws: `CanvasError.invalidSize`, `CanvasError.invalidParameter` (non-finite point).
    public func render(
        photo: RGBImage, originalWidth: Int? = nil, originalHeight: Int? = nil,
        points: [LabeledPoint]
    ) throws -> AnnotatedImage {
        try renderPlacingLabels(
            photo: photo, originalWidth: originalWidth, originalHeight: originalHeight, points: points
        ).overlay
    }

    /// `render`, and where each drawn label went (the index of its point, its box and text; on
    /// the photo or in the list), and the number tags of the listed ones (the indices of the
    /// points each stands for, its box and text).
    func renderPlacingLabels(
        photo: RGBImage, originalWidth: Int? = nil, originalHeight: Int? = nil,
        points: [LabeledPoint]
    ) throws -> (
        overlay: AnnotatedImage, labels: [(index: Int, box: PixelRect, text: String)],
        numbers: [(indices: [Int], box: PixelRect, text: String)]
    ) {
        let ow = originalWidth ?? photo.width
        let oh = originalHeight ?? photo.height
        guard ow > 0, oh > 0 else {
            throw CanvasError.invalidSize(what: "overlay original image", width: ow, height: oh)
        }
        for p in points where !(p.point.x.isFinite && p.point.y.isFinite) {
            throw CanvasError.invalidParameter(
                name: "overlay point \"\(p.name)\"", expected: "finite coordinates",
                actual: "\(p.point)")
        }
        var image = HeatmapRenderer.displayPhoto(photo, maxSide: maxDisplaySide)
        let result = AnnotatedImage(
            image: image, photoRect: PixelRect(x: 0, y: 0, width: image.width, height: image.height),
            scaleX: Double(image.width) / Double(ow), scaleY: Double(image.height) / Double(oh))
        let scale = FigureScale(photoWidth: image.width, photoHeight: image.height)
        // The label style; its background colour is each keypoint's own when drawn.
        let font = TextStyle(
            height: scale.size(labelHeight), background: RGB(255, 255, 255),
            padding: Double(scale.pixels(Double(Self.labelPadding))))
        let dotRadius = scale.size(self.dotRadius)
        let rimWidth = scale.size(1.5)
        let bounds = result.photoRect
        let rim = CanvasDrawing.disk(radius: dotRadius + rimWidth, color: RGB(255, 255, 255))

        // Dots first; labels after, placed to avoid earlier labels and other keypoints' dots.
        var placed: [PixelRect] = []
        var dots: [PixelRect] = []
        for p in points {
            let c = result.panelPoint(fromImage: p.point)
            let r = Int((dotRadius + rimWidth).rounded(.up))
            dots.append(
                PixelRect(
                    x: Int(c.x.rounded(.down)) - r, y: Int(c.y.rounded(.down)) - r,
                    width: 2 * r + 1, height: 2 * r + 1))
        }
        // Place every label first, then draw leader lines, dots and labels in that order (dots
        // over lines, labels over everything). Labels with no free place, even smaller, are
        // listed beside the photo.
        var labels: [(index: Int, place: LabelPlace)] = []
        var listed: [Int] = []
        for (i, p) in points.enumerated() {
            let c = result.panelPoint(fromImage: p.point)
            if let place = Self.placeShrinking(
                p.name, style: font, minimumHeight: min(font.height, scale.size(Self.minimumLabelHeight)), near: c,
                dotRadius: dotRadius + scale.size(3), bounds: bounds,
                avoid: placed, dots: dots, ownDot: i)
            {
                placed.append(place.box)
                labels.append((i, place))
            } else {
                listed.append(i)
            }
        }
        // Each listed keypoint's number in a tag by its dot, placed after every label so that
        // labels keep their places. Listed keypoints on one dot (their centres within its radius)
        // share one tag ("11-30"). A tag with no free place near its dot goes to the nearest free
        // place on the photo (tied by a leader line); only on a photo with no room at all, on its dot.
        let centre = { (i: Int) in result.panelPoint(fromImage: points[i].point) }
        let numbers = Self.placeNumberTags(
            groups: Self.groupsOnOneMark(listed, radius: dotRadius, centre: centre), centre: centre,
            markIndex: { $0 }, style: font, minimumHeight: min(font.height, scale.size(Self.minimumLabelHeight)),
            clearance: dotRadius + scale.size(3), bounds: bounds, placed: &placed, dots: dots)
        // The list: one full-size label per row, its number first, top-aligned right of the photo.
        let gap = Int(font.padding.rounded(.up)) * 2
        var listRows: [(index: Int, text: String, box: PixelRect)] = []
        var rowY = gap
        for i in listed {
            let text = "\(Self.number(ofIndex: i)) \(points[i].name)"
            let size = font.boxSize(of: text)
            listRows.append((i, text, PixelRect(x: bounds.maxX + gap, y: rowY, width: size.width, height: size.height)))
            rowY += size.height + gap / 2
        }
        if !listRows.isEmpty {
            let listWidth = (listRows.map(\.box.width).max() ?? 0) + 2 * gap
            var widened = RGBImage(
                width: image.width + listWidth, height: max(image.height, rowY + gap / 2), fill: Self.listBackground)
            HeatmapRenderer.paste(image, from: bounds, into: &widened, at: bounds)
            image = widened
            for (i, text, box) in listRows {
                labels.append((i, LabelPlace(text: text, style: font, box: box)))
            }
        }
        // A label or number pushed away from its dot (a crowd of keypoints) is tied to it by a thin
        // line in its colour, from the dot to the nearest point of the label; listed labels are not.
        let beside =
            labels.filter { !listed.contains($0.index) }
            + numbers.filter { !$0.onDot }.map { ($0.indices[0], $0.place) }
        for (i, place) in beside {
            Self.drawLeader(
                &image, from: result.panelPoint(fromImage: points[i].point), to: place.box,
                minimumGap: dotRadius + scale.size(Self.leaderThreshold), width: scale.size(Self.leaderWidth),
                outline: rimWidth, color: Self.color(forIndex: i))
        }
        for (i, p) in points.enumerated() {
            let c = result.panelPoint(fromImage: p.point)
            rim.draw(on: &image, at: c)
            CanvasDrawing.disk(radius: dotRadius, color: Self.color(forIndex: i)).draw(on: &image, at: c)
        }
        // A number tag's dot again on top, so that the dot under its leader line has its colour.
        for i in numbers.map(\.indices[0]) {
            let c = result.panelPoint(fromImage: points[i].point)
            rim.draw(on: &image, at: c)
            CanvasDrawing.disk(radius: dotRadius, color: Self.color(forIndex: i)).draw(on: &image, at: c)
        }
        for (i, place) in labels + numbers.map({ ($0.indices[0], $0.place) }) {
            Self.drawTag(place, color: Self.color(forIndex: i), on: &image)
        }
        return (
            AnnotatedImage(image: image, photoRect: bounds, scaleX: result.scaleX, scaleY: result.scaleY),
            labels.map { (index: $0.index, box: $0.place.box, text: $0.place.text) },
            numbers.map { (indices: $0.indices, box: $0.place.box, text: $0.place.text) }
        )
    }

    /// Writes the overlay as PNG (atomically).
    public func writePNG(
        to url: URL, photo: RGBImage, originalWidth: Int? = nil, originalHeight: Int? = nil,
        points: [LabeledPoint]
    ) throws {
        try write(
            to: url, format: .png, photo: photo, originalWidth: originalWidth, originalHeight: originalHeight,
            points: points)
    }

    /// Writes the overlay in `format` (atomically).
    public func write(
        to url: URL, format: FigureFormat, photo: RGBImage, originalWidth: Int? = nil, originalHeight: Int? = nil,
        points: [LabeledPoint]
    ) throws {
        let overlay = try render(
            photo: photo, originalWidth: originalWidth, originalHeight: originalHeight,
            points: points)
        try ImageCodec.writeFigure(overlay.image, to: url, format: format)
    }

    /// The first of `labelCandidates` inside `bounds` that overlaps no rectangle of `avoid` and
    /// no dot but `dots[ownDot]` (with `leaderClear`, and whose leader line from `c` crosses
    /// neither: `leaderIsClear`); nil when none is.
    static func placeLabel(
        size: (Int, Int), near c: CanvasPoint, dotRadius: Double, bounds: PixelRect,
        avoid: [PixelRect], dots: [PixelRect], ownDot: Int, leaderClear: Bool = false
    ) -> PixelRect? {
        labelCandidates(size: size, near: c, dotRadius: dotRadius).first { r in
            r.intersection(bounds) == r && !avoid.contains { $0.intersects(r) }
                && !dots.enumerated().contains { $0.offset != ownDot && $0.element.intersects(r) }
                && (!leaderClear || leaderIsClear(from: c, to: r, avoid: avoid, dots: dots, ownDot: ownDot))
        }
    }

    /// The point of `box` nearest to `c`: where a leader line from the dot at `c` ends.
    static func nearestPoint(of box: PixelRect, to c: CanvasPoint) -> CanvasPoint {
        CanvasPoint(
            x: min(max(c.x, Double(box.x)), Double(box.maxX)), y: min(max(c.y, Double(box.y)), Double(box.maxY)))
    }

    /// Whether the straight line from `c` to `nearestPoint(of: box, to: c)` passes through no
    /// rectangle of `avoid` and no dot but `dots[ownDot]`, leaving out those under `c` itself,
    /// so that a number tag's leader line is not hidden under a label or read as coming from
    /// another keypoint's dot. Touching a rectangle's edge is not passing through it.
    static func leaderIsClear(
        from c: CanvasPoint, to box: PixelRect, avoid: [PixelRect], dots: [PixelRect], ownDot: Int
    ) -> Bool {
        let end = nearestPoint(of: box, to: c)
        let start = (x: Int(c.x.rounded(.down)), y: Int(c.y.rounded(.down)))
        func blocks(_ r: PixelRect) -> Bool {
            !r.contains(start.x, start.y) && segment(from: c, to: end, passesThrough: r)
        }
        if avoid.contains(where: blocks) { return false }
        return !dots.indices.contains { $0 != ownDot && blocks(dots[$0]) }
    }

    /// Whether the segment from `a` to `b` has a stretch of positive length inside the open
    /// rectangle `r` (Liang-Barsky clipping).
    static func segment(from a: CanvasPoint, to b: CanvasPoint, passesThrough r: PixelRect) -> Bool {
        var enter = 0.0
        var leave = 1.0
        // Each edge as p * t <= q: the part of the segment on the rectangle's side of it.
        func clip(_ p: Double, _ q: Double) -> Bool {
            if p == 0 { return q > 0 }
            let t = q / p
            if p < 0 { enter = max(enter, t) } else { leave = min(leave, t) }
            return enter < leave
        }
        let dx = b.x - a.x
        let dy = b.y - a.y
        return clip(-dx, a.x - Double(r.x)) && clip(dx, Double(r.maxX) - a.x) && clip(-dy, a.y - Double(r.y))
            && clip(dy, Double(r.maxY) - a.y)
    }

    /// The places a label of `size` tries for a dot at `c`, in order (see the type's doc).
    static func labelCandidates(size: (Int, Int), near c: CanvasPoint, dotRadius: Double) -> [PixelRect] {
        let (w, h) = size
        let cx = Int(c.x.rounded(.down))
        let cy = Int(c.y.rounded(.down))
        let d = Int(dotRadius.rounded(.up))
        let base = [
            (cx + d, cy - h / 2), (cx - d - w, cy - h / 2),  // right, left
            (cx - w / 2, cy - d - h), (cx - w / 2, cy + d + 1),  // above, below
        ]
        // The four places beside the dot, then the side columns (right, left) shifted up and
        // down one label height at a time, then the same for above and below: a crowd of labels
        // stacks in two columns beside its dot.
        let shifts = (1...Self.maximumShift).flatMap { [-$0 * h, $0 * h] }
        var candidates = base.map { PixelRect(x: $0.0, y: $0.1, width: w, height: h) }
        for sides in [base[0..<2], base[2..<4]] {
            for shift in shifts {
                for (x, y) in sides { candidates.append(PixelRect(x: x, y: y + shift, width: w, height: h)) }
            }
        }
        return candidates
    }
}
