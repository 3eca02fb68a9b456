// Sizes and helpers shared by the figures (heatmap panels, overlays, montages): how big text,
// lines and markers are for a photo of a given size, round tick values for colour bars, and
// region outlines.

import Foundation

/// The size of figure furniture (text, lines, dots, crosses) for a figure showing a photo of a
/// given size. Sizes are designed for a photo whose longer side is `designSide` pixels and grow
/// in proportion with larger photos, so a 4000 px figure reads like a 640 px one; smaller
/// photos keep the design sizes (text stays legible).
public struct FigureScale: Sendable, Equatable {
    /// The longer photo side the design sizes are meant for.
    public static let designSide = 640.0
    /// Multiplier of every design size (>= 1).
    public let factor: Double

    public init(photoWidth: Int, photoHeight: Int) {
        factor = max(1, Double(max(photoWidth, photoHeight)) / Self.designSide)
    }

    /// A design size in pixels, scaled.
    public func size(_ design: Double) -> Double { design * factor }
    /// A design size in whole pixels, scaled and rounded (at least 1).
    public func pixels(_ design: Double) -> Int { max(1, Int((design * factor).rounded())) }
}

/// The size a photo is shown at in a figure: its own, or smaller so that its longer side is at
/// most `maxSide` (aspect ratio kept); never larger than the photo.
public func figurePhotoSize(width: Int, height: Int, maxSide: Int?) -> (width: Int, height: Int) {
    let long = max(width, height)
    guard let maxSide, maxSide > 0, long > maxSide else { return (width, height) }
    let s = Double(maxSide) / Double(long)
    return (max(1, Int((Double(width) * s).rounded())), max(1, Int((Double(height) * s).rounded())))
}

/// `photo` as a figure shows it: downscaled (bicubic) to `figurePhotoSize`, or unchanged. Render
/// several figures of one photo from one such copy (with the original size given) to downscale
/// once.
public func figurePhoto(_ photo: RGBImage, maxSide: Int?) -> RGBImage {
    let (w, h) = figurePhotoSize(width: photo.width, height: photo.height, maxSide: maxSide)
    if w == photo.width && h == photo.height { return photo }
    return Resample.bicubic(photo, width: w, height: h)
}

/// Round values for axis and colour-bar ticks.
public enum NiceTicks {
    /// The multiples of a round step (1, 2 or 5 times a power of ten) inside [low, high], at most
    /// `maxCount` of them (the finest step that gives no more), with the decimals the step needs.
    /// A zero-width range gives the one value `low` with 4 decimals.
    public static func values(low: Double, high: Double, maxCount: Int) -> (values: [Double], decimals: Int) {
        precondition(low.isFinite && high.isFinite && maxCount >= 1, "NiceTicks: [\(low), \(high)], \(maxCount)")
        let span = high - low
        guard span > 0 else { return ([low], 4) }
        var magnitude = pow(10, (log10(span / Double(maxCount))).rounded(.down))
        while true {
            for m in [1.0, 2.0, 5.0] {
                let step = m * magnitude
                // A millionth of a step of slack: 0.22 / 0.01 is 22.000000000000004 in floating point.
                let first = (low / step - 1e-6).rounded(.up)
                let last = (high / step + 1e-6).rounded(.down)
                if last - first + 1 <= Double(maxCount) {
                    // 0.01 and 0.05 need 2 decimals, 0.02 too: ceil(-log10(step)).
                    let decimals = max(0, Int((-log10(step) - 1e-9).rounded(.up)))
                    let values = first <= last ? (Int(first)...Int(last)).map { Double($0) * step } : []
                    return (values, decimals)
                }
            }
            magnitude *= 10
        }
    }
}

/// Outlines of pixel regions (search masks, saliency masks).
enum RegionOutline {
    /// region: (H W) non-zero = inside -> (H W): the pixels of the region that have a pixel
    /// outside it, or the image's edge, within `radius` steps left, right, up or down (a band
    /// `radius` pixels wide just inside the region's boundary).
    static func boundary(_ region: [UInt8], width w: Int, height h: Int, radius r: Int) -> [Bool] {
        precondition(region.count == w * h && r >= 1, "RegionOutline: \(region.count) for \(w)x\(h), radius \(r)")
        var out = [Bool](repeating: false, count: w * h)
        region.withUnsafeBufferPointer { inside in
            out.withUnsafeMutableBufferPointer { band in
                // Outside the image counts as outside the region.
                func outside(_ x: Int, _ y: Int) -> Bool {
                    x < 0 || y < 0 || x >= w || y >= h || inside[y * w + x] == 0
                }
                for y in 0..<h {
                    for x in 0..<w where inside[y * w + x] != 0 {
                        for d in 1...r
                        where outside(x - d, y) || outside(x + d, y) || outside(x, y - d) || outside(x, y + d) {
                            band[y * w + x] = true
                            break
                        }
                    }
                }
            }
        }
        return out
    }

    /// `mask` seen at `width x height` (a display size of the same photo): each display pixel
    /// takes the mask pixel that holds its centre.
    static func resampled(_ mask: PixelMask, width: Int, height: Int) -> [UInt8] {
        if mask.width == width && mask.height == height { return mask.bits }
        var out = [UInt8](repeating: 0, count: width * height)
        for j in 0..<height {
            let y = min(mask.height - 1, Int((Double(j) + 0.5) * Double(mask.height) / Double(height)))
            for i in 0..<width {
                let x = min(mask.width - 1, Int((Double(i) + 0.5) * Double(mask.width) / Double(width)))
                out[j * width + i] = mask.bits[y * mask.width + x]
            }
        }
        return out
    }
}
