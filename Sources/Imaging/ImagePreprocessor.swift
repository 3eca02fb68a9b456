// Reproduces OpenAI CLIP's image transform, https://github.com/openai/CLIP/blob/main/clip/clip.py
// (`_transform(n_px)`: Resize(n_px, BICUBIC), CenterCrop(n_px), convert("RGB"), ToTensor,
// Normalize(mean, std)) on top of Pillow and torchvision semantics. Own code.

/// CLIP-style image preprocessing: resize the shorter side, centre-crop a square, normalise.
///
/// Generic over size, mean and std (the CLIP layer supplies them). The 8-bit square canvas is
/// byte-identical to what Pillow + torchvision produce for the same file opened with
/// `Image.open`, including Pillow's mode-specific resampling:
/// - RGB and greyscale: bicubic with antialiasing (`Resample.bicubic`);
/// - RGBA and grey+alpha: premultiplied bicubic; the alpha is dropped after the crop;
/// - palette and 1-bit PNGs: nearest neighbour (Pillow ignores the filter for modes "P" and "1");
/// - CMYK JPEGs: bicubic on the ink channels, converted to RGB after the crop;
/// - 16-bit grey PNGs ("I;16"): Pillow's 16-bit bicubic on the 16-bit samples
///   (`Resample.bicubic16`), each clipped to 255 after the crop, as convert("RGB") does.
public struct ImagePreprocessor: Sendable {
    /// Side of the square output (CLIP's n_px).
    public let size: Int
    /// Per-channel mean of the normalisation, on the 0...1 scale.
    public let mean: [Float]
    /// Per-channel standard deviation of the normalisation.
    public let std: [Float]
    /// table[c * 256 + v] = (Float(v) / 255 - mean[c]) / std[c], in torchvision's float32 order.
    private let table: [Float]

    /// - Parameters:
    ///   - size: output side in pixels (> 0).
    ///   - mean: three channel means (R, G, B).
    ///   - std: three positive channel standard deviations.
    /// - Precondition: three means and three positive stds (the caller validates its config).
    public init(size: Int, mean: [Float], std: [Float]) {
        precondition(size > 0, "ImagePreprocessor: size \(size) must be positive")
        precondition(
            mean.count == 3 && std.count == 3,
            "ImagePreprocessor: need 3 means and 3 stds, got \(mean.count) and \(std.count)")
        precondition(std.allSatisfy { $0 > 0 }, "ImagePreprocessor: std \(std) must be positive")
        self.size = size
        self.mean = mean
        self.std = std
        self.table = Self.normalizationTable(mean: mean, std: std)
    }

    /// Number of floats `pixelValues` writes: 3 * size * size.
    public var valueCount: Int { 3 * size * size }

    // MARK: - Geometry (torchvision)

    /// Output size of torchvision `Resize(shorterSide)`: the shorter side becomes `shorterSide`,
    /// the longer one `int(shorterSide * long / short)` (float division, truncated).
    public static func resizedSize(
        width: Int, height: Int,
        shorterSide: Int
    ) -> (width: Int, height: Int) {
        let short = min(width, height)
        let long = max(width, height)
        let newLong = Int(Double(shorterSide * long) / Double(short))
        return width <= height ? (shorterSide, newLong) : (newLong, shorterSide)
    }

    /// Top-left corner of torchvision `CenterCrop(crop)`: `int(round((size - crop) / 2.0))`, with
    /// Python's round-half-to-even.
    public static func centerCropOrigin(width: Int, height: Int, crop: Int) -> (x: Int, y: Int) {
        let x = (Double(width - crop) / 2.0).rounded(.toNearestOrEven)
        let y = (Double(height - crop) / 2.0).rounded(.toNearestOrEven)
        return (Int(x), Int(y))
    }

    // MARK: - Canvas

    /// The 8-bit `size` x `size` canvas after resize and centre crop, before normalisation.
    public func resizedAndCropped(_ image: DecodedImage) -> RGBImage {
        let (rw, rh) = Self.resizedSize(width: image.width, height: image.height, shorterSide: size)
        // After the resize the shorter side equals `size`, so the crop never needs padding.
        let origin = Self.centerCropOrigin(width: rw, height: rh, crop: size)
        let window = Resample.Window(x: origin.x, y: origin.y, width: size, height: size)
        let w = image.width
        let h = image.height
        let pixels: [UInt8]
        switch image.colorModel {
        case .palette, .bilevel:
            pixels = Resample.nearest(
                image.rgb.pixels, width: w, height: h, channels: 3,
                outWidth: rw, outHeight: rh, window: window)
        case .rgba, .grayAlpha:
            if let alpha = image.alpha {
                let rgba = Resample.bicubicPremultiplied(
                    image.rgb.pixels, alpha: alpha, width: w,
                    height: h, outWidth: rw, outHeight: rh,
                    window: window)
                pixels = Self.dropFourth(rgba)
            } else {
                pixels = Resample.bicubic(
                    image.rgb.pixels, width: w, height: h, channels: 3,
                    outWidth: rw, outHeight: rh, window: window)
            }
        case .cmyk:
            if let ink = image.cmyk {
                let resized = Resample.bicubic(
                    ink, width: w, height: h, channels: 4,
                    outWidth: rw, outHeight: rh, window: window)
                pixels = Self.cmykToRGB(resized)
            } else {
                pixels = Resample.bicubic(
                    image.rgb.pixels, width: w, height: h, channels: 3,
                    outWidth: rw, outHeight: rh, window: window)
            }
        case .gray, .rgb:
            // A tRNS colour on "L"/"I;16"/"RGB" is dropped by convert("RGB"): the alpha is ignored.
            if let grey16 = image.grey16 {
                // "I;16": Pillow's 16-bit bicubic, then convert("RGB") clips to 255 after the crop.
                let resized = Resample.bicubic16(
                    grey16, width: w, height: h, outWidth: rw, outHeight: rh, window: window)
                pixels = Self.grey16ToRGB(resized)
            } else {
                // Greyscale: Pillow resamples "L" per channel, identical to resampling R = G = B.
                pixels = Resample.bicubic(
                    image.rgb.pixels, width: w, height: h, channels: 3,
                    outWidth: rw, outHeight: rh, window: window)
            }
        }
        return RGBImage(width: size, height: size, pixels: pixels)
    }

    /// The canvas for plain RGB pixels (Pillow mode "RGB").
    public func resizedAndCropped(_ image: RGBImage) -> RGBImage {
        resizedAndCropped(DecodedImage(rgb: image))
    }

    // MARK: - Pixel values

    /// Preprocesses into a caller-owned buffer, e.g. one slot of a batch.
    /// - Parameter output: `3 * size * size` floats, written as (3, size, size) channel-major.
    public func pixelValues(_ image: DecodedImage, into output: UnsafeMutableBufferPointer<Float>) {
        normalize(resizedAndCropped(image), into: output)
    }

    /// Preprocesses plain RGB pixels into a caller-owned (3, size, size) buffer.
    public func pixelValues(_ image: RGBImage, into output: UnsafeMutableBufferPointer<Float>) {
        normalize(resizedAndCropped(image), into: output)
    }

    /// Preprocesses into a new (3, size, size) array.
    public func pixelValues(_ image: DecodedImage) -> [Float] {
        var values = [Float](repeating: 0, count: valueCount)
        values.withUnsafeMutableBufferPointer { pixelValues(image, into: $0) }
        return values
    }

    /// Preprocesses plain RGB pixels into a new (3, size, size) array.
    public func pixelValues(_ image: RGBImage) -> [Float] {
        pixelValues(DecodedImage(rgb: image))
    }

    // MARK: - Normalisation (hot path)

    /// Normalises a `size` x `size` canvas (e.g. one with a marker drawn on it) with this
    /// preprocessor's mean and std. Allocation-free.
    /// - Parameter output: `3 * size * size` floats, (3, size, size).
    public func normalize(_ canvas: RGBImage, into output: UnsafeMutableBufferPointer<Float>) {
        precondition(
            canvas.width == size && canvas.height == size,
            "normalize: canvas \(canvas.width)x\(canvas.height), expected \(size)x\(size)")
        table.withUnsafeBufferPointer { t in
            Self.normalize(canvas, table: t, into: output)
        }
    }

    /// Normalises any canvas: `output[c, y, x] = (pixel[y, x, c] / 255 - mean[c]) / std[c]`,
    /// computed in float32 exactly as torchvision's ToTensor + Normalize. Allocation-free (the
    /// 768-entry lookup table lives on the stack).
    /// - Parameter output: `3 * canvas.width * canvas.height` floats, (3, H, W).
    public static func normalize(
        _ canvas: RGBImage, mean: [Float], std: [Float],
        into output: UnsafeMutableBufferPointer<Float>
    ) {
        precondition(mean.count == 3 && std.count == 3, "normalize: need 3 means and 3 stds")
        withUnsafeTemporaryAllocation(of: Float.self, capacity: 3 * 256) { t in
            fillNormalizationTable(t, mean: mean, std: std)
            normalize(canvas, table: UnsafeBufferPointer(t), into: output)
        }
    }

    /// canvas (H, W, 3) UInt8 -> output (3, H, W) Float through a (3, 256) table.
    private static func normalize(
        _ canvas: RGBImage, table: UnsafeBufferPointer<Float>,
        into output: UnsafeMutableBufferPointer<Float>
    ) {
        let plane = canvas.width * canvas.height
        precondition(
            output.count == 3 * plane,
            "normalize: output holds \(output.count) floats, need \(3 * plane)")
        guard let out = output.baseAddress, let lut = table.baseAddress else { return }
        canvas.pixels.withUnsafeBufferPointer { px in
            guard let p = px.baseAddress else { return }
            let r = out
            let g = out + plane
            let b = out + 2 * plane
            let lr = lut
            let lg = lut + 256
            let lb = lut + 512
            for i in 0..<plane {
                r[i] = lr[Int(p[3 * i])]
                g[i] = lg[Int(p[3 * i + 1])]
                b[i] = lb[Int(p[3 * i + 2])]
            }
        }
    }

    private static func normalizationTable(mean: [Float], std: [Float]) -> [Float] {
        var table = [Float](repeating: 0, count: 3 * 256)
        table.withUnsafeMutableBufferPointer { fillNormalizationTable($0, mean: mean, std: std) }
        return table
    }

    /// (x / 255 - mean) / std in float32, the operation order of ToTensor then Normalize.
    private static func fillNormalizationTable(
        _ table: UnsafeMutableBufferPointer<Float>,
        mean: [Float], std: [Float]
    ) {
        for c in 0..<3 {
            for v in 0..<256 {
                table[c * 256 + v] = (Float(v) / 255 - mean[c]) / std[c]
            }
        }
    }

    // MARK: - Mode conversions after the crop

    /// "RGBA" -> "RGB": drop alpha. (N, 4) -> (N, 3).
    private static func dropFourth(_ rgba: [UInt8]) -> [UInt8] {
        let n = rgba.count / 4
        var rgb = [UInt8](repeating: 0, count: n * 3)
        for i in 0..<n {
            rgb[3 * i] = rgba[4 * i]
            rgb[3 * i + 1] = rgba[4 * i + 1]
            rgb[3 * i + 2] = rgba[4 * i + 2]
        }
        return rgb
    }

    /// "I;16" -> "RGB" (Convert.c `I16_RGB`): each sample clipped to 255 (300 -> 255), as grey.
    /// (N) -> (N, 3).
    static func grey16ToRGB(_ samples: [UInt16]) -> [UInt8] {
        var rgb = [UInt8](repeating: 0, count: samples.count * 3)
        for (i, v) in samples.enumerated() {
            let grey = UInt8(min(v, 255))
            rgb[3 * i] = grey
            rgb[3 * i + 1] = grey
            rgb[3 * i + 2] = grey
        }
        return rgb
    }

    /// Pillow's cmyk2rgb: R = 255 - K - C * (255 - K) / 255 (MULDIV255 rounding). (N, 4) -> (N, 3).
    static func cmykToRGB(_ cmyk: [UInt8]) -> [UInt8] {
        let n = cmyk.count / 4
        var rgb = [UInt8](repeating: 0, count: n * 3)
        for i in 0..<n {
            let nk = 255 - cmyk[4 * i + 3]
            for c in 0..<3 {
                rgb[3 * i + c] = nk - Resample.mulDiv255(cmyk[4 * i + c], nk)
            }
        }
        return rgb
    }
}
