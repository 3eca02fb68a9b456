// Small drawing helpers for annotation images (heatmaps, overlays): translucent rectangles,
// text boxes, markers in pixel units. Not used on the model's input path.

enum CanvasDrawing {
    /// Fills `rect` (clipped) with `color` at `opacity` (0 ... 1): out = base (1 - a) + colour a,
    /// rounded.
    static func fill(_ image: inout RGBImage, _ rect: PixelRect, color: RGB, opacity: Double = 1) {
        let r = rect.intersection(PixelRect(x: 0, y: 0, width: image.width, height: image.height))
        if r.isEmpty { return }
        let a = Int((min(max(opacity, 0), 1) * 256).rounded())
        let ia = 256 - a
        let cr = Int(color.r) * a
        let cg = Int(color.g) * a
        let cb = Int(color.b) * a
        let W = image.width
        image.pixels.withUnsafeMutableBufferPointer { p in
            for y in r.y..<r.maxY {
                for x in r.x..<r.maxX {
                    let o = (y * W + x) * 3
                    p[o] = UInt8((Int(p[o]) * ia + cr + 128) >> 8)
                    p[o + 1] = UInt8((Int(p[o + 1]) * ia + cg + 128) >> 8)
                    p[o + 2] = UInt8((Int(p[o + 2]) * ia + cb + 128) >> 8)
                }
            }
        }
    }

    /// A marker of `shape` with radius and thickness in image pixels.
    static func marker(_ shape: MarkerShape, radius: Double, thickness: Double, color: RGB) -> MarkerRenderer {
        MarkerRenderer(
            style: MarkerStyle(
                shape: shape, color: color, radius: radius, thickness: thickness,
                units: .pixels), shorterSide: 1)
    }

    /// A filled disk of `radius` image pixels.
    static func disk(radius: Double, color: RGB) -> MarkerRenderer {
        MarkerRenderer(diskRadius: radius, color: color)
    }

    /// A cross of half-length `radius` and line `thickness`, in `color`, with an outline of
    /// `outline` pixels in `outlineColor` all around.
    static func outlinedCross(
        _ image: inout RGBImage, at c: CanvasPoint, radius: Double, thickness: Double,
        color: RGB, outline: Double, outlineColor: RGB
    ) {
        marker(.cross, radius: radius + outline, thickness: thickness + 2 * outline, color: outlineColor)
            .draw(on: &image, at: c)
        marker(.cross, radius: radius, thickness: thickness, color: color).draw(on: &image, at: c)
    }

    /// A ring of `radius` and line `thickness`, in `color`, with an outline of `outline` pixels in
    /// `outlineColor` on both sides (a ground-truth mark).
    static func outlinedRing(
        _ image: inout RGBImage, at c: CanvasPoint, radius: Double, thickness: Double,
        color: RGB, outline: Double, outlineColor: RGB
    ) {
        marker(.circle, radius: radius, thickness: thickness + 2 * outline, color: outlineColor)
            .draw(on: &image, at: c)
        marker(.circle, radius: radius, thickness: thickness, color: color).draw(on: &image, at: c)
    }

    /// Black or white, whichever reads better on `background` (ITU-R 601 luma threshold).
    static func textColor(on background: RGB) -> RGB {
        let luma = 0.299 * Double(background.r) + 0.587 * Double(background.g) + 0.114 * Double(background.b)
        return luma > 140 ? RGB(0, 0, 0) : RGB(255, 255, 255)
    }
}
