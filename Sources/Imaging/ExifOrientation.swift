/// The EXIF Orientation tag (0x0112): how a camera says the stored pixels must be turned or
/// mirrored to be seen upright. Phones store a portrait photo as landscape pixels with
/// orientation 6 and let the viewer rotate it.
///
/// Each case's transposition is the one Pillow's `ImageOps.exif_transpose` applies (its table
/// of `Image.Transpose` methods); `Tests/ImagingTests/ExifOrientationTests` checks all eight
/// against Pillow 13 bit for bit.
public enum ExifOrientation: Int, Sendable, Equatable, CaseIterable {
    /// 1: stored as displayed.
    case upright = 1
    /// 2: displayed mirrored left to right (Pillow `FLIP_LEFT_RIGHT`).
    case mirroredLeftRight = 2
    /// 3: displayed turned half a turn (Pillow `ROTATE_180`).
    case rotated180 = 3
    /// 4: displayed mirrored top to bottom (Pillow `FLIP_TOP_BOTTOM`).
    case mirroredTopBottom = 4
    /// 5: mirrored left to right, then turned 90° counter-clockwise: rows become columns
    /// (Pillow `TRANSPOSE`).
    case transposed = 5
    /// 6: displayed turned 90° clockwise (Pillow `ROTATE_270`, counter-clockwise angles); the
    /// usual tag of a phone held upright.
    case rotated90Clockwise = 6
    /// 7: mirrored left to right, then turned 90° clockwise (Pillow `TRANSVERSE`).
    case transversed = 7
    /// 8: displayed turned 90° counter-clockwise (Pillow `ROTATE_90`).
    case rotated90CounterClockwise = 8

    /// What the viewer does to the stored pixels, e.g. "rotated 90° clockwise".
    public var name: String {
        switch self {
        case .upright: "upright"
        case .mirroredLeftRight: "mirrored left to right"
        case .rotated180: "rotated 180°"
        case .mirroredTopBottom: "mirrored top to bottom"
        case .transposed: "mirrored and rotated 90° counter-clockwise"
        case .rotated90Clockwise: "rotated 90° clockwise"
        case .transversed: "mirrored and rotated 90° clockwise"
        case .rotated90CounterClockwise: "rotated 90° counter-clockwise"
        }
    }

    /// True for 5...8: the displayed image is the stored one's height wide.
    public var swapsSides: Bool { rawValue >= 5 }

    /// The displayed size of a stored `width` x `height` image.
    public func displayedSize(width: Int, height: Int) -> (width: Int, height: Int) {
        swapsSides ? (height, width) : (width, height)
    }

    /// The stored pixel that lands on displayed pixel (`x`, `y`), for a stored image of
    /// `width` x `height` (Pillow's transpose formulas).
    /// - Precondition: (`x`, `y`) lies inside the displayed size.
    public func storedPixel(displayedX x: Int, y: Int, width: Int, height: Int) -> (x: Int, y: Int) {
        switch self {
        case .upright: (x, y)
        case .mirroredLeftRight: (width - 1 - x, y)
        case .rotated180: (width - 1 - x, height - 1 - y)
        case .mirroredTopBottom: (x, height - 1 - y)
        case .transposed: (y, x)
        case .rotated90Clockwise: (y, height - 1 - x)
        case .transversed: (width - 1 - y, height - 1 - x)
        case .rotated90CounterClockwise: (width - 1 - y, x)
        }
    }

    /// A plane of `channels` samples per pixel (bytes, or a 16-bit grey PNG's `grey16`), stored
    /// `width` x `height`, rearranged into the displayed frame (a lossless permutation of whole
    /// pixels).
    /// - Precondition: `plane.count == width * height * channels`.
    public func displayed<Sample: FixedWidthInteger>(
        _ plane: [Sample], width: Int, height: Int, channels: Int
    ) -> [Sample] {
        precondition(plane.count == width * height * channels, "ExifOrientation: plane size")
        if self == .upright { return plane }
        let size = displayedSize(width: width, height: height)
        var out = [Sample](repeating: 0, count: plane.count)
        plane.withUnsafeBufferPointer { source in
            out.withUnsafeMutableBufferPointer { target in
                var o = 0
                for y in 0..<size.height {
                    for x in 0..<size.width {
                        let s = storedPixel(displayedX: x, y: y, width: width, height: height)
                        let i = (s.y * width + s.x) * channels
                        for c in 0..<channels { target[o + c] = source[i + c] }
                        o += channels
                    }
                }
            }
        }
        return out
    }
}

extension RGBImage {
    /// The image as displayed under `orientation` (Pillow's `ImageOps.exif_transpose`).
    public func displayed(_ orientation: ExifOrientation) -> RGBImage {
        let size = orientation.displayedSize(width: width, height: height)
        return RGBImage(
            width: size.width, height: size.height,
            pixels: orientation.displayed(pixels, width: width, height: height, channels: 3))
    }
}

extension DecodedImage {
    /// The image turned to how a viewer shows it, as Pillow's `ImageOps.exif_transpose`: the
    /// colour, alpha, CMYK and 16-bit grey planes alike, the source details kept (so it is preprocessed as
    /// Pillow would preprocess the transposed image), and `exifOrientation` dropped as Pillow
    /// drops the tag. Without an orientation, or upright, the image itself.
    public func displayedUpright() -> DecodedImage {
        guard let orientation = exifOrientation, orientation != .upright else { return self }
        let w = width
        let h = height
        return DecodedImage(
            rgb: rgb.displayed(orientation),
            alpha: alpha.map { orientation.displayed($0, width: w, height: h, channels: 1) },
            cmyk: cmyk.map { orientation.displayed($0, width: w, height: h, channels: 4) },
            grey16: grey16.map { orientation.displayed($0, width: w, height: h, channels: 1) },
            colorModel: colorModel, bitDepth: bitDepth, hasTransparencyChunk: hasTransparencyChunk,
            isProgressive: isProgressive, warnings: warnings, isDamaged: isDamaged,
            exif: ExifReader.Reading(note: exifNote))
    }
}

extension DecodedImage {
    /// What a user should hear when this image's EXIF orientation is left unapplied: "EXIF
    /// orientation 6 (rotated 90° clockwise) ignored: `consequence`", naming where the value was
    /// found ("XMP tiff:Orientation 6 ...", `ExifReader.Reading.Source.label`), or nil when the
    /// file has no orientation or an upright one.
    public func exifIgnoredMessage(_ consequence: String) -> String? {
        guard let orientation = exifOrientation, orientation != .upright else { return nil }
        let source = (exifOrientationSource ?? .exif).label
        return "\(source) \(orientation.rawValue) (\(orientation.name)) ignored: \(consequence)"
    }

    /// What a user should hear when the file's EXIF block could not be read (`exifNote`), or nil.
    public var exifUnreadableMessage: String? {
        exifNote.map { "\($0); orientation unknown, the image is used as stored" }
    }
}
