import CImageCodecs

/// The metadata `ExifReader` reads from a file's bytes, as Pillow 13's JPEG and PNG plugins
/// leave it in `Image.info`: EXIF blocks, XMP packets and PNG text chunks.
extension ExifReader {
    /// What `Image.info` holds, once the file is opened and loaded, under the keys
    /// `Image.getexif` reads.
    struct Metadata: Equatable {
        /// A value as Pillow keeps it: bytes, or text (a Python `str`, from a PNG text chunk),
        /// which Pillow cannot use where it expects bytes.
        enum Value: Equatable {
            case bytes([UInt8])
            case text([UInt8])
        }

        /// `info["exif"]`: the JPEG's APP1 "Exif" segments joined (the first with its
        /// "Exif\0\0"), "Exif\0\0" and a PNG's eXIf chunk, or a PNG text chunk keyed "exif".
        var exif: Value?
        /// `info["Raw profile type exif"]` (a PNG text chunk).
        var rawProfile: [UInt8]?
        /// `info["XML:com.adobe.xmp"]` (a PNG text chunk).
        var xmpText: [UInt8]?
        /// `info["xmp"]`: a JPEG's XMP segment, a PNG iTXt "XML:com.adobe.xmp" chunk's bytes, or
        /// a PNG text chunk keyed "xmp".
        var xmp: Value?
        /// Why Pillow refuses the file on reading these chunks; nil when it does not.
        var refusal: String?

        /// Keeps a text chunk's value under its key, as text (or as bytes, which only a tEXt
        /// "exif" and an iTXt's "xmp" copy give).
        mutating func store(_ key: TextKey, _ value: [UInt8], asText: Bool) {
            switch key {
            case .exif: exif = asText ? .text(value) : .bytes(value)
            case .xmp: xmp = asText ? .text(value) : .bytes(value)
            case .rawProfile: rawProfile = value
            case .xmpPacket: xmpText = value
            }
        }
    }

    /// The PNG text keys `Image.getexif` reads; a chunk of any other key is not kept.
    enum TextKey: CaseIterable {
        case exif, xmp, rawProfile, xmpPacket

        var name: [UInt8] {
            switch self {
            case .exif: Array("exif".utf8)
            case .xmp: Array("xmp".utf8)
            case .rawProfile: Array("Raw profile type exif".utf8)
            case .xmpPacket: Array("XML:com.adobe.xmp".utf8)
            }
        }

        init?(_ key: UnsafeRawBufferPointer) {
            guard let found = Self.allCases.first(where: { $0.name.elementsEqual(key) }) else { return nil }
            self = found
        }
    }

    static let exifPrefix: [UInt8] = Array("Exif\0\0".utf8)
    /// The start of a JPEG APP1 XMP segment (`JpegImagePlugin.APP`).
    static let xmpPrefix: [UInt8] = Array("http://ns.adobe.com/xap/1.0/\0".utf8)

    // MARK: - JPEG

    /// `info["exif"]` and `info["xmp"]` of a JPEG, from its APP1 segments before the first scan:
    /// the "Exif\0\0" segments joined in order (the first whole, later ones without the prefix),
    /// the last XMP segment after its prefix. The markers are walked as `JpegImageFile._open`
    /// walks them, up to the first SOS: a byte that is not 0xFF, and FF 00, are skipped (libjpeg
    /// skips them too, with a warning), fill bytes (FF FF) run on to the marker; RSTn, JPG (C8)
    /// and JPGn (F0...FD) carry no length; a length below 2 covers no bytes (the walk goes on
    /// after it, as in libjpeg). Where Pillow or libjpeg refuse the file, the metadata holds a
    /// refusal: a marker Pillow does not know (TEM and 01...BF: "no marker found"), a segment
    /// running past the end ("Truncated File Read"), a second SOI or an EOI before the first scan
    /// (libjpeg, which Pillow's load runs: no image).
    static func metadata(inJPEG bytes: UnsafeRawBufferPointer) -> Metadata {
        var exif: [UInt8]?
        var xmp: Range<Int>?
        var refusal: String?
        var pos = 2  // after SOI
        walk: while pos < bytes.count {
            guard bytes[pos] == 0xFF else {
                pos += 1
                continue
            }
            var marker = pos + 1
            while marker < bytes.count && bytes[marker] == 0xFF { marker += 1 }  // fill bytes
            guard marker < bytes.count else { break }
            let code = bytes[marker]
            switch code {
            case 0x00:  // FF 00 is no marker
                pos = marker + 1
                continue walk
            case 0xD8, 0xD9:
                refusal =
                    "JPEG has \(code == 0xD8 ? "a second SOI" : "an EOI") marker before its first scan; libjpeg finds "
                    + "no image (Pillow 13 fails to load it)"
                break walk
            case 0xC8, 0xD0...0xD7, 0xF0...0xFD:  // no length: JPG, RSTn, JPGn
                pos = marker + 1
                continue walk
            case 0x01...0xBF:
                refusal =
                    "JPEG marker \(markerName(code)) is not one Pillow 13 reads (SyntaxError: "
                    + "no marker found)"
                break walk
            default: break
            }
            guard bytes.count - marker >= 3 else {
                refusal = "JPEG segment length is cut short by the end of the file; Pillow 13 refuses the file"
                break
            }
            let length = Int(bytes[marker + 1]) << 8 | Int(bytes[marker + 2])
            let start = marker + 3
            // A length below 2 covers no bytes, not even its own.
            let end = max(start, marker + 1 + length)
            guard end <= bytes.count else {
                refusal =
                    "JPEG segment \(markerName(code)) of \(length) bytes runs past the end of "
                    + "the file; Pillow 13 refuses the file (Truncated File Read)"
                break
            }
            if code == 0xDA { break }  // SOS: no APP1 is read after it
            let segment = UnsafeRawBufferPointer(rebasing: bytes[start..<end])
            if code == 0xE1 && segment.starts(with: exifPrefix) {
                if exif == nil {
                    exif = Array(segment)
                } else {
                    exif?.append(contentsOf: segment.dropFirst(exifPrefix.count))
                }
            } else if code == 0xE1 && segment.starts(with: xmpPrefix) {
                xmp = (start + xmpPrefix.count)..<end
            }
            pos = end
        }
        return Metadata(
            exif: exif.map { .bytes($0) }, xmp: xmp.map { .bytes(Array(bytes[$0])) }, refusal: refusal)
    }

    /// "FF01", "FFE1": a marker as two hex bytes.
    private static func markerName(_ code: UInt8) -> String {
        let digits = String(code, radix: 16, uppercase: true)
        return "FF" + (digits.count < 2 ? "0" : "") + digits
    }

    /// The TIFF block of a JPEG's APP1 "Exif" segments, as `Exif.load` reads it; nil when there
    /// is none.
    static func exifBlock(inJPEG bytes: UnsafeRawBufferPointer) -> [UInt8]? {
        guard case .bytes(let block)? = metadata(inJPEG: bytes).exif else { return nil }
        return Array(withoutExifPrefixes(block))
    }

    // MARK: - PNG

    /// `info` of a PNG for the keys `getexif` reads (eXIf, the last one; tEXt, zTXt and iTXt),
    /// from its chunks as `PngImageFile` reads them: `_open` up to the first image data (IDAT,
    /// or an fdAT), checking each chunk's CRC (a wrong one, or one cut short by the end of the
    /// file: Pillow refuses the file); then `load_end`, which `exif_transpose` runs, on to IEND
    /// without checking CRCs, and for an animated PNG only up to the next frame (its fcTL). The
    /// walk stops at IEND, at a chunk type that is not four letters, digits or '_' (Pillow:
    /// "broken PNG file"), where fewer than 8 bytes (a length and a type) are left, at image data
    /// running past the end of the file (the decoder reads what the file holds), or where Pillow
    /// refuses the file: any other chunk whose data runs past the end (before the image data or
    /// after it: "Truncated File Read"), a wrong CRC before the image data, the APNG chunks' own
    /// checks (`APNGState`), the text limits.
    static func metadata(inPNG bytes: UnsafeRawBufferPointer) -> Metadata {
        var info = Metadata()
        var textBytes = 0
        var apng = APNGState()
        /// Whether `_open` has met the image data: from there on, `load_end` reads the chunks.
        var loadEnd = false
        /// Whether the chunk is image data: the first IDAT or fdAT and those following it with no
        /// other chunk between, which the decoder reads (`load_read`).
        var imageData = false
        var pos = 8  // after the signature
        while bytes.count - pos >= 8 {
            let length = Int(readUInt32(bytes, at: pos, bigEndian: true))
            let start = pos + 8
            guard (pos + 4..<start).allSatisfy({ isChunkTypeByte(bytes[$0]) }) else { break }
            let type = readUInt32(bytes, at: pos + 4, bigEndian: true)
            let name = String(decoding: bytes[(pos + 4)..<start], as: UTF8.self)
            // The chunk's data as far as the file holds it: all of it unless its length runs past the end.
            let end = start + min(length, bytes.count - start)
            let data = UnsafeRawBufferPointer(rebasing: bytes[start..<end])
            let whole = end - start == length
            let opening = !loadEnd
            imageData = (type == 0x4944_4154 || type == 0x6664_4154) && (opening || imageData)  // IDAT, fdAT
            switch type {
            case 0x4945_4E44: return info  // "IEND", its data unread
            case 0x6663_544C where loadEnd && apng.animated: return info  // "fcTL": the next frame
            case 0x4944_4154 where opening: loadEnd = apng.imageDataStarts()  // "IDAT"
            case 0x6664_4154:  // "fdAT"
                info.refusal = apng.frameData(data, length: length)
                if opening { loadEnd = apng.imageDataStarts() }
            case _ where !whole: break  // not read: see below
            case 0x6558_4966: info.exif = .bytes(exifPrefix + Array(data))  // "eXIf"
            case 0x7445_5874: readText(data, into: &info, textBytes: &textBytes)  // "tEXt"
            case 0x7A54_5874: readCompressedText(data, into: &info, textBytes: &textBytes)  // "zTXt"
            case 0x6954_5874: readInternationalText(data, into: &info, textBytes: &textBytes)  // "iTXt"
            case 0x4948_4452: info.refusal = apng.header(data)  // "IHDR"
            case 0x6163_544C: info.refusal = apng.animationControl(data, opening: opening)  // "acTL"
            case 0x6663_544C: info.refusal = apng.frameControl(data)  // "fcTL"
            default: break
            }
            if info.refusal != nil { return info }
            guard whole else {
                // Image data is read as far as the file holds it, and nothing follows it. Every
                // other chunk's handler reads its data whole first (`ImageFile._safe_read`), in
                // `_open` and in `load_end` alike, so Pillow refuses the file; `getexif` alone may
                // not (it loads nothing when `_open` found an eXIf), but `exif_transpose` loads it.
                if !imageData { info.refusal = pastTheEnd(name, length) }
                return info
            }
            // `_open` checks the CRC of every chunk before the one that starts the image data.
            if opening && !loadEnd {
                guard bytes.count - end >= 4 else {
                    info.refusal =
                        "PNG chunk \(name)'s CRC is cut short by the end of the file; Pillow 13 refuses the file "
                        + "(incomplete checksum)"
                    return info
                }
                let typeAndData = UnsafeRawBufferPointer(rebasing: bytes[(pos + 4)..<end])
                guard chunkCRC(typeAndData) == readUInt32(bytes, at: end, bigEndian: true) else {
                    info.refusal = "PNG chunk \(name) has a wrong CRC before the image data; Pillow 13 refuses the file"
                    return info
                }
            }
            pos = end + 4  // after the CRC (`load_end` reads it unchecked, and reads on if it is cut short)
        }
        return info
    }

    /// The note for a chunk whose data runs past the end of the file, which Pillow reads whole.
    static func pastTheEnd(_ name: String, _ length: Int) -> String {
        "PNG chunk \(name) of \(length) bytes runs past the end of the file; Pillow 13 refuses the file "
            + "(Truncated File Read)"
    }

    /// A PNG chunk's CRC: zlib's CRC-32 of its type and data (`typeAndData`), as Pillow's
    /// `ChunkStream.crc` computes it.
    static func chunkCRC(_ typeAndData: UnsafeRawBufferPointer) -> UInt32 {
        kp_crc32(0, typeAndData.baseAddress?.assumingMemoryBound(to: UInt8.self), typeAndData.count)
    }

    /// What Pillow's `PngStream` keeps of the APNG chunks (acTL, fcTL, fdAT) and IHDR, and the
    /// checks it makes of them wherever it reads them (before the image data and in
    /// `load_end`): a truncated IHDR, acTL (under 8 bytes), fcTL (26) or fdAT (4) ("ValueError"),
    /// fcTL and fdAT sequence numbers that do not run 0, 1, 2..., and a frame outside the image
    /// ("SyntaxError").
    struct APNGState {
        var width = 0
        var height = 0
        /// `im_n_frames`: acTL's frame count (1...2^31); a second acTL clears it.
        var frames: Int?
        /// `_seq_num`: the last fcTL or fdAT sequence number.
        var sequence: Int?
        /// Whether an fcTL came before the image data (`"bbox" in im_info`): the IDAT is then
        /// the first frame, not a default image shown before the animation.
        var frameBeforeImage = false
        /// `is_animated`, settled when the image data starts: more than one frame (acTL's count,
        /// plus one for a default image).
        var animated = false

        mutating func header(_ data: UnsafeRawBufferPointer) -> String? {
            guard data.count >= 13 else {
                return "PNG IHDR chunk of \(data.count) bytes is truncated (Pillow 13: ValueError)"
            }
            width = Int(readUInt32(data, at: 0, bigEndian: true))
            height = Int(readUInt32(data, at: 4, bigEndian: true))
            return nil
        }

        /// acTL; after the image data only its length is checked (the count changes nothing).
        mutating func animationControl(_ data: UnsafeRawBufferPointer, opening: Bool) -> String? {
            guard data.count >= 8 else {
                return "APNG acTL chunk of \(data.count) bytes is truncated (Pillow 13: ValueError)"
            }
            guard opening else { return nil }
            if frames != nil {
                frames = nil  // Pillow: "Invalid APNG, will use default PNG image if possible"
            } else {
                let count = Int(readUInt32(data, at: 0, bigEndian: true))
                if count != 0 && count <= 0x8000_0000 { frames = count }
            }
            return nil
        }

        mutating func frameControl(_ data: UnsafeRawBufferPointer) -> String? {
            guard data.count >= 26 else {
                return "APNG fcTL chunk of \(data.count) bytes is truncated (Pillow 13: ValueError)"
            }
            if let error = follow(Int(readUInt32(data, at: 0, bigEndian: true)), first: true) { return error }
            let frameWidth = Int(readUInt32(data, at: 4, bigEndian: true))
            let frameHeight = Int(readUInt32(data, at: 8, bigEndian: true))
            let x = Int(readUInt32(data, at: 12, bigEndian: true))
            let y = Int(readUInt32(data, at: 16, bigEndian: true))
            // Each term < 2^32: the sums fit in Int.
            guard x + frameWidth <= width && y + frameHeight <= height else {
                return
                    "APNG frame \(frameWidth)x\(frameHeight) at (\(x), \(y)) lies outside the \(width)x\(height) image "
                    + "(Pillow 13: SyntaxError)"
            }
            frameBeforeImage = true
            return nil
        }

        /// fdAT of `length` bytes, of which the file holds `data`: its length is checked, then
        /// its sequence number read (the rest is image data).
        mutating func frameData(_ data: UnsafeRawBufferPointer, length: Int) -> String? {
            guard length >= 4 else {
                return "APNG fdAT chunk of \(length) bytes is truncated (Pillow 13: ValueError)"
            }
            guard data.count >= 4 else { return ExifReader.pastTheEnd("fdAT", length) }
            return follow(Int(readUInt32(data, at: 0, bigEndian: true)), first: false)
        }

        /// Takes sequence number `number`: the first fcTL's must be 0, each later one the last
        /// plus one (an fdAT's first too, so one before any fcTL is refused).
        private mutating func follow(_ number: Int, first: Bool) -> String? {
            let expected = sequence.map { $0 + 1 } ?? (first ? 0 : nil)
            guard number == expected else {
                return
                    "APNG sequence number \(number) where \(expected.map(String.init) ?? "an fcTL") was due (Pillow 13: "
                    + "SyntaxError, frame sequence errors)"
            }
            sequence = number
            return nil
        }

        /// The image data starts (Pillow's `chunk_IDAT` in `_open`): settles `animated`, and
        /// returns true (`_open` is done, `load_end` reads on).
        mutating func imageDataStarts() -> Bool {
            let defaultImage = frames != nil && !frameBeforeImage
            animated = (frames ?? 1) + (defaultImage ? 1 : 0) > 1
            return true
        }
    }

    /// The TIFF block of a PNG's eXIf chunk (the last one, wherever it lies), without one
    /// "Exif\0\0" if a writer put one, as `Exif.load` reads it; nil when there is none.
    static func exifBlock(inPNG bytes: UnsafeRawBufferPointer) -> [UInt8]? {
        guard case .bytes(let block)? = metadata(inPNG: bytes).exif else { return nil }
        return Array(withoutExifPrefixes(block))
    }

    /// `PngImagePlugin.is_cid`: `\w` of a bytes pattern.
    private static func isChunkTypeByte(_ c: UInt8) -> Bool {
        (0x30...0x39).contains(c) || (0x41...0x5A).contains(c) || (0x61...0x7A).contains(c) || c == 0x5F
    }

    /// Counts `count` text bytes against `ImagingLimits.textBytesTotal`; false (and a refusal)
    /// past it.
    private static func spend(_ count: Int, _ textBytes: inout Int, _ info: inout Metadata) -> Bool {
        textBytes += count
        guard textBytes > ImagingLimits.textBytesTotal else { return true }
        info.refusal =
            "PNG text chunks hold more than \(ImagingLimits.textBytesTotal) bytes of text; Pillow 13 refuses the file "
            + "(MAX_TEXT_MEMORY)"
        return false
    }

    /// The bytes before the first NUL and those after it; without a NUL, all of them and none.
    private static func splitAtNul(_ data: UnsafeRawBufferPointer) -> (UnsafeRawBufferPointer, UnsafeRawBufferPointer) {
        guard let nul = data.firstIndex(of: 0) else {
            return (data, UnsafeRawBufferPointer(rebasing: data[data.endIndex...]))
        }
        return (UnsafeRawBufferPointer(rebasing: data[..<nul]), UnsafeRawBufferPointer(rebasing: data[(nul + 1)...]))
    }

    /// tEXt (`PngStream.chunk_tEXt`): key to the first NUL, the rest the text (kept as bytes for
    /// the key "exif").
    private static func readText(_ data: UnsafeRawBufferPointer, into info: inout Metadata, textBytes: inout Int) {
        let (key, value) = splitAtNul(data)
        guard !key.isEmpty, spend(value.count, &textBytes, &info), let known = TextKey(key) else { return }
        info.store(known, Array(value), asText: known != .exif)
    }

    /// zTXt (`PngStream.chunk_zTXt`): key, NUL, compression method (0), zlib data. Data zlib
    /// cannot inflate gives empty text. Every chunk is inflated, whatever its key (an empty one
    /// too), and the text of every non-empty key counts against `textBytesTotal`, as Pillow
    /// inflates and counts them: a chunk of another key can make Pillow refuse the file.
    private static func readCompressedText(
        _ data: UnsafeRawBufferPointer, into info: inout Metadata, textBytes: inout Int
    ) {
        let (key, rest) = splitAtNul(data)
        let method = rest.first ?? 0
        guard method == 0 else {
            info.refusal = "PNG zTXt chunk has compression method \(method); Pillow 13 refuses the file (SyntaxError)"
            return
        }
        let text: [UInt8]
        switch inflate(UnsafeRawBufferPointer(rebasing: rest.dropFirst())) {
        case .text(let inflated): text = inflated
        case .invalid: text = []
        case .tooLarge:
            info.refusal = tooLarge("zTXt")
            return
        }
        // Latin-1 text: one character per byte.
        guard !key.isEmpty, spend(text.count, &textBytes, &info), let known = TextKey(key) else { return }
        info.store(known, text, asText: true)
    }

    /// iTXt (`PngStream.chunk_iTXt`): key, NUL, compression flag and method, language, NUL,
    /// translated key, NUL, text (zlib data when the flag is not 0). A chunk without its NULs, of
    /// an unknown method, whose data zlib cannot inflate, or whose language, translated key or
    /// text is not UTF-8, is ignored; the bytes of an "XML:com.adobe.xmp" one are kept as
    /// `info["xmp"]` before the UTF-8 check. As in Pillow, a compressed chunk of any key is
    /// inflated, and the text of any key counts against `textBytesTotal` in characters (Python's
    /// `len` of the decoded text), not in bytes.
    private static func readInternationalText(
        _ data: UnsafeRawBufferPointer, into info: inout Metadata, textBytes: inout Int
    ) {
        guard data.contains(0) else { return }
        let (key, rest) = splitAtNul(data)
        guard rest.count >= 2 else { return }
        let compressed = rest[rest.startIndex] != 0
        let method = rest[rest.startIndex + 1]
        let (language, afterLanguage) = splitAtNul(UnsafeRawBufferPointer(rebasing: rest.dropFirst(2)))
        guard rest.dropFirst(2).contains(0), afterLanguage.contains(0) else { return }
        let (translatedKey, value) = splitAtNul(afterLanguage)
        let text: [UInt8]
        if compressed {
            guard method == 0 else { return }
            switch inflate(value) {
            case .text(let inflated): text = inflated
            case .invalid: return
            case .tooLarge:
                info.refusal = tooLarge("iTXt")
                return
            }
        } else {
            text = Array(value)
        }
        let known = TextKey(key)
        if known == .xmpPacket { info.xmp = .bytes(text) }
        guard isUTF8(language), isUTF8(translatedKey), let characters = utf8Characters(text),
            spend(characters, &textBytes, &info), let known
        else { return }
        info.store(known, text, asText: true)
    }

    private static func tooLarge(_ chunk: String) -> String {
        "PNG \(chunk) chunk inflates to more than \(ImagingLimits.textChunkBytes) bytes; Pillow 13 refuses the file "
            + "(MAX_TEXT_CHUNK)"
    }

    /// Python's strict UTF-8 (`bytes.decode("utf-8", "strict")`): well-formed UTF-8 as Unicode
    /// defines it (no surrogates, no overlong forms), as Swift validates it.
    private static func isUTF8(_ bytes: some Collection<UInt8>) -> Bool {
        String(validating: bytes, as: UTF8.self) != nil
    }

    /// The number of characters (Unicode scalars, Python's `len` of a `str`) of strict UTF-8
    /// `bytes`; nil when they are not UTF-8.
    private static func utf8Characters(_ bytes: [UInt8]) -> Int? {
        String(validating: bytes, as: UTF8.self)?.unicodeScalars.count
    }

    enum Inflated: Equatable {
        /// What the data inflates to (all of it, or what a stream cut short gives).
        case text([UInt8])
        /// zlib cannot inflate it (`zlib.error`).
        case invalid
        /// More than `ImagingLimits.textChunkBytes` (Pillow: "Decompressed data too large").
        case tooLarge
    }

    /// A zlib stream inflated as `PngImagePlugin._safe_zlib_decompress` inflates it.
    static func inflate(_ data: UnsafeRawBufferPointer) -> Inflated {
        let capacity = ImagingLimits.textChunkBytes
        var status = Int32(KP_INFLATE_ERROR.rawValue)
        let out = [UInt8](unsafeUninitializedCapacity: capacity) { buffer, initialized in
            initialized = 0
            guard let target = buffer.baseAddress else { return }
            var written = 0
            status = kp_inflate_zlib(
                data.baseAddress?.assumingMemoryBound(to: UInt8.self), data.count, target, capacity, &written)
            initialized = written
        }
        switch status {
        case Int32(KP_INFLATE_END.rawValue), Int32(KP_INFLATE_PARTIAL.rawValue): return .text(out)
        case Int32(KP_INFLATE_LIMIT.rawValue): return .tooLarge
        default: return .invalid
        }
    }

    // MARK: - Text formats

    /// The digit of the first match of `tiff:Orientation(="|>)([0-9])` in an XMP packet
    /// (`Image.getexif`'s `re.search`; on the bytes, which is the same search as on the text
    /// Pillow decodes from Latin-1 or UTF-8); nil when nothing matches.
    static func xmpOrientationDigit(_ packet: [UInt8]) -> Int? {
        let name = Array("tiff:Orientation".utf8)
        func digit(at i: Int) -> Int? {
            guard i < packet.count, (0x30...0x39).contains(packet[i]) else { return nil }
            return Int(packet[i] - 0x30)
        }
        var i = 0
        while packet.count - i > name.count {
            defer { i += 1 }
            guard packet[i] == name[0], packet[i..<(i + name.count)].elementsEqual(name) else { continue }
            let after = i + name.count
            if packet[after] == UInt8(ascii: ">"), let d = digit(at: after + 1) { return d }
            if packet[after] == UInt8(ascii: "="), after + 1 < packet.count, packet[after + 1] == UInt8(ascii: "\""),
                let d = digit(at: after + 2)
            {
                return d
            }
        }
        return nil
    }

    struct RawProfileError: Error, Equatable {
        var note: String
    }

    /// The bytes of a "Raw profile type exif" text, as `Image.getexif` decodes it:
    /// `bytes.fromhex("".join(text.split("\n")[3:]))`: the first three lines dropped (the
    /// length line is not read; fewer than three line feeds give no bytes), line feeds removed,
    /// then pairs of hex digits, ASCII white space (tab, LF, VT, FF, CR, space) allowed before a
    /// pair but not inside one.
    static func rawProfileBlock(_ text: [UInt8]) -> Result<[UInt8], RawProfileError> {
        var i = 0
        var lineFeeds = 0
        while i < text.count && lineFeeds < 3 {
            if text[i] == 0x0A { lineFeeds += 1 }
            i += 1
        }
        guard lineFeeds == 3 else { return .success([]) }
        /// The next byte that is not a line feed (removed by the join), or nil at the end.
        func next() -> UInt8? {
            while i < text.count && text[i] == 0x0A { i += 1 }
            guard i < text.count else { return nil }
            defer { i += 1 }
            return text[i]
        }
        func hexValue(_ c: UInt8?) -> UInt8? {
            switch c {
            case .some(let c) where (0x30...0x39).contains(c): c - 0x30
            case .some(let c) where (0x41...0x46).contains(c): c - 0x41 + 10
            case .some(let c) where (0x61...0x66).contains(c): c - 0x61 + 10
            default: nil
            }
        }
        func notHex(_ c: UInt8?) -> Result<[UInt8], RawProfileError> {
            let what = c.map { "byte 0x" + String($0, radix: 16) } ?? "an odd number of digits"
            return .failure(
                RawProfileError(
                    note: "PNG text chunk \"Raw profile type exif\" is not hex (\(what)); Pillow 13 cannot read it "
                        + "(ValueError)"))
        }
        var block: [UInt8] = []
        block.reserveCapacity((text.count - i) / 2)
        while true {
            var c = next()
            while let space = c, [0x09, 0x0B, 0x0C, 0x0D, 0x20].contains(space) { c = next() }
            guard let first = c else { return .success(block) }
            guard let high = hexValue(first) else { return notHex(first) }
            let second = next()
            guard let low = hexValue(second) else { return notHex(second) }
            block.append(high << 4 | low)
        }
    }
}
