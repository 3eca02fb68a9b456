import Foundation
import KeypointsSupport
import Testing

@testable import Imaging

/// The CLIP canvas of 16-bit grey PNGs (Pillow "I;16") against Pillow 13.0.0: OpenAI CLIP resizes
/// the 16-bit samples (Pillow's 16-bit bicubic) before `convert("RGB")` clips them to 255.
/// Fixtures (synthetic, values 0...65535 with edges at 255/256 and 0/65535) from
/// Fixtures/make_grey16_canvas_fixtures.py.
@Suite("Grey16CanvasTests")
struct Grey16CanvasTests {
    @Test("resize + centre crop + convert of a 16-bit grey photo equals Pillow's, byte for byte")
    func canvasMatchesPillow() throws {
        // PreprocessTests.canvasTolerance: 0, a port of Pillow's arithmetic.
        try PreprocessTests.expectCanvasesMatch(Grey16Fixtures.manifest().cases, atLeast: 8, folder: "grey16_canvas")
    }

    @Test("the 16-bit resize + crop equals Pillow's \"I;16\" crop before convert (SHA-256)")
    func sixteenBitCropMatchesPillow() throws {
        for entry in try Grey16Fixtures.manifest().cases {
            let source = try ImageCodec.decode(contentsOf: Grey16Fixtures.url(entry.source))
            let grey16 = try #require(source.grey16, "\(entry.source): no 16-bit samples")
            let window = Resample.Window(
                x: entry.cropOrigin[0], y: entry.cropOrigin[1], width: entry.nPx, height: entry.nPx)
            let crop = Resample.bicubic16(
                grey16, width: source.width, height: source.height, outWidth: entry.resized[0],
                outHeight: entry.resized[1], window: window)
            let bytes = crop.flatMap { [UInt8(truncatingIfNeeded: $0), UInt8(truncatingIfNeeded: $0 >> 8)] }
            #expect(
                SHA256Hasher.hash(Data(bytes)) == (try #require(entry.crop16SHA256)),
                "\(entry.source) n=\(entry.nPx): 16-bit crop differs from Pillow's")
        }
    }

    @Test(
        "a window of bicubic16 equals the naive full two-pass resize, cropped",
        arguments: [
            // (w, h, outW, outH); (30, 90, 25, 20) and (60, 61, 90, 13) run the vertical pass first.
            (40, 30, 77, 51), (40, 30, 13, 9), (9, 33, 32, 117), (30, 90, 25, 20), (60, 61, 90, 13), (17, 12, 17, 40),
            (17, 12, 40, 12), (20, 20, 20, 20),
        ])
    func windowEqualsNaive(_ size: (Int, Int, Int, Int)) {
        let (w, h, ow, oh) = size
        var rng = SplitMix64(seed: UInt64(w * 1000 + h))
        // Blocks of extremes (overshoot below 0 and above 65535 at their edges, clamped), and
        // random extremes in the top rows.
        let levels: [UInt16] = [0, 65535, 255, 256, 30000]
        var samples = [UInt16](repeating: 0, count: w * h)
        for y in 0..<h {
            for x in 0..<w {
                let block = (x * 5 / w) * 4 + y * 4 / h
                samples[y * w + x] = y < h / 4 ? levels[Int(rng.nextByte()) % levels.count] : levels[block % 2]
            }
        }
        let full = Self.naiveBicubic16(samples, width: w, height: h, outWidth: ow, outHeight: oh)
        let window = Resample.Window(x: ow / 3, y: oh / 4, width: max(1, ow / 2), height: max(1, oh / 2))
        let part = Resample.bicubic16(samples, width: w, height: h, outWidth: ow, outHeight: oh, window: window)
        var cropped: [UInt16] = []
        for y in window.y..<(window.y + window.height) {
            cropped += full[(y * ow + window.x)..<(y * ow + window.x + window.width)]
        }
        #expect(part == cropped)
        #expect(full.contains(0) && full.contains(65535), "no clamped overshoot exercised")
    }

    @Test("16-bit samples are kept for 16-bit grey only, and follow crops and EXIF transposes")
    func samplesFollowTheImage() throws {
        let decoded = try ImageCodec.decode(contentsOf: Grey16Fixtures.url("grey16_37x23.png"))
        let grey16 = try #require(decoded.grey16)
        #expect(Self.clippedRGB(grey16) == decoded.rgb.pixels)
        let crop = decoded.cropped(x: 5, y: 3, width: 20, height: 11)
        let cropSamples = try #require(crop.grey16)
        #expect(Self.clippedRGB(cropSamples) == crop.rgb.pixels)
        #expect(cropSamples[0] == grey16[3 * 37 + 5])
        let turned = decoded.with(exif: ExifReader.Reading(orientation: .rotated90Clockwise)).displayedUpright()
        let turnedSamples = try #require(turned.grey16)
        #expect(turned.width == 23 && turned.height == 37)
        #expect(Self.clippedRGB(turnedSamples) == turned.rgb.pixels)
        for name in ["grey16_37x23.png", "grey16_224x260.png"] {
            #expect(try ImageCodec.decode(contentsOf: Grey16Fixtures.url(name)).grey16 != nil, "\(name)")
        }
        for name in ["gray8-whole.png", "rgb16-whole.png", "graya16-whole.png"] {
            let other = try ImageCodec.decode(contentsOf: PillowVerdictFixtures.pngModes.url(name))
            #expect(other.grey16 == nil, "\(name) keeps 16-bit samples")
        }
    }

    /// convert("RGB") of "I;16" samples: min(v, 255) in R, G, B.
    static func clippedRGB(_ samples: [UInt16]) -> [UInt8] {
        samples.flatMap { Array(repeating: UInt8(min($0, 255)), count: 3) }
    }

    /// Pillow's ImagingResampleInner for "I;16" written out whole: every output of each pass,
    /// horizontal then vertical unless the height shrinks by more than twice the width's pixels.
    /// (H, W) -> (outHeight, outWidth).
    static func naiveBicubic16(_ src: [UInt16], width: Int, height: Int, outWidth: Int, outHeight: Int) -> [UInt16] {
        /// One whole pass along rows (horizontal) or columns: (h, w) -> (h', w').
        func pass(_ a: [UInt16], _ w: Int, _ h: Int, horizontal: Bool) -> (samples: [UInt16], w: Int, h: Int) {
            let (inSize, outSize) = horizontal ? (w, outWidth) : (h, outHeight)
            guard inSize != outSize else { return (a, w, h) }
            let c = Resample.bicubicCoefficients(inSize: inSize, outSize: outSize)
            let (ow, oh) = horizontal ? (outWidth, h) : (w, outHeight)
            var out = [UInt16](repeating: 0, count: ow * oh)
            for y in 0..<oh {
                for x in 0..<ow {
                    let o = horizontal ? x : y
                    var ss = 0.0
                    for i in 0..<c.count[o] {
                        let sample = horizontal ? a[y * w + c.first[o] + i] : a[(c.first[o] + i) * w + x]
                        ss += Double(sample) * c.weights[o * c.stride + i]
                    }
                    out[y * ow + x] = Resample.clip16(ss)
                }
            }
            return (out, ow, oh)
        }
        let verticalFirst = (height - outHeight) > 0 && (height - outHeight) > (width - outWidth) * 2
        let first = pass(src, width, height, horizontal: !verticalFirst)
        return pass(first.samples, first.w, first.h, horizontal: verticalFirst).samples
    }
}

/// Fixtures/grey16_canvas.
enum Grey16Fixtures {
    struct Manifest: Decodable {
        var version: Int
        var pillow: String
        var cases: [PreprocessFixtures.Case]
    }

    static func url(_ name: String) -> URL { PreprocessFixtures.url(name, folder: "grey16_canvas") }

    static func manifest() throws -> Manifest {
        try PreprocessFixtures.manifest(
            Manifest.self, folder: "grey16_canvas", script: "make_grey16_canvas_fixtures.py", version: 1)
    }
}
