// All keypoints of one photo in one figure: a grid of heatmap panels under a shared title.

import Foundation

/// One keypoint's panel in a montage.
public struct MontageEntry: Sendable {
    public var samples: [ScoreSample]
    public var prediction: Point?
    public var truth: Point?
    public var annotation: HeatmapAnnotation

    public init(samples: [ScoreSample], prediction: Point?, truth: Point? = nil, annotation: HeatmapAnnotation) {
        self.samples = samples
        self.prediction = prediction
        self.truth = truth
        self.annotation = annotation
    }
}

/// A rendered montage and where its panels are.
public struct Montage: Sendable {
    public let image: RGBImage
    /// One rectangle per entry, in order (row by row).
    public let panelRects: [PixelRect]
    public let panels: [HeatmapPanel]
    public let columns: Int
}

/// Draws every entry as a heatmap panel (`HeatmapRenderer`) in a grid of `columns` columns
/// (default: ceil(sqrt(n)), so 15 keypoints make 4 x 4), row by row, under a title and subtitle
/// lines shared by all. Each panel's photo is at most `maxSide / columns` pixels on its longer
/// side (never upscaled), so the grid of photos is at most `maxSide` wide; nil: full size.
public struct MontageRenderer: Sendable {
    public var heatmap: HeatmapRenderer
    public var maxSide: Int?
    public var columns: Int?

    /// The montage title's height relative to a panel's title.
    static let titleGrowth = 1.3

    public init(heatmap: HeatmapRenderer = HeatmapRenderer(), maxSide: Int? = nil, columns: Int? = nil) {
        self.heatmap = heatmap
        self.maxSide = maxSide
        self.columns = columns
    }

    /// Columns for `count` panels.
    func columnCount(_ count: Int) -> Int {
        max(1, min(count, columns ?? Int(Double(count).squareRoot().rounded(.up))))
    }

    /// Renders the montage.
    /// - Throws: `CanvasError.invalidParameter` without entries, and whatever a panel throws.
    public func render(
        photo: RGBImage, originalWidth: Int? = nil, originalHeight: Int? = nil,
        entries: [MontageEntry], title: String, subtitle: [String] = []
    ) throws -> Montage {
        guard !entries.isEmpty else {
            throw CanvasError.invalidParameter(name: "montage entries", expected: "at least one", actual: "none")
        }
        let ow = originalWidth ?? photo.width
        let oh = originalHeight ?? photo.height
        let cols = columnCount(entries.count)
        let rows = (entries.count + cols - 1) / cols
        // Downscale the photo once for every panel.
        let panelSide = maxSide.map { max(1, $0 / cols) }
        var renderer = heatmap
        renderer.maxDisplaySide = panelSide
        let display = HeatmapRenderer.displayPhoto(photo, maxSide: panelSide)
        let panels = try entries.map {
            try renderer.renderPanel(
                photo: display, originalWidth: ow, originalHeight: oh, samples: $0.samples,
                prediction: $0.prediction, truth: $0.truth, annotation: $0.annotation)
        }
        let cellWidth = panels.map(\.annotated.image.width).max() ?? 1
        let cellHeight = panels.map(\.annotated.image.height).max() ?? 1

        let scale = FigureScale(photoWidth: display.width, photoHeight: display.height)
        let m = scale.pixels(HeatmapRenderer.margin)
        let titleStyle = TextStyle(
            height: scale.size(HeatmapRenderer.titleHeight * Self.titleGrowth), color: HeatmapRenderer.textColor)
        let subtitleStyle = TextStyle(
            height: scale.size(HeatmapRenderer.subtitleHeight * Self.titleGrowth),
            color: HeatmapRenderer.subtitleColor)
        let width = cols * cellWidth
        var y = m
        var lines: [(String, TextStyle, Int)] = [(title, titleStyle, y)]
        y += Int(titleStyle.height.rounded(.up))
        for line in subtitle {
            y += scale.pixels(HeatmapRenderer.lineGap)
            lines.append((line, subtitleStyle, y))
            y += Int(subtitleStyle.height.rounded(.up))
        }
        let gridTop = y
        var image = RGBImage(width: width, height: gridTop + rows * cellHeight, fill: HeatmapRenderer.background)
        for (text, style, lineY) in lines {
            style.draw(style.fitted(text, maxWidth: Double(width - 2 * m)), on: &image, x: Double(m), y: Double(lineY))
        }
        var rects: [PixelRect] = []
        for (i, panel) in panels.enumerated() {
            let source = panel.annotated.image
            let rect = PixelRect(
                x: (i % cols) * cellWidth, y: gridTop + (i / cols) * cellHeight, width: source.width,
                height: source.height)
            HeatmapRenderer.paste(
                source, from: PixelRect(x: 0, y: 0, width: source.width, height: source.height), into: &image,
                at: rect)
            rects.append(rect)
        }
        return Montage(image: image, panelRects: rects, panels: panels, columns: cols)
    }
}
