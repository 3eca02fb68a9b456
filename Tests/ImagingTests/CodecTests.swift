import Foundation
import KeypointsSupport
import Testing

@testable import Imaging

/// Decoding and encoding against Pillow 13.0.0 (fixtures from Fixtures/make_preprocess_golden.py).
@Suite("CodecTests")
struct CodecTests {
    /// JPEG decoders may legitimately differ by a few levels (IDCT/upsampling choices). Measured:
    /// 0 on every fixture (Pillow 13 wheels bundle libjpeg-turbo 3.2, the system has 2.1.5, both
    /// use the same ISLOW IDCT and fancy upsampling), so the tolerance is 0.
    static let jpegTolerance = 0
    /// PNG decoding is lossless and fully specified: exact.
    static let pngTolerance = 0

    @Test("every fixture decodes to Pillow's pixels")
    func decodesLikePillow() throws {
        let manifest = try CodecFixtures.manifest()
        #expect(manifest.images.count >= 20)
        for entry in manifest.images {
            let decoded = try ImageCodec.decode(contentsOf: CodecFixtures.url(entry.file))
            #expect(decoded.width == entry.width && decoded.height == entry.height, "\(entry.file)")
            #expect(decoded.colorModel.rawValue == entry.colorModel, "\(entry.file)")
            #expect(decoded.bitDepth == entry.bitDepth, "\(entry.file)")
            let expected = try CodecFixtures.bytes(entry.expectedRGB)
            let tolerance = entry.kind == "jpeg" ? Self.jpegTolerance : Self.pngTolerance
            let diff = maxDifference(decoded.rgb.pixels, expected)
            #expect(diff <= tolerance, "\(entry.file): max |rgb - Pillow| = \(diff) > \(tolerance)")
            if let alphaFile = entry.expectedAlpha {
                let alpha = try #require(decoded.alpha, "\(entry.file): no alpha plane")
                #expect(alpha == (try CodecFixtures.bytes(alphaFile)), "\(entry.file): alpha differs")
            } else {
                #expect(decoded.alpha == nil, "\(entry.file): unexpected alpha plane")
            }
            if let cmykFile = entry.expectedCMYK {
                let ink = try #require(decoded.cmyk, "\(entry.file): no CMYK samples")
                let diff = maxDifference(ink, try CodecFixtures.bytes(cmykFile))
                #expect(diff <= Self.jpegTolerance, "\(entry.file): max |cmyk - Pillow| = \(diff)")
            }
        }
    }

    @Test("progressive JPEG and interlaced PNG are flagged")
    func progressiveFlags() throws {
        #expect(try ImageCodec.decode(contentsOf: CodecFixtures.url("progressive.jpg")).isProgressive)
        #expect(try ImageCodec.decode(contentsOf: CodecFixtures.url("rgb8_interlaced.png")).isProgressive)
        #expect(try !ImageCodec.decode(contentsOf: CodecFixtures.url("baseline_420.jpg")).isProgressive)
        let trns = try ImageCodec.decode(contentsOf: CodecFixtures.url("pal8_trns.png"))
        #expect(trns.hasTransparencyChunk)
    }

    @Test("PNG encode then decode gives the same pixels")
    func pngRoundTrip() throws {
        var rng = SplitMix64(seed: 11)
        let image = RGBImage(width: 17, height: 13, pixels: (0..<(17 * 13 * 3)).map { _ in rng.nextByte() })
        let data = try ImageCodec.encodePNG(image)
        #expect(Array(data.prefix(8)) == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
        let back = try ImageCodec.decode(data: data, name: "roundtrip.png")
        #expect(back.rgb == image)
        #expect(back.alpha == nil)
        #expect(back.colorModel == .rgb)

        let alpha = (0..<(17 * 13)).map { _ in rng.nextByte() }
        let rgba = try ImageCodec.decode(data: ImageCodec.encodePNG(image, alpha: alpha), name: "rgba.png")
        #expect(rgba.rgb == image)
        #expect(rgba.alpha == alpha)
        #expect(rgba.colorModel == .rgba)
    }

    @Test("writePNG replaces the file atomically and leaves no temporary file")
    func writePNGAtomic() throws {
        let dir = FileManager.default.temporaryDirectory
            .appendingPathComponent("codec-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("out.png")
        let first = RGBImage(width: 3, height: 2, fill: RGB(10, 20, 30))
        let second = RGBImage(width: 5, height: 4, fill: RGB.red)
        try ImageCodec.writePNG(first, to: url)
        try ImageCodec.writePNG(second, to: url)
        #expect(try ImageCodec.decode(contentsOf: url).rgb == second)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["out.png"])

        let missing = dir.appendingPathComponent("no/such/dir/out.png")
        let error = #expect(throws: ImageError.self) { try ImageCodec.writePNG(first, to: missing) }
        guard case .writeFailed(let path, _)? = error else {
            Issue.record("expected writeFailed, got \(String(describing: error))")
            return
        }
        #expect(path == missing.path)
        #expect(error?.description.contains("no/such/dir/out.png") == true)
    }

    @Test("every bad file gives the right ImageError, naming the file")
    func badFiles() throws {
        let manifest = try CodecFixtures.manifest()
        #expect(manifest.bad.count >= 8)
        for entry in manifest.bad {
            let url = CodecFixtures.url(entry.file)
            do {
                let image = try ImageCodec.decode(contentsOf: url)
                Issue.record("\(entry.file) decoded to \(image.width)x\(image.height), expected \(entry.error)")
            } catch {
                let kind: String
                switch error {
                case .unreadable: kind = "unreadable"
                case .unknownFormat: kind = "unknownFormat"
                case .damaged: kind = "damaged"
                case .decodeFailed: kind = "decodeFailed"
                case .tooLarge: kind = "tooLarge"
                case .unsupported: kind = "unsupported"
                case .encodeFailed: kind = "encodeFailed"
                case .writeFailed: kind = "writeFailed"
                }
                #expect(kind == entry.error, "\(entry.file): \(error)")
                #expect(error.description.contains(url.path), "\(entry.file): message \(error)")
            }
        }
    }

    @Test("specific messages: text file, truncation, size limit")
    func messages() throws {
        let text = CodecFixtures.url("text.jpg")
        let notImage = #expect(throws: ImageError.self) { try ImageCodec.decode(contentsOf: text) }
        // Issue 15: messages never quote the file's bytes (it may be anything a link points to).
        #expect(
            notImage?.description.hasPrefix(
                "\(text.path): not a JPEG or PNG image: its first bytes match neither signature") == true,
            "\(String(describing: notImage))")
        #expect(notImage?.description.contains("This is") == false)
        let jpeg = #expect(throws: ImageError.self) {
            try ImageCodec.decode(contentsOf: CodecFixtures.url("truncated.jpg"))
        }
        #expect(jpeg?.description.contains("Premature end of JPEG file") == true, "\(String(describing: jpeg))")
        let png = #expect(throws: ImageError.self) {
            try ImageCodec.decode(contentsOf: CodecFixtures.url("truncated.png"))
        }
        #expect(png?.description.contains("truncated") == true, "\(String(describing: png))")
        let huge = #expect(throws: ImageError.self) {
            try ImageCodec.decode(contentsOf: CodecFixtures.url("huge.png"))
        }
        #expect(huge?.description.contains("40000x40000") == true, "\(String(describing: huge))")
    }

    @Test("a JPEG cut inside its scans is damaged: refused by default, grey-filled when allowed")
    func cutShortJPEGIsDamaged() throws {
        for file in ["truncated.jpg", "truncated_progressive.jpg"] {
            let url = CodecFixtures.url(file)
            let refused = #expect(throws: ImageError.self) { try ImageCodec.decode(contentsOf: url) }
            guard case .damaged(let path, "JPEG", let warnings)? = refused else {
                Issue.record("\(file): expected damaged, got \(String(describing: refused))")
                continue
            }
            #expect(path == url.path)
            #expect(warnings.first?.contains("Premature end of JPEG file") == true, "\(file): \(warnings)")
            let image = try ImageCodec.decode(contentsOf: url, options: ImageReadOptions(allowDamaged: true))
            #expect(image.isDamaged, "\(file)")
            #expect(image.warnings.contains { $0.contains("truncated file?") }, "\(file): \(image.warnings)")
            #expect(image.width == 96 && image.height == 72, "\(file): \(image.width)x\(image.height)")
        }
        // Cut inside the header: nothing to show, an error even when damage is allowed.
        let header = CodecFixtures.url("truncated_header.jpg")
        let error = #expect(throws: ImageError.self) {
            try ImageCodec.decode(contentsOf: header, options: ImageReadOptions(allowDamaged: true))
        }
        guard case .decodeFailed? = error else {
            Issue.record("expected decodeFailed, got \(String(describing: error))")
            return
        }
    }

    @Test("missing files and directories are unreadable; in-memory data uses the given name")
    func unreadableAndNames() throws {
        let missing = URL(fileURLWithPath: "/nonexistent/dir/photo.jpg")
        let error = #expect(throws: ImageError.self) { try ImageCodec.decode(contentsOf: missing) }
        guard case .unreadable(let path, _)? = error else {
            Issue.record("expected unreadable, got \(String(describing: error))")
            return
        }
        #expect(path == missing.path)
        #expect(error?.description == "cannot read image file /nonexistent/dir/photo.jpg: No such file or directory")
        let directory = FileManager.default.temporaryDirectory
        let isDirectory = #expect(throws: ImageError.self) { try ImageCodec.decode(contentsOf: directory) }
        #expect(isDirectory == .unreadable(path: directory.path, reason: "not a regular file (a directory)"))

        let bytes = try Data(contentsOf: CodecFixtures.url("truncated.png"))
        let named = #expect(throws: ImageError.self) { try ImageCodec.decode(data: bytes, name: "upload #3") }
        #expect(named?.description.hasPrefix("upload #3: cannot decode PNG") == true, "\(String(describing: named))")
        #expect(throws: ImageError.unknownFormat(path: "blank", byteCount: 0)) {
            try ImageCodec.decode(data: Data(), name: "blank")
        }
    }

    @Test("cropping a decoded image cuts colour and alpha alike")
    func crop() throws {
        let image = try ImageCodec.decode(contentsOf: CodecFixtures.url("rgba8.png"))
        let rgb = try CodecFixtures.bytes("expected/rgba8.rgb")
        let alpha = try CodecFixtures.bytes("expected/rgba8.alpha")
        let (x, y, w, h) = (3, 2, 10, 7)
        let crop = image.cropped(x: x, y: y, width: w, height: h)
        #expect(crop.width == w && crop.height == h && crop.colorModel == .rgba)
        let cropAlpha = try #require(crop.alpha)
        for row in 0..<h {
            let from = (y + row) * image.width + x
            #expect(
                Array(crop.rgb.pixels[(row * w * 3)..<((row + 1) * w * 3)]) == Array(rgb[(from * 3)..<((from + w) * 3)])
            )
            #expect(Array(cropAlpha[(row * w)..<((row + 1) * w)]) == Array(alpha[from..<(from + w)]))
        }
    }

    @Test("format detection uses magic bytes, not the extension")
    func detection() throws {
        let png = try Data(contentsOf: CodecFixtures.url("rgb8.png"))
        let image = try ImageCodec.decode(data: png, name: "actually-a-png.jpg")
        #expect(image.width == 29)
        png.withUnsafeBytes { #expect(ImageCodec.detectFormat($0) == .png) }
        Data([0xFF, 0xD8, 0xFF, 0xE0]).withUnsafeBytes { #expect(ImageCodec.detectFormat($0) == .jpeg) }
        Data([0xFF, 0xD8]).withUnsafeBytes { #expect(ImageCodec.detectFormat($0) == nil) }
    }
}

// MARK: - Fixture access (shared with PreprocessTests)

/// Largest absolute per-byte difference; Int.max when the lengths differ.
func maxDifference(_ a: [UInt8], _ b: [UInt8]) -> Int {
    guard a.count == b.count else { return Int.max }
    var m = 0
    for i in a.indices { m = max(m, abs(Int(a[i]) - Int(b[i]))) }
    return m
}

extension SplitMix64 {
    /// Deterministic bytes for tests: the top 8 bits of the next output.
    mutating func nextByte() -> UInt8 { UInt8(truncatingIfNeeded: next() >> 56) }
}

enum CodecFixtures {
    /// Version written by make_preprocess_golden.py; bump both together.
    static let manifestVersion = 1

    struct Manifest: Decodable {
        var version: Int
        var pillow: String
        var images: [Image]
        var bad: [Bad]
    }

    struct Image: Decodable {
        var file: String
        var width: Int
        var height: Int
        var colorModel: String
        var bitDepth: Int
        var expectedRGB: String
        var expectedAlpha: String?
        var expectedCMYK: String?
        var kind: String
    }

    struct Bad: Decodable {
        var file: String
        var error: String
    }

    static var root: URL {
        Bundle.module.resourceURL!.appendingPathComponent("Fixtures/codecs")
    }

    static func url(_ name: String) -> URL { root.appendingPathComponent(name) }

    static func bytes(_ name: String) throws -> [UInt8] { [UInt8](try Data(contentsOf: url(name))) }

    static func manifest() throws -> Manifest {
        let m = try JSONDecoder().decode(Manifest.self, from: Data(contentsOf: url("manifest.json")))
        try #require(
            m.version == manifestVersion,
            "codecs/manifest.json version \(m.version) != \(manifestVersion): re-run make_preprocess_golden.py")
        return m
    }
}
