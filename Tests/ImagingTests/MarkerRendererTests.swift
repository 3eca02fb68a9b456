import Foundation
import KeypointsSupport
import Testing

@testable import Imaging

/// Goldens come from an independent brute-force NumPy implementation of the same coverage
/// definition (every sample of every pixel, no bounding box or fast path):
///     python3 Tests/ImagingTests/Fixtures/markers/make_marker_golden.py
/// which writes Fixtures/markers/<case>.png and prints the FNV-1a 64 checksums below.
/// Spot pixels are reasoned out by hand in the comments (independent of both).
@Suite("Marker rendering")
struct MarkerRendererTests {
    // MARK: - Fixture cases (mirror CASES in make_marker_golden.py)

    struct GoldenCase: Sendable, CustomStringConvertible {
        let name: String
        let size: Int
        let greyBase: Bool
        let shape: MarkerShape
        let color: RGB
        let radius: Double
        let thickness: Double
        let center: CanvasPoint
        let fnv: UInt64
        var description: String { name }
    }

    // Checksums: output of make_marker_golden.py (see the suite comment).
    static let cases: [GoldenCase] = [
        GoldenCase(
            name: "circle64", size: 64, greyBase: false, shape: .circle, color: RGB(255, 0, 0),
            radius: 20, thickness: 3, center: CanvasPoint(x: 31.3, y: 30.7), fnv: 0x496b_b796_394c_497f),
        GoldenCase(
            name: "square64", size: 64, greyBase: false, shape: .square, color: RGB(0, 200, 0),
            radius: 14, thickness: 3, center: CanvasPoint(x: 30.25, y: 33.6), fnv: 0xe9b7_ea3d_87d8_ddc9),
        GoldenCase(
            name: "cross64", size: 64, greyBase: false, shape: .cross, color: RGB(0, 0, 255),
            radius: 12, thickness: 3, center: CanvasPoint(x: 32.4, y: 31.55), fnv: 0x2c30_4af8_8d60_4a9a),
        GoldenCase(
            name: "arrow64", size: 64, greyBase: false, shape: .arrow, color: RGB(255, 255, 0),
            radius: 20, thickness: 3, center: CanvasPoint(x: 40.2, y: 41.7), fnv: 0xf136_5521_ba91_772c),
        GoldenCase(
            name: "circle64_clipped", size: 64, greyBase: false, shape: .circle, color: RGB(255, 0, 255),
            radius: 9.5, thickness: 2.5, center: CanvasPoint(x: 5.5, y: 60.2), fnv: 0x9e77_6354_2da6_3c80),
        GoldenCase(
            name: "circle336_paper", size: 336, greyBase: true, shape: .circle, color: RGB(255, 0, 0),
            radius: 20, thickness: 3, center: CanvasPoint(x: 168.5, y: 168.5), fnv: 0xf342_450d_0478_5415),
    ]

    /// Base canvas of the 64 px cases: ((7x + 3y) % 256, (5y + 11) % 256, (x y) % 256).
    static func pattern(_ n: Int) -> RGBImage {
        var img = RGBImage(width: n, height: n)
        for y in 0..<n {
            for x in 0..<n {
                img[x, y] = RGB(UInt8((7 * x + 3 * y) % 256), UInt8((5 * y + 11) % 256), UInt8((x * y) % 256))
            }
        }
        return img
    }

    static func base(_ c: GoldenCase) -> RGBImage {
        c.greyBase ? RGBImage(width: c.size, height: c.size, fill: RGB(128, 128, 128)) : pattern(c.size)
    }

    static func draw(_ c: GoldenCase) -> RGBImage {
        let style = MarkerStyle(
            shape: c.shape, color: c.color, radius: c.radius, thickness: c.thickness, units: .pixels)
        var img = base(c)
        MarkerRenderer(style: style, shorterSide: c.size).draw(on: &img, at: c.center)
        return img
    }

    static func fixtureURL(_ name: String) -> URL {
        Bundle.module.resourceURL!.appendingPathComponent("Fixtures/markers").appendingPathComponent(name)
    }

    // MARK: - Goldens

    @Test("golden checksum and PNG", arguments: cases)
    func golden(_ c: GoldenCase) throws {
        let img = Self.draw(c)
        let golden = try ImageCodec.decode(contentsOf: Self.fixtureURL(c.name + ".png")).rgb
        #expect(golden.width == c.size && golden.height == c.size)
        let differing = zip(img.pixels, golden.pixels).filter { $0 != $1 }.count
        #expect(differing == 0, "\(c.name): \(differing) bytes differ from the NumPy golden")
        #expect(
            FNV1a.hash64(img.pixels) == c.fnv, "\(c.name): checksum 0x\(String(FNV1a.hash64(img.pixels), radix: 16))")
    }

    // MARK: - Hand-reasoned spot pixels

    @Test("circle spot pixels, 64x64")
    func circleSpots() {
        // Centre (31.3, 30.7), r = 20, t = 3: the ring is 18.5 <= d <= 21.5.
        let c = Self.cases[0]
        let img = Self.draw(c)
        let base = Self.pattern(64)
        // Centre pixel (31, 30): d < 1, inside the hole: untouched.
        #expect(img[31, 30] == base[31, 30])
        // Pixel (51, 30): samples have dx = 51 + (m + .5)/8 - 31.3 in [19.76, 20.64], |dy| <= 0.64,
        // so d is in [19.76, 20.65], inside [18.5, 21.5] for all 64 samples: pure red.
        #expect(img[51, 30] == RGB(255, 0, 0))
        // Pixel (53, 30): dx >= 53.0625 - 31.3 = 21.76 > 21.5: untouched.
        #expect(img[53, 30] == base[53, 30])
        // Pixel (52, 30): dx in [20.76, 21.64] straddles 21.5: anti-aliased, strictly between.
        let edge = img[52, 30]
        let b = base[52, 30]
        #expect(edge.r > b.r && edge.r < 255)
        #expect(edge != RGB(255, 0, 0) && edge != b)
    }

    @Test("paper default at 336: r = 20, t = 3 and spot pixels")
    func paperCircle336() {
        let m = MarkerRenderer(style: .paper, canvasWidth: 336, canvasHeight: 336)
        #expect(m.radius == 20)  // round(0.06 * 336) = round(20.16)
        #expect(m.thickness == 3)  // round(0.01 * 336) = round(3.36)
        var img = RGBImage(width: 336, height: 336, fill: RGB(128, 128, 128))
        m.draw(on: &img, at: CanvasPoint(x: 168.5, y: 168.5))  // centre of pixel (168, 168)
        let grey = RGB(128, 128, 128)
        let red = RGB(255, 0, 0)
        #expect(img[168, 168] == grey)  // centre untouched
        // Along +x the samples of pixel 168 + k have dx in [k - 0.4375, k + 0.4375] and
        // |dy| <= 0.4375, so pixels k = 19, 20, 21 (d in [18.56, 21.45]) are fully in the ring
        // [18.5, 21.5], k = 18 (d <= 18.45) and k = 22 (d >= 21.56) fully out: a 3 px line.
        #expect(img[168 + 18, 168] == grey)
        #expect(img[168 + 19, 168] == red)
        #expect(img[168 + 20, 168] == red)
        #expect(img[168 + 21, 168] == red)
        #expect(img[168 + 22, 168] == grey)
        // Same upwards (symmetry of the ring).
        #expect(img[168, 168 - 20] == red)
        #expect(img[168, 168 - 22] == grey)
        // Diagonal pixel (183, 183): centre offset (15, 15), d = 21.21, samples span d in about
        // [20.6, 21.8]: partly covered.
        let e = img[183, 183]
        #expect(e.r > 128 && e.r < 255 && e.g > 0 && e.g < 128 && e.g == e.b)
        // Nothing outside the marker's box was touched.
        let box = m.pixelBounds(at: CanvasPoint(x: 168.5, y: 168.5))
        for y in 0..<336 {
            for x in 0..<336 where !(x >= box.x && x < box.maxX && y >= box.y && y < box.maxY) {
                if img[x, y] != grey {
                    Issue.record("pixel (\(x), \(y)) outside the box changed")
                    return
                }
            }
        }
    }

    @Test("fraction sizes resolve to whole pixels of the shorter side")
    func fractionSizes() {
        #expect(MarkerStyle.paper.pixelSizes(shorterSide: 336) == (20, 3))
        #expect(MarkerStyle.paper.pixelSizes(shorterSide: 224) == (13, 2))  // 13.44, 2.24
        #expect(MarkerRenderer(style: .paper, canvasWidth: 500, canvasHeight: 336).radius == 20)
        let px = MarkerStyle(radius: 7.25, thickness: 1.5, units: .pixels)
        #expect(px.pixelSizes(shorterSide: 336) == (7.25, 1.5))
    }

    @Test("square spot pixels: exact coverage of an edge pixel")
    func squareSpots() {
        // Square r = 14, t = 3 at (30.25, 33.6): right edge band x - 30.25 in [12.5, 15.5].
        let img = Self.draw(Self.cases[1])
        let base = Self.pattern(64)
        #expect(img[30, 33] == base[30, 33])  // centre untouched
        #expect(img[44, 33] == RGB(0, 200, 0))  // dx in [13.81, 14.69]: full
        #expect(img[46, 33] == base[46, 33])  // dx >= 15.81: out
        // Pixel (42, 33): sample columns dx = 42 + (m + .5)/8 - 30.25 reach 12.5 only for m = 6, 7:
        // k = 2 columns x 8 rows = 16. Base (137, 176, 106) ((7*42+3*33)%256, 5*33+11, 42*33%256).
        // out = (base * 48 + colour * 16 + 32) >> 6 = (103, 182, 80).
        #expect(base[42, 33] == RGB(137, 176, 106))
        #expect(img[42, 33] == RGB(103, 182, 80))
    }

    @Test("cross spot pixels")
    func crossSpots() {
        // Cross r = 12, t = 3 at (32.4, 31.55): horizontal arm x in [20.4, 44.4], y in [30.05, 33.05].
        let img = Self.draw(Self.cases[2])
        let base = Self.pattern(64)
        #expect(img[32, 31] == RGB(0, 0, 255))  // the centre is covered by both arms
        #expect(img[43, 31] == RGB(0, 0, 255))  // inside the horizontal arm
        #expect(img[45, 31] == base[45, 31])  // beyond the arm's end
        #expect(img[40, 36] == base[40, 36])  // off both arms
        // Pixel (44, 31): columns 44 + (m + .5)/8 <= 44.4 for m = 0, 1, 2: k = 24. Base (145, 166, 84).
        // out = (base * 40 + (0, 0, 255) * 24 + 32) >> 6 = (91, 104, 148).
        #expect(base[44, 31] == RGB(145, 166, 84))
        #expect(img[44, 31] == RGB(91, 104, 148))
    }

    @Test("arrow spot pixels: tip at the candidate, shaft to the upper left")
    func arrowSpots() {
        // Tip at (40.2, 41.7), length 40 along (1, 1)/sqrt(2), thickness 3.
        let img = Self.draw(Self.cases[3])
        let base = Self.pattern(64)
        // Pixel (23, 25) is on the shaft: its centre is 0.35 px off the axis, samples at most
        // 0.97 px, less than t/2 = 1.5: full yellow.
        #expect(img[23, 25] == RGB(255, 255, 0))
        // Pixel (41, 42) lies beyond the tip (positive projection on the direction): untouched.
        #expect(img[41, 42] == base[41, 42])
        // Pixel (30, 20) is 8 px off the axis: untouched.
        #expect(img[30, 20] == base[30, 20])
        // The tip pixel (40, 41) is cut by the head's apex: strictly between base and yellow.
        let tip = img[40, 41]
        let b = base[40, 41]
        #expect(b == RGB(147, 216, 104))
        #expect(tip.b > 0 && tip.b < b.b && tip.r > b.r && tip.r < 255)
        // Nothing below-right of the tip: the arrow comes from the upper left.
        for y in 43..<64 { for x in 42..<64 { #expect(img[x, y] == base[x, y]) } }
    }

    // MARK: - Buffers

    @Test("render(base:at:into:) reuses a buffer without leftovers")
    func renderIntoReusedBuffer() {
        let base = Self.pattern(64)
        let m = MarkerRenderer(style: .paper, shorterSide: 336)  // r = 20, t = 3 on a 64 canvas
        var buffer = RGBImage(width: 64, height: 64)
        var reference = base
        m.render(base: base, at: CanvasPoint(x: 10, y: 10), into: &buffer)
        m.render(base: base, at: CanvasPoint(x: 40.7, y: 33.1), into: &buffer)
        m.draw(on: &reference, at: CanvasPoint(x: 40.7, y: 33.1))
        #expect(buffer == reference)
    }

    @Test("a marker entirely off the canvas changes nothing")
    func offCanvas() {
        var img = Self.pattern(64)
        MarkerRenderer(style: .paper, shorterSide: 336).draw(on: &img, at: CanvasPoint(x: -40, y: 200))
        #expect(img == Self.pattern(64))
    }

    // MARK: - JSON

    @Test("MarkerStyle decodes grid-preset JSON, with defaults")
    func styleJSON() throws {
        let json = #"{"shape": "square", "color": [0, 128, 255], "radius": 12, "thickness": 2, "units": "pixels"}"#
        let s = try JSONDecoder().decode(MarkerStyle.self, from: Data(json.utf8))
        #expect(s == MarkerStyle(shape: .square, color: RGB(0, 128, 255), radius: 12, thickness: 2, units: .pixels))
        let d = try JSONDecoder().decode(MarkerStyle.self, from: Data("{}".utf8))
        #expect(d == .paper)
        let paper = try JSONDecoder().decode(
            MarkerStyle.self,
            from: Data(
                #"{"shape": "circle", "color": [255,0,0], "radius": 0.06, "thickness": 0.01, "units": "fraction"}"#.utf8
            ))
        #expect(paper == .paper)
        let round = try JSONDecoder().decode(MarkerStyle.self, from: JSONEncoder().encode(s))
        #expect(round == s)
    }

    @Test(
        "MarkerStyle JSON errors name the key",
        arguments: [
            (#"{"color": [255, 0]}"#, "color"),
            (#"{"color": [255, 0, 300]}"#, "color"),
            (#"{"shape": "triangle"}"#, "shape"),
            (#"{"radius": -1}"#, "radius"),
            (#"{"radius": 20}"#, "radius"),  // 20 as a fraction of H
            (#"{"thickness": 0, "units": "pixels"}"#, "thickness"),
        ])
    func styleJSONErrors(json: String, key: String) {
        do {
            _ = try JSONDecoder().decode(MarkerStyle.self, from: Data(json.utf8))
            Issue.record("\(json) decoded")
        } catch let DecodingError.dataCorrupted(ctx) {
            let path = ctx.codingPath.map(\.stringValue)
            #expect(path.contains(key) || ctx.debugDescription.contains(key), "\(path) \(ctx.debugDescription)")
        } catch {
            #expect(String(describing: error).contains(key), "\(error)")
        }
    }
}
