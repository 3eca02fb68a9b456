import Foundation
import Testing

@testable import Imaging

/// Figures for a paper (issue 14): photo resolution under a cap, JPEG output, colour-bar ticks,
/// one colour scale across keypoints, box and mask outlines, montages.
@Suite("Figures: size, formats, colour scales, outlines, montages")
struct FigureTests {
    /// JPEG at quality 92, 4:4:4, on a smooth gradient: mean absolute error per byte below this
    /// (a wrong channel order or chroma subsampling gives tens) ...
    static let jpegMeanErrorLimit = 1.5
    /// ... and no byte off by more than this (8x8 DCT quantisation at quality 92).
    static let jpegWorstErrorLimit = 12
    /// Whole-pixel rounding of each scaled design size in a layout of a few rows.
    static let layoutRoundingPixels = 2
    /// Floating-point slack of a score range copied through min/max.
    static let rangeTolerance = 1e-12

    static func samples(width: Double, height: Double, low: Double, high: Double) -> [ScoreSample] {
        HeatmapRendererTests.gridSamples(width: width, height: height).map {
            ScoreSample(x: $0.x, y: $0.y, score: low + (high - low) * ($0.score - 0.2113) / (0.2764 - 0.2113))
        }
    }

    // MARK: - Formats

    @Test("JPEG written by the encoder decodes through the project's decoder to nearly the same pixels")
    func jpegRoundTrip() throws {
        var image = RGBImage(width: 97, height: 61)
        for y in 0..<61 {
            for x in 0..<97 { image[x, y] = RGB(UInt8(x * 2), UInt8(y * 4), UInt8((x + y) % 256)) }
        }
        let data = try ImageCodec.encodeJPEG(image)
        #expect(data.withUnsafeBytes { ImageCodec.detectFormat($0) } == .jpeg)
        let decoded = try ImageCodec.decode(data: data, name: "round-trip.jpg")
        #expect(decoded.width == 97 && decoded.height == 61 && decoded.colorModel == .rgb)
        var total = 0
        var worst = 0
        for (a, b) in zip(image.pixels, decoded.rgb.pixels) {
            let d = abs(Int(a) - Int(b))
            total += d
            worst = max(worst, d)
        }
        // Quality 92, 4:4:4, a smooth gradient: small errors only (a PNG would be exact; a
        // wrong colour order or subsampling gives errors of tens to hundreds).
        #expect(
            Double(total) / Double(image.pixels.count) < Self.jpegMeanErrorLimit,
            "mean error \(Double(total) / Double(image.pixels.count))"
        )
        #expect(worst <= Self.jpegWorstErrorLimit, "worst error \(worst)")
        // Lower quality makes a smaller file: the quality reaches libjpeg.
        #expect(try ImageCodec.encodeJPEG(image, quality: 30).count < data.count)
    }

    @Test("the format comes from the extension: .png, .jpg, .jpeg (any case); nothing else")
    func formatByExtension() {
        #expect(FigureFormat(path: "out/a.png") == .png)
        #expect(FigureFormat(path: "out/a.JPG") == .jpeg)
        #expect(FigureFormat(path: "a.jpeg") == .jpeg)
        #expect(FigureFormat(path: "a.gif") == nil)
        #expect(FigureFormat(path: "out.png/a") == nil)
        #expect(FigureFormat(path: "png") == nil)
    }

    @Test("figure writes are atomic in the named format and leave no temporary file")
    func writeFigure() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("figures-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let image = HeatmapRendererTests.texturedPhoto(40, 30)
        try ImageCodec.writeFigure(image, to: dir.appendingPathComponent("a.jpg"), format: .jpeg)
        try ImageCodec.writeFigure(image, to: dir.appendingPathComponent("b.png"), format: .png)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted() == ["a.jpg", "b.png"])
        let jpeg = try Data(contentsOf: dir.appendingPathComponent("a.jpg"))
        #expect(jpeg.withUnsafeBytes { ImageCodec.detectFormat($0) } == .jpeg)
        #expect(try ImageCodec.decode(contentsOf: dir.appendingPathComponent("b.png")).rgb == image)
    }

    // MARK: - Size

    @Test("figures show the photo at its own size under the cap, downscaled above it, never upscaled")
    func photoResolution() throws {
        let photo = HeatmapRendererTests.texturedPhoto(900, 600)
        let samples = Self.samples(width: 900, height: 600, low: 0.1, high: 0.3)
        let points = [LabeledPoint(name: "beak", point: Point(x: 450, y: 300))]
        for (cap, expected) in [(nil, (900, 600)), (2048, (900, 600)), (900, (900, 600)), (600, (600, 400))] {
            let heatmap = try HeatmapRenderer(maxDisplaySide: cap).render(
                photo: photo, samples: samples, prediction: nil, title: "beak")
            #expect(heatmap.photoRect.width == expected.0 && heatmap.photoRect.height == expected.1, "cap \(cap ?? 0)")
            let overlay = try OverlayRenderer(maxDisplaySide: cap).render(photo: photo, points: points)
            #expect(overlay.image.width == expected.0 && overlay.image.height == expected.1, "cap \(cap ?? 0)")
        }
    }

    @Test("text, lines and markers grow with the figure: twice the photo, twice the title band")
    func furnitureScales() throws {
        #expect(FigureScale(photoWidth: 640, photoHeight: 480).factor == 1)
        #expect(FigureScale(photoWidth: 300, photoHeight: 200).factor == 1)  // never below the design size
        #expect(FigureScale(photoWidth: 1280, photoHeight: 960).factor == 2)
        func titleBand(_ w: Int, _ h: Int) throws -> Int {
            try HeatmapRenderer().renderPanel(
                photo: RGBImage(width: w, height: h, fill: RGB(80, 80, 80)),
                samples: Self.samples(width: Double(w), height: Double(h), low: 0, high: 1), prediction: nil,
                annotation: HeatmapAnnotation(title: "beak", subtitle: ["\"This is the beak of a bird\""])
            ).annotated.photoRect.y
        }
        let small = try titleBand(640, 480)
        let large = try titleBand(1280, 960)
        #expect(abs(large - 2 * small) <= Self.layoutRoundingPixels, "\(small) then \(large)")
        // The prediction cross: its arm reaches 10 design px from the centre, 20 px at twice the size.
        for (side, reach) in [(640, 10), (1280, 20)] {
            let panel = try HeatmapRenderer(opacity: 0, showSampleDots: false).render(
                photo: RGBImage(width: side, height: side / 2, fill: RGB(80, 80, 80)),
                samples: Self.samples(width: Double(side), height: Double(side / 2), low: 0, high: 1),
                prediction: Point(x: Double(side / 2) + 0.5, y: Double(side / 4) + 0.5), title: "t")
            let c = panel.panelPoint(fromImage: Point(x: Double(side / 2) + 0.5, y: Double(side / 4) + 0.5))
            #expect(panel.image[Int(c.x) + reach - 2, Int(c.y)] == RGB(255, 0, 0))
            #expect(panel.image[Int(c.x) + reach + 4, Int(c.y)] == RGB(80, 80, 80))
        }
    }

    // MARK: - Colour bar

    @Test("colour-bar ticks are round values inside the range")
    func niceTicks() {
        let a = NiceTicks.values(low: 0.2113, high: 0.2764, maxCount: 6)
        #expect(a.decimals == 2)
        #expect(a.values.map { ($0 * 100).rounded() } == [22, 23, 24, 25, 26, 27])
        let b = NiceTicks.values(low: -0.2153, high: -0.158, maxCount: 3)
        #expect(b.decimals == 2 && b.values.map { ($0 * 100).rounded() } == [-20, -18, -16])
        let c = NiceTicks.values(low: 0, high: 1000, maxCount: 5)
        // Steps 100 and 200 give 11 and 6 values; 500 is the finest with at most 5.
        #expect(c.values == [0, 500, 1000] && c.decimals == 0)
        #expect(NiceTicks.values(low: 0.5, high: 0.5, maxCount: 4).values == [0.5])
    }

    @Test("--common-scale: panels of different keypoints get identical colour bars; alone they differ")
    func commonScale() throws {
        let photo = HeatmapRendererTests.texturedPhoto(320, 200)
        let beak = Self.samples(width: 320, height: 200, low: 0.20, high: 0.25)
        let tail = Self.samples(width: 320, height: 200, low: 0.17, high: 0.31)
        let common = 0.17...0.31
        func panel(_ samples: [ScoreSample], _ range: ClosedRange<Double>?) throws -> HeatmapPanel {
            try HeatmapRenderer().renderPanel(
                photo: photo, samples: samples, prediction: nil,
                annotation: HeatmapAnnotation(title: "k", scoreRange: range))
        }
        func scalePixels(_ p: HeatmapPanel) -> [RGB] {
            let r = p.colorScaleRect
            return (r.y..<r.maxY).flatMap { y in (r.x..<r.maxX).map { p.annotated.image[$0, y] } }
        }
        let a = try panel(beak, common)
        let b = try panel(tail, common)
        #expect(a.scoreRange == b.scoreRange && a.ticks == b.ticks)
        #expect(a.colorScaleRect == b.colorScaleRect && scalePixels(a) == scalePixels(b))
        let ownA = try panel(beak, nil)
        let ownB = try panel(tail, nil)
        #expect(
            abs(ownA.scoreRange.lowerBound - 0.20) < Self.rangeTolerance
                && abs(ownB.scoreRange.upperBound - 0.31) < Self.rangeTolerance)
        #expect(scalePixels(ownA) != scalePixels(ownB))
        // The same score gets the same colour only on the common scale: the sample at the top
        // left (score `low`) is the darkest colour alone, a mid colour on the common scale.
        let c = a.annotated.panelPoint(fromImage: Point(x: 16, y: 10))
        let alone = ownA.annotated.panelPoint(fromImage: Point(x: 16, y: 10))
        #expect(a.annotated.image[Int(c.x), Int(c.y)] != ownA.annotated.image[Int(alone.x), Int(alone.y)])
    }

    // MARK: - Outlines

    @Test("the search box and the search mask are outlined where they are")
    func outlines() throws {
        let grey = RGB(100, 100, 100)
        let photo = RGBImage(width: 200, height: 150, fill: grey)
        let samples = Self.samples(width: 200, height: 150, low: 0, high: 1)
        let renderer = HeatmapRenderer(opacity: 0, showSampleDots: false)
        let box = Box(x: 50, y: 40, width: 100, height: 60)
        let plain = try renderer.render(photo: photo, samples: samples, prediction: nil, title: "t")
        let withBox = try renderer.renderPanel(
            photo: photo, samples: samples, prediction: nil, annotation: HeatmapAnnotation(title: "t", box: box)
        ).annotated
        func at(_ a: AnnotatedImage, _ x: Double, _ y: Double) -> RGB {
            let c = a.panelPoint(fromImage: Point(x: x, y: y))
            return a.image[Int(c.x), Int(c.y)]
        }
        // On the box's edges (the 2 px line is centred on them): the box colour.
        for (x, y) in [(50.2, 70.0), (149.8, 70.0), (100.0, 40.2), (100.0, 99.8)] {
            #expect(at(withBox, x, y) == renderer.boxColor, "(\(x), \(y))")
            #expect(at(plain, x, y) == grey)
        }
        #expect(at(withBox, 100, 70) == grey && at(withBox, 20, 20) == grey)

        // A round mask: its outline is a band just inside the region.
        var bits = [UInt8](repeating: 0, count: 200 * 150)
        for y in 0..<150 {
            for x in 0..<200 where pow(Double(x) + 0.5 - 100, 2) + pow(Double(y) + 0.5 - 75, 2) <= 50 * 50 {
                bits[y * 200 + x] = 1
            }
        }
        let masked = try renderer.renderPanel(
            photo: photo, samples: samples, prediction: nil,
            annotation: HeatmapAnnotation(title: "t", mask: PixelMask(width: 200, height: 150, bits: bits))
        ).annotated
        #expect(at(masked, 100, 26) == renderer.maskColor)  // just inside the top of the circle
        #expect(at(masked, 50.5, 75) == renderer.maskColor)  // just inside its left
        #expect(at(masked, 100, 75) == grey && at(masked, 100, 20) == grey)  // centre, outside
        #expect(throws: CanvasError.self) {
            try renderer.renderPanel(
                photo: photo, samples: samples, prediction: nil,
                annotation: HeatmapAnnotation(
                    title: "t", mask: PixelMask(width: 10, height: 10, bits: [UInt8](repeating: 1, count: 100))))
        }
    }

    // MARK: - Overlay

    @Test("a crowd of keypoints at one point: labels stack without overlapping; far ones get a leader line")
    func crowdedOverlay() throws {
        // 24 labels of one dot: two columns of 17 beside it leave room for all (the 4 x 5 places
        // tried before did not).
        var placed: [PixelRect] = []
        let bounds = PixelRect(x: 0, y: 0, width: 400, height: 400)
        for _ in 0..<24 {
            placed.append(
                try #require(
                    OverlayRenderer.placeLabel(
                        size: (60, 16), near: CanvasPoint(x: 200.5, y: 200.5), dotRadius: 8, bounds: bounds,
                        avoid: placed, dots: [], ownDot: 0)))
        }
        for (i, r) in placed.enumerated() {
            #expect(r.intersection(bounds) == r)
            for other in placed[(i + 1)...] { #expect(!r.intersects(other), "\(r) and \(other)") }
        }

        let grey = RGB(90, 90, 90)
        let photo = RGBImage(width: 400, height: 300, fill: grey)
        let names = ["back", "beak", "belly", "breast", "crown", "forehead", "left eye", "left leg"]
        let points = names.map { LabeledPoint(name: $0, point: Point(x: 200.5, y: 150.5)) }
        let (out, labels, _) = try OverlayRenderer().renderPlacingLabels(photo: photo, points: points)
        #expect(labels.map(\.index) == Array(names.indices))
        let c = CanvasPoint(x: 200.5, y: 150.5)
        for (_, box, _) in labels {
            let near = CanvasPoint(
                x: min(max(c.x, Double(box.x)), Double(box.maxX)), y: min(max(c.y, Double(box.y)), Double(box.maxY)))
            let gap = ((near.x - c.x) * (near.x - c.x) + (near.y - c.y) * (near.y - c.y)).squareRoot()
            guard gap > 30 else { continue }
            // Midway between the dot and a label stacked away from it: the leader line's ink,
            // unless another label covers that spot.
            let mid = (x: Int((c.x + near.x) / 2), y: Int((c.y + near.y) / 2))
            if labels.contains(where: { $0.box.contains(mid.x, mid.y) }) { continue }
            #expect(out.image[mid.x, mid.y] != grey, "no leader line at \(mid) for the label at \(box)")
        }
        // A lone keypoint's label sits beside its dot: no line drawn 20 px away from both.
        let (single, _, _) = try OverlayRenderer().renderPlacingLabels(
            photo: photo, points: [LabeledPoint(name: "beak", point: Point(x: 200.5, y: 150.5))])
        #expect(single.image[200, 180] == grey && single.image[200, 120] == grey)
    }

    @Test("many keypoints on one dot of a small photo: labels shrink, then go to a list beside it; none overlap")
    func labelsNeverOverlap() throws {
        let grey = RGB(90, 90, 90)
        let photo = RGBImage(width: 160, height: 120, fill: grey)
        let names = (0..<40).map { "keypoint \($0)" }
        let points = names.map { LabeledPoint(name: $0, point: Point(x: 80.5, y: 60.5)) }
        let (out, labels, _) = try OverlayRenderer().renderPlacingLabels(photo: photo, points: points)
        // Every keypoint's label is drawn once, and no two label boxes overlap.
        #expect(labels.map(\.index).sorted() == Array(names.indices))
        for (i, a) in labels.enumerated() {
            for b in labels[(i + 1)...] { #expect(!a.box.intersects(b.box), "\(a) and \(b)") }
        }
        // Some labels are smaller than the full 14 px (+ 2 x 3 px padding) one, none below 8 px text
        // (+ 2 x 1.7 px padding: 12 px); the rest are listed right of the photo, which widens the figure.
        let photoRect = PixelRect(x: 0, y: 0, width: 160, height: 120)
        let onPhoto = labels.filter { $0.box.intersection(photoRect) == $0.box }
        let listed = labels.filter { !$0.box.intersects(photoRect) }
        #expect(onPhoto.count + listed.count == labels.count)
        #expect(onPhoto.contains { $0.box.height < 20 } && onPhoto.allSatisfy { $0.box.height >= 12 })
        #expect(!listed.isEmpty && listed.allSatisfy { $0.box.x >= 160 && $0.box.height == 20 })
        #expect(out.image.width > 160 && out.photoRect == photoRect)
        #expect(out.image.height >= listed.map(\.box.maxY).max() ?? 0)
        // A photo with room keeps its size: no list.
        let (roomy, few, numbers) = try OverlayRenderer().renderPlacingLabels(
            photo: photo, points: Array(points.prefix(3)))
        #expect(roomy.image.width == 160 && roomy.image.height == 120 && few.count == 3 && numbers.isEmpty)
    }

    @Test("a listed label starts with its keypoint's number, drawn in its dot's colour by the dot; one dot, one tag")
    func listedLabelsAreNumberedAtTheirDots() throws {
        let grey = RGB(90, 90, 90)
        let photo = RGBImage(width: 160, height: 120, fill: grey)
        // 32 keypoints: 20 on one dot in the middle, 12 along a row near the bottom, 12 px apart
        // (dots that do not touch).
        let points = (0..<32).map { i in
            LabeledPoint(
                name: "keypoint \(i)",
                point: i < 20 ? Point(x: 80.5, y: 50.5) : Point(x: 12.5 + 12 * Double(i - 20), y: 100.5))
        }
        let (out, labels, numbers) = try OverlayRenderer().renderPlacingLabels(photo: photo, points: points)
        let photoRect = PixelRect(x: 0, y: 0, width: 160, height: 120)
        let listed = labels.filter { !$0.box.intersects(photoRect) }
        let onPhoto = labels.filter { $0.box.intersection(photoRect) == $0.box }
        #expect(listed.count >= 5 && onPhoto.count + listed.count == 32, "\(listed.count) listed")
        // Each listed label, and only those, has a number tag, and its number starts its list entry.
        #expect(numbers.flatMap(\.indices).sorted() == listed.map(\.index))
        for entry in listed { #expect(entry.text == "\(entry.index + 1) keypoint \(entry.index)", "\(entry)") }
        // Listed keypoints of the middle dot share one tag; those of the row have one each.
        #expect(numbers.filter { $0.indices.count > 1 }.count <= 1)
        #expect(numbers.contains { $0.indices.count > 1 } && numbers.contains { $0.indices[0] >= 20 })
        for n in numbers {
            // The tag reads the 1-based numbers of its keypoints ("11-20", "23", "2,5").
            let numbered = n.text.split(separator: ",").flatMap { part -> [Int] in
                let ends = part.split(separator: "-").compactMap { Int($0) }
                return ends.count == 2 ? Array(ends[0]...ends[1]) : ends
            }
            #expect(numbered == n.indices.map { $0 + 1 }, "\(n)")
            let c = CanvasPoint(x: points[n.indices[0]].point.x, y: points[n.indices[0]].point.y)
            for i in n.indices {
                #expect(abs(points[i].point.x - c.x) <= 5 && abs(points[i].point.y - c.y) <= 5, "\(n)")
            }
            #expect(n.box.intersection(photoRect) == n.box, "\(n)")
            #expect(!onPhoto.contains { $0.box.intersects(n.box) }, "number \(n) covers a label")
            let color = OverlayRenderer.color(forIndex: n.indices[0])
            // At 160 x 120 the figure scale is 1: a tag within the dot's radius (5) plus its
            // clearance (3) plus the leader threshold (6) sits by its dot; a farther one is tied
            // to it by a leader line that nothing covers (its colour halfway, anti-aliased).
            let near = OverlayRenderer.nearestPoint(of: n.box, to: c)
            let gap = ((near.x - c.x) * (near.x - c.x) + (near.y - c.y) * (near.y - c.y)).squareRoot()
            if gap > 5 + 3 + 6 {
                let mid = (x: Int((c.x + near.x) / 2), y: Int((c.y + near.y) / 2))
                // Anti-aliased: nearer the line's colour than the background.
                func distance(_ a: RGB, _ b: RGB) -> Int {
                    abs(Int(a.r) - Int(b.r)) + abs(Int(a.g) - Int(b.g)) + abs(Int(a.b) - Int(b.b))
                }
                let ink = out.image[mid.x, mid.y]
                #expect(distance(ink, color) < distance(ink, grey), "no leader line to number \(n): \(ink)")
            }
            // The tag is filled in the colour of the dot it stands for, which is drawn on top.
            if !numbers.contains(where: { $0.indices != n.indices && $0.box.intersects(n.box) }) {
                #expect(out.image[n.box.x, n.box.y] == color, "\(n)")
            }
            if !n.box.contains(Int(c.x), Int(c.y)) { #expect(out.image[Int(c.x), Int(c.y)] == color, "\(n)") }
        }
        // Tags beside their dots do not overlap one another.
        let beside = numbers.filter {
            !$0.box.contains(Int(points[$0.indices[0]].point.x), Int(points[$0.indices[0]].point.y))
        }
        #expect(!beside.isEmpty)
        for (i, a) in beside.enumerated() {
            for b in beside[(i + 1)...] { #expect(!a.box.intersects(b.box), "\(a) and \(b)") }
        }
        #expect(OverlayRenderer.numbers(ofIndices: [0, 1, 2, 4, 6, 7]) == "1-3,5,7,8")
        // A leader is blocked by a rectangle it passes through, not by one it touches or misses.
        let r = PixelRect(x: 10, y: 10, width: 10, height: 10)
        func passes(_ a: (Double, Double), _ b: (Double, Double)) -> Bool {
            OverlayRenderer.segment(
                from: CanvasPoint(x: a.0, y: a.1), to: CanvasPoint(x: b.0, y: b.1), passesThrough: r)
        }
        #expect(passes((0, 15), (30, 15)) && passes((0, 0), (12, 12)) && passes((15, 15), (15, 15)))
        #expect(!passes((0, 10), (30, 10)) && !passes((0, 15), (10, 15)) && !passes((0, 0), (30, 5)))
        #expect(!passes((0, 21), (30, 21)) && !passes((25, 0), (25, 30)))
    }

    // MARK: - Montage

    @Test("a montage holds one panel per keypoint in a grid, each panel as rendered alone")
    func montage() throws {
        let photo = HeatmapRendererTests.texturedPhoto(600, 400)
        let names = ["beak", "crown", "left eye", "nape", "tail"]
        let entries = names.enumerated().map { i, name in
            MontageEntry(
                samples: Self.samples(width: 600, height: 400, low: Double(i), high: Double(i) + 0.5),
                prediction: Point(x: 100 + 80 * Double(i), y: 200),
                annotation: HeatmapAnnotation(title: name, subtitle: ["\"This is the \(name) of a bird\""]))
        }
        let renderer = MontageRenderer(maxSide: 900)
        let montage = try renderer.render(photo: photo, entries: entries, title: "bird.jpg: 5 keypoints")
        #expect(montage.panelRects.count == names.count && montage.panels.count == names.count)
        #expect(montage.columns == 3)  // ceil(sqrt(5))
        for (i, r) in montage.panelRects.enumerated() {
            #expect(r.x >= 0 && r.maxX <= montage.image.width && r.maxY <= montage.image.height)
            for other in montage.panelRects[(i + 1)...] { #expect(!r.intersects(other)) }
            // Each panel's photo fits maxSide / columns = 300 px.
            let photoRect = montage.panels[i].annotated.photoRect
            #expect(photoRect.width == 300 && photoRect.height == 200)
            // The montage holds the panel's pixels.
            let panel = montage.panels[i].annotated.image
            #expect(montage.image[r.x + 5, r.y + 5] == panel[5, 5])
            #expect(montage.image[r.maxX - 3, r.maxY - 3] == panel[panel.width - 3, panel.height - 3])
        }
        // Row-major: panels 0-2 in the first row, 3-4 in the second.
        #expect(montage.panelRects[2].y == montage.panelRects[0].y && montage.panelRects[3].y > montage.panelRects[0].y)
        #expect(throws: CanvasError.self) { try renderer.render(photo: photo, entries: [], title: "none") }
    }
}
