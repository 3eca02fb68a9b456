import Foundation
import KeypointsSupport
import Testing

@testable import Imaging

/// Every PNG colour type and bit depth (grey 1/2/4/8/16, RGB 8/16, palette 1/2/4/8, grey+alpha and
/// RGBA 8/16), with tRNS, Adam7, palettes shorter than 2^depth and the colour chunks sBIT, gAMA,
/// cHRM, sRGB and iCCP, decoded to the RGB pixels Pillow 13's `Image.open(f).convert("RGB")` gives
/// (what the CLIP reference preprocessing sees), through the entry point `keypoints localize`
/// loads a photo with (`ImageCodec.decode(contentsOf:)`, then its `rgb`). Fixtures and Pillow's
/// verdict on each from Fixtures/make_png_mode_fixtures.py.
@Suite("PNGModeTests")
struct PNGModeTests {
    /// Files where keypoints deliberately differs from Pillow 13 (README, "PNG image data"): file
    /// name -> why. None: every variant decodes to Pillow's RGB, or is refused where it is.
    static let deliberate: [String: String] = [:]

    @Test("each file decodes to Pillow's RGB, or is refused where Pillow raises")
    func rgbEqualsPillow() throws {
        let manifest = try PillowVerdictFixtures.pngModes.manifest()
        #expect(manifest.images.count >= 150)
        #expect(Set(Self.deliberate.keys).isSubset(of: Set(manifest.images.map(\.file))))
        for entry in manifest.images where Self.deliberate[entry.file] == nil {
            let url = PillowVerdictFixtures.pngModes.url(entry.file)
            guard let rgbSHA256 = entry.rgbSHA256 else {
                PillowVerdictFixtures.expectRefused(url, entry: entry)
                continue
            }
            let decoded: DecodedImage
            do {
                decoded = try ImageCodec.decode(contentsOf: url)
            } catch {
                Issue.record("\(entry.file): \(error); Pillow decodes it (mode \(entry.mode ?? "?"))")
                continue
            }
            #expect(decoded.width == entry.width && decoded.height == entry.height, "\(entry.file)")
            #expect(
                SHA256Hasher.hash(Data(decoded.rgb.pixels)) == rgbSHA256,
                "\(entry.file): RGB differs from Pillow's convert(\"RGB\") of mode \(entry.mode ?? "?")")
            // The alpha plane feeds the premultiplied resize of "RGBA" and "LA" images.
            if entry.mode == "RGBA" || entry.mode == "LA" {
                #expect(
                    decoded.alpha.map { SHA256Hasher.hash(Data($0)) } == entry.alphaSHA256,
                    "\(entry.file): alpha differs from Pillow's")
            }
        }
    }

    @Test("each file's alpha is Pillow's convert(\"RGBA\") alpha (opaque where the decoder gives none)")
    func alphaEqualsPillow() throws {
        // The alpha plane is what a --mask file's pixels are tested with (PixelMask(maskImage:)).
        let manifest = try PillowVerdictFixtures.pngModes.manifest()
        let withAlpha = manifest.images.filter { $0.rgbSHA256 != nil && $0.alphaSHA256 != nil }
        #expect(withAlpha.count >= 60)
        for entry in withAlpha {
            let decoded = try ImageCodec.decode(contentsOf: PillowVerdictFixtures.pngModes.url(entry.file))
            let alpha = decoded.alpha ?? [UInt8](repeating: 255, count: decoded.width * decoded.height)
            let transparent = alpha.filter { $0 < 255 }.count
            #expect(
                SHA256Hasher.hash(Data(alpha)) == entry.alphaSHA256,
                "\(entry.file): alpha differs from Pillow's convert(\"RGBA\") (\(transparent) pixels below 255 here)")
        }
    }

    @Test("16-bit grey is clipped to 255 as Pillow converts \"I;16\", not cut to its high byte")
    func sixteenBitGreyClips() throws {
        // gray16-whole.png: its first 256 samples are 0...255, then 255, 256, 257, 300, 511, 512, 0x00FF,
        // 0x0100, 0x7FFF, 0x8000, 0xFF00, 0xFFFF, 0x01FE, 0xFE01, 1, 0 (make_png_mode_fixtures.py
        // `samples_for`); Pillow: min(sample, 255), e.g. 300 -> 255 (the high byte would be 1).
        let decoded = try ImageCodec.decode(contentsOf: PillowVerdictFixtures.pngModes.url("gray16-whole.png"))
        let red = stride(from: 0, to: decoded.rgb.pixels.count, by: 3).map { decoded.rgb.pixels[$0] }
        #expect(Array(red[0..<256]) == (0...255).map { UInt8($0) })
        let edge = [255, 256, 257, 300, 511, 512, 0x00FF, 0x0100, 0x7FFF, 0x8000, 0xFF00, 0xFFFF, 0x01FE, 0xFE01, 1, 0]
        #expect(Array(red[256..<272]) == edge.map { UInt8(min($0, 255)) })
    }
}

extension PillowVerdictFixtures {
    /// Fixtures/png_modes.
    static let pngModes = PillowVerdictFixtures(folder: "png_modes", script: "make_png_mode_fixtures.py", version: 1)
}
