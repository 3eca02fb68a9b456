// Whole-image operations used by the canvas geometry and the visual prompts: crop-with-fill,
// greyscale, Gaussian blur, and a no-allocation copy. Kept in a namespace (not RGBImage
// extensions) so they cannot collide with the codec/resize side of the module.

import Foundation

enum CanvasOps {
    // MARK: - Crop / pad

    /// The pixels of `image` inside `rect` (which may extend past the image; those pixels get
    /// `fill`). Output: rect.width x rect.height.
    static func crop(_ image: RGBImage, to rect: PixelRect, fill: RGB) -> RGBImage {
        precondition(!rect.isEmpty, "CanvasOps.crop: empty rect \(rect)")
        var out = RGBImage(width: rect.width, height: rect.height, fill: fill)
        let inside = rect.intersection(PixelRect(x: 0, y: 0, width: image.width, height: image.height))
        if inside.isEmpty { return out }
        let rowBytes = inside.width * 3
        image.pixels.withUnsafeBufferPointer { src in
            out.pixels.withUnsafeMutableBufferPointer { dst in
                for y in inside.y..<inside.maxY {
                    let s = (y * image.width + inside.x) * 3
                    let d = ((y - rect.y) * rect.width + (inside.x - rect.x)) * 3
                    (dst.baseAddress! + d).update(from: src.baseAddress! + s, count: rowBytes)
                }
            }
        }
        return out
    }

    /// Copies `src` into `dst` (same size) without allocating when `dst` owns its buffer.
    static func copy(_ src: RGBImage, into dst: inout RGBImage) {
        precondition(
            src.width == dst.width && src.height == dst.height,
            "CanvasOps.copy: \(src.width)x\(src.height) into \(dst.width)x\(dst.height)")
        src.pixels.withUnsafeBufferPointer { s in
            dst.pixels.withUnsafeMutableBufferPointer { d in
                d.baseAddress!.update(from: s.baseAddress!, count: s.count)
            }
        }
    }

    // MARK: - Greyscale

    /// Luma of every pixel, replicated to R, G and B. Same integer formula as Pillow's
    /// `convert("L")` (ITU-R 601-2: (R*19595 + G*38470 + B*7471 + 0x8000) >> 16).
    static func greyscale(_ image: RGBImage) -> RGBImage {
        var out = image
        out.pixels.withUnsafeMutableBufferPointer { p in
            var o = 0
            while o < p.count {
                let l = (UInt32(p[o]) * 19595 + UInt32(p[o + 1]) * 38470 + UInt32(p[o + 2]) * 7471 + 0x8000) >> 16
                let v = UInt8(l)
                p[o] = v
                p[o + 1] = v
                p[o + 2] = v
                o += 3
            }
        }
        return out
    }

    // MARK: - Gaussian blur

    /// Separable Gaussian blur with standard deviation `sigma` pixels, kernel radius
    /// `ceil(3 sigma)` (99.7% of the mass), weights normalised to sum 1, edges clamped
    /// (replicated). sigma <= 0 returns the image unchanged.
    // image: (H, W, 3) u8 -> (H, W, 3) u8
    static func gaussianBlurred(_ image: RGBImage, sigma: Double) -> RGBImage {
        guard sigma > 0 else { return image }
        let radius = max(1, Int((3 * sigma).rounded(.up)))
        var weights = [Float](repeating: 0, count: 2 * radius + 1)
        var sum: Float = 0
        for k in -radius...radius {
            let w = Float(exp(-Double(k * k) / (2 * sigma * sigma)))
            weights[k + radius] = w
            sum += w
        }
        for i in weights.indices { weights[i] /= sum }

        let W = image.width
        let H = image.height
        let input = image.pixels.map { Float($0) }
        var tmp = [Float](repeating: 0, count: W * H * 3)
        var blurred = tmp
        weights.withUnsafeBufferPointer { wt in
            input.withUnsafeBufferPointer { src in
                tmp.withUnsafeMutableBufferPointer { blurPass(src, $0, width: W, height: H, weights: wt, alongX: true) }
            }
            tmp.withUnsafeBufferPointer { src in
                blurred.withUnsafeMutableBufferPointer {
                    blurPass(src, $0, width: W, height: H, weights: wt, alongX: false)
                }
            }
        }
        var out = image
        out.pixels = blurred.map(toByte)  // rounded, clamped
        return out
    }

    /// One pass of the separable blur, edges clamped (replicated): each pixel becomes the
    /// weighted sum of the 2 radius + 1 pixels around it along x (`alongX`) or y.
    // src: (H, W, 3) -> dst: (H, W, 3); weights: (2 radius + 1)
    private static func blurPass(
        _ src: UnsafeBufferPointer<Float>, _ dst: UnsafeMutableBufferPointer<Float>, width W: Int, height H: Int,
        weights wt: UnsafeBufferPointer<Float>, alongX: Bool
    ) {
        let radius = wt.count / 2
        for y in 0..<H {
            for x in 0..<W {
                var r: Float = 0
                var g: Float = 0
                var b: Float = 0
                for k in -radius...radius {
                    let o =
                        alongX ? (y * W + min(max(x + k, 0), W - 1)) * 3 : (min(max(y + k, 0), H - 1) * W + x) * 3
                    let w = wt[k + radius]
                    r += w * src[o]
                    g += w * src[o + 1]
                    b += w * src[o + 2]
                }
                let o = (y * W + x) * 3
                dst[o] = r
                dst[o + 1] = g
                dst[o + 2] = b
            }
        }
    }

    @inline(__always)
    static func toByte(_ v: Float) -> UInt8 {
        UInt8(min(max(v.rounded(), 0), 255))
    }
}
