import Foundation
import Testing

@testable import Imaging

/// The crop baseline (issue 10 item 5): a square of the ORIGINAL photo around each candidate,
/// clamped inside the photo or box, resized with Pillow-exact bicubic; against Pillow
/// (Fixtures/make_candidate_crop_golden.py) and against the engine's own CLIP preprocessing of
/// the crop as a photo of its own.
@Suite struct CandidateCropTests {
    /// Crop and resize are bit-exact ports of Pillow: no difference allowed.
    static let pixelTolerance = 0

    struct Manifest: Decodable {
        struct Case: Decodable {
            var name: String
            var x: Double
            var y: Double
            var region: [Int]?
            var side: String
            var size: Int
            var window: [Int]
            var expected: String
        }
        var version: Int
        var source: String
        var cases: [Case]
    }

    static func url(_ name: String) -> URL {
        Bundle.module.resourceURL!.appendingPathComponent("Fixtures").appendingPathComponent(name)
    }

    @Test("crops equal Pillow's im.crop(window).resize((S, S), BICUBIC), windows the documented rule")
    func cropsMatchPillow() throws {
        let manifest = try JSONDecoder().decode(
            Manifest.self, from: Data(contentsOf: Self.url("candidate_crops/manifest.json")))
        try #require(manifest.version == 1, "candidate_crops/manifest.json: re-run make_candidate_crop_golden.py")
        #expect(manifest.cases.count == 7)
        let photo = try ImageCodec.decode(contentsOf: Self.url(manifest.source)).rgb
        for c in manifest.cases {
            let region = c.region.map { PixelRect(x: $0[0], y: $0[1], width: $0[2], height: $0[3]) }
            let renderer = try CandidateCropRenderer(
                photo: photo, region: region, side: try CropSide(parsing: c.side), outputSize: c.size)
            let p = Point(x: c.x, y: c.y)
            let w = renderer.window(at: p)
            #expect([w.x, w.y, w.width, w.height] == c.window, "\(c.name): window \(w)")
            let expected = try ImageCodec.decode(contentsOf: Self.url("candidate_crops/\(c.expected)")).rgb
            let out = renderer.render(at: p)
            let diff = zip(out.pixels, expected.pixels).map { abs(Int($0) - Int($1)) }.max() ?? 255
            #expect(out.width == c.size && out.height == c.size && diff <= Self.pixelTolerance, "\(c.name): \(diff)")
            // The same pixels as CLIP's own preprocessing of the crop saved as a photo of its own.
            let crop = photo.cropped(x: w.x, y: w.y, width: w.width, height: w.height)
            let clip = ImagePreprocessor(size: c.size, mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5])
            #expect(clip.resizedAndCropped(crop) == out, "\(c.name)")
        }
    }

    @Test("one output and one scratch reused over candidates and sizes give each window's own resize")
    func reusedBuffersGiveEachWindowsOwnResize() throws {
        let photo = HeatmapRendererTests.texturedPhoto(160, 120)
        var scratch = CandidateScratch()
        // Sides above (shrink), at (copy) and below (enlarge) the output with one scratch: an
        // earlier, larger intermediate pass must not leak into a later, smaller one.
        for (side, size) in [(90, 32), (32, 32), (20, 32), (60, 24)] {
            let r = try CandidateCropRenderer(photo: photo, side: .pixels(side), outputSize: size)
            var out = r.makeOutputBuffer()
            for p in [Point(x: 3, y: 4), Point(x: 80.4, y: 60.6), Point(x: 150, y: 115)] {
                r.render(at: p, into: &out, scratch: &scratch)
                let w = r.window(at: p)
                let fresh = Resample.bicubic(
                    photo.cropped(x: w.x, y: w.y, width: w.width, height: w.height), width: size, height: size)
                #expect(out == fresh, "side \(side) -> \(size) at \(p)")
            }
        }
        // Windows that are not square: the vertical pass first (the height shrinks by more than
        // twice what the width does), one axis kept, both enlarged.
        for (w, h, ow, oh) in [(40, 90, 30, 20), (50, 30, 50, 12), (50, 30, 20, 30), (33, 47, 64, 64)] {
            let resize = Resample.BicubicResize(inputWidth: w, inputHeight: h, outputWidth: ow, outputHeight: oh)
            var out = RGBImage(width: ow, height: oh)
            for (x, y) in [(0, 0), (160 - w, 120 - h), (17, 9)] {
                resize.resize(
                    photo, window: PixelRect(x: x, y: y, width: w, height: h), into: &out, scratch: &scratch.resample)
                let fresh = Resample.bicubic(photo.cropped(x: x, y: y, width: w, height: h), width: ow, height: oh)
                #expect(out == fresh, "\(w)x\(h) -> \(ow)x\(oh) at (\(x), \(y))")
            }
        }
    }

    @Test("windows: centred within half a pixel inside, clamped (same side) at every border")
    func windowsClampInsideTheRegion() throws {
        let photo = RGBImage(width: 120, height: 80)
        let r = try CandidateCropRenderer(photo: photo, side: .fraction(0.25), outputSize: 32)  // side 20
        #expect(r.side == 20)
        for y in stride(from: 0.0, to: 80, by: 3.7) {
            for x in stride(from: 0.0, to: 120, by: 3.3) {
                let w = r.window(at: Point(x: x, y: y))
                #expect(w.width == 20 && w.height == 20)
                #expect(w.x >= 0 && w.y >= 0 && w.maxX <= 120 && w.maxY <= 80, "(\(x), \(y)): \(w)")
                // The candidate stays inside its window.
                #expect(x >= Double(w.x) && x < Double(w.maxX) && y >= Double(w.y) && y < Double(w.maxY))
                // Away from the borders the window is centred on the candidate.
                if x >= 10.5 && x <= 109.5 { #expect(abs(Double(w.x) + 10 - x) <= 0.5, "x \(x): \(w)") }
                if y >= 10.5 && y <= 69.5 { #expect(abs(Double(w.y) + 10 - y) <= 0.5, "y \(y): \(w)") }
            }
        }
        #expect(r.window(at: Point(x: 0.2, y: 79.9)) == PixelRect(x: 0, y: 60, width: 20, height: 20))
        #expect(r.window(at: Point(x: 119.9, y: 0.1)) == PixelRect(x: 100, y: 0, width: 20, height: 20))
        // Inside a box region: a side larger than the box is capped at its shorter side.
        let boxed = try CandidateCropRenderer(
            photo: photo, region: PixelRect(x: 30, y: 10, width: 50, height: 40), side: .pixels(64), outputSize: 32)
        #expect(boxed.side == 40)
        #expect(boxed.window(at: Point(x: 31, y: 49)) == PixelRect(x: 30, y: 10, width: 40, height: 40))
        #expect(boxed.window(at: Point(x: 79, y: 11)) == PixelRect(x: 40, y: 10, width: 40, height: 40))
    }

    @Test(
        "CandidateRenderer: crop prompt cuts the photo inside the geometry's source; marker prompt draws on the canvas")
    func candidateRenderer() throws {
        var photo = RGBImage(width: 90, height: 60, fill: RGB(255, 255, 255))
        for y in 0..<60 { for x in 0..<45 { photo[x, y] = RGB(0, 0, 0) } }
        let geometry = try CanvasGeometry(imageWidth: 90, imageHeight: 60, size: 32, fitMode: .pad)
        let crop = try CandidateRenderer(prompt: .crop(.pixels(10)), photo: photo, geometry: geometry)
        #expect(crop.render(at: Point(x: 20, y: 30)).pixels.allSatisfy { $0 == 0 })
        #expect(crop.render(at: Point(x: 70, y: 30)).pixels.allSatisfy { $0 == 255 })
        #expect(crop.cropWindow(at: Point(x: 45, y: 30)) == PixelRect(x: 40, y: 25, width: 10, height: 10))
        // Crop-to-box geometry: windows stay inside the box's pixels.
        let boxGeometry = try CanvasGeometry(
            imageWidth: 90, imageHeight: 60, box: Box(x: 50, y: 10, width: 30, height: 40), size: 32, fitMode: .pad)
        let boxed = try CandidateRenderer(prompt: .crop(.fraction(0.5)), photo: photo, geometry: boxGeometry)
        #expect(boxed.cropWindow(at: Point(x: 51, y: 11)) == PixelRect(x: 50, y: 10, width: 15, height: 15))
        #expect(boxed.render(at: Point(x: 51, y: 11)).pixels.allSatisfy { $0 == 255 })
        // Marker prompt: the fitted canvas with the marker, as VisualPromptRenderer draws it.
        let marker = try CandidateRenderer(prompt: .paper, photo: photo, geometry: geometry)
        let p = Point(x: 30, y: 20)
        let expected = try VisualPromptRenderer(prompt: .paper, canvas: try geometry.makeCanvas(from: photo))
            .render(at: geometry.canvasPoint(fromImage: p))
        #expect(marker.render(at: p) == expected && marker.cropWindow(at: p) == nil)
        #expect(throws: CanvasError.self) {
            try CandidateRenderer(prompt: .paper, photo: RGBImage(width: 10, height: 10), geometry: geometry)
        }
        // The crop prompt is not drawn on a canvas.
        #expect(throws: CanvasError.self) {
            try VisualPromptRenderer(prompt: .crop(.standard), canvas: RGBImage(width: 32, height: 32))
        }
    }

    @Test("CropSide parses fractions and pixels, refuses the rest")
    func cropSideParsing() throws {
        #expect(try CropSide(parsing: "0.3") == .fraction(0.3))
        #expect(try CropSide(parsing: " 64PX ") == .pixels(64))
        #expect(CropSide.fraction(0.25).pixels(shorterSide: 375) == 94)
        #expect(CropSide.fraction(0.001).pixels(shorterSide: 100) == 1)
        #expect(CropSide.pixels(500).pixels(shorterSide: 100) == 100)
        #expect(CropSide.pixels(64).argument == "64px" && CropSide.standard.argument == "0.25")
        for bad in ["0", "1.5", "-0.2", "nan", "0px", "2.5px", "abc", ""] {
            #expect(throws: CanvasError.self, "\(bad)") { try CropSide(parsing: bad) }
        }
    }
}
