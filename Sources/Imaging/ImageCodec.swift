import CImageCodecs
import Foundation
import KeypointsSupport

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Reads JPEG and PNG files and writes PNG and JPEG files, through libjpeg-turbo and libpng.
///
/// The format is detected from the first bytes, never from the file extension.
///
/// The orientation (EXIF, or XMP and PNG text as Pillow reads them) is read
/// (`DecodedImage.exifOrientation`, by `ExifReader`) but not applied:
/// pixels come out in stored order, exactly as Pillow's `Image.open` gives them (without
/// `ImageOps.exif_transpose`), which is what the CLIP reference pipeline sees;
/// `DecodedImage.displayedUpright()` applies it. Embedded ICC profiles and PNG gamma are ignored,
/// as in Pillow.
///
/// Pixels equal Pillow 13's for every fixture in Tests/ImagingTests/Fixtures/codecs (both use
/// libjpeg-turbo with the default ISLOW IDCT and fancy upsampling). One deliberate difference:
/// a CMYK JPEG without an Adobe marker is read as plain CMYK, where Pillow always assumes
/// Adobe's inverted CMYK (such files are rare; Photoshop and Pillow write the marker).
public enum ImageCodec {
    /// The formats this codec reads.
    public enum Format: String, Sendable {
        case jpeg = "JPEG"
        case png = "PNG"
    }

    /// The format announced by the magic bytes, or nil.
    public static func detectFormat(_ bytes: UnsafeRawBufferPointer) -> Format? {
        if bytes.count >= 3, bytes[0] == 0xFF, bytes[1] == 0xD8, bytes[2] == 0xFF {
            return .jpeg
        }
        let pngSignature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
        if bytes.count >= 8, pngSignature.indices.allSatisfy({ bytes[$0] == pngSignature[$0] }) {
            return .png
        }
        return nil
    }

    // MARK: - Decoding

    /// Decodes a JPEG or PNG file.
    /// - Parameters:
    ///   - url: a file URL; only a regular file of at most `ImagingLimits.fileBytes` is read
    ///     (a FIFO or device is refused without blocking).
    ///   - options: where the file must lie, and whether damaged JPEGs are accepted.
    /// - Returns: the pixels as 8-bit RGB plus alpha and source details.
    /// - Throws: `ImageError.unreadable`, `.unknownFormat`, `.decodeFailed`, `.damaged`,
    ///   `.tooLarge` or `.unsupported`, each naming the file.
    public static func decode(contentsOf url: URL, options: ImageReadOptions = ImageReadOptions()) throws(ImageError)
        -> DecodedImage
    {
        let data = try readFile(url, options: options)
        return try decode(data: data, name: url.path, options: options)
    }

    /// Decodes JPEG or PNG bytes held in memory.
    /// - Parameters:
    ///   - data: the encoded file.
    ///   - name: how errors refer to the data (usually the path it came from).
    ///   - options: whether damaged JPEGs are accepted (the containment is not used here).
    public static func decode(data: Data, name: String, options: ImageReadOptions = ImageReadOptions())
        throws(ImageError) -> DecodedImage
    {
        let result: Result<DecodedImage, ImageError> = data.withUnsafeBytes { raw in
            guard let format = detectFormat(raw), let base = raw.baseAddress else {
                return .failure(.unknownFormat(path: name, byteCount: raw.count))
            }
            return decode(
                base.assumingMemoryBound(to: UInt8.self), count: raw.count,
                format: format, name: name, allowDamaged: options.allowDamaged
            ).map { $0.with(exif: ExifReader.orientation(inFile: raw)) }
        }
        return try result.get()
    }

    private static func decode(
        _ bytes: UnsafePointer<UInt8>, count: Int, format: Format,
        name: String, allowDamaged: Bool
    ) -> Result<DecodedImage, ImageError> {
        var image = kp_image()
        var message = [CChar](repeating: 0, count: 512)
        let limits = kp_limits(
            max_side: Int64(ImagingLimits.side), max_pixels: Int64(ImagingLimits.pixels),
            stop_at_damage: allowDamaged ? 0 : 1)
        let status = message.withUnsafeMutableBufferPointer { err -> Int32 in
            switch format {
            case .jpeg: return kp_decode_jpeg(bytes, count, limits, &image, err.baseAddress, err.count)
            case .png: return kp_decode_png(bytes, count, limits, &image, err.baseAddress, err.count)
            }
        }
        defer { kp_image_free(&image) }
        let text = String(decoding: message.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        switch Int(status) {
        case Int(KP_OK.rawValue):
            break
        case Int(KP_ERR_TOO_LARGE.rawValue):
            return .failure(.tooLarge(path: name, format: format.rawValue, message: text))
        case Int(KP_ERR_DAMAGED.rawValue):
            return .failure(.damaged(path: name, format: format.rawValue, warnings: [text]))
        case Int(KP_ERR_UNSUPPORTED.rawValue):
            return .failure(.unsupported(path: name, format: format.rawValue, what: text))
        default:
            return .failure(.decodeFailed(path: name, format: format.rawValue, message: text))
        }
        let decoded = wrap(image)
        if decoded.isDamaged && !allowDamaged {
            return .failure(.damaged(path: name, format: format.rawValue, warnings: decoded.warnings))
        }
        return .success(decoded)
    }

    /// Copies a kp_image filled by the C shim into Swift storage.
    private static func wrap(_ image: kp_image) -> DecodedImage {
        let width = Int(image.width)
        let height = Int(image.height)
        let count = width * height
        let rgb = RGBImage(
            width: width, height: height,
            pixels: Array(UnsafeBufferPointer(start: image.rgb, count: count * 3)))
        let alpha = image.alpha.map { Array(UnsafeBufferPointer(start: $0, count: count)) }
        let cmyk = image.cmyk.map { Array(UnsafeBufferPointer(start: $0, count: count * 4)) }
        let grey16 = image.grey16.map { Array(UnsafeBufferPointer(start: $0, count: count)) }
        let model: DecodedImage.ColorModel
        switch Int(image.color_model) {
        case Int(KP_MODEL_GRAY.rawValue): model = .gray
        case Int(KP_MODEL_GRAY_ALPHA.rawValue): model = .grayAlpha
        case Int(KP_MODEL_RGBA.rawValue): model = .rgba
        case Int(KP_MODEL_PALETTE.rawValue): model = .palette
        case Int(KP_MODEL_BILEVEL.rawValue): model = .bilevel
        case Int(KP_MODEL_CMYK.rawValue): model = .cmyk
        default: model = .rgb
        }
        var warningsBuffer = image.warnings
        let warnings = withUnsafeBytes(of: &warningsBuffer) { raw -> [String] in
            let text = String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            return text.isEmpty ? [] : text.split(separator: "\n").map(String.init)
        }
        return DecodedImage(
            rgb: rgb, alpha: alpha, cmyk: cmyk, grey16: grey16, colorModel: model,
            bitDepth: Int(image.bit_depth), hasTransparencyChunk: image.has_trns != 0,
            isProgressive: image.progressive != 0, warnings: warnings, isDamaged: image.damaged != 0)
    }

    // MARK: - Encoding

    /// Encodes an RGB image as an 8-bit PNG.
    public static func encodePNG(_ image: RGBImage) throws(ImageError) -> Data {
        try encodePNG(pixels: image.pixels, width: image.width, height: image.height, channels: 3)
    }

    /// Encodes an RGB image with an alpha plane (`width * height` bytes) as an 8-bit RGBA PNG.
    public static func encodePNG(_ image: RGBImage, alpha: [UInt8]) throws(ImageError) -> Data {
        precondition(
            alpha.count == image.width * image.height,
            "encodePNG: alpha has \(alpha.count) bytes for \(image.width)x\(image.height)")
        var rgba = [UInt8](repeating: 0, count: alpha.count * 4)
        for i in 0..<alpha.count {
            rgba[4 * i] = image.pixels[3 * i]
            rgba[4 * i + 1] = image.pixels[3 * i + 1]
            rgba[4 * i + 2] = image.pixels[3 * i + 2]
            rgba[4 * i + 3] = alpha[i]
        }
        return try encodePNG(pixels: rgba, width: image.width, height: image.height, channels: 4)
    }

    private static func encodePNG(
        pixels: [UInt8], width: Int, height: Int,
        channels: Int
    ) throws(ImageError) -> Data {
        try encoded(pixels, what: "\(width)x\(height)") { px, out, length, err, errLength in
            kp_encode_png(px, Int32(width), Int32(height), Int32(channels), out, length, err, errLength)
        }
    }

    /// Encodes an RGB image as a baseline JPEG at `quality` (1...100, libjpeg's scale), 4:4:4
    /// (no chroma subsampling, so thin coloured lines and text keep their colour), optimised
    /// Huffman tables.
    public static func encodeJPEG(_ image: RGBImage, quality: Int = FigureFormat.jpegQuality) throws(ImageError)
        -> Data
    {
        precondition((1...100).contains(quality), "encodeJPEG: quality \(quality) outside 1...100")
        return try encoded(image.pixels, what: "JPEG \(image.width)x\(image.height)") {
            px, out, length, err, errLength in
            kp_encode_jpeg(px, Int32(image.width), Int32(image.height), Int32(quality), out, length, err, errLength)
        }
    }

    /// Runs one kp_encode_* call on `pixels` and copies its malloc'ed output into `Data`; a
    /// failure becomes `ImageError.encodeFailed` naming `what` and the library's message.
    private static func encoded(
        _ pixels: [UInt8], what: String,
        _ encode: (
            UnsafePointer<UInt8>?, UnsafeMutablePointer<UnsafeMutablePointer<UInt8>?>, UnsafeMutablePointer<Int>,
            UnsafeMutablePointer<CChar>?, Int
        ) -> Int32
    ) throws(ImageError) -> Data {
        var out: UnsafeMutablePointer<UInt8>? = nil
        var length = 0
        var message = [CChar](repeating: 0, count: 512)
        let status = pixels.withUnsafeBufferPointer { px in
            message.withUnsafeMutableBufferPointer { err in
                encode(px.baseAddress, &out, &length, err.baseAddress, err.count)
            }
        }
        defer { kp_buffer_free(out) }
        guard status == Int32(KP_OK.rawValue), let out else {
            let text = String(decoding: message.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            throw .encodeFailed(message: "\(what): \(text)")
        }
        return Data(bytes: out, count: length)
    }

    /// Writes an RGB image as PNG, atomically: the bytes go to a temporary file in the same
    /// directory, which is then renamed over `url`, so readers never see a half-written file.
    public static func writePNG(_ image: RGBImage, to url: URL) throws(ImageError) {
        try writeFigure(image, to: url, format: .png)
    }

    /// Writes an RGB image in `format`, atomically (as `writePNG`).
    public static func writeFigure(_ image: RGBImage, to url: URL, format: FigureFormat) throws(ImageError) {
        let data: Data
        switch format {
        case .png: data = try encodePNG(image)
        case .jpeg: data = try encodeJPEG(image)
        }
        try writeAtomically(data, to: url)
    }

    /// Writes bytes through a temporary sibling file (flushed with fsync) plus rename(2).
    static func writeAtomically(_ data: Data, to url: URL) throws(ImageError) {
        let temporary = url.deletingLastPathComponent()
            .appendingPathComponent(".\(url.lastPathComponent).\(UUID().uuidString).tmp")
        func failure(_ step: String) -> ImageError {
            .writeFailed(path: url.path, reason: "\(step): \(String(cString: strerror(errno)))")
        }
        let fd = open(temporary.path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw failure("cannot create \(temporary.lastPathComponent)") }
        let written = data.withUnsafeBytes { raw -> Bool in
            var offset = 0
            while offset < raw.count {
                let n = write(fd, raw.baseAddress! + offset, raw.count - offset)
                if n < 0 && errno == EINTR { continue }
                if n <= 0 { return false }
                offset += n
            }
            return fsync(fd) == 0
        }
        let error = written ? nil : failure("cannot write \(temporary.lastPathComponent)")
        close(fd)
        if let error {
            unlink(temporary.path)
            throw error
        }
        if rename(temporary.path, url.path) != 0 {
            let error = failure("cannot rename \(temporary.lastPathComponent) into place")
            unlink(temporary.path)
            throw error
        }
    }

    /// Reads a whole image file through `RegularFile` (regular files only, size cap, optional
    /// containment in a root folder).
    static func readFile(_ url: URL, options: ImageReadOptions = ImageReadOptions()) throws(ImageError) -> Data {
        try RegularFile.read(
            url, maxBytes: ImagingLimits.fileBytes, limitName: "ImagingLimits.fileBytes",
            containment: options.containment
        ) { ImageError.unreadable(path: url.path, reason: $0.message) }
    }
}

/// How `ImageCodec.decode(contentsOf:options:)` treats a file.
public struct ImageReadOptions: Sendable, Equatable {
    /// When set, the file must resolve (after symlinks) inside this root.
    public var containment: RegularFile.Containment?
    /// Accept JPEGs with corrupt data (`DecodedImage.isDamaged`) instead of failing.
    public var allowDamaged: Bool

    public init(containment: RegularFile.Containment? = nil, allowDamaged: Bool = false) {
        self.containment = containment
        self.allowDamaged = allowDamaged
    }
}
