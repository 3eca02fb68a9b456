import Foundation
import Testing

@testable import Imaging

@Suite("Canvas geometry")
struct CanvasGeometryTests {
    /// Round trips are pure float arithmetic (a scale and an offset): far below 1e-4 px.
    static let roundTripTolerance = 1e-4

    static let sizes = [(37, 23), (41, 97), (301, 199), (640, 480), (336, 336), (1, 5)]

    /// Deterministic points spread over [0, w) x [0, h), including corners.
    static func points(_ w: Int, _ h: Int) -> [Point] {
        var pts = [
            Point(x: 0, y: 0), Point(x: Double(w) - 1e-3, y: Double(h) - 1e-3),
            Point(x: Double(w) / 2, y: Double(h) / 2),
        ]
        var s: UInt64 = 12345
        for _ in 0..<50 {
            s = s &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            let u = Double(s >> 11) / Double(1 << 53)
            s = s &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            let v = Double(s >> 11) / Double(1 << 53)
            pts.append(Point(x: u * Double(w), y: v * Double(h)))
        }
        return pts
    }

    @Test("round trip original -> canvas -> original, every fit mode", arguments: FitMode.allCases)
    func roundTrip(_ mode: FitMode) throws {
        for (w, h) in Self.sizes {
            for S in [224, 336] {
                let g = try CanvasGeometry(imageWidth: w, imageHeight: h, size: S, fitMode: mode)
                for p in Self.points(w, h) {
                    let q = g.imagePoint(fromCanvas: g.canvasPoint(fromImage: p))
                    #expect(
                        abs(q.x - p.x) <= Self.roundTripTolerance && abs(q.y - p.y) <= Self.roundTripTolerance,
                        "\(mode) \(w)x\(h) S \(S): \(p) -> \(q)")
                }
                // And canvas -> original -> canvas over the canvas.
                for p in Self.points(S, S) {
                    let c = CanvasPoint(x: p.x, y: p.y)
                    let back = g.canvasPoint(fromImage: g.imagePoint(fromCanvas: c))
                    #expect(
                        abs(back.x - c.x) <= Self.roundTripTolerance && abs(back.y - c.y) <= Self.roundTripTolerance)
                }
            }
        }
    }

    @Test("crop mode follows torchvision Resize + CenterCrop")
    func cropModeNumbers() throws {
        // 640x480 -> shorter side 336, longer int(336 * 640 / 480) = 448; crop offset (448 - 336) / 2 = 56.
        let g = try CanvasGeometry(imageWidth: 640, imageHeight: 480, size: 336, fitMode: .crop)
        #expect(g.resizedWidth == 448 && g.resizedHeight == 336 && g.offsetX == -56 && g.offsetY == 0)
        #expect(g.canvasPoint(fromImage: Point(x: 320, y: 240)) == CanvasPoint(x: 168, y: 168))
        // 41x97 at 336: longer int(336 * 97 / 41) = int(794.93) = 794, offset (794 - 336) / 2 = 229.
        let t = try CanvasGeometry(imageWidth: 41, imageHeight: 97, size: 336, fitMode: .crop)
        #expect(t.resizedWidth == 336 && t.resizedHeight == 794 && t.offsetY == -229)
        // Round half to even (Python round): 225x224 at 224 -> (225 - 224) / 2 = 0.5 -> 0;
        // 227x224 -> 1.5 -> 2. Round-half-up would give 1 and 2, floor 0 and 1.
        #expect(try CanvasGeometry(imageWidth: 225, imageHeight: 224, size: 224, fitMode: .crop).offsetX == 0)
        #expect(try CanvasGeometry(imageWidth: 227, imageHeight: 224, size: 224, fitMode: .crop).offsetX == -2)
    }

    @Test("crop mode: points cut off by the centre crop are outside the canvas")
    func cropModeOutOfCanvas() throws {
        let g = try CanvasGeometry(imageWidth: 640, imageHeight: 480, size: 336, fitMode: .crop)
        // Canvas x = 0.7 x - 56: the canvas shows original x in [80, 560).
        #expect(!g.canvasContains(Point(x: 10, y: 240)))
        #expect(!g.canvasContains(Point(x: 79.9, y: 240)))
        #expect(g.canvasContains(Point(x: 80, y: 240)))
        #expect(g.canvasContains(Point(x: 320, y: 0)))
        #expect(g.canvasContains(Point(x: 559.9, y: 479.9)))
        #expect(!g.canvasContains(Point(x: 560, y: 240)))
        #expect(!g.canvasContains(Point(x: 320, y: -0.1)))
        #expect(!g.canvasContains(Point(x: 320, y: 480)))
        // Every canvas point shows photo content in crop mode.
        #expect(g.imageRectOnCanvas == PixelRect(x: 0, y: 0, width: 336, height: 336))
        // In pad and stretch modes nothing inside the photo is cut off.
        for mode in [FitMode.pad, .stretch] {
            let p = try CanvasGeometry(imageWidth: 640, imageHeight: 480, size: 336, fitMode: mode)
            #expect(p.canvasContains(Point(x: 10, y: 240)) && p.canvasContains(Point(x: 639.9, y: 479.9)))
        }
    }

    @Test("pad mode: letterbox numbers, grey padding, padding is not photo")
    func padMode() throws {
        // 640x480 -> 336 x round(336 * 480 / 640) = 336 x 252, offset (336 - 252) / 2 = 42.
        let g = try CanvasGeometry(imageWidth: 640, imageHeight: 480, size: 336, fitMode: .pad)
        #expect(g.resizedWidth == 336 && g.resizedHeight == 252 && g.offsetX == 0 && g.offsetY == 42)
        #expect(!g.imageContains(CanvasPoint(x: 100, y: 41.9)))
        #expect(g.imageContains(CanvasPoint(x: 100, y: 42)))
        #expect(!g.imageContains(CanvasPoint(x: 100, y: 294)))
        let photo = RGBImage(width: 640, height: 480, fill: RGB(10, 200, 30))
        let canvas = try g.makeCanvas(from: photo)
        #expect(canvas.width == 336 && canvas.height == 336)
        #expect(canvas[5, 5] == CanvasGeometry.defaultPadColor && canvas[5, 330] == CanvasGeometry.defaultPadColor)
        #expect(canvas[5, 41] == RGB(123, 117, 104))
        #expect(canvas[5, 42] == RGB(10, 200, 30) && canvas[200, 293] == RGB(10, 200, 30))
        #expect(canvas[200, 294] == RGB(123, 117, 104))
        // A tall odd image: 41x97 -> round(336 * 41 / 97) = round(142.02) = 142 wide, offset 97.
        let t = try CanvasGeometry(imageWidth: 41, imageHeight: 97, size: 336, fitMode: .pad)
        #expect(t.resizedWidth == 142 && t.resizedHeight == 336 && t.offsetX == 97 && t.offsetY == 0)
    }

    @Test("stretch mode scales each axis to S")
    func stretchMode() throws {
        let g = try CanvasGeometry(imageWidth: 301, imageHeight: 199, size: 224, fitMode: .stretch)
        let c = g.canvasPoint(fromImage: Point(x: 301, y: 199))
        #expect(abs(c.x - 224) < 1e-9 && abs(c.y - 224) < 1e-9)
    }

    @Test("makeCanvas: S x S in every mode; crop mode equals the CLIP preprocessor", arguments: FitMode.allCases)
    func makeCanvas(_ mode: FitMode) throws {
        var photo = RGBImage(width: 61, height: 37)
        for y in 0..<37 { for x in 0..<61 { photo[x, y] = RGB(UInt8(x * 4), UInt8(y * 6), UInt8((x + y) % 256)) } }
        let g = try CanvasGeometry(imageWidth: 61, imageHeight: 37, size: 48, fitMode: mode)
        let canvas = try g.makeCanvas(from: photo)
        #expect(canvas.width == 48 && canvas.height == 48)
        if mode == .crop {
            let clip = ImagePreprocessor(size: 48, mean: [0.5, 0.5, 0.5], std: [1, 1, 1]).resizedAndCropped(photo)
            #expect(canvas == clip)
        }
        #expect(throws: CanvasError.self) { try g.makeCanvas(from: RGBImage(width: 60, height: 37)) }
    }

    // MARK: - Boxes

    @Test("box validation errors name the image and the box")
    func boxErrors() {
        let bad: [(Box, String)] = [
            (Box(x: 10, y: 10, width: 100, height: 20), "right edge"),  // 110 > 64 + 1
            (Box(x: 10, y: 40, width: 10, height: 20), "bottom edge"),  // 60 > 48 + 1
            (Box(x: -5, y: 0, width: 10, height: 10), "left of or above"),
            (Box(x: 0, y: 0, width: 0, height: 10), "empty"),
            (Box(x: .nan, y: 0, width: 5, height: 5), "not finite"),
            (Box(x: 64.5, y: 0, width: 0.4, height: 5), "no area"),  // inside the tolerance, but beyond the image
        ]
        for (box, reason) in bad {
            do {
                _ = try CanvasGeometry(
                    imageWidth: 64, imageHeight: 48, box: box, label: "bird_042.jpg", size: 32,
                    fitMode: .pad)
                Issue.record("\(box) accepted")
            } catch let e as CanvasError {
                #expect(e.description.contains("bird_042.jpg"), "\(e)")
                #expect(e.description.contains(reason), "\(e)")
                #expect(e.description.contains("64x48"), "\(e)")
            } catch {
                Issue.record("unexpected \(error)")
            }
        }
        // Within the 1 px tolerance: clamped, accepted.
        #expect(throws: Never.self) {
            let b = try Box(x: -0.5, y: 0, width: 65, height: 48.5).validated(imageWidth: 64, imageHeight: 48)
            #expect(b == Box(x: 0, y: 0, width: 64, height: 48))
        }
    }

    @Test("crop-to-box: coordinates come back in original pixels", arguments: FitMode.allCases)
    func cropToBox(_ mode: FitMode) throws {
        let box = Box(x: 100.5, y: 40, width: 201.25, height: 99)
        let g = try CanvasGeometry(imageWidth: 640, imageHeight: 480, box: box, size: 224, fitMode: mode)
        #expect(g.source == PixelRect(x: 100, y: 40, width: 202, height: 99))  // floor(100.5) ..< ceil(301.75)
        for p in Self.points(202, 99) {
            let q = Point(x: p.x + 100, y: p.y + 40)
            let back = g.imagePoint(fromCanvas: g.canvasPoint(fromImage: q))
            #expect(abs(back.x - q.x) <= Self.roundTripTolerance && abs(back.y - q.y) <= Self.roundTripTolerance)
        }
        // Points outside the box are not on the canvas, whatever the fit mode.
        #expect(!g.canvasContains(Point(x: 50, y: 60)))
        #expect(!g.canvasContains(Point(x: 200, y: 200)))
        #expect(g.canvasContains(Point(x: 201, y: 89.5)))  // the box centre
        // The canvas of the box equals the plain canvas of the cropped photo.
        var photo = RGBImage(width: 640, height: 480)
        for y in 0..<480 {
            for x in 0..<640 { photo[x, y] = RGB(UInt8(x % 256), UInt8(y % 256), UInt8((x ^ y) % 256)) }
        }
        let cropped = photo.cropped(x: 100, y: 40, width: 202, height: 99)
        let plain = try CanvasGeometry(imageWidth: 202, imageHeight: 99, size: 224, fitMode: mode)
        #expect(try g.makeCanvas(from: photo) == plain.makeCanvas(from: cropped))
        // And maps points the same way, shifted by the box origin.
        let c1 = g.canvasPoint(fromImage: Point(x: 150, y: 70))
        let c2 = plain.canvasPoint(fromImage: Point(x: 50, y: 30))
        #expect(abs(c1.x - c2.x) < 1e-9 && abs(c1.y - c2.y) < 1e-9)
    }

    /// How far a blob's intensity centroid on the canvas may be from where `canvasPoint` puts its
    /// centre, in canvas pixels. Why: the bicubic resize is linear up to rounding to 8 bits and
    /// its kernel is symmetric, so the centroid moves by far less than 0.1 px, while a half-pixel
    /// convention error would move it by half a photo pixel, at least 1.12 canvas pixels here.
    static let blobCentroidTolerance = 0.1

    @Test("a photo pixel's centre lands on the canvas where canvasPoint puts it", arguments: FitMode.allCases)
    func pixelCentreOnCanvas(_ mode: FitMode) throws {
        // A 5 x 5 block centred on pixel (40, 30) of a 100 x 75 photo: its centre is (40.5, 30.5).
        var photo = RGBImage(width: 100, height: 75, fill: RGB(128, 128, 128))
        for y in 28...32 { for x in 38...42 { photo[x, y] = RGB(228, 228, 228) } }
        for (box, crop) in [(nil, false), (Box(x: 20, y: 10, width: 50, height: 45), true)] as [(Box?, Bool)] {
            let g =
                try crop
                ? CanvasGeometry(imageWidth: 100, imageHeight: 75, box: box!, size: 224, fitMode: mode)
                : CanvasGeometry(imageWidth: 100, imageHeight: 75, size: 224, fitMode: mode)
            let canvas = try g.makeCanvas(from: photo)
            let expected = g.canvasPoint(fromImage: Point(x: 40.5, y: 30.5))
            var (sum, sx, sy) = (0.0, 0.0, 0.0)
            for y in 0..<224 {
                for x in 0..<224 where abs(Double(x) + 0.5 - expected.x) < 25 && abs(Double(y) + 0.5 - expected.y) < 25
                {
                    let w = Double(canvas[x, y].r) - 128
                    sum += w
                    sx += w * (Double(x) + 0.5)
                    sy += w * (Double(y) + 0.5)
                }
            }
            #expect(sum > 0)
            #expect(
                abs(sx / sum - expected.x) < Self.blobCentroidTolerance
                    && abs(sy / sum - expected.y) < Self.blobCentroidTolerance,
                "\(mode) box \(String(describing: box)): centroid (\(sx / sum), \(sy / sum)), canvasPoint \(expected)")
            // And back: the canvas point maps to the pixel's centre.
            let back = g.imagePoint(fromCanvas: expected)
            #expect(abs(back.x - 40.5) < 1e-9 && abs(back.y - 30.5) < 1e-9)
        }
    }

    @Test("the pixels a box covers in an image: [floor x, ceil(x + w)), cut to the image")
    func boxPixels() {
        // SPair-71k's bndbox [145, 74, 366, 284] as x, y, w, h: columns 145..<366, rows 74..<284.
        #expect(
            Box(x: 145, y: 74, width: 221, height: 210).pixels(inImageWidth: 500, imageHeight: 375)
                == PixelRect(x: 145, y: 74, width: 221, height: 210))
        #expect(
            Box(x: 100.5, y: 40, width: 201.25, height: 99).pixels(inImageWidth: 640, imageHeight: 480)
                == PixelRect(x: 100, y: 40, width: 202, height: 99))
        // A corner on the image's edge (x2 = W, as SPair writes it) and one past it are cut to the image.
        #expect(
            Box(x: 2, y: 1, width: 370, height: 499).pixels(inImageWidth: 375, imageHeight: 500)
                == PixelRect(x: 2, y: 1, width: 370, height: 499))
        #expect(
            Box(x: -0.5, y: 0, width: 376.5, height: 501).pixels(inImageWidth: 375, imageHeight: 500)
                == PixelRect(x: 0, y: 0, width: 375, height: 500))
        // Outside the image: empty. Huge or infinite values do not trap.
        #expect(Box(x: 600, y: 0, width: 10, height: 10).pixels(inImageWidth: 500, imageHeight: 375).isEmpty)
        #expect(
            Box(x: 10, y: 20, width: 1e300, height: .infinity).pixels(inImageWidth: 500, imageHeight: 375)
                == PixelRect(x: 10, y: 20, width: 490, height: 355))
    }

    @Test("invalid sizes are errors")
    func invalidSizes() {
        #expect(throws: CanvasError.self) { try CanvasGeometry(imageWidth: 0, imageHeight: 5, size: 10, fitMode: .pad) }
        #expect(throws: CanvasError.self) { try CanvasGeometry(imageWidth: 5, imageHeight: 5, size: 0, fitMode: .crop) }
    }
}
