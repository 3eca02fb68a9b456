/// Draws a binary region mask over a photo: the region tinted, everything else dimmed, and the
/// region's boundary outlined (saliency masks, search masks on heatmaps).
public struct MaskRenderer: Sendable {
    public var tint = RGB(0, 200, 255)
    /// Weight of `tint` inside the region (0 = none).
    public var tintStrength = 0.3
    /// Brightness kept outside the region (1 = unchanged).
    public var outsideBrightness = 0.45
    public var outline = RGB(255, 230, 0)

    public init() {}

    /// Outline width in pixels for a photo: 1 px per 250 px of the shorter side, at least 1.
    public static func outlineWidth(width: Int, height: Int) -> Int { max(1, min(width, height) / 250) }

    /// photo (H, W, 3), mask (H W) with non-zero = region -> (H, W, 3).
    public func render(_ photo: RGBImage, mask: [UInt8]) -> RGBImage {
        let w = photo.width
        let h = photo.height
        precondition(mask.count == w * h, "MaskRenderer: mask of \(mask.count) for \(w)x\(h)")
        let boundary = RegionOutline.boundary(
            mask, width: w, height: h, radius: Self.outlineWidth(width: w, height: h))
        var out = photo
        for y in 0..<h {
            for x in 0..<w {
                let inside = mask[y * w + x] != 0
                let i = 3 * (y * w + x)
                let src = (Double(photo.pixels[i]), Double(photo.pixels[i + 1]), Double(photo.pixels[i + 2]))
                let c: (Double, Double, Double)
                if boundary[y * w + x] {
                    c = (Double(outline.r), Double(outline.g), Double(outline.b))
                } else if inside {
                    let t = tintStrength
                    c = (
                        src.0 * (1 - t) + Double(tint.r) * t, src.1 * (1 - t) + Double(tint.g) * t,
                        src.2 * (1 - t) + Double(tint.b) * t
                    )
                } else {
                    c = (src.0 * outsideBrightness, src.1 * outsideBrightness, src.2 * outsideBrightness)
                }
                out.pixels[i] = UInt8(min(255, max(0, c.0.rounded())))
                out.pixels[i + 1] = UInt8(min(255, max(0, c.1.rounded())))
                out.pixels[i + 2] = UInt8(min(255, max(0, c.2.rounded())))
            }
        }
        return out
    }
}
