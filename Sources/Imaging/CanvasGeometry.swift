// How an original photo becomes the square model-input canvas, and how points move between them.
//
// Coordinates are continuous pixels, origin at the top-left corner of the top-left pixel, pixel
// (i, j) centred at (i + 0.5, j + 0.5) (see Point.swift). With that convention a resize by
// a factor s maps x -> x * s exactly, which is also what Pillow's resampling does (output pixel
// centre i + 0.5 samples input position (i + 0.5) * in / out).

import Foundation

// MARK: - Fit mode

/// How a photo of any aspect ratio is fitted into the S x S model input.
public enum FitMode: String, Codable, Sendable, CaseIterable {
    /// Letterbox: the longer side is resized to S keeping the aspect ratio
    /// (shorter side `round(S * short / long)`, at least 1), centred (offset floored), and the
    /// rest filled with GREY padding (`CanvasGeometry.defaultPadColor`, CLIP's mean colour, which
    /// normalises to about zero). Nothing of the photo is lost.
    case pad
    /// CLIP's own preprocessing: the shorter side is resized to S, the longer to
    /// `int(S * long / short)` (truncated, as torchvision's `Resize(S)`), then an S x S centre
    /// crop at offset `round((resized - S) / 2)` with round-half-even (torchvision's
    /// `center_crop`). Parts of the photo along the longer side are cut off.
    case crop
    /// Both sides resized to S independently (aspect ratio not kept). Nothing is lost.
    case stretch
}

// MARK: - Geometry

/// The map between an original photo (optionally cropped to a box first) and its S x S canvas.
///
/// `canvas = (original - source.origin) * resized / source.size + offset`, per axis, in the
/// continuous pixel convention above (origin at the top-left pixel corner, pixel centres at
/// i + 0.5). `offsetX/offsetY` is where the resized source's top-left corner lands on the canvas:
/// negative in `.crop` mode (the centre crop), positive in `.pad` mode (the letterbox margin).
public struct CanvasGeometry: Sendable, Equatable {
    /// Size of the original photo.
    public let imageWidth: Int
    public let imageHeight: Int
    /// The part of the original that is fitted: the whole image, or the pixels a box covers.
    public let source: PixelRect
    /// The model input side S; the canvas is S x S.
    public let size: Int
    public let fitMode: FitMode
    /// Size of `source` after the resize step (before the crop or padding).
    public let resizedWidth: Int
    public let resizedHeight: Int
    /// Canvas position of the resized source's top-left corner.
    public let offsetX: Int
    public let offsetY: Int
    /// Colour of the letterbox padding in `.pad` mode.
    public let padColor: RGB

    /// CLIP's normalisation mean (0.48145466, 0.4578275, 0.40821073) * 255, rounded: padding of
    /// this colour normalises to about zero in the model input.
    public static let defaultPadColor = RGB(123, 117, 104)

    /// Geometry for the whole photo.
    /// - Throws: `CanvasError.invalidSize` if a size is not positive.
    public init(
        imageWidth: Int, imageHeight: Int, size: Int, fitMode: FitMode,
        padColor: RGB = CanvasGeometry.defaultPadColor
    ) throws {
        guard imageWidth > 0, imageHeight > 0 else {
            throw CanvasError.invalidSize(what: "original image", width: imageWidth, height: imageHeight)
        }
        try self.init(
            imageWidth: imageWidth, imageHeight: imageHeight,
            source: PixelRect(x: 0, y: 0, width: imageWidth, height: imageHeight),
            size: size, fitMode: fitMode, padColor: padColor)
    }

    /// Crop-to-box geometry: the photo is cropped to the pixels `box` covers, then fitted.
    /// Points still go in and come out in ORIGINAL-image pixels.
    /// - Parameter label: names the image in errors.
    /// - Throws: `CanvasError.boxOutsideImage` if the box is not inside the image.
    public init(
        imageWidth: Int, imageHeight: Int, box: Box, label: String = "image", size: Int,
        fitMode: FitMode, padColor: RGB = CanvasGeometry.defaultPadColor
    ) throws {
        guard imageWidth > 0, imageHeight > 0 else {
            throw CanvasError.invalidSize(what: "original image", width: imageWidth, height: imageHeight)
        }
        let clamped = try box.validated(imageWidth: imageWidth, imageHeight: imageHeight, label: label)
        let source = clamped.pixels(inImageWidth: imageWidth, imageHeight: imageHeight)
        try self.init(
            imageWidth: imageWidth, imageHeight: imageHeight, source: source,
            size: size, fitMode: fitMode, padColor: padColor)
    }

    private init(
        imageWidth: Int, imageHeight: Int, source: PixelRect, size: Int,
        fitMode: FitMode, padColor: RGB
    ) throws {
        guard size > 0 else { throw CanvasError.invalidSize(what: "model input", width: size, height: size) }
        guard !source.isEmpty else {
            throw CanvasError.invalidSize(what: "source region", width: source.width, height: source.height)
        }
        self.imageWidth = imageWidth
        self.imageHeight = imageHeight
        self.source = source
        self.size = size
        self.fitMode = fitMode
        self.padColor = padColor
        let w = source.width
        let h = source.height
        switch fitMode {
        case .stretch:
            (resizedWidth, resizedHeight) = (size, size)
            (offsetX, offsetY) = (0, 0)
        case .crop:
            // Same arithmetic as the CLIP preprocessor (torchvision Resize + CenterCrop), so a
            // .crop canvas is byte-identical to the model's own preprocessing.
            (resizedWidth, resizedHeight) = ImagePreprocessor.resizedSize(width: w, height: h, shorterSide: size)
            let origin = ImagePreprocessor.centerCropOrigin(width: resizedWidth, height: resizedHeight, crop: size)
            (offsetX, offsetY) = (-origin.x, -origin.y)
        case .pad:
            let short = min(w, h)
            let long = max(w, h)
            let newShort = max(1, Int((Double(size) * Double(short) / Double(long)).rounded()))
            (resizedWidth, resizedHeight) = w >= h ? (size, newShort) : (newShort, size)
            offsetX = (size - resizedWidth) / 2
            offsetY = (size - resizedHeight) / 2
        }
    }

    // MARK: Point mapping

    /// Canvas pixels per original pixel, per axis.
    public var scaleX: Double { Double(resizedWidth) / Double(source.width) }
    public var scaleY: Double { Double(resizedHeight) / Double(source.height) }

    /// Maps an original-image point to the canvas (it may fall outside the canvas in `.crop`
    /// mode or outside a box; see `canvasContains`).
    public func canvasPoint(fromImage p: Point) -> CanvasPoint {
        // Multiply before dividing: integer positions map exactly (80 * 448 / 640 = 56, while
        // 80 * (448 / 640) = 55.99999999999999).
        CanvasPoint(
            x: (p.x - Double(source.x)) * Double(resizedWidth) / Double(source.width) + Double(offsetX),
            y: (p.y - Double(source.y)) * Double(resizedHeight) / Double(source.height) + Double(offsetY))
    }

    /// Maps a canvas point back to original-image pixels (a point in the letterbox padding maps
    /// outside the photo; see `imageContains`).
    public func imagePoint(fromCanvas p: CanvasPoint) -> Point {
        Point(
            x: (p.x - Double(offsetX)) * Double(source.width) / Double(resizedWidth) + Double(source.x),
            y: (p.y - Double(offsetY)) * Double(source.height) / Double(resizedHeight) + Double(source.y))
    }

    /// Whether an original-image point is shown on the canvas: inside the source region (the
    /// box, if any) and, after mapping, inside [0, S) x [0, S). False for the parts `.crop`
    /// mode cuts off.
    public func canvasContains(_ p: Point) -> Bool {
        guard p.x >= Double(source.x), p.x < Double(source.maxX),
            p.y >= Double(source.y), p.y < Double(source.maxY)
        else { return false }
        let c = canvasPoint(fromImage: p)
        let s = Double(size)
        return c.x >= 0 && c.x < s && c.y >= 0 && c.y < s
    }

    /// Whether a canvas point shows photo content (false in the letterbox padding and outside
    /// the canvas).
    public func imageContains(_ p: CanvasPoint) -> Bool {
        let r = imageRectOnCanvas
        return p.x >= Double(r.x) && p.x < Double(r.maxX) && p.y >= Double(r.y) && p.y < Double(r.maxY)
    }

    /// The canvas pixels that show photo content (all of them except in `.pad` mode).
    public var imageRectOnCanvas: PixelRect {
        PixelRect(x: offsetX, y: offsetY, width: resizedWidth, height: resizedHeight)
            .intersection(PixelRect(x: 0, y: 0, width: size, height: size))
    }

    // MARK: Canvas image

    /// Builds the S x S canvas from the original photo: crop to the source region, resize with
    /// Pillow-exact bicubic (`Resample.bicubic`), then centre-crop or pad.
    /// - Throws: `CanvasError.imageSizeMismatch` if `image` is not `imageWidth x imageHeight`.
    public func makeCanvas(from image: RGBImage) throws -> RGBImage {
        guard image.width == imageWidth, image.height == imageHeight else {
            throw CanvasError.imageSizeMismatch(
                what: "CanvasGeometry.makeCanvas", expectedWidth: imageWidth,
                expectedHeight: imageHeight, actualWidth: image.width,
                actualHeight: image.height)
        }
        let whole = PixelRect(x: 0, y: 0, width: imageWidth, height: imageHeight)
        let sourceImage = source == whole ? image : CanvasOps.crop(image, to: source, fill: padColor)
        let resized =
            (resizedWidth == source.width && resizedHeight == source.height)
            ? sourceImage
            : Resample.bicubic(sourceImage, width: resizedWidth, height: resizedHeight)
        if offsetX == 0, offsetY == 0, resizedWidth == size, resizedHeight == size { return resized }
        // Crop and pad are the same operation: copy the resized image to (offsetX, offsetY) on an
        // S x S canvas filled with the pad colour (in .crop mode nothing of the fill remains).
        return CanvasOps.crop(
            resized, to: PixelRect(x: -offsetX, y: -offsetY, width: size, height: size),
            fill: padColor)
    }
}
