// What CLIP is shown for one candidate location: the one entry point the scorer and
// `--save-marked` share, so the saved image is exactly the scored one.

/// The model-input image for a candidate location (original-image pixels) of one photo: the
/// photo fitted to the model input (`CanvasGeometry`) with the visual prompt drawn at the
/// candidate, or, for the crop prompt, a square of the ORIGINAL photo around the candidate (inside
/// the geometry's source: the photo, or the box crop) resized to the model input
/// (`CandidateCropRenderer`). Immutable and `Sendable`: build one per photo, render candidates
/// into per-worker buffers (an output image and a `CandidateScratch`).
public struct CandidateRenderer: Sendable {
    public let prompt: VisualPrompt
    public let geometry: CanvasGeometry
    let mode: Mode

    enum Mode: Sendable {
        case canvas(VisualPromptRenderer)
        case crop(CandidateCropRenderer)
    }

    /// - Parameter photo: the decoded photo, `geometry.imageWidth` x `geometry.imageHeight`.
    /// - Throws: `CanvasError.imageSizeMismatch` for a photo of another size,
    ///   `invalidParameter` for a prompt parameter out of range, and for an ensemble (one
    ///   renderer renders one image per candidate: build one per member, `VisualPrompt.members`).
    public init(prompt: VisualPrompt, photo: RGBImage, geometry: CanvasGeometry) throws {
        guard photo.width == geometry.imageWidth, photo.height == geometry.imageHeight else {
            throw CanvasError.imageSizeMismatch(
                what: "CandidateRenderer", expectedWidth: geometry.imageWidth, expectedHeight: geometry.imageHeight,
                actualWidth: photo.width, actualHeight: photo.height)
        }
        self.prompt = prompt
        self.geometry = geometry
        switch prompt {
        case .crop(let side):
            mode = .crop(
                try CandidateCropRenderer(photo: photo, region: geometry.source, side: side, outputSize: geometry.size))
        case .marker, .markerBlurOutside, .markerGreyOutside:
            mode = .canvas(try VisualPromptRenderer(prompt: prompt, canvas: try geometry.makeCanvas(from: photo)))
        case .ensemble:
            throw CanvasError.invalidParameter(
                name: "visual prompt", expected: "a single prompt (one renderer per ensemble member)",
                actual: prompt.description)
        }
    }

    /// Side of the square output (the model input).
    public var outputSize: Int { geometry.size }

    /// A buffer of the output size to pass to `render(at:into:)`.
    public func makeOutputBuffer() -> RGBImage { RGBImage(width: outputSize, height: outputSize) }

    /// Renders the model input for a candidate at `p` (original pixels) into `out`, with
    /// `scratch` for the crop prompt's resize (marker prompts need none). With `out` and
    /// `scratch` reused across candidates, nothing is allocated per candidate.
    public func render(at p: Point, into out: inout RGBImage, scratch: inout CandidateScratch) {
        switch mode {
        case .canvas(let r): r.render(at: geometry.canvasPoint(fromImage: p), into: &out)
        case .crop(let r): r.render(at: p, into: &out, scratch: &scratch)
        }
    }

    /// One renderer per member of `prompt` (`VisualPrompt.members`: an ensemble's members, or
    /// the prompt itself), in member order, sharing nothing but the photo.
    public static func members(of prompt: VisualPrompt, photo: RGBImage, geometry: CanvasGeometry) throws
        -> [CandidateRenderer]
    {
        try prompt.validate()
        return try prompt.members.map { try CandidateRenderer(prompt: $0, photo: photo, geometry: geometry) }
    }

    /// The model input for a candidate at `p`, as a new image.
    public func render(at p: Point) -> RGBImage {
        var out = makeOutputBuffer()
        var scratch = CandidateScratch()
        render(at: p, into: &out, scratch: &scratch)
        return out
    }

    /// The crop prompt's window in original pixels for a candidate at `p` (nil for marker prompts).
    public func cropWindow(at p: Point) -> PixelRect? {
        guard case .crop(let r) = mode else { return nil }
        return r.window(at: p)
    }
}
