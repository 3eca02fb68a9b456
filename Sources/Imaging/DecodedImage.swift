/// An image as decoded from a file: 8-bit RGB, plus what the file held beyond RGB.
///
/// The extra fields let `ImagePreprocessor` resample exactly the way Pillow does for the mode
/// `Image.open` would give the same file (premultiplied alpha for RGBA/LA, nearest neighbour for
/// palette and 1-bit images, CMYK space for CMYK JPEGs, 16-bit samples for 16-bit grey PNGs).
public struct DecodedImage: Sendable, Equatable {
    /// Colour model of the source file; the Pillow mode is given per case.
    public enum ColorModel: String, Sendable, Equatable, CaseIterable {
        /// JPEG with 1 component, PNG grey with 2 to 16 bits (Pillow "L"; "I;16" at 16 bits).
        case gray
        /// PNG grey + alpha (Pillow "LA"; "RGBA" at 16 bits).
        case grayAlpha
        /// JPEG with 3 components, PNG truecolour (Pillow "RGB").
        case rgb
        /// PNG truecolour + alpha (Pillow "RGBA").
        case rgba
        /// PNG indexed colour, with or without tRNS (Pillow "P").
        case palette
        /// PNG 1-bit grey (Pillow "1").
        case bilevel
        /// JPEG with 4 components, CMYK or YCCK (Pillow "CMYK").
        case cmyk
    }

    /// The pixels as 8-bit RGB, as Pillow's `Image.open(f).convert("RGB")` gives them: grey
    /// expanded, palette looked up, CMYK converted, 16-bit RGB, RGBA and grey + alpha reduced to
    /// each sample's high byte, 16-bit grey ("I;16") clipped to 255.
    public let rgb: RGBImage
    /// One byte per pixel (255 = opaque) when the file has an alpha channel or a tRNS chunk.
    public let alpha: [UInt8]?
    /// C, M, Y, K ink per pixel (0 = no ink) for CMYK JPEGs, else nil.
    public let cmyk: [UInt8]?
    /// The 16-bit samples of a 16-bit grey PNG (Pillow "I;16"), one per pixel, else nil. OpenAI
    /// CLIP resizes these (Pillow's 16-bit bicubic) before `convert("RGB")` clips them to 255,
    /// so `ImagePreprocessor` resamples them; `rgb` holds them clipped.
    public let grey16: [UInt16]?
    public let colorModel: ColorModel
    /// Bits per sample in the file: 8 for JPEG; 1, 2, 4, 8 or 16 for PNG.
    public let bitDepth: Int
    /// True when the alpha plane came from a PNG tRNS chunk rather than an alpha channel.
    public let hasTransparencyChunk: Bool
    /// Progressive JPEG or interlaced PNG.
    public let isProgressive: Bool
    /// Non-fatal warnings from libjpeg/libpng (e.g. "Corrupt JPEG data: 2 extraneous bytes ...").
    public let warnings: [String]
    /// Decoded although libjpeg reported corrupt data (only with
    /// `ImageReadOptions.allowDamaged`; otherwise such a file is an `ImageError.damaged`):
    /// parts of the picture are grey or stale, `warnings` say what the decoder saw.
    public let isDamaged: Bool
    /// What `ExifReader` found in the file: the orientation where Pillow's `getexif()` finds it
    /// (the EXIF Orientation tag, a PNG "Raw profile type exif" text, or XMP), where it was found,
    /// and why metadata that is present gave none. Read but not applied: the pixels are in stored
    /// order, as Pillow's `Image.open` gives them. `displayedUpright()` applies it.
    public let exif: ExifReader.Reading
    /// The file's orientation (`exif.orientation`). Nil when the file has none (or a malformed
    /// one, see `exifNote`).
    public var exifOrientation: ExifOrientation? { exif.orientation }
    /// Where `exifOrientation` was found (EXIF tag, PNG raw profile or XMP); nil without one.
    public var exifOrientationSource: ExifReader.Reading.Source? { exif.source }
    /// Why the file's orientation metadata gave no orientation (e.g. "EXIF IFD0 offset 9000 lies
    /// outside the block of 60 bytes"); the decode itself is unaffected.
    public var exifNote: String? { exif.note }

    public var width: Int { rgb.width }
    public var height: Int { rgb.height }

    /// Wraps plain pixels, e.g. an image made in memory.
    /// - Parameters:
    ///   - rgb: the colour pixels.
    ///   - alpha: optional alpha plane of `rgb.width * rgb.height` bytes; with one, the image is
    ///     treated as RGBA (premultiplied resampling, like Pillow).
    public init(rgb: RGBImage, alpha: [UInt8]? = nil) {
        if let alpha {
            precondition(
                alpha.count == rgb.width * rgb.height,
                "DecodedImage: alpha has \(alpha.count) bytes for \(rgb.width)x\(rgb.height)")
        }
        self.rgb = rgb
        self.alpha = alpha
        self.cmyk = nil
        self.grey16 = nil
        self.colorModel = alpha == nil ? .rgb : .rgba
        self.bitDepth = 8
        self.hasTransparencyChunk = false
        self.isProgressive = false
        self.warnings = []
        self.isDamaged = false
        self.exif = ExifReader.Reading()
    }

    init(
        rgb: RGBImage, alpha: [UInt8]?, cmyk: [UInt8]?, grey16: [UInt16]?, colorModel: ColorModel,
        bitDepth: Int, hasTransparencyChunk: Bool, isProgressive: Bool, warnings: [String], isDamaged: Bool = false,
        exif: ExifReader.Reading = ExifReader.Reading()
    ) {
        if let grey16 {
            precondition(
                grey16.count == rgb.width * rgb.height,
                "DecodedImage: grey16 has \(grey16.count) samples for \(rgb.width)x\(rgb.height)")
        }
        self.rgb = rgb
        self.alpha = alpha
        self.cmyk = cmyk
        self.grey16 = grey16
        self.colorModel = colorModel
        self.bitDepth = bitDepth
        self.hasTransparencyChunk = hasTransparencyChunk
        self.isProgressive = isProgressive
        self.warnings = warnings
        self.isDamaged = isDamaged
        self.exif = exif
    }

    /// The pixels inside a rectangle, like Pillow's `im.crop((x, y, x + width, y + height))`:
    /// colour, alpha, CMYK and 16-bit grey planes are cut alike and the source details are kept, so the crop
    /// is preprocessed the way Pillow would preprocess it.
    /// - Precondition: the rectangle is non-empty and lies inside the image.
    public func cropped(x: Int, y: Int, width: Int, height: Int) -> DecodedImage {
        let rgb = self.rgb.cropped(x: x, y: y, width: width, height: height)
        func cut<Sample: FixedWidthInteger>(_ plane: [Sample], channels: Int) -> [Sample] {
            var out = [Sample](repeating: 0, count: width * height * channels)
            for row in 0..<height {
                let from = ((y + row) * self.width + x) * channels
                out.replaceSubrange(
                    (row * width * channels)..<((row + 1) * width * channels),
                    with: plane[from..<(from + width * channels)])
            }
            return out
        }
        return DecodedImage(
            rgb: rgb, alpha: alpha.map { cut($0, channels: 1) },
            cmyk: cmyk.map { cut($0, channels: 4) }, grey16: grey16.map { cut($0, channels: 1) },
            colorModel: colorModel,
            bitDepth: bitDepth, hasTransparencyChunk: hasTransparencyChunk,
            isProgressive: isProgressive, warnings: warnings, isDamaged: isDamaged,
            exif: exif)
    }
}

extension DecodedImage {
    /// The same image with what `ExifReader` found in its file.
    func with(exif: ExifReader.Reading) -> DecodedImage {
        DecodedImage(
            rgb: rgb, alpha: alpha, cmyk: cmyk, grey16: grey16, colorModel: colorModel, bitDepth: bitDepth,
            hasTransparencyChunk: hasTransparencyChunk, isProgressive: isProgressive, warnings: warnings,
            isDamaged: isDamaged, exif: exif)
    }
}
