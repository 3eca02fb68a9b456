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
    }

    /// Output size: always the canvas size.
    public var outputWidth: Int { canvas.width }
    public var outputHeight: Int { canvas.height }

    /// - Throws: `CanvasError.invalidParameter` for a sigma out of range, for the crop prompt,
    ///   which is cut from the original photo, not the canvas (`CandidateRenderer` renders it),
    ///   and for an ensemble (one renderer per member).
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
        case .crop:
            throw CanvasError.invalidParameter(
                name: "visual prompt",
                expected: "a marker prompt (the crop prompt is cut from the photo: CandidateRenderer)",
                actual: prompt.description)
        case .ensemble:
            throw CanvasError.invalidParameter(
                name: "visual prompt", expected: "a single marker prompt (one renderer per ensemble member)",
                actual: prompt.description)
        }
    }

    /// A buffer of the output size to pass to `render(at:into:)`.
    public func makeOutputBuffer() -> RGBImage {
        RGBImage(width: outputWidth, height: outputHeight)
    }

    /// Renders the prompt for candidate `c` (canvas pixels) into `out` (output size).
    /// Does not allocate (one copy of the canvas or background, then only the marker's bounding
    /// box is touched).
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
        }
    }

    /// Renders the prompt for candidate `c` into a new image.
    public func render(at c: CanvasPoint) -> RGBImage {
        var out = makeOutputBuffer()
        render(at: c, into: &out)
        return out
    }
}
