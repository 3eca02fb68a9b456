import Foundation
import Testing

@testable import Imaging

/// EXIF orientation against Pillow 13.0.0: the tag as `Image.open(f).getexif()` reads it and the
/// pixels as `ImageOps.exif_transpose` turns them (fixtures from Fixtures/make_exif_fixtures.py).
@Suite("ExifOrientationTests")
struct ExifOrientationTests {
    @Test("each of the 8 orientations turns the pixels exactly as Pillow's exif_transpose")
    func transposesLikePillow() throws {
        let manifest = try ExifFixtures.manifest()
        let seen = Set(manifest.images.compactMap(\.orientation))
        #expect(seen == Set(1...8), "the fixtures cover every orientation")
        for entry in manifest.images {
            let decoded = try ImageCodec.decode(contentsOf: ExifFixtures.url(entry.file))
            #expect(decoded.exifOrientation?.rawValue == entry.orientation, "\(entry.file)")
            #expect(decoded.width == entry.storedWidth && decoded.height == entry.storedHeight, "\(entry.file)")
            #expect((decoded.exifNote != nil) == (entry.note ?? false), "\(entry.file): \(decoded.exifNote ?? "")")
            let shown = decoded.displayedUpright()
            #expect(shown.width == entry.width && shown.height == entry.height, "\(entry.file)")
            #expect(shown.rgb.pixels == (try ExifFixtures.hex(entry.rgb)), "\(entry.file): RGB differs from Pillow's")
            #expect(shown.alpha == (try entry.alpha.map(ExifFixtures.hex)), "\(entry.file): alpha differs")
            #expect(shown.cmyk == (try entry.cmyk.map(ExifFixtures.hex)), "\(entry.file): CMYK differs")
            // Pillow drops the tag once applied, and leaves an upright one.
            #expect(shown.exifOrientation == (entry.orientation == 1 ? .upright : nil), "\(entry.file)")
            #expect(shown.colorModel == decoded.colorModel)
        }
    }

    @Test("decoding keeps the stored pixels: the tag changes nothing until applied")
    func decodeIgnoresTheTag() throws {
        let upright = try ImageCodec.decode(contentsOf: ExifFixtures.url("orientation-1.jpg"))
        for n in 2...8 {
            let tagged = try ImageCodec.decode(contentsOf: ExifFixtures.url("orientation-\(n).jpg"))
            #expect(tagged.rgb == upright.rgb, "orientation-\(n).jpg")
            #expect(tagged.exifOrientation?.rawValue == n)
        }
        let plain = try ImageCodec.decode(contentsOf: ExifFixtures.url("bird-6-stored.png"))
        #expect(plain.exifOrientation == nil && plain.exifNote == nil)
        #expect(plain.displayedUpright() == plain)
    }

    @Test("storedPixel agrees with the plane permutation for every orientation")
    func storedPixelMatchesDisplayed() {
        let image = RGBImage(width: 5, height: 3, pixels: (0..<45).map { UInt8($0) })
        for orientation in ExifOrientation.allCases {
            let shown = image.displayed(orientation)
            #expect(orientation.swapsSides == (shown.width == 3))
            for y in 0..<shown.height {
                for x in 0..<shown.width {
                    let s = orientation.storedPixel(displayedX: x, y: y, width: 5, height: 3)
                    #expect(shown[x, y] == image[s.x, s.y], "\(orientation) at (\(x), \(y))")
                }
            }
        }
    }

    // MARK: - Malformed blocks

    /// A TIFF block: byte order, the number 42, the IFD0 offset, then `ifd` bytes from offset 8.
    static func tiff(bigEndian: Bool = false, magic: UInt16 = 42, ifdOffset: UInt32 = 8, ifd: [UInt8]) -> [UInt8] {
        func u16(_ v: UInt16) -> [UInt8] {
            bigEndian ? [UInt8(v >> 8), UInt8(v & 0xFF)] : [UInt8(v & 0xFF), UInt8(v >> 8)]
        }
        func u32(_ v: UInt32) -> [UInt8] {
            bigEndian ? u16(UInt16(v >> 16)) + u16(UInt16(v & 0xFFFF)) : u16(UInt16(v & 0xFFFF)) + u16(UInt16(v >> 16))
        }
        return (bigEndian ? [0x4D, 0x4D] : [0x49, 0x49]) + u16(magic) + u32(ifdOffset) + ifd
    }

    /// An IFD with one entry.
    static func ifd(tag: UInt16 = 0x0112, type: UInt16 = 3, count: UInt32 = 1, value: UInt16, entries: UInt16 = 1)
        -> [UInt8]
    {
        let le: (UInt16) -> [UInt8] = { [UInt8($0 & 0xFF), UInt8($0 >> 8)] }
        return le(entries) + le(tag) + le(type) + le(UInt16(count & 0xFFFF)) + le(UInt16(count >> 16)) + le(value)
            + [0, 0] + [0, 0, 0, 0]
    }

    @Test("well-formed blocks in both byte orders")
    func readsBothByteOrders() {
        #expect(ExifReader.orientation(inTIFF: Self.tiff(ifd: Self.ifd(value: 6))).orientation == .rotated90Clockwise)
        // Big endian, by hand: 1 entry, tag 0x0112, SHORT, count 1, value 8.
        let mm = Self.tiff(bigEndian: true, ifd: [0, 1, 0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, 8, 0, 0, 0, 0, 0, 0])
        #expect(ExifReader.orientation(inTIFF: mm) == ExifReader.Reading(orientation: .rotated90CounterClockwise))
        // Another tag only: no orientation and nothing to note.
        #expect(ExifReader.orientation(inTIFF: Self.tiff(ifd: Self.ifd(tag: 0x010F, value: 6))) == ExifReader.Reading())
    }

    @Test("malformed blocks give no orientation and a note, never a crash")
    func malformedBlocks() {
        let cases: [(String, [UInt8], String)] = [
            ("empty", [], "shorter than a TIFF header"),
            ("no byte order", [0x58, 0x58, 42, 0, 8, 0, 0, 0], "byte order"),
            ("no 42", Self.tiff(magic: 41, ifd: Self.ifd(value: 6)), "lacks the number 42"),
            // Pillow reads the BigTIFF IFD offset past its 8-byte header: struct.error.
            ("BigTIFF", Self.tiff(magic: 43, ifd: Self.ifd(value: 6)), "BigTIFF (II+)"),
            ("IFD0 past the end", Self.tiff(ifdOffset: 9000, ifd: Self.ifd(value: 6)), "offset 9000 lies outside"),
            // Pillow reads IFD0 from offset 2: 42 entries, the second one cut short by the end.
            ("IFD0 inside the header", Self.tiff(ifdOffset: 2, ifd: Self.ifd(value: 6)), "42 entries, 1 fit"),
            ("IFD0 at 2^32 - 1", Self.tiff(ifdOffset: .max, ifd: Self.ifd(value: 6)), "lies outside"),
            ("entry cut short", Array(Self.tiff(ifd: Self.ifd(value: 6)).prefix(20)), "1 entries, 0 fit"),
            (
                "count claims 65535", Self.tiff(ifd: Self.ifd(tag: 0x010F, value: 6, entries: .max)),
                "65535 entries, 1 fit"
            ),
            ("value 0", Self.tiff(ifd: Self.ifd(value: 0)), "Orientation 0 is not one of 1...8"),
            ("value 9", Self.tiff(ifd: Self.ifd(value: 9)), "Orientation 9 is not one of 1...8"),
            ("ASCII type", Self.tiff(ifd: Self.ifd(type: 2, value: 6)), "type 2 and count 1"),
            ("count 0", Self.tiff(ifd: Self.ifd(count: 0, value: 6)), "holds no value (count 0)"),
            ("RATIONAL type", Self.tiff(ifd: Self.ifd(type: 5, value: 6)), "type 5 and count 1"),
        ]
        for (what, block, note) in cases {
            let reading = ExifReader.orientation(inTIFF: block)
            #expect(reading.orientation == nil, "\(what)")
            #expect(reading.note?.contains(note) == true, "\(what): \(reading.note ?? "no note")")
        }
    }

    @Test("entries written by other software are read as Pillow reads them")
    func readsEntriesAsPillow() throws {
        let manifest = try ExifFixtures.manifest()
        #expect(manifest.tiffBlocks.count >= 16)
        for block in manifest.tiffBlocks {
            let reading = ExifReader.orientation(inTIFF: try ExifFixtures.hex(block.block))
            #expect(reading.orientation?.rawValue == block.orientation, "\(block.name): \(reading)")
            // A block that gives no orientation says why (none of these is orientation-free).
            if block.orientation == nil { #expect(reading.note != nil, "\(block.name)") }
        }
    }

    /// Pillow 13 skips an Orientation entry of a type number TIFF does not define, or whose
    /// values lie past the block, and reads the next one (checked with Pillow 13.0.0: each block
    /// below, in a JPEG's APP1 segment, gives `im.getexif().get(0x0112)` == the SHORT's value).
    @Test("an entry of an unknown type or with values past the block is skipped, as Pillow skips it")
    func skipsEntriesPillowSkips() {
        func entry(_ type: UInt16, _ count: UInt32, _ value: UInt32) -> [UInt8] {
            let le16: (UInt16) -> [UInt8] = { [UInt8($0 & 0xFF), UInt8($0 >> 8)] }
            let le32: (UInt32) -> [UInt8] = { le16(UInt16($0 & 0xFFFF)) + le16(UInt16($0 >> 16)) }
            return le16(0x0112) + le16(type) + le32(count) + le32(value)
        }
        let cases: [(String, [UInt8], ExifOrientation)] = [
            ("type 99", entry(99, 1, 6) + entry(3, 1, 3), .rotated180),
            ("type 0", entry(0, 1, 6) + entry(3, 1, 3), .rotated180),
            ("type 14", entry(14, 1, 6) + entry(3, 1, 8), .rotated90CounterClockwise),
            ("ASCII past the block", entry(2, 100, 5000) + entry(3, 1, 6), .rotated90Clockwise),
        ]
        for (what, entries, expected) in cases {
            let block = Self.tiff(ifd: [2, 0] + entries + [0, 0, 0, 0])
            #expect(ExifReader.orientation(inTIFF: block).orientation == expected, "\(what)")
        }
        // Alone, such an entry gives no orientation and a note.
        let alone = ExifReader.orientation(inTIFF: Self.tiff(ifd: [1, 0] + entry(99, 1, 6) + [0, 0, 0, 0]))
        #expect(alone.orientation == nil && alone.note?.contains("type 99") == true, "\(alone)")
    }

    @Test("a malformed EXIF segment does not fail the decode")
    func malformedSegmentStillDecodes() throws {
        var bytes = [UInt8](try Data(contentsOf: ExifFixtures.url("orientation-6.jpg")))
        let good = try ImageCodec.decode(data: Data(bytes), name: "good.jpg")
        // The IFD0 offset follows "Exif\0\0MM\0*" (Pillow writes big endian): point it far away.
        let exif = try #require(Self.find(Array("Exif\0\0MM".utf8), in: bytes))
        bytes[exif + 10] = 0xFF
        bytes[exif + 11] = 0xFF
        let bad = try ImageCodec.decode(data: Data(bytes), name: "bad.jpg")
        #expect(bad.exifOrientation == nil)
        #expect(bad.exifNote?.contains("IFD0 offset") == true, "\(bad.exifNote ?? "no note")")
        #expect(bad.rgb == good.rgb)
        // An APP1 segment whose length runs past the end of the file: the walk stops there.
        let cut: [UInt8] = [0xFF, 0xD8, 0xFF, 0xE1, 0xFF, 0xF0] + Array("Exif\0\0II".utf8)
        #expect(cut.withUnsafeBytes { ExifReader.exifBlock(inJPEG: $0) } == nil)
        // A PNG chunk claiming 4 GB: no block, no crash.
        let png: [UInt8] =
            [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0xFF, 0xFF, 0xFF, 0xFF] + Array("eXIf".utf8)
        #expect(png.withUnsafeBytes { ExifReader.exifBlock(inPNG: $0) } == nil)
    }

    @Test("several Exif segments are joined as Pillow joins them")
    func joinsSegments() {
        let block = Self.tiff(ifd: Self.ifd(value: 3))
        func app1(_ payload: [UInt8]) -> [UInt8] {
            let length = payload.count + 8
            return [0xFF, 0xE1, UInt8(length >> 8), UInt8(length & 0xFF)] + Array("Exif\0\0".utf8) + payload
        }
        let jpeg =
            [0xFF, 0xD8] + app1(Array(block.prefix(10))) + app1(Array(block.dropFirst(10))) + [0xFF, 0xDA, 0x00, 0x02]
        let joined = jpeg.withUnsafeBytes { ExifReader.exifBlock(inJPEG: $0) }
        #expect(joined == block)
        #expect(jpeg.withUnsafeBytes { ExifReader.orientation(inFile: $0) }.orientation == .rotated180)
    }

    @Test("bytes that are not a marker are skipped, as libjpeg and Pillow skip them")
    func skipsBytesBetweenSegments() throws {
        let bytes = [UInt8](try Data(contentsOf: ExifFixtures.url("orientation-6.jpg")))
        // Two zero bytes before the APP1 "Exif" segment: libjpeg decodes the photo (noting
        // extraneous data), Pillow 13's getexif() reads orientation 6 from it (checked by hand).
        let app1 = try #require(Self.find([0xFF, 0xE1], in: bytes))
        let padded = Array(bytes[..<app1]) + [0x00, 0x00] + Array(bytes[app1...])
        let image = try ImageCodec.decode(data: Data(padded), name: "padded.jpg")
        #expect(image.exifOrientation == .rotated90Clockwise, "\(image.exifNote ?? "no note")")
        // After an empty APP0: a stray byte, FF 00 (no marker: Pillow skips it) and a fill byte
        // before the APP1 marker (Pillow reads the tag from the same bytes put in that fixture).
        let block = Self.tiff(ifd: Self.ifd(value: 3))
        let length = block.count + 8
        let jpeg: [UInt8] =
            [
                0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x02, 0x12, 0xFF, 0x00, 0xFF, 0xFF, 0xE1, UInt8(length >> 8),
                UInt8(length & 0xFF),
            ]
            + Array("Exif\0\0".utf8) + block + [0xFF, 0xDA, 0x00, 0x02]
        #expect(jpeg.withUnsafeBytes { ExifReader.orientation(inFile: $0) }.orientation == .rotated180)
    }

    static func find(_ needle: [UInt8], in haystack: [UInt8]) -> Int? {
        guard haystack.count >= needle.count else { return nil }
        return (0...(haystack.count - needle.count)).first { Array(haystack[$0..<($0 + needle.count)]) == needle }
    }
}

enum ExifFixtures {
    /// Version written by make_exif_fixtures.py; bump both together.
    static let version = 5

    struct Manifest: Decodable {
        var version: Int
        var pillow: String
        var images: [Image]
        var tiffBlocks: [TIFFBlock]
        var metadata: [MetadataFile]
    }

    /// A file with its orientation outside (or besides) the EXIF block, and what Pillow's
    /// `exif_transpose` does with it.
    struct MetadataFile: Decodable {
        var file: String
        /// The orientation exif_transpose applied (2...8), nil when it left the pixels as they are.
        var orientation: Int?
        /// `getexif().get(0x0112)` when an int (1 included, which turns nothing).
        var tag: Int?
        /// The exception Pillow raised (opening, loading or in exif_transpose), if any.
        var pillowError: String?
        /// True for a file that holds no image libjpeg or libpng can decode (cut short before its
        /// first scan or its image data, or a second SOI): the decode fails, in Pillow as here.
        var noImage: Bool?
    }

    /// A TIFF block and the orientation Pillow reads from it (nil: none it would apply).
    struct TIFFBlock: Decodable {
        var name: String
        var block: String
        var orientation: Int?
    }

    struct Image: Decodable {
        var file: String
        var orientation: Int?
        var storedWidth: Int
        var storedHeight: Int
        var width: Int
        var height: Int
        var rgb: String
        var alpha: String?
        var cmyk: String?
        var note: Bool?
    }

    static var root: URL { Bundle.module.resourceURL!.appendingPathComponent("Fixtures/exif") }

    static func url(_ name: String) -> URL { root.appendingPathComponent(name) }

    static func manifest() throws -> Manifest {
        let m = try JSONDecoder().decode(Manifest.self, from: Data(contentsOf: url("expected.json")))
        try #require(
            m.version == version, "exif/expected.json version \(m.version) != \(version): re-run make_exif_fixtures.py")
        return m
    }

    /// Bytes from a hex string as Python's `bytes.hex()` writes it.
    static func hex(_ text: String) throws -> [UInt8] {
        let digits = Array(text.utf8)
        try #require(digits.count % 2 == 0, "odd hex length")
        return try stride(from: 0, to: digits.count, by: 2).map { i in
            try #require(UInt8(String(decoding: digits[i..<(i + 2)], as: UTF8.self), radix: 16), "bad hex at \(i)")
        }
    }
}
