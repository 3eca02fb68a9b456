import Foundation
import Testing

@testable import Imaging

/// Orientation given outside the EXIF block, or by it and XMP at once, found where Pillow 13's
/// `ImageOps.exif_transpose` finds it: XMP in JPEG APP1 segments and PNG text chunks, PNG "Raw
/// profile type exif", a PNG tEXt keyed "exif", and malformed forms of each (fixtures and
/// Pillow's outcome for each from Fixtures/make_exif_fixtures.py, `metadata_cases()`).
@Suite("ExifMetadataTests")
struct ExifMetadataTests {
    @Test("each file gives the orientation Pillow's exif_transpose applies, or a note where Pillow fails")
    func findsOrientationWherePillowDoes() throws {
        let manifest = try ExifFixtures.manifest()
        #expect(manifest.metadata.count >= 120)
        #expect(
            manifest.metadata.contains { $0.pillowError != nil } && manifest.metadata.contains { $0.orientation != nil }
        )
        for entry in manifest.metadata {
            let bytes = [UInt8](try Data(contentsOf: ExifFixtures.url(entry.file)))
            let reading = bytes.withUnsafeBytes { ExifReader.orientation(inFile: $0) }
            // exif_transpose turns for 2...8; an upright reading leaves the pixels as they are.
            let applied = reading.orientation.flatMap { $0 == .upright ? nil : $0.rawValue }
            #expect(applied == entry.orientation, "\(entry.file): \(reading)")
            if entry.tag == 1 { #expect(reading.orientation == .upright, "\(entry.file): \(reading)") }
            if let error = entry.pillowError {
                #expect(reading.note != nil, "\(entry.file): Pillow raises (\(error)); a note must say why")
            }
            if reading.orientation != nil { #expect(reading.note == nil, "\(entry.file): \(reading)") }
            // The decoder reads the same, and a malformed chunk never fails the decode (a file
            // with no image fails it, as it fails Pillow's).
            if entry.noImage == true {
                #expect(throws: (any Error).self, "\(entry.file)") {
                    try ImageCodec.decode(contentsOf: ExifFixtures.url(entry.file))
                }
                continue
            }
            let decoded = try ImageCodec.decode(contentsOf: ExifFixtures.url(entry.file))
            #expect(decoded.exifOrientation == reading.orientation && decoded.exifNote == reading.note, "\(entry.file)")
        }
    }

    /// Files Pillow 13 refuses, or whose orientation it skips, get a note naming the cause (the
    /// outcome of each is expected.json's, checked in findsOrientationWherePillowDoes).
    @Test(
        "a refused or skipped orientation's note names the cause",
        arguments: [
            ("crc-exif-before-idat.png", "PNG chunk eXIf has a wrong CRC before the image data"),
            ("chunk-past-the-end-before-idat.png", "PNG chunk eXIf of 4096 bytes runs past the end of the file"),
            ("chunk-past-the-end-after-idat.png", "PNG chunk prIv of 4096 bytes runs past the end of the file"),
            ("crc-cut-before-idat.png", "PNG chunk eXIf's CRC is cut short by the end of the file"),
            ("apng-fctl-sequence-error.png", "APNG sequence number 1 where 0 was due"),
            ("apng-fctl-outside-image.png", "APNG frame 8x4 at (0, 0) lies outside the 7x4 image"),
            ("apng-not-animated-fdat-truncated.png", "APNG fdAT chunk of 2 bytes is truncated"),
            ("jpeg-tem-before-app1.jpg", "JPEG marker FF01 is not one Pillow 13 reads"),
            ("jpeg-app1-past-the-end.jpg", "JPEG segment FFE1 of 4096 bytes runs past the end of the file"),
            ("jpeg-eoi-before-app1.jpg", "an EOI marker before its first scan"),
            ("tiff-header-ii-2b00.png", "BigTIFF (II+)"),
            ("tiff-header-im.png", "does not start with a TIFF byte order"),
            ("tiff-total-past-size.png", "total 4102 bytes, more than the block's 48"),
            ("tiff-value-past-end-stops.png", "tag 0x10f's 10 values at offset 5000 run past the block"),
        ])
    func refusalNotesNameTheCause(file: String, cause: String) throws {
        let bytes = [UInt8](try Data(contentsOf: ExifFixtures.url(file)))
        let reading = bytes.withUnsafeBytes { ExifReader.orientation(inFile: $0) }
        #expect(reading.orientation == nil && reading.note?.contains(cause) == true, "\(file): \(reading)")
    }

    /// A warning about an orientation left unapplied names where the value was found, so a user
    /// whose photo has no EXIF tag is not told it has one (before, every source said "EXIF
    /// orientation N"). Sources and values as expected.json records them (Pillow 13).
    @Test(
        "the ignored-orientation warning names the orientation's source",
        arguments: [
            ("orientation-6.jpg", "EXIF orientation 6 (rotated 90° clockwise) ignored: c"),
            ("exif-text-6.png", "EXIF orientation 6 (rotated 90° clockwise) ignored: c"),
            (
                "exif-chunk-5-raw-profile-3.png",
                "EXIF orientation 5 (mirrored and rotated 90° counter-clockwise) ignored: c"
            ),
            ("exif-3-xmp-6.jpg", "EXIF orientation 3 (rotated 180°) ignored: c"),
            ("raw-profile-6.png", "PNG raw profile EXIF orientation 6 (rotated 90° clockwise) ignored: c"),
            ("raw-profile-3-xmp-6.png", "PNG raw profile EXIF orientation 3 (rotated 180°) ignored: c"),
            ("xmp-6.jpg", "XMP tiff:Orientation 6 (rotated 90° clockwise) ignored: c"),
            ("xmp-itxt-6.png", "XMP tiff:Orientation 6 (rotated 90° clockwise) ignored: c"),
            ("raw-profile-no-tag-xmp-6.png", "XMP tiff:Orientation 6 (rotated 90° clockwise) ignored: c"),
        ])
    func ignoredMessageNamesTheSource(file: String, message: String) throws {
        let decoded = try ImageCodec.decode(contentsOf: ExifFixtures.url(file))
        #expect(decoded.exifIgnoredMessage("c") == message, "\(file)")
        // Turned upright, the photo has no orientation left, and so no source.
        #expect(decoded.displayedUpright().exifOrientationSource == nil, "\(file)")
    }

    @Test("XMP: the first match of tiff:Orientation(=\"|>)([0-9]), as Pillow's re.search")
    func xmpSearch() {
        let cases: [(String, Int?)] = [
            (#"<a tiff:Orientation="6"/>"#, 6),
            ("<tiff:Orientation>8</tiff:Orientation>", 8),
            (#"tiff:Orientation="x" tiff:Orientation>3"#, 3),
            (#"tiff:Orientation="12""#, 1),
            ("tiff:Orientation='6'", nil),
            (#"tiff:Orientation = "6""#, nil),
            ("tiff:Orientation>", nil),
            (#"tiff:Orientation=""#, nil),
            ("tiff:Orientation", nil),
            (#"xtiff:Orientation="4""#, 4),
            ("", nil),
        ]
        for (packet, digit) in cases {
            #expect(ExifReader.xmpOrientationDigit(Array(packet.utf8)) == digit, "\(packet)")
        }
    }

    /// `bytes.fromhex("".join(text.split("\n")[3:]))`, checked in Python 3.11 for each case.
    @Test("Raw profile type exif: hex after the third line, as Pillow's bytes.fromhex reads it")
    func rawProfileHex() {
        let cases: [(String, [UInt8]?)] = [
            ("\nexif\n   4\n45786966", [0x45, 0x78, 0x69, 0x66]),
            ("\nexif\n   4\n4578\n6966\n", [0x45, 0x78, 0x69, 0x66]),
            ("\nexif\n   4\n4\n5 \t78", [0x45, 0x78]),  // line feeds go before fromhex, even inside a pair
            ("\nexif\n   4\n\r\u{0B}\u{0C} 4f", [0x4F]),
            ("\nexif\n   4\n4 5", nil),
            ("\nexif\n   4\n457", nil),
            ("\nexif\n   4\n45\u{1C}78", nil),
            ("\nexif\n   4\n45\u{A0}", nil),
            ("\nexif\n", []),
            ("", []),
            ("a\nb\nc\n", []),
        ]
        for (text, expected) in cases {
            switch ExifReader.rawProfileBlock(Array(text.utf8)) {
            case .success(let block): #expect(block == expected, "\(text.debugDescription)")
            case .failure(let error):
                #expect(expected == nil, "\(text.debugDescription): \(error.note)")
                #expect(error.note.contains("not hex"))
            }
        }
    }

    /// zlib outcomes as Python's `zlib.decompressobj().decompress(data, 1 << 20)` gives them
    /// (checked in Python 3.11): a whole stream, a cut one (what it gives, no error), junk
    /// (zlib.error), more than 1 MiB with input left (unconsumed_tail: Pillow's "too large").
    @Test("inflation follows Python's zlib.decompressobj with Pillow's 1 MiB limit")
    func inflateOutcomes() throws {
        let url = ExifFixtures.url("xmp-ztxt-4.png")
        let png = [UInt8](try Data(contentsOf: url))
        // The zTXt chunk's zlib data: after "zTXt", the key, NUL and the method byte.
        let key = Array("zTXtXML:com.adobe.xmp".utf8) + [0, 0]
        let start = try #require(ExifOrientationTests.find(key, in: png)) + key.count
        let length =
            Int(png[start - key.count - 4]) << 24 | Int(png[start - key.count - 3]) << 16
            | Int(png[start - key.count - 2]) << 8 | Int(png[start - key.count - 1])
        let stream = Array(png[start..<(start + length - (key.count - 4))])
        guard case .text(let whole) = stream.withUnsafeBytes({ ExifReader.inflate($0) }) else {
            Issue.record("the whole stream does not inflate")
            return
        }
        #expect(String(decoding: whole, as: UTF8.self).contains(#"tiff:Orientation="4""#))
        guard case .text(let cut) = Array(stream.dropLast(6)).withUnsafeBytes({ ExifReader.inflate($0) }) else {
            Issue.record("a cut stream gives no text")
            return
        }
        #expect(!cut.isEmpty && whole.starts(with: cut))
        #expect(Array("junk".utf8).withUnsafeBytes { ExifReader.inflate($0) } == .invalid)
        #expect([UInt8]().withUnsafeBytes { ExifReader.inflate($0) } == .text([]))
    }
}
