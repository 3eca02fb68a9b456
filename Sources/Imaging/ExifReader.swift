/// Finds the EXIF Orientation tag in a JPEG's APP1 "Exif\0\0" segments or a PNG's eXIf chunk,
/// reading the file's bytes as Pillow does (its JPEG plugin joins several Exif segments, its PNG
/// plugin keeps the last eXIf chunk wherever it lies, `Image.Exif` reads IFD0).
///
/// EXIF is outside input: every offset and count is checked against the bytes at hand before it
/// is used, nothing is allocated from a number read, and no offset chain is followed (the tag
/// sits in IFD0; a value too long to sit inline is read once at its offset, when wholly inside
/// the block), so a looping or out-of-range block cannot hang or overrun.
/// A malformed block never fails a decode: it is "no orientation", with a note saying why.
/// Not read: orientation given only in XMP (`tiff:Orientation`) or in a PNG text chunk ("Raw
/// profile type exif"), both of which Pillow also consults.
public enum ExifReader {
    /// What a file says about its orientation.
    public struct Reading: Sendable, Equatable {
        /// The tag's value, when an EXIF block holds a valid one (1...8).
        public var orientation: ExifOrientation?
        /// Why an EXIF block that is present gave no orientation (malformed, or a value outside
        /// 1...8); nil when there is none or it was read.
        public var note: String?

        public init(orientation: ExifOrientation? = nil, note: String? = nil) {
            self.orientation = orientation
            self.note = note
        }
    }

    /// The EXIF Orientation tag number.
    static let orientationTag = 0x0112
    /// Bytes per value of each TIFF field type Pillow 13 reads (`TiffImagePlugin`'s loaders:
    /// BYTE, ASCII, SHORT, LONG, RATIONAL, SBYTE, UNDEFINED, SSHORT, SLONG, SRATIONAL, FLOAT,
    /// DOUBLE, IFD, LONG8); Pillow skips an entry of any other type.
    static let tiffTypeBytes: [UInt16: Int] = [
        1: 1, 2: 1, 3: 2, 4: 4, 5: 8, 6: 1, 7: 1, 8: 2, 9: 4, 10: 8, 11: 4, 12: 8, 13: 4, 16: 8,
    ]

    /// The orientation recorded in an encoded JPEG or PNG (the format told by its magic bytes).
    public static func orientation(inFile bytes: UnsafeRawBufferPointer) -> Reading {
        switch ImageCodec.detectFormat(bytes) {
        case .jpeg: return exifBlock(inJPEG: bytes).map { orientation(inTIFF: $0) } ?? Reading()
        case .png: return exifBlock(inPNG: bytes).map { orientation(inTIFF: $0) } ?? Reading()
        case nil: return Reading()
        }
    }

    // MARK: - Containers

    /// The TIFF block of a JPEG's APP1 "Exif\0\0" segments before the first scan, the segments
    /// joined in order without their prefixes (as Pillow joins them); nil when there is none.
    /// The walk stops at the first scan, at the end of the image, or where a segment's length
    /// breaks the structure (libjpeg judges the file itself). Bytes between segments that are not
    /// a marker (stray bytes, FF 00) are skipped, as libjpeg (with a warning) and Pillow skip them.
    static func exifBlock(inJPEG bytes: UnsafeRawBufferPointer) -> [UInt8]? {
        let prefix: [UInt8] = Array("Exif\0\0".utf8)
        var block: [UInt8] = []
        var found = false
        var pos = 2  // after SOI
        while pos < bytes.count {
            guard bytes[pos] == 0xFF else {
                pos += 1
                continue
            }
            var marker = pos + 1
            while marker < bytes.count && bytes[marker] == 0xFF { marker += 1 }  // fill bytes
            guard marker < bytes.count else { break }
            let code = bytes[marker]
            if code == 0x00 {  // FF 00 is no marker
                pos = marker + 1
                continue
            }
            // Standalone markers carry no length: TEM, RSTn, SOI.
            if code == 0x01 || (0xD0...0xD8).contains(code) {
                pos = marker + 1
                continue
            }
            if code == 0xDA || code == 0xD9 { break }  // SOS, EOI: no APP1 is read after these
            guard bytes.count - marker >= 3 else { break }
            let length = Int(bytes[marker + 1]) << 8 | Int(bytes[marker + 2])
            let start = marker + 3
            let end = marker + 1 + length
            guard length >= 2, end <= bytes.count else { break }
            if code == 0xE1 && end - start >= prefix.count
                && prefix.indices.allSatisfy({ bytes[start + $0] == prefix[$0] })
            {
                block.append(contentsOf: bytes[(start + prefix.count)..<end])
                found = true
            }
            pos = end
        }
        return found ? block : nil
    }

    /// The TIFF block of a PNG's eXIf chunk (the last one, wherever it lies, as Pillow keeps the
    /// last), without an "Exif\0\0" prefix if a writer put one; nil when there is none. The walk
    /// stops at IEND or where a chunk's length runs past the end.
    static func exifBlock(inPNG bytes: UnsafeRawBufferPointer) -> [UInt8]? {
        let prefix: [UInt8] = Array("Exif\0\0".utf8)
        var block: [UInt8]?
        var pos = 8  // after the signature
        while bytes.count - pos >= 12 {
            let length = Int(readUInt32(bytes, at: pos, bigEndian: true))
            let type = readUInt32(bytes, at: pos + 4, bigEndian: true)
            let start = pos + 8
            // The chunk's data and its 4-byte CRC must lie inside the file.
            guard length <= bytes.count - start - 4 else { break }
            if type == 0x4945_4E44 { break }  // "IEND"
            if type == 0x6558_4966 {  // "eXIf"
                var data = Array(bytes[start..<(start + length)])
                if data.starts(with: prefix) { data.removeFirst(prefix.count) }
                block = data
            }
            pos = start + length + 4
        }
        return block
    }

    // MARK: - TIFF

    /// The Orientation tag of a TIFF block's first IFD ("II" or "MM" header, then the IFD0
    /// offset; entries of 12 bytes), read as Pillow 13 reads it (checked against Pillow's own
    /// answers in ExifOrientationTests): the first Orientation entry with at least one value
    /// counts, a later one is ignored; the value is a SHORT or a LONG, and when the entry holds
    /// several (count > 1) the first is used, read inline or, when the values do not fit in the
    /// entry's 4 bytes, at the offset the entry gives. An entry whose values lie outside the
    /// block, or of a type number TIFF does not define, is skipped with a note, as Pillow skips
    /// it ("Tag data larger than file"). Other
    /// value types give no orientation (Pillow turns RATIONAL, FLOAT and signed types that
    /// happen to equal 2...8 too; cameras write SHORT).
    public static func orientation(inTIFF block: [UInt8]) -> Reading {
        block.withUnsafeBytes { orientation(inTIFF: $0) }
    }

    static func orientation(inTIFF b: UnsafeRawBufferPointer) -> Reading {
        guard b.count >= 8 else {
            return Reading(note: "EXIF block of \(b.count) bytes is shorter than a TIFF header (8)")
        }
        let bigEndian: Bool
        switch (b[0], b[1]) {
        case (0x49, 0x49): bigEndian = false  // "II"
        case (0x4D, 0x4D): bigEndian = true  // "MM"
        default:
            return Reading(note: "EXIF block does not start with a TIFF byte order (II or MM)")
        }
        guard readUInt16(b, at: 2, bigEndian: bigEndian) == 42 else {
            return Reading(note: "EXIF block's TIFF header lacks the number 42")
        }
        let ifd = Int(readUInt32(b, at: 4, bigEndian: bigEndian))
        guard ifd >= 8, ifd <= b.count - 2 else {
            return Reading(note: "EXIF IFD0 offset \(ifd) lies outside the block of \(b.count) bytes")
        }
        let entries = Int(readUInt16(b, at: ifd, bigEndian: bigEndian))
        // Only entries that lie wholly inside the block are read.
        let available = min(entries, (b.count - ifd - 2) / 12)
        var skipped: Reading?
        for e in 0..<available {
            let at = ifd + 2 + 12 * e
            guard Int(readUInt16(b, at: at, bigEndian: bigEndian)) == orientationTag else { continue }
            let type = readUInt16(b, at: at + 2, bigEndian: bigEndian)
            let count = Int(readUInt32(b, at: at + 4, bigEndian: bigEndian))
            guard count > 0 else {
                // No value: Pillow keeps nothing for it, so a later entry may still count.
                skipped = Reading(note: "EXIF Orientation entry holds no value (count 0)")
                continue
            }
            // Pillow skips an entry of a type it does not know, so a later entry may still count.
            guard let width = Self.tiffTypeBytes[type] else {
                skipped = Reading(note: "EXIF Orientation entry has type \(type), which is no TIFF type")
                continue
            }
            // count < 2^32 and width <= 8: the product fits in Int.
            let bytes = count * width
            var valueAt = at + 8
            if bytes > 4 {
                let offset = Int(readUInt32(b, at: at + 8, bigEndian: bigEndian))
                guard offset <= b.count, bytes <= b.count - offset else {
                    skipped = Reading(
                        note: "EXIF Orientation's \(count) values at offset \(offset) run past the block of "
                            + "\(b.count) bytes")
                    continue
                }
                valueAt = offset
            }
            // The first entry with values inside the block counts; only a SHORT or LONG turns.
            guard type == 3 || type == 4 else {
                return Reading(note: "EXIF Orientation has type \(type) and count \(count), expected a SHORT or LONG")
            }
            let value =
                width == 2
                ? Int(readUInt16(b, at: valueAt, bigEndian: bigEndian))
                : Int(readUInt32(b, at: valueAt, bigEndian: bigEndian))
            guard let orientation = ExifOrientation(rawValue: value) else {
                return Reading(note: "EXIF Orientation \(value) is not one of 1...8")
            }
            return Reading(orientation: orientation)
        }
        if let skipped { return skipped }
        if available < entries {
            return Reading(
                note: "EXIF IFD0 claims \(entries) entries, \(available) fit in the block; no Orientation among them")
        }
        return Reading()
    }

    // MARK: - Bytes

    /// - Precondition: `at + 2 <= bytes.count` (checked by the callers).
    private static func readUInt16(_ bytes: UnsafeRawBufferPointer, at: Int, bigEndian: Bool) -> UInt16 {
        let a = UInt16(bytes[at])
        let b = UInt16(bytes[at + 1])
        return bigEndian ? a << 8 | b : b << 8 | a
    }

    /// - Precondition: `at + 4 <= bytes.count` (checked by the callers).
    private static func readUInt32(_ bytes: UnsafeRawBufferPointer, at: Int, bigEndian: Bool) -> UInt32 {
        let a = UInt32(readUInt16(bytes, at: at, bigEndian: bigEndian))
        let b = UInt32(readUInt16(bytes, at: at + 2, bigEndian: bigEndian))
        return bigEndian ? a << 16 | b : b << 16 | a
    }
}
