// Port of https://github.com/python-pillow/Pillow/blob/13.0.0/src/libImaging/Resample.c (8-bit
// path of ImagingResample with the BICUBIC filter: precompute_coeffs, normalize_coeffs_8bpc,
// ImagingResampleHorizontal/Vertical_8bpc, ImagingResampleInner; and the 16-bit "I;16" path,
// _ImagingResampleHorizontal/Vertical_16bpc) and of ImagingScaleAffine in
// src/libImaging/Geometry.c (nearest). Own code; the arithmetic is kept identical on purpose.

/// Image resizing that reproduces Pillow (`Image.resize`) exactly.
///
/// Pillow's bicubic is a separable convolution with the Keys kernel (a = -0.5, support 2). When
/// shrinking, the kernel is stretched by the scale factor (antialiasing). Weights are normalised to
/// sum 1, converted to 22-bit fixed point, and each of the two passes rounds and clips to 8 bits.
/// Verified byte-identical to Pillow 13.0.0.
public enum Resample {
    /// A rectangle of the resized image; only these output pixels are computed. Computing a window
    /// gives the same bytes as resizing fully and cropping afterwards.
    struct Window: Equatable {
        var x: Int, y: Int, width: Int, height: Int
    }

    // MARK: - Public API

    /// Resizes like Pillow's `im.resize((width, height), Image.BICUBIC)` for an "RGB" image.
    /// - Returns: the image itself when the size is unchanged (Pillow copies it unchanged too).
    public static func bicubic(_ image: RGBImage, width: Int, height: Int) -> RGBImage {
        whole(image, width: width, height: height, "Resample.bicubic", bicubic)
    }

    /// Resizes an RGB image with an alpha plane like Pillow does for an "RGBA" image: premultiply
    /// ("RGBa"), resample the four channels, un-premultiply.
    /// - Parameters:
    ///   - alpha: `image.width * image.height` bytes, 255 = opaque.
    /// - Returns: the resized colour (un-premultiplied) and alpha.
    public static func bicubic(
        _ image: RGBImage, alpha: [UInt8], width: Int,
        height: Int
    ) -> (rgb: RGBImage, alpha: [UInt8]) {
        precondition(width > 0 && height > 0, "Resample.bicubic: empty output \(width)x\(height)")
        precondition(
            alpha.count == image.width * image.height,
            "Resample.bicubic: alpha has \(alpha.count) bytes for \(image.width)x\(image.height)")
        let window = Window(x: 0, y: 0, width: width, height: height)
        let rgba = bicubicPremultiplied(
            image.pixels, alpha: alpha, width: image.width,
            height: image.height, outWidth: width, outHeight: height,
            window: window)
        var rgb = [UInt8](repeating: 0, count: width * height * 3)
        var a = [UInt8](repeating: 0, count: width * height)
        splitRGBA(rgba, rgb: &rgb, alpha: &a)
        return (RGBImage(width: width, height: height, pixels: rgb), a)
    }

    /// Resizes like Pillow's `im.resize((width, height), Image.NEAREST)`, which Pillow uses for
    /// every filter on palette ("P") and bilevel ("1") images.
    public static func nearest(_ image: RGBImage, width: Int, height: Int) -> RGBImage {
        whole(image, width: width, height: height, "Resample.nearest", nearest)
    }

    /// The whole `width` x `height` output of `resample` (the bicubic or nearest pass over raw
    /// pixels) for an RGB image; `name` names the caller in the precondition.
    private static func whole(
        _ image: RGBImage, width: Int, height: Int, _ name: String,
        _ resample: (
            _ src: [UInt8], _ width: Int, _ height: Int, _ channels: Int, _ outWidth: Int, _ outHeight: Int,
            _ window: Window
        ) -> [UInt8]
    ) -> RGBImage {
        precondition(width > 0 && height > 0, "\(name): empty output \(width)x\(height)")
        let window = Window(x: 0, y: 0, width: width, height: height)
        let pixels = resample(image.pixels, image.width, image.height, 3, width, height, window)
        return RGBImage(width: width, height: height, pixels: pixels)
    }

    /// A Pillow-exact bicubic resize of RGB windows of one size to one output size, its filter
    /// taps computed once: for resizing many same-sized windows of a photo (the crop baseline's
    /// candidates) without allocating. The caller owns the output and the scratch buffer (one
    /// per worker), reused across calls.
    public struct BicubicResize: Sendable {
        /// Size of the windows resized.
        public let inputWidth: Int
        public let inputHeight: Int
        /// Size of the output.
        public let outputWidth: Int
        public let outputHeight: Int
        let columnTaps: Taps?
        let rowTaps: Taps?

        public init(inputWidth: Int, inputHeight: Int, outputWidth: Int, outputHeight: Int) {
            precondition(
                inputWidth > 0 && inputHeight > 0 && outputWidth > 0 && outputHeight > 0,
                "BicubicResize: empty size \(inputWidth)x\(inputHeight) -> \(outputWidth)x\(outputHeight)")
            self.inputWidth = inputWidth
            self.inputHeight = inputHeight
            self.outputWidth = outputWidth
            self.outputHeight = outputHeight
            columnTaps = outputWidth != inputWidth ? bicubicTaps(inSize: inputWidth, outSize: outputWidth) : nil
            rowTaps = outputHeight != inputHeight ? bicubicTaps(inSize: inputHeight, outSize: outputHeight) : nil
        }

        /// Resizes the `window` of `image` (`inputWidth` x `inputHeight` pixels inside it) into
        /// `out` (`outputWidth` x `outputHeight`): the bytes of
        /// `Resample.bicubic(image.cropped(...window), width: outputWidth, height: outputHeight)`,
        /// without the crop. `scratch` holds the intermediate pass (grown on first use, then
        /// reused); nothing is allocated once it is large enough.
        public func resize(_ image: RGBImage, window: PixelRect, into out: inout RGBImage, scratch: inout [UInt8]) {
            precondition(
                window.width == inputWidth && window.height == inputHeight && window.x >= 0 && window.y >= 0
                    && window.maxX <= image.width && window.maxY <= image.height,
                "BicubicResize: window \(window) of a \(image.width)x\(image.height) image, "
                    + "expected \(inputWidth)x\(inputHeight) inside it")
            precondition(
                out.width == outputWidth && out.height == outputHeight,
                "BicubicResize: output \(out.width)x\(out.height), expected \(outputWidth)x\(outputHeight)")
            image.pixels.withUnsafeBufferPointer { s in
                out.pixels.withUnsafeMutableBufferPointer { o in
                    // Window pixel (0, 0) is image pixel (window.x, window.y).
                    let plane = Plane(pixels: s, width: image.width, firstColumn: -window.x, firstRow: -window.y)
                    bicubic(
                        plane, width: inputWidth, height: inputHeight, channels: 3, outWidth: outputWidth,
                        outHeight: outputHeight, window: Window(x: 0, y: 0, width: outputWidth, height: outputHeight),
                        columnTaps: columnTaps, rowTaps: rowTaps, temp: &scratch, into: o)
                }
            }
        }
    }

    // MARK: - Coefficients (precompute_coeffs + normalize_coeffs_8bpc)

    /// Fixed-point precision of the 8-bit path: 32 bits minus 8 for the result and 2 for the
    /// overshoot of negative lobes (Pillow's PRECISION_BITS).
    static let precisionBits: Int32 = 32 - 8 - 2

    /// Filter taps for one axis: output `o` reads `count[o]` inputs from `first[o]` with weights
    /// `weights[o * stride ..< o * stride + count[o]]`.
    struct Taps {
        var stride: Int
        var first: [Int]
        var count: [Int]
        var weights: [Int32]
    }

    /// The Keys cubic with a = -0.5 (Pillow's bicubic_filter), support 2.
    @inline(__always)
    static func cubic(_ x: Double) -> Double {
        let a = -0.5
        let x = x < 0.0 ? -x : x
        if x < 1.0 {
            return ((a + 2.0) * x - (a + 3.0)) * x * x + 1
        }
        if x < 2.0 {
            return (((x - 5) * x + 8) * x - 4) * a
        }
        return 0.0
    }

    /// Taps to map `inSize` samples onto `outSize` with the bicubic filter, for the full extent
    /// (Pillow's box = (0, inSize)).
    static func bicubicTaps(inSize: Int, outSize: Int) -> Taps {
        let coefficients = bicubicCoefficients(inSize: inSize, outSize: outSize)
        let fixedOne = Double(Int32(1) << precisionBits)
        // normalize_coeffs_8bpc: round half away from zero into 22-bit fixed point.
        let weights = coefficients.weights.map { k in
            k < 0 ? Int32(-0.5 + k * fixedOne) : Int32(0.5 + k * fixedOne)
        }
        return Taps(stride: coefficients.stride, first: coefficients.first, count: coefficients.count, weights: weights)
    }

    /// Pillow's precompute_coeffs for the bicubic filter over the full extent: output `o` reads
    /// `count[o]` inputs from `first[o]` with the double weights
    /// `weights[o * stride ..< o * stride + count[o]]` (normalised to sum 1; the rest are 0).
    /// The 8-bit path rounds them to fixed point (`bicubicTaps`), the 16-bit path uses them as
    /// they are (`bicubic16`).
    static func bicubicCoefficients(
        inSize: Int, outSize: Int
    ) -> (stride: Int, first: [Int], count: [Int], weights: [Double]) {
        let filterSupport = 2.0
        let scale = Double(inSize) / Double(outSize)
        let filterScale = scale < 1.0 ? 1.0 : scale
        let support = filterSupport * filterScale
        let stride = Int(support.rounded(.up)) * 2 + 1

        var first = [Int](repeating: 0, count: outSize)
        var count = [Int](repeating: 0, count: outSize)
        var weights = [Double](repeating: 0, count: outSize * stride)
        for xx in 0..<outSize {
            let center = (Double(xx) + 0.5) * scale
            let ss = 1.0 / filterScale
            // Pillow rounds with (int)(v + 0.5), which truncates toward zero.
            var xmin = Int(center - support + 0.5)
            if xmin < 0 { xmin = 0 }
            var xmax = Int(center + support + 0.5)
            if xmax > inSize { xmax = inSize }
            xmax -= xmin
            var ww = 0.0
            for x in 0..<xmax {
                let w = cubic((Double(x + xmin) - center + 0.5) * ss)
                weights[xx * stride + x] = w
                ww += w
            }
            for x in 0..<xmax where ww != 0.0 {
                weights[xx * stride + x] /= ww
            }
            first[xx] = xmin
            count[xx] = xmax
        }
        return (stride, first, count, weights)
    }

    // MARK: - Two-pass resampling (ImagingResampleInner)

    /// Pillow's clip8: drop the fraction bits, clamp to 0...255.
    @inline(__always)
    static func clip8(_ acc: Int32) -> UInt8 {
        let v = acc >> precisionBits
        return v < 0 ? 0 : (v > 255 ? 255 : UInt8(truncatingIfNeeded: v))
    }

    /// Bicubic resampling of interleaved 8-bit pixels, computing only `window` of the output.
    ///
    /// Shapes: src (height, width, channels) -> result (window.height, window.width, channels).
    /// Channels are independent (Pillow's 8bpc path), so 3 (RGB), 4 (RGBa, CMYK) both work.
    static func bicubic(
        _ src: [UInt8], width: Int, height: Int, channels: Int, outWidth: Int,
        outHeight: Int, window: Window
    ) -> [UInt8] {
        precondition(src.count == width * height * channels, "Resample: buffer size mismatch")
        let columnTaps: Taps? = outWidth != width ? bicubicTaps(inSize: width, outSize: outWidth) : nil
        let rowTaps: Taps? = outHeight != height ? bicubicTaps(inSize: height, outSize: outHeight) : nil
        var out = [UInt8](repeating: 0, count: window.width * window.height * channels)
        var temp: [UInt8] = []
        src.withUnsafeBufferPointer { s in
            out.withUnsafeMutableBufferPointer { o in
                bicubic(
                    Plane(pixels: s, width: width, firstColumn: 0, firstRow: 0), width: width, height: height,
                    channels: channels, outWidth: outWidth, outHeight: outHeight, window: window,
                    columnTaps: columnTaps, rowTaps: rowTaps, temp: &temp, into: o)
            }
        }
        return out
    }

    /// The two passes of `bicubic` over a `width` x `height` input read through `image` (image
    /// coordinates 0..<width, 0..<height), with the taps given (nil: that axis keeps its size),
    /// the first pass's output in `temp` (grown when too small, else reused) and `window` of the
    /// result written to `out` (window.height, window.width, channels). Allocates nothing once
    /// `temp` is large enough.
    ///
    /// Pass order follows Pillow 13: horizontal then vertical, except that the vertical pass goes
    /// first when the height shrinks by more than twice as many pixels as the width does. The
    /// order changes the intermediate 8-bit rounding, so it is part of the exact result.
    static func bicubic(
        _ image: Plane, width: Int, height: Int, channels: Int, outWidth: Int, outHeight: Int, window: Window,
        columnTaps: Taps?, rowTaps: Taps?, temp: inout [UInt8], into out: UnsafeMutableBufferPointer<UInt8>
    ) {
        precondition(
            window.x >= 0 && window.y >= 0 && window.width > 0 && window.height > 0
                && window.x + window.width <= outWidth && window.y + window.height <= outHeight,
            "Resample: window \(window) outside \(outWidth)x\(outHeight)")
        precondition(out.count == window.width * window.height * channels, "Resample: output size mismatch")
        let columns = window.x..<(window.x + window.width)
        let rows = window.y..<(window.y + window.height)
        let verticalFirst = (height - outHeight) > 0 && (height - outHeight) > (width - outWidth) * 2
        if verticalFirst, let rowTaps, let columnTaps {
            // Source columns the requested output columns depend on.
            let needed = span(of: columnTaps, over: columns)
            let count = rows.count * needed.count * channels
            if temp.count < count { temp = [UInt8](repeating: 0, count: count) }
            temp.withUnsafeMutableBufferPointer { t in
                let first = UnsafeMutableBufferPointer(rebasing: t[0..<count])
                verticalPass(image, channels: channels, taps: rowTaps, rows: rows, columns: needed, into: first)
                let mid = Plane(
                    pixels: UnsafeBufferPointer(first), width: needed.count, firstColumn: needed.lowerBound,
                    firstRow: rows.lowerBound)
                horizontalPass(mid, channels: channels, taps: columnTaps, rows: rows, columns: columns, into: out)
            }
            return
        }
        // Horizontal first, over the source rows the requested output rows depend on
        // (Pillow's ybox_first / ybox_last); straight into `out` when no vertical pass follows.
        let needed = rowTaps.map { span(of: $0, over: rows) } ?? rows
        func firstPass(into dst: UnsafeMutableBufferPointer<UInt8>) {
            if let columnTaps {
                horizontalPass(image, channels: channels, taps: columnTaps, rows: needed, columns: columns, into: dst)
            } else {
                copy(image, channels: channels, rows: needed, columns: columns, into: dst)
            }
        }
        guard let rowTaps else {
            firstPass(into: out)
            return
        }
        let count = needed.count * columns.count * channels
        if temp.count < count { temp = [UInt8](repeating: 0, count: count) }
        temp.withUnsafeMutableBufferPointer { t in
            let first = UnsafeMutableBufferPointer(rebasing: t[0..<count])
            firstPass(into: first)
            let mid = Plane(
                pixels: UnsafeBufferPointer(first), width: columns.count, firstColumn: columns.lowerBound,
                firstRow: needed.lowerBound)
            verticalPass(mid, channels: channels, taps: rowTaps, rows: rows, columns: columns, into: out)
        }
    }

    /// A rectangle of pixels: `pixels` holds rows of `width` pixels; its pixel (0, 0) is pixel
    /// (firstColumn, firstRow) of the image it was cut from.
    struct Plane {
        var pixels: UnsafeBufferPointer<UInt8>
        var width: Int
        var firstColumn: Int
        var firstRow: Int
    }

    /// The input range read by a range of outputs (taps are monotonic).
    static func span(of taps: Taps, over outputs: Range<Int>) -> Range<Int> {
        let last = outputs.upperBound - 1
        return taps.first[outputs.lowerBound]..<(taps.first[last] + taps.count[last])
    }

    /// Pillow's ImagingResampleHorizontal_8bpc for some rows and output columns.
    /// src (rows, W, C) -> dst (rows.count, columns.count, C); rows/columns in image coordinates.
    static func horizontalPass(
        _ src: Plane, channels: Int, taps: Taps, rows: Range<Int>,
        columns: Range<Int>, into dst: UnsafeMutableBufferPointer<UInt8>
    ) {
        let s = src.pixels
        taps.weights.withUnsafeBufferPointer { kk in
            var o = 0
            for y in rows {
                let rowBase = (y - src.firstRow) * src.width * channels
                for xx in columns {
                    let k = xx * taps.stride
                    let n = taps.count[xx]
                    let start = rowBase + (taps.first[xx] - src.firstColumn) * channels
                    for c in 0..<channels {
                        dst[o] = tapSum(s, from: start + c, step: channels, weights: kk, at: k, count: n)
                        o += 1
                    }
                }
            }
        }
    }

    /// Pillow's ImagingResampleVertical_8bpc for some output rows and columns.
    /// src (R, W, C) -> dst (rows.count, columns.count, C); rows/columns in image coordinates.
    static func verticalPass(
        _ src: Plane, channels: Int, taps: Taps, rows: Range<Int>,
        columns: Range<Int>, into dst: UnsafeMutableBufferPointer<UInt8>
    ) {
        let s = src.pixels
        let rowStride = src.width * channels
        let span = columns.count * channels
        taps.weights.withUnsafeBufferPointer { kk in
            var o = 0
            for yy in rows {
                let k = yy * taps.stride
                let n = taps.count[yy]
                let start =
                    (taps.first[yy] - src.firstRow) * rowStride
                    + (columns.lowerBound - src.firstColumn) * channels
                for i in 0..<span {
                    dst[o] = tapSum(s, from: start + i, step: rowStride, weights: kk, at: k, count: n)
                    o += 1
                }
            }
        }
    }

    /// One output sample of either pass, in Pillow's fixed point:
    /// clip8(1/2 + Σ_{i < n} s[from + i step] · kk[at + i]), the half in `precisionBits`.
    @inline(__always)
    static func tapSum(
        _ s: UnsafeBufferPointer<UInt8>, from start: Int, step: Int, weights kk: UnsafeBufferPointer<Int32>, at k: Int,
        count n: Int
    ) -> UInt8 {
        var acc = Int32(1) << (precisionBits - 1)
        var p = start
        for i in 0..<n {
            acc &+= Int32(s[p]) &* kk[k + i]
            p += step
        }
        return clip8(acc)
    }

    /// Copies a rectangle: src (R, W, C) -> dst (rows.count, columns.count, C).
    static func copy(
        _ src: Plane, channels: Int, rows: Range<Int>, columns: Range<Int>,
        into dst: UnsafeMutableBufferPointer<UInt8>
    ) {
        let span = columns.count * channels
        var o = 0
        for y in rows {
            let from = ((y - src.firstRow) * src.width + columns.lowerBound - src.firstColumn) * channels
            for i in 0..<span { dst[o + i] = src.pixels[from + i] }
            o += span
        }
    }

    // MARK: - Premultiplied alpha ("RGBA" -> "RGBa" -> resize -> "RGBA")

    /// Pillow's MULDIV255: a * b / 255, rounded.
    @inline(__always)
    static func mulDiv255(_ a: UInt8, _ b: UInt8) -> UInt8 {
        let tmp = UInt32(a) * UInt32(b) + 128
        return UInt8(truncatingIfNeeded: ((tmp >> 8) + tmp) >> 8)
    }

    /// Resamples colour + alpha as Pillow does for "RGBA" and "LA" images.
    /// Shapes: rgb (H, W, 3), alpha (H, W) -> (window.height, window.width, 4) un-premultiplied.
    static func bicubicPremultiplied(
        _ rgb: [UInt8], alpha: [UInt8], width: Int, height: Int,
        outWidth: Int, outHeight: Int, window: Window
    ) -> [UInt8] {
        let count = width * height
        var rgba = [UInt8](repeating: 0, count: count * 4)
        let sameSize = outWidth == width && outHeight == height
        for i in 0..<count {
            let a = alpha[i]
            // Pillow returns an unchanged copy for an unchanged size, before premultiplying.
            rgba[4 * i] = sameSize ? rgb[3 * i] : mulDiv255(rgb[3 * i], a)
            rgba[4 * i + 1] = sameSize ? rgb[3 * i + 1] : mulDiv255(rgb[3 * i + 1], a)
            rgba[4 * i + 2] = sameSize ? rgb[3 * i + 2] : mulDiv255(rgb[3 * i + 2], a)
            rgba[4 * i + 3] = a
        }
        var out = bicubic(
            rgba, width: width, height: height, channels: 4, outWidth: outWidth,
            outHeight: outHeight, window: window)
        if sameSize { return out }
        // rgba2rgbA: leave fully transparent and fully opaque pixels alone, else divide.
        for i in stride(from: 0, to: out.count, by: 4) {
            let a = UInt32(out[i + 3])
            if a == 255 || a == 0 { continue }
            for c in 0..<3 {
                let v = (255 * UInt32(out[i + c])) / a
                out[i + c] = v > 255 ? 255 : UInt8(v)
            }
        }
        return out
    }

    /// (N, 4) -> (N, 3) and (N).
    static func splitRGBA(_ rgba: [UInt8], rgb: inout [UInt8], alpha: inout [UInt8]) {
        for i in 0..<alpha.count {
            rgb[3 * i] = rgba[4 * i]
            rgb[3 * i + 1] = rgba[4 * i + 1]
            rgb[3 * i + 2] = rgba[4 * i + 2]
            alpha[i] = rgba[4 * i + 3]
        }
    }

    // MARK: - 16-bit grey ("I;16": _ImagingResampleHorizontal_16bpc / _ImagingResampleVertical_16bpc)

    /// Pillow's `CLIP16(ROUND_UP(ss))`: round half away from zero, truncate to an int, clamp to
    /// 0...65535 (bicubic overshoot below 0 is 0, above 65535 is 65535).
    @inline(__always)
    static func clip16(_ ss: Double) -> UInt16 {
        let v = Int(ss >= 0.0 ? ss + 0.5 : ss - 0.5)
        return v <= 0 ? 0 : (v < 65536 ? UInt16(v) : 65535)
    }

    /// Bicubic resampling of 16-bit grey samples as Pillow 13 resizes an "I;16" image
    /// (`im.resize((outWidth, outHeight), Image.BICUBIC)`), computing only `window` of the output.
    ///
    /// Shapes: src (height, width) -> result (window.height, window.width), row-major.
    ///
    /// Semantics (src/libImaging/Resample.c, 16bpc): each output sample of a pass is
    /// Σ_{i < count} sample[first + i] · k[i], summed in double in tap order from 0.0 with the
    /// double coefficients of precompute_coeffs (`bicubicCoefficients`; no fixed point, unlike the
    /// 8-bit path), then `clip16` (ROUND_UP, CLIP16). The clamp follows each pass, so the second
    /// pass reads clamped values. Pass order as in the 8-bit path: horizontal then vertical, except
    /// vertical first when the height shrinks by more than twice as many pixels as the width. An
    /// axis whose size is unchanged is not resampled; an unchanged size is a copy.
    ///
    /// Computing a window reads, in the first pass, only the source rows (horizontal first) or
    /// columns (vertical first) the window's outputs depend on; it gives the bytes of the full
    /// resize cropped (Grey16CanvasTests compares it with a full-image reference).
    static func bicubic16(
        _ src: [UInt16], width: Int, height: Int, outWidth: Int, outHeight: Int, window: Window
    ) -> [UInt16] {
        precondition(src.count == width * height, "Resample.bicubic16: buffer size mismatch")
        precondition(
            window.x >= 0 && window.y >= 0 && window.width > 0 && window.height > 0
                && window.x + window.width <= outWidth && window.y + window.height <= outHeight,
            "Resample.bicubic16: window \(window) outside \(outWidth)x\(outHeight)")
        let columns = window.x..<(window.x + window.width)
        let rows = window.y..<(window.y + window.height)
        let horizontal = outWidth != width ? bicubicCoefficients(inSize: width, outSize: outWidth) : nil
        let vertical = outHeight != height ? bicubicCoefficients(inSize: height, outSize: outHeight) : nil
        let source = Plane16(samples: src, width: width, firstColumn: 0, firstRow: 0)
        let verticalFirst = (height - outHeight) > 0 && (height - outHeight) > (width - outWidth) * 2
        if verticalFirst, let vertical, let horizontal {
            let needed =
                horizontal.first[
                    columns.lowerBound]..<(horizontal.first[columns.upperBound - 1]
                + horizontal.count[columns.upperBound - 1])
            let mid = pass16(source, vertical, alongRows: false, rows: rows, columns: needed)
            return pass16(mid, horizontal, alongRows: true, rows: rows, columns: columns).samples
        }
        let needed =
            vertical.map { $0.first[rows.lowerBound]..<($0.first[rows.upperBound - 1] + $0.count[rows.upperBound - 1]) }
            ?? rows
        let mid =
            horizontal.map { pass16(source, $0, alongRows: true, rows: needed, columns: columns) }
            ?? source.cropped(rows: needed, columns: columns)
        guard let vertical else { return mid.samples }
        return pass16(mid, vertical, alongRows: false, rows: rows, columns: columns).samples
    }

    /// A rectangle of 16-bit samples: `samples` holds rows of `width`; its sample (0, 0) is
    /// (firstColumn, firstRow) of the image it was cut from.
    struct Plane16 {
        var samples: [UInt16]
        var width: Int
        var firstColumn: Int
        var firstRow: Int

        /// src (R, W) -> (rows.count, columns.count); rows/columns in image coordinates.
        func cropped(rows: Range<Int>, columns: Range<Int>) -> Plane16 {
            var out = [UInt16](repeating: 0, count: rows.count * columns.count)
            var o = 0
            for y in rows {
                let from = (y - firstRow) * width + columns.lowerBound - firstColumn
                for i in 0..<columns.count { out[o + i] = samples[from + i] }
                o += columns.count
            }
            return Plane16(
                samples: out, width: columns.count, firstColumn: columns.lowerBound, firstRow: rows.lowerBound)
        }
    }

    /// One pass of Pillow's 16bpc resample over some output rows and columns (image coordinates
    /// of the pass's output): along rows (horizontal, the coefficients index output columns) or
    /// along columns (vertical, they index output rows).
    /// src (R, W) -> (rows.count, columns.count).
    static func pass16(
        _ src: Plane16, _ c: (stride: Int, first: [Int], count: [Int], weights: [Double]),
        alongRows: Bool, rows: Range<Int>, columns: Range<Int>
    ) -> Plane16 {
        var out = [UInt16](repeating: 0, count: rows.count * columns.count)
        src.samples.withUnsafeBufferPointer { s in
            c.weights.withUnsafeBufferPointer { k in
                var o = 0
                for y in rows {
                    for x in columns {
                        let tap = alongRows ? x : y
                        // First sample read and the step between taps, in `s`.
                        let start =
                            alongRows
                            ? (y - src.firstRow) * src.width + c.first[tap] - src.firstColumn
                            : (c.first[tap] - src.firstRow) * src.width + x - src.firstColumn
                        let step = alongRows ? 1 : src.width
                        var ss = 0.0
                        for i in 0..<c.count[tap] {
                            ss += Double(s[start + i * step]) * k[tap * c.stride + i]
                        }
                        out[o] = clip16(ss)
                        o += 1
                    }
                }
            }
        }
        return Plane16(samples: out, width: columns.count, firstColumn: columns.lowerBound, firstRow: rows.lowerBound)
    }

    // MARK: - Nearest neighbour (ImagingScaleAffine)

    /// Pillow's nearest-neighbour resize (`_resize` -> ImagingTransform affine -> ImagingScaleAffine):
    /// sample positions start at half a step and accumulate the step in double precision.
    /// Shapes: src (H, W, C) -> (window.height, window.width, C).
    static func nearest(
        _ src: [UInt8], width: Int, height: Int, channels: Int, outWidth: Int,
        outHeight: Int, window: Window
    ) -> [UInt8] {
        precondition(src.count == width * height * channels, "Resample: buffer size mismatch")
        /// Pillow's COORD: -1 for negative positions, else truncation.
        func coordinate(_ v: Double) -> Int { v < 0.0 ? -1 : Int(v) }
        let stepX = Double(width) / Double(outWidth)
        let stepY = Double(height) / Double(outHeight)
        var columns = [Int](repeating: -1, count: outWidth)
        var xo = stepX * 0.5
        for x in 0..<outWidth {
            let xin = coordinate(xo)
            if xin >= 0 && xin < width { columns[x] = xin }
            xo += stepX
        }
        var out = [UInt8](repeating: 0, count: window.width * window.height * channels)  // fill = 0
        var yo = stepY * 0.5
        var o = 0
        for y in 0..<(window.y + window.height) {
            let yin = coordinate(yo)
            yo += stepY
            guard y >= window.y else { continue }
            defer { o += window.width * channels }
            guard yin >= 0 && yin < height else { continue }
            for x in 0..<window.width {
                let xin = columns[window.x + x]
                guard xin >= 0 else { continue }
                for c in 0..<channels {
                    out[o + x * channels + c] = src[(yin * width + xin) * channels + c]
                }
            }
        }
        return out
    }
}
