import Foundation
import Testing

@testable import Imaging

@Suite("Heatmaps, overlays, font, colour maps")
struct HeatmapRendererTests {
    /// 10 x 10 grid over a 300 x 200 photo, scores from exactly 0.2113 (top left) to 0.2764
    /// (bottom right).
    static func gridSamples(width: Double = 300, height: Double = 200) -> [ScoreSample] {
        var out: [ScoreSample] = []
        for j in 0..<10 {
            for i in 0..<10 {
                let f = Double(i + j) / 18
                out.append(
                    ScoreSample(
                        x: (Double(i) + 0.5) * width / 10, y: (Double(j) + 0.5) * height / 10,
                        score: 0.2113 + (0.2764 - 0.2113) * f))
            }
        }
        return out
    }

    static func texturedPhoto(_ w: Int, _ h: Int) -> RGBImage {
        var img = RGBImage(width: w, height: h)
        for y in 0..<h { for x in 0..<w { img[x, y] = RGB(UInt8((x * 3) % 256), UInt8((y * 5) % 256), 90) } }
        return img
    }

    // MARK: - Heatmap

    @Test("heatmap PNG: expected size, prediction pixel has the marker colour")
    func heatmapPNG() throws {
        let r = HeatmapRenderer()
        let panel = try r.render(
            photo: Self.texturedPhoto(300, 200), samples: Self.gridSamples(),
            prediction: Point(x: 150.3, y: 80.6), title: "beak")
        // Layout (HeatmapRenderer, design sizes at FigureScale 1 for a 300 px photo): margin 10,
        // title 22, gap 8, photo 200, gap 8, bar 14, ticks 5, gap 4, tick labels 14, margin 10
        // -> 10+22+8+200+8+14+5+4+14+10 = 295 high; content max(300, 260): 10 + 300 + 10 = 320 wide.
        let png = try ImageCodec.encodePNG(panel.image)
        let decoded = try ImageCodec.decode(data: png, name: "heatmap.png").rgb
        #expect(decoded.width == 320 && decoded.height == 295)
        #expect(panel.photoRect == PixelRect(x: 10, y: 40, width: 300, height: 200))
        // Prediction (150.3, 80.6) -> panel (160.3, 120.6): pixel (160, 120) lies fully inside
        // the cross's horizontal arm (|dy| <= 0.54 < t/2 = 1.25): pure prediction colour.
        #expect(decoded[160, 120] == RGB(255, 0, 0))
        // Its white outline (1.5 px around each arm): pixel (162, 122) has samples at
        // |dx| in [1.76, 2.64], |dy| in [1.46, 2.34]: off both red arms (|.| <= 1.25), inside the
        // outlined horizontal arm (|dy| <= 2.75, |dx| <= 11.5): pure white.
        #expect(decoded[162, 122] == RGB(255, 255, 255))
    }

    @Test("heatmap writes the title and round tick values under the colour bar")
    func rangeText() throws {
        let panel = try HeatmapRenderer().renderPanel(
            photo: Self.texturedPhoto(300, 200), samples: Self.gridSamples(),
            prediction: nil, annotation: HeatmapAnnotation(title: "beak"))
        // Scores 0.2113 ... 0.2764: steps of 0.01 give six labels, too many for a 300 px bar
        // at 14 px text (each label gets twice its width), so steps of 0.02.
        #expect(panel.ticks.map { ($0 * 100).rounded() } == [22, 24, 26])
        #expect(panel.colorBarRect == PixelRect(x: 10, y: 248, width: 300, height: 14))
        // The labels "0.22", "0.24", "0.26" centred under their places on the bar, at y 271.
        let image = panel.annotated.image
        let font = TextStyle(height: 14, color: HeatmapRenderer.textColor)
        var expected = image
        CanvasDrawing.fill(
            &expected, PixelRect(x: 0, y: 271, width: 320, height: 14), color: HeatmapRenderer.background)
        for (value, text) in zip([0.22, 0.24, 0.26], ["0.22", "0.24", "0.26"]) {
            let x = 10 + (value - 0.2113) / (0.2764 - 0.2113) * 300
            font.draw(text, on: &expected, x: x - font.width(of: text) / 2, y: 271)
        }
        #expect(expected == image)
        // And the title "beak" at (10, 10), 22 px high.
        var title = image
        CanvasDrawing.fill(&title, PixelRect(x: 0, y: 10, width: 320, height: 22), color: HeatmapRenderer.background)
        TextStyle(height: 22, color: HeatmapRenderer.textColor).draw("beak", on: &title, x: 10, y: 10)
        #expect(title == image)
    }

    @Test("nearest-sample fill with viridis at opacity 0.55; unsampled regions stay untinted")
    func nearestSampleFill() throws {
        let grey = RGB(100, 100, 100)
        let photo = RGBImage(width: 100, height: 60, fill: grey)
        let samples = [ScoreSample(x: 20, y: 30, score: 0), ScoreSample(x: 80, y: 30, score: 1)]
        let r = HeatmapRenderer(showSampleDots: false)
        let panel = try r.render(photo: photo, samples: samples, prediction: nil, title: "t")
        func at(_ x: Int, _ y: Int) -> RGB { panel.image[panel.photoRect.x + x, panel.photoRect.y + y] }
        // Blend: (photo * (256 - a) + colour * a + 128) >> 8, a = round(0.55 * 256) = 141.
        // viridis[0] = (68, 1, 84), viridis[255] = (253, 231, 37) (matplotlib _viridis_data * 255).
        func blend(_ c: RGB) -> RGB {
            func ch(_ v: UInt8) -> UInt8 { UInt8((100 * 115 + Int(v) * 141 + 128) >> 8) }
            return RGB(ch(c.r), ch(c.g), ch(c.b))
        }
        #expect(at(10, 30) == blend(RGB(68, 1, 84)))  // nearest: the low sample
        #expect(at(95, 30) == blend(RGB(253, 231, 37)))  // nearest: the high sample
        #expect(at(49, 59) == blend(RGB(68, 1, 84)))  // x = 49.5 is still nearer the left one
        #expect(at(50, 59) == blend(RGB(253, 231, 37)))

        // Samples only on the left (3 x 6 grid, step 10, x = 5, 15, 25): the largest
        // 4th-nearest-neighbour spacing is a corner's, 20 (two steps along an edge), so paint
        // reaches R = 0.75 * 20 = 15 px from the nearest sample; the rest is the plain photo.
        var left: [ScoreSample] = []
        for j in 0..<6 {
            for i in 0..<3 { left.append(ScoreSample(x: Double(5 + 10 * i), y: Double(5 + 10 * j), score: Double(i))) }
        }
        let partial = try r.render(photo: photo, samples: left, prediction: nil, title: "t")
        let p = partial.photoRect
        #expect(partial.image[p.x + 60, p.y + 30] == grey)
        // Pixel (41, 30), centre (41.5, 30.5): nearest samples (25, 25), (25, 35) at 17.4 > 15.
        #expect(partial.image[p.x + 41, p.y + 30] == grey)
        // Pixel (38, 30): 14.6 < 15, painted with the score-2 colour (viridis[255]).
        #expect(partial.image[p.x + 38, p.y + 30] == blend(RGB(253, 231, 37)))
        #expect(partial.image[p.x + 5, p.y + 5] == blend(RGB(68, 1, 84)))
    }

    @Test("large photos are downscaled for display; the prediction still lands on its pixel")
    func downscaled() throws {
        let photo = Self.texturedPhoto(1024, 768)
        let panel = try HeatmapRenderer(maxDisplaySide: 512).render(
            photo: photo, samples: Self.gridSamples(width: 1024, height: 768),
            prediction: Point(x: 512, y: 384), title: "left eye")
        #expect(panel.photoRect.width == 512 && panel.photoRect.height == 384)
        let c = panel.panelPoint(fromImage: Point(x: 512, y: 384))
        #expect(panel.image[Int(c.x), Int(c.y)] == RGB(255, 0, 0))
        // A downscaled copy with the original size given: the same panel.
        let small = Resample.bicubic(photo, width: 512, height: 384)
        let again = try HeatmapRenderer(maxDisplaySide: 512).render(
            photo: small, originalWidth: 1024, originalHeight: 768,
            samples: Self.gridSamples(width: 1024, height: 768),
            prediction: Point(x: 512, y: 384), title: "left eye")
        #expect(again == panel)
    }

    @Test("invalid samples are errors naming the sample")
    func invalidSamples() {
        let photo = RGBImage(width: 10, height: 10)
        #expect(throws: CanvasError.self) {
            try HeatmapRenderer().render(photo: photo, samples: [], prediction: nil, title: "x")
        }
        do {
            _ = try HeatmapRenderer().render(
                photo: photo,
                samples: [
                    ScoreSample(x: 1, y: 1, score: 0),
                    ScoreSample(x: 2, y: 2, score: .nan),
                ],
                prediction: nil, title: "x")
            Issue.record("NaN accepted")
        } catch {
            #expect("\(error)".contains("score sample 1"), "\(error)")
        }
    }

    @Test("nearest-sample index agrees with brute force")
    func sampleIndex() {
        var s: UInt64 = 7
        func next() -> Double {
            s = s &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Double(s >> 11) / Double(1 << 53)
        }
        // Scattered points at mixed densities (like coarse-to-fine), some duplicated.
        var xs: [Double] = []
        var ys: [Double] = []
        for _ in 0..<60 {
            xs.append(next() * 400)
            ys.append(next() * 300)
        }
        for _ in 0..<60 {
            xs.append(200 + next() * 20)
            ys.append(150 + next() * 20)
        }
        xs.append(xs[3])
        ys.append(ys[3])
        let index = HeatmapSampleIndex(xs: xs, ys: ys, bounds: (0, 0, 400, 300))
        for _ in 0..<500 {
            let qx = next() * 440 - 20
            let qy = next() * 340 - 20
            var best = -1
            var bestD2 = Double.infinity
            for i in xs.indices {
                let d2 = (xs[i] - qx) * (xs[i] - qx) + (ys[i] - qy) * (ys[i] - qy)
                if d2 < bestD2 {
                    bestD2 = d2
                    best = i
                }
            }
            let got = index.nearest(qx, qy)
            #expect(got.index == best && got.distance2 == bestD2, "query (\(qx), \(qy))")
        }
    }

    // MARK: - Overlay

    @Test("overlay: dots in distinct colours, labels inside the image")
    func overlay() throws {
        let photo = RGBImage(width: 200, height: 100, fill: RGB(90, 90, 90))
        let points = [
            LabeledPoint(name: "beak", point: Point(x: 20.5, y: 50.5)),
            LabeledPoint(name: "right wing", point: Point(x: 195.5, y: 5.5)),
            LabeledPoint(name: "tail", point: Point(x: 100.5, y: 95.5)),
        ]
        let out = try OverlayRenderer().render(photo: photo, points: points)
        #expect(out.image.width == 200 && out.image.height == 100)
        for (i, p) in points.enumerated() {
            #expect(out.image[Int(p.point.x), Int(p.point.y)] == OverlayRenderer.color(forIndex: i))
        }
        #expect(Set((0..<20).map(OverlayRenderer.color(forIndex:))).count == 20)
        // "right wing" sits at the top-right corner: its label (10 chars: 49 x 7 + padding 2)
        // must go left of the dot and stay inside.
        let box = try #require(
            OverlayRenderer.placeLabel(
                size: (53, 11), near: CanvasPoint(x: 195.5, y: 5.5), dotRadius: 7,
                bounds: PixelRect(x: 0, y: 0, width: 200, height: 100), avoid: [],
                dots: [], ownDot: 0))
        #expect(box.x >= 0 && box.y >= 0 && box.maxX <= 200 && box.maxY <= 100)
        #expect(box.maxX <= 195 - 7)
        // The label's colour appears left of the dot in the image.
        let wing = OverlayRenderer.color(forIndex: 1)
        var found = 0
        for y in 0..<20 { for x in 120..<185 where out.image[x, y] == wing { found += 1 } }
        #expect(found > 100)
    }

    // MARK: - Colour maps

    @Test("colour map tables match matplotlib")
    func colormaps() {
        // python3: ast.literal_eval of matplotlib 3.11.2 _cm_listed.py: _viridis_data[0] =
        // [0.267004, 0.004874, 0.329415], [128] = [0.127568, 0.566949, 0.550556],
        // [255] = [0.993248, 0.906157, 0.143936]; _magma_data[0] = [0.001462, 0.000466, 0.013866],
        // [255] = [0.987053, 0.991438, 0.749504]; times 255, rounded.
        #expect(Colormap.viridis.entry(0) == RGB(68, 1, 84))
        #expect(Colormap.viridis.entry(128) == RGB(33, 145, 140))
        #expect(Colormap.viridis.entry(255) == RGB(253, 231, 37))
        #expect(Colormap.magma.entry(0) == RGB(0, 0, 4))
        #expect(Colormap.magma.entry(255) == RGB(252, 253, 191))
        #expect(Colormap.viridis.color(at: -1) == Colormap.viridis.entry(0))
        #expect(Colormap.viridis.color(at: 2) == Colormap.viridis.entry(255))
    }

    // MARK: - Preview (manual)

    /// Writes a heatmap and an overlay of a real photo for a person to look at:
    /// `KEYPOINTS_PREVIEW_DIR=/tmp swift test --filter HeatmapRendererTests/preview`.
    @Test(
        "preview PNGs (only with KEYPOINTS_PREVIEW_DIR)",
        .enabled(if: ProcessInfo.processInfo.environment["KEYPOINTS_PREVIEW_DIR"] != nil))
    func preview() throws {
        let dir = URL(fileURLWithPath: ProcessInfo.processInfo.environment["KEYPOINTS_PREVIEW_DIR"] ?? "/tmp")
        let source = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../../../shared/data/cub/CUB_200_2011/images").standardized
        let files = (try? FileManager.default.contentsOfDirectory(at: source, includingPropertiesForKeys: nil)) ?? []
        let folder = try #require(files.sorted { $0.path < $1.path }.first)
        let file = try #require(
            try FileManager.default.contentsOfDirectory(at: folder, includingPropertiesForKeys: nil)
                .sorted { $0.path < $1.path }.first)
        let photo = try ImageCodec.decode(contentsOf: file).rgb
        let W = Double(photo.width)
        let H = Double(photo.height)
        // A synthetic score field peaking at (0.6 W, 0.35 H): coarse 10x10 grid + fine samples.
        func score(_ x: Double, _ y: Double) -> Double {
            let dx = x / W - 0.6
            let dy = y / H - 0.35
            return 0.21 + 0.065 * exp(-(dx * dx + dy * dy) / 0.02)
        }
        var samples: [ScoreSample] = []
        for j in 0..<10 {
            for i in 0..<10 {
                let x = (Double(i) + 0.5) * W / 10
                let y = (Double(j) + 0.5) * H / 10
                samples.append(ScoreSample(x: x, y: y, score: score(x, y)))
            }
        }
        for j in -3...3 {
            for i in -3...3 {
                let x = 0.6 * W + Double(i) * W / 40
                let y = 0.35 * H + Double(j) * H / 40
                samples.append(ScoreSample(x: x, y: y, score: score(x, y)))
            }
        }
        let best = samples.max { $0.score < $1.score }!
        try HeatmapRenderer().writePNG(
            to: dir.appendingPathComponent("preview_heatmap.png"), photo: photo,
            samples: samples, prediction: Point(x: best.x, y: best.y),
            truth: Point(x: 0.58 * W, y: 0.37 * H), title: "left eye")
        let names = [
            "back", "beak", "belly", "breast", "crown", "forehead", "left eye", "left leg", "left wing",
            "nape", "right eye", "right leg", "right wing", "tail", "throat",
        ]
        let points = names.enumerated().map { i, n in
            LabeledPoint(
                name: n,
                point: Point(
                    x: W * (0.15 + 0.7 * Double((i * 7) % 15) / 14),
                    y: H * (0.1 + 0.8 * Double(i) / 14)))
        }
        try OverlayRenderer().writePNG(
            to: dir.appendingPathComponent("preview_overlay.png"), photo: photo,
            points: points)
        var canvas = try CanvasGeometry(imageWidth: photo.width, imageHeight: photo.height, size: 336, fitMode: .crop)
            .makeCanvas(from: photo)
        MarkerRenderer(style: .paper, shorterSide: 336).draw(on: &canvas, at: CanvasPoint(x: 200.3, y: 120.7))
        try ImageCodec.writePNG(canvas, to: dir.appendingPathComponent("preview_marker.png"))
        let blur = try VisualPromptRenderer(
            prompt: .markerBlurOutside(.paper, sigma: 6),
            canvas: try CanvasGeometry(
                imageWidth: photo.width, imageHeight: photo.height,
                size: 336, fitMode: .pad
            ).makeCanvas(from: photo))
        try ImageCodec.writePNG(
            blur.render(at: CanvasPoint(x: 200.3, y: 150.7)),
            to: dir.appendingPathComponent("preview_blur.png"))
    }
}
