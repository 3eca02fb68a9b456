// Renders one visual prompt for many candidates of one canvas, precomputing what does not
// depend on the candidate (the blurred or grey background) once per image.

import Foundation

/// The per-image renderer of a `VisualPrompt`. Immutable and `Sendable`: build one per canvas,
/// then let each worker render candidates into its own output buffer.
///
///     let r = try VisualPromptRenderer(prompt: .paper, canvas: canvas)
///     var buffer = r.makeOutputBuffer()
///     for c in candidates { r.render(at: c, into: &buffer); score(buffer) }
public struct VisualPromptRenderer: Sendable {
    public let prompt: VisualPrompt
    /// The unmarked canvas (model input).
    public let canvas: RGBImage
    let mode: Mode

    enum Mode: Sendable {
        case marker(MarkerRenderer)
        /// Marker over `background` (blurred or grey canvas), with the sharp canvas kept inside
        /// `region`, the disk of radius r + t/2.
        case outside(MarkerRenderer, region: MarkerRenderer, background: RGBImage)
        case crop(side: Int)
    }

    /// Output size: always the canvas size (the crop prompt resizes its crop to it).
    public var outputWidth: Int { canvas.width }
    public var outputHeight: Int { canvas.height }

    /// - Throws: `CanvasError.invalidParameter` for a sigma or crop fraction out of range.
    public init(prompt: VisualPrompt, canvas: RGBImage) throws {
        try prompt.validate()
        self.prompt = prompt
        self.canvas = canvas
        let H = min(canvas.width, canvas.height)
        switch prompt {
        case .marker(let style):
            mode = .marker(MarkerRenderer(style: style, shorterSide: H))
        case .markerBlurOutside(let style, let sigma):
            let m = MarkerRenderer(style: style, shorterSide: H)
            mode = .outside(
                m, region: MarkerRenderer(diskRadius: m.radius + m.thickness / 2, color: style.color),
                background: CanvasOps.gaussianBlurred(canvas, sigma: sigma))
        case .markerGreyOutside(let style):
            let m = MarkerRenderer(style: style, shorterSide: H)
            mode = .outside(
                m, region: MarkerRenderer(diskRadius: m.radius + m.thickness / 2, color: style.color),
                background: CanvasOps.greyscale(canvas))
        case .crop(let fraction):
            mode = .crop(side: max(1, Int((fraction * Double(H)).rounded())))
        }
    }

    /// A buffer of the output size to pass to `render(at:into:)`.
    public func makeOutputBuffer() -> RGBImage {
        RGBImage(width: outputWidth, height: outputHeight)
    }

    /// Renders the prompt for candidate `c` (canvas pixels) into `out` (output size).
    /// Marker prompts do not allocate (one copy of the canvas or background, then only the
    /// marker's bounding box is touched); the crop prompt allocates its crop and resize.
    public func render(at c: CanvasPoint, into out: inout RGBImage) {
        precondition(
            out.width == outputWidth && out.height == outputHeight,
            "VisualPromptRenderer: buffer \(out.width)x\(out.height), expected \(outputWidth)x\(outputHeight)")
        switch mode {
        case .marker(let m):
            m.render(base: canvas, at: c, into: &out)
        case .outside(let m, let region, let background):
            CanvasOps.copy(background, into: &out)
            region.composite(canvas, onto: &out, at: c)
            m.draw(on: &out, at: c)
        case .crop(let side):
            let crop = CanvasOps.crop(canvas, to: cropRect(at: c, side: side), fill: CanvasGeometry.defaultPadColor)
            let resized =
                (side == canvas.width && side == canvas.height)
                ? crop : Resample.bicubic(crop, width: canvas.width, height: canvas.height)
            CanvasOps.copy(resized, into: &out)
        }
    }

    /// Renders the prompt for candidate `c` into a new image.
    public func render(at c: CanvasPoint) -> RGBImage {
        var out = makeOutputBuffer()
        render(at: c, into: &out)
        return out
    }

    // MARK: Crop prompt geometry

    /// The crop prompt's square around `c` (nil for marker prompts): side
    /// round(fraction * min(W, H)) (at least 1), left edge round(c.x - side / 2) (same for y),
    /// so the candidate is within half a pixel of the crop's centre. Pixels beyond the canvas
    /// are filled with `CanvasGeometry.defaultPadColor`.
    public func cropRect(at c: CanvasPoint) -> PixelRect? {
        guard case .crop(let side) = mode else { return nil }
        return cropRect(at: c, side: side)
    }

    func cropRect(at c: CanvasPoint, side: Int) -> PixelRect {
        let half = Double(side) / 2
        return PixelRect(x: Int((c.x - half).rounded()), y: Int((c.y - half).rounded()), width: side, height: side)
    }
}
