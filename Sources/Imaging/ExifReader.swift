/// Finds a photo's orientation where Pillow 13's `ImageOps.exif_transpose` finds it: the
/// Orientation tag (0x0112) of `Image.getexif()` (PIL/Image.py), which `exif_transpose` applies
/// when it is 2...8 (PIL/ImageOps.py). `getexif` takes it from, in this order:
///
/// 1. `info["exif"]`, the EXIF block: a JPEG's APP1 "Exif\0\0" segments before the first scan,
///    joined in order (PIL/JpegImagePlugin.py `APP`); a PNG's eXIf chunk, the last one wherever
///    it lies (PIL/PngImagePlugin.py `PngStream.chunk_eXIf`; chunks after IDAT are read by
///    `PngImageFile.load_end`, which `exif_transpose` runs through `load()`); or a PNG tEXt chunk
///    keyed "exif", its bytes as they are (`chunk_tEXt`). `Exif.load` drops one or two leading
///    "Exif\0\0" and reads IFD0 (`TiffImagePlugin.ImageFileDirectory_v2.load`); an empty block
///    holds no tags.
/// 2. Only when the file has no `info["exif"]` at all (an empty eXIf chunk is one): a PNG text
///    chunk "Raw profile type exif" (tEXt, zTXt or iTXt, as ImageMagick writes it:
///    "\nexif\n  LENGTH\nHEX..."), decoded by `bytes.fromhex("".join(text.split("\n")[3:]))`:
///    what follows the third line feed, line feeds removed, as pairs of hex digits (ASCII white
///    space allowed before a pair, not inside one; the length line is not read; fewer than three
///    line feeds give an empty block).
/// 3. Only when IFD0 of that block holds no Orientation entry Pillow keeps (`0x0112 in exif`: the
///    first entry of a type Pillow reads, with values inside the block; a value outside 1...8 or
///    of another type is kept, and then XMP is not read): XMP, searched with the regular
///    expression `tiff:Orientation(="|>)([0-9])`, the first match (`re.search`). This is a text
///    search, not XML: `tiff:Orientation='6'` or white space before the digit do not match, and
///    "0" or "9" (as in "06") is no orientation. The packet is `info["XML:com.adobe.xmp"]` (the
///    last PNG tEXt, zTXt or iTXt chunk of that key) when it is not empty, else `info["xmp"]`:
///    a JPEG's APP1 segment after "http://ns.adobe.com/xap/1.0/\0", the last such segment before
///    the first scan (extended XMP, "http://ns.adobe.com/xmp/extension/", is not read), or the
///    bytes of a PNG iTXt "XML:com.adobe.xmp" chunk (kept even when its text is not UTF-8 and the
///    chunk is otherwise ignored, `chunk_iTXt`).
///
/// PNG text chunks are read as `PngStream.chunk_tEXt`, `chunk_zTXt` and `chunk_iTXt` read them:
/// the key runs to the first NUL (a tEXt or zTXt without one is all key), an empty key is not
/// kept, a later chunk of a key replaces an earlier one. zTXt: data zlib cannot inflate gives
/// empty text (which, for "XML:com.adobe.xmp", lets `info["xmp"]` count again); a stream cut short
/// gives what it inflates to. iTXt: compressed when its flag is not 0, then only with method 0
/// (else ignored); data zlib cannot inflate (a preset dictionary included), or a language,
/// translated key or text that is not UTF-8, make it ignored. Compressed chunks are inflated with
/// zlib as `_safe_zlib_decompress` does (CImageCodecs `kp_inflate_zlib`), at most
/// `ImagingLimits.textChunkBytes` each and `ImagingLimits.textBytesTotal` in all (Pillow's
/// `MAX_TEXT_CHUNK` and `MAX_TEXT_MEMORY`, past which Pillow refuses the file); chunks of every
/// key are inflated and counted (iTXt text in characters), as Pillow does, since one of another
/// key can make Pillow refuse the file.
///
/// The file's structure is walked as Pillow walks it (`metadata(inJPEG:)`, `metadata(inPNG:)`):
/// JPEG markers up to the first scan as `JpegImageFile._open` reads them (an MPO is read as its
/// first frame, as Pillow opens it); PNG chunks as `PngImageFile._open` and `load_end` read them,
/// with CRCs checked before the image data only, and an animated PNG (APNG) read only up to the
/// fcTL after its first image's data. IFD0 is read as `ImageFileDirectory_v2.load` reads it (`ifd0Outcome`):
/// from any offset (one inside the header too), with the running total of out-of-line value
/// sizes held against the block's length, and stopping where a value cannot be read; the header
/// variants Pillow accepts ("MM*\0", "II\0*", and "MM\0+", read as classic TIFF) are read.
///
/// Where Pillow raises instead, and its pipeline has no image, the reading is "no orientation"
/// with a note: a block that is not TIFF (shorter than 8 bytes, no II/MM, a header Pillow does not
/// accept, a little-endian BigTIFF: "not a TIFF file", struct.error), a "Raw profile type exif"
/// that is not hex (ValueError), a text chunk keyed "exif" or "xmp" that Pillow holds as text
/// (zTXt or iTXt "exif", any "xmp": TypeError) where it is read, a zTXt compression method other
/// than 0, the limits above, a PNG chunk with a wrong CRC before the image data (or one cut short
/// by the end of the file), a PNG chunk whose data runs past the end of the file (before the image
/// data or after it; image data running past the end only ends the walk), APNG chunks
/// Pillow's checks refuse (truncated, out of sequence, a frame outside the image), and JPEG
/// markers Pillow does not know (TEM, 01...BF), segments running past the end, and a second SOI
/// or an EOI before the first scan (libjpeg finds no image). (For a JPEG whose block is not TIFF,
/// Pillow itself gives no orientation, XMP unread, unless its JFIF segment gives a dpi: its failed
/// `getexif` during `open` is cached.)
///
/// Not followed: Orientation values of other types that equal 2...8 (see `orientation(inTIFF:)`),
/// and the checks Pillow makes of other chunks and segments (IHDR beyond its length, PLTE, tRNS,
/// gAMA, pHYs, iCCP; SOF, DQT), which libpng and libjpeg make of the image too.
///
/// Outside input: every offset, count and length is checked against the bytes at hand before it
/// is used, nothing is allocated from a number read (inflated text is capped, see above; the set
/// of IFD0 tags kept grows with the entries present, under 2^16), and no
/// offset chain is followed (the tag sits in IFD0; a value too long to sit inline is read once at
/// its offset, when wholly inside the block), so a looping or out-of-range block cannot hang or
/// overrun. A malformed block or chunk never fails a decode: it is "no orientation", with a note
/// saying why.
public enum ExifReader {
    /// What a file says about its orientation.
    public struct Reading: Sendable, Equatable {
        /// The orientation (1...8), from the EXIF block, a "Raw profile type exif" text or XMP.
        public var orientation: ExifOrientation?
        /// Why metadata that is present gave no orientation (malformed, a value outside 1...8, or
        /// a file Pillow refuses); nil when there is none or an orientation was read.
        public var note: String?
        /// Where `orientation` was found; nil when there is none.
        public var source: Source?

        /// Where a file's orientation was found, in Pillow's order of precedence. The raw values
        /// are what JSON outputs write (`"exif_transposed_source"`): stable lowercase names.
        public enum Source: String, Sendable, Equatable, Codable, CaseIterable {
            /// The EXIF block's Orientation tag (JPEG APP1 "Exif", PNG eXIf, or PNG tEXt "exif").
            case exif
            /// The EXIF block hex-encoded in a PNG text chunk "Raw profile type exif".
            case rawProfile = "raw_profile"
            /// The `tiff:Orientation` of an XMP packet.
            case xmp

            /// Reads one of the raw values; any other string is refused with a message that names
            /// it and the names expected (a results file's reader reports it with the line and
            /// field: `exif_transposed_source: "EXIF": expected "exif", "raw_profile" or "xmp"`).
            public init(from decoder: any Decoder) throws {
                let name = try decoder.singleValueContainer().decode(String.self)
                guard let source = Self(rawValue: name) else {
                    let names = Self.allCases.map { "\"\($0.rawValue)\"" }
                    throw DecodingError.dataCorrupted(
                        DecodingError.Context(
                            codingPath: decoder.codingPath,
                            debugDescription: "\"\(name)\": expected " + names.dropLast().joined(separator: ", ")
                                + " or " + (names.last ?? "")))
                }
                self = source
            }

            /// How messages name the value, before its number: "EXIF orientation" (as before
            /// sources were told apart), "PNG raw profile EXIF orientation", "XMP tiff:Orientation".
            public var label: String {
                switch self {
                case .exif: "EXIF orientation"
                case .rawProfile: "PNG raw profile EXIF orientation"
                case .xmp: "XMP tiff:Orientation"
                }
            }
        }

        /// - Parameter source: where `orientation` was found (kept only with an orientation).
        public init(orientation: ExifOrientation? = nil, source: Source = .exif, note: String? = nil) {
            self.orientation = orientation
            self.note = note
            self.source = orientation == nil ? nil : source
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

    /// The orientation recorded in an encoded JPEG or PNG (the format told by its magic bytes),
    /// found where Pillow 13 finds it (see the type's documentation).
    public static func orientation(inFile bytes: UnsafeRawBufferPointer) -> Reading {
        switch ImageCodec.detectFormat(bytes) {
        case .jpeg: return orientation(in: metadata(inJPEG: bytes))
        case .png: return orientation(in: metadata(inPNG: bytes))
        case nil: return Reading()
        }
    }

    /// The orientation `Image.getexif()` gives for what the file's `info` holds: the EXIF block
    /// (or, without one, the "Raw profile type exif" text), then XMP when IFD0 holds no
    /// Orientation entry.
    static func orientation(in info: Metadata) -> Reading {
        if let refusal = info.refusal { return Reading(note: refusal) }
        var block: [UInt8]?
        var blockSource = Reading.Source.exif
        switch info.exif {
        case .text?:
            return Reading(
                note:
                    "PNG text chunk \"exif\" is compressed or international text, which Pillow 13 cannot read as EXIF "
                    + "(TypeError)")
        case .bytes(let bytes)?:
            block = bytes
        case nil:
            if let raw = info.rawProfile {
                switch rawProfileBlock(raw) {
                case .success(let bytes):
                    block = bytes
                    blockSource = .rawProfile
                case .failure(let error): return Reading(note: error.note)
                }
            }
        }
        var exifNote: String?
        if let block {
            // `Exif.load` drops one or two leading "Exif\0\0"; an empty block holds no tags.
            let tiff = withoutExifPrefixes(block)
            if !tiff.isEmpty {
                switch tiff.withUnsafeBytes({ tiffOutcome($0) }) {
                case .tag(var reading):
                    if reading.orientation != nil { reading.source = blockSource }
                    return reading
                case .refused(let note): return Reading(note: note)
                case .noTag(let note): exifNote = note
                }
            }
        }
        let packet: [UInt8]
        if let text = info.xmpText, !text.isEmpty {
            packet = text
        } else {
            switch info.xmp {
            case .bytes(let bytes)? where !bytes.isEmpty: packet = bytes
            case .text(let text)? where !text.isEmpty:
                return Reading(
                    note: "PNG text chunk \"xmp\" is text, which Pillow 13 cannot search for an orientation (TypeError)"
                )
            default: return Reading(note: exifNote)
            }
        }
        guard let digit = xmpOrientationDigit(packet) else { return Reading(note: exifNote) }
        guard let orientation = ExifOrientation(rawValue: digit) else {
            return Reading(note: "XMP tiff:Orientation \(digit) is not one of 1...8")
        }
        return Reading(orientation: orientation, source: .xmp)
    }

    /// `block` without one or two leading "Exif\0\0" (Pillow's `Exif.load`:
    /// `re.sub(b"^(Exif\x00\x00){1,2}", b"", data)`).
    static func withoutExifPrefixes(_ block: [UInt8]) -> ArraySlice<UInt8> {
        var rest = block[...]
        for _ in 0..<2 where rest.starts(with: exifPrefix) { rest = rest.dropFirst(exifPrefix.count) }
        return rest
    }

    // MARK: - TIFF

    /// The Orientation tag of a TIFF block's first IFD ("II" or "MM" header, then the IFD0
    /// offset; entries of 12 bytes), read as Pillow 13 reads it (checked against Pillow's own
    /// answers in ExifOrientationTests and ExifMetadataTests): the first Orientation entry Pillow
    /// keeps counts, a later one is ignored; the value is a SHORT or a LONG, and when the entry
    /// holds several (count > 1) the first is used, read inline or, when the values do not fit in
    /// the entry's 4 bytes, at the offset the entry gives. An entry of a type number TIFF does
    /// not define, or whose out-of-line values bring IFD0's running total past the block's length
    /// ("Tag data larger than file"), is skipped with a note, as Pillow skips it; a value that
    /// does not lie wholly inside the block ends IFD0 there, as in Pillow (see `ifd0Outcome`).
    /// Other value types give no orientation (Pillow turns RATIONAL, FLOAT and signed types that
    /// happen to equal 2...8 too; cameras write SHORT).
    public static func orientation(inTIFF block: [UInt8]) -> Reading {
        block.withUnsafeBytes { orientation(inTIFF: $0) }
    }

    static func orientation(inTIFF b: UnsafeRawBufferPointer) -> Reading {
        switch tiffOutcome(b) {
        case .tag(let reading): reading
        case .noTag(let note): Reading(note: note)
        case .refused(let note): Reading(note: note)
        }
    }

    /// What Pillow's `Exif.load` makes of a TIFF block, as far as the orientation goes.
    enum TIFFOutcome: Equatable {
        /// IFD0 holds an Orientation entry Pillow keeps (`0x0112 in exif`): its reading, which
        /// may be no orientation (a value outside 1...8, another type); XMP is then not read.
        case tag(Reading)
        /// No Orientation entry Pillow keeps, with a note when the block is damaged (IFD0 out of
        /// range, entries cut short or skipped), where Pillow only warns: XMP is read.
        case noTag(String?)
        /// No TIFF header, where Pillow raises (`ImageFileDirectory_v2`: "not a TIFF file").
        case refused(String)
    }

    static func tiffOutcome(_ b: UnsafeRawBufferPointer) -> TIFFOutcome {
        // `Exif.load` reads an 8-byte header; `ImageFileDirectory_v2` accepts the prefixes of
        // `TiffImagePlugin.PREFIXES` and takes the byte order from the first two bytes.
        guard b.count >= 8 else {
            return .refused("EXIF block of \(b.count) bytes is shorter than a TIFF header (8)")
        }
        let bigEndian: Bool
        switch (b[0], b[1], b[2], b[3]) {
        // "MM\0*", and "MM*\0" and "MM\0+", which Pillow accepts and reads as classic TIFF.
        case (0x4D, 0x4D, 0x00, 0x2A), (0x4D, 0x4D, 0x2A, 0x00), (0x4D, 0x4D, 0x00, 0x2B): bigEndian = true
        // "II*\0", and "II\0*", which Pillow accepts.
        case (0x49, 0x49, 0x2A, 0x00), (0x49, 0x49, 0x00, 0x2A): bigEndian = false
        case (0x49, 0x49, 0x2B, 0x00):
            return .refused("EXIF block is a BigTIFF (II+), whose header Pillow 13 cannot read (struct.error)")
        case (0x49, 0x49, _, _), (0x4D, 0x4D, _, _):
            return .refused("EXIF block's TIFF header lacks the number 42 (not a TIFF file)")
        default:
            return .refused("EXIF block does not start with a TIFF byte order (II or MM)")
        }
        return ifd0Outcome(b, at: Int(readUInt32(b, at: 4, bigEndian: bigEndian)), bigEndian: bigEndian)
    }

    /// IFD0 read as `ImageFileDirectory_v2.load` reads it, from `ifd` (any offset: one inside
    /// the header reads its bytes as entries), entry by entry, until the first Orientation entry
    /// Pillow keeps. Pillow keeps the first entry of each tag and skips later ones; skips an
    /// entry of an unknown type or with no value; adds the size of each value too long to sit
    /// inline to a running total, and skips the entry once that total passes the block's length
    /// (so overlapping values count each time, and every later out-of-line value is skipped
    /// too); and stops reading IFD0 where such a value does not lie wholly inside the block
    /// ("Truncated File Read") or an entry is cut short.
    static func ifd0Outcome(_ b: UnsafeRawBufferPointer, at ifd: Int, bigEndian: Bool) -> TIFFOutcome {
        guard ifd <= b.count - 2 else {
            return .noTag("EXIF IFD0 offset \(ifd) lies outside the block of \(b.count) bytes")
        }
        let entries = Int(readUInt16(b, at: ifd, bigEndian: bigEndian))
        var kept = Set<UInt16>()  // Pillow's `_tagdata` keys; at most `entries` (< 2^16)
        var total = 0  // at most 2^16 entries * (2^32 - 1) * 8 bytes: fits in Int
        var skipped: String?
        for e in 0..<entries {
            let at = ifd + 2 + 12 * e
            guard b.count - at >= 12 else {
                return .noTag(
                    skipped
                        ?? "EXIF IFD0 claims \(entries) entries, \(e) fit in the block; no Orientation among them")
            }
            let tag = readUInt16(b, at: at, bigEndian: bigEndian)
            let isOrientation = Int(tag) == orientationTag
            guard !kept.contains(tag) else { continue }
            let type = readUInt16(b, at: at + 2, bigEndian: bigEndian)
            // Pillow skips an entry of a type it does not know, so a later entry may still count.
            guard let width = Self.tiffTypeBytes[type] else {
                if isOrientation { skipped = "EXIF Orientation entry has type \(type), which is no TIFF type" }
                continue
            }
            let count = Int(readUInt32(b, at: at + 4, bigEndian: bigEndian))
            // count < 2^32 and width <= 8: the product fits in Int.
            let bytes = count * width
            var valueAt = at + 8
            if bytes > 4 {
                let offset = Int(readUInt32(b, at: at + 8, bigEndian: bigEndian))
                total += bytes
                guard total <= b.count else {
                    if isOrientation {
                        skipped =
                            "EXIF Orientation skipped: out-of-line values of IFD0 up to it total \(total) bytes, more "
                            + "than the block's \(b.count) (Pillow: \"Tag data larger than file\")"
                    }
                    continue
                }
                guard offset <= b.count, bytes <= b.count - offset else {
                    let what = isOrientation ? "Orientation's" : "tag 0x" + String(tag, radix: 16) + "'s"
                    return .noTag(
                        skipped
                            ?? "EXIF \(what) \(count) values at offset \(offset) run past the block of \(b.count) "
                            + "bytes; Pillow stops reading IFD0 there")
                }
                valueAt = offset
            }
            guard bytes > 0 else {
                // No value: Pillow keeps nothing for it, so a later entry may still count.
                if isOrientation { skipped = "EXIF Orientation entry holds no value (count 0)" }
                continue
            }
            kept.insert(tag)
            guard isOrientation else { continue }
            // The first entry Pillow keeps counts; only a SHORT or LONG turns.
            guard type == 3 || type == 4 else {
                return .tag(
                    Reading(note: "EXIF Orientation has type \(type) and count \(count), expected a SHORT or LONG"))
            }
            let value =
                width == 2
                ? Int(readUInt16(b, at: valueAt, bigEndian: bigEndian))
                : Int(readUInt32(b, at: valueAt, bigEndian: bigEndian))
            guard let orientation = ExifOrientation(rawValue: value) else {
                return .tag(Reading(note: "EXIF Orientation \(value) is not one of 1...8"))
            }
            return .tag(Reading(orientation: orientation))
        }
        return .noTag(skipped)
    }

    // MARK: - Bytes

    /// - Precondition: `at + 2 <= bytes.count` (checked by the callers).
    static func readUInt16(_ bytes: UnsafeRawBufferPointer, at: Int, bigEndian: Bool) -> UInt16 {
        let a = UInt16(bytes[at])
        let b = UInt16(bytes[at + 1])
        return bigEndian ? a << 8 | b : b << 8 | a
    }

    /// - Precondition: `at + 4 <= bytes.count` (checked by the callers).
    static func readUInt32(_ bytes: UnsafeRawBufferPointer, at: Int, bigEndian: Bool) -> UInt32 {
        let a = UInt32(readUInt16(bytes, at: at, bigEndian: bigEndian))
        let b = UInt32(readUInt16(bytes, at: at + 2, bigEndian: bigEndian))
        return bigEndian ? a << 16 | b : b << 16 | a
    }
}
