// The crop baseline's view of a candidate (the paper's "crop" rows of Table 4): a square of the
// ORIGINAL photo around the candidate, preprocessed like any CLIP input, not a piece of the
// already-downscaled model-input canvas blown up again.

import Foundation

/// Side of the crop baseline's square, in original-image pixels.
public enum CropSide: Sendable, Equatable, Hashable, CustomStringConvertible {
    /// A fraction in (0, 1] of the shorter side of the searched region (the photo, or its box
    /// crop under crop-to-box and for SPair-71k), rounded to whole pixels (at least 1).
    case fraction(Double)
    /// Whole pixels of the original photo (at least 1).
    case pixels(Int)

    /// The default: a quarter of the shorter side. The paper does not state the crop size; a
    /// quarter is about twice the red circle's outer diameter (2 × (0.06 + 0.005) = 0.13 of the
    /// side), so a crop shows the part with the context the circle's surroundings give it.
    public static let standard = CropSide.fraction(0.25)

    /// Parses `0.25` (a fraction of the shorter side, in (0, 1]) or `64px` (pixels, >= 1).
    /// - Throws: `CanvasError.invalidParameter` naming `option`.
    public init(parsing text: String, option: String = "crop side") throws {
        let t = text.trimmingCharacters(in: .whitespaces).lowercased()
        if t.hasSuffix("px") {
            guard let n = Int(t.dropLast(2)), Self.pixelsBound.contains(n) else {
                throw CanvasError.invalidParameter(
                    name: option, expected: "whole pixels >= 1 (e.g. 64px) or a fraction in (0, 1] (e.g. 0.25)",
                    actual: "'\(text)'")
            }
            self = .pixels(n)
        } else {
            guard let f = Double(t) else {
                throw CanvasError.invalidParameter(
                    name: option,
                    expected: "a fraction in (0, 1] of the shorter side (e.g. 0.25) or pixels (e.g. 64px)",
                    actual: "'\(text)'")
            }
            self = .fraction(f)
            try validate(name: option)
        }
    }

    /// Checks the value (`fractionBound`, `pixelsBound`).
    /// - Throws: `CanvasError.invalidParameter` naming `name`.
    public func validate(name: String = "crop side") throws {
        switch self {
        case .fraction(let f):
            guard Self.fractionBound.contains(f) else {
                throw CanvasError.invalidParameter(name: name, expected: Self.fractionBound.expected, actual: "\(f)")
            }
        case .pixels(let n):
            guard Self.pixelsBound.contains(n) else {
                throw CanvasError.invalidParameter(name: name, expected: Self.pixelsBound.expected, actual: "\(n)")
            }
        }
    }

    /// The side in pixels for a region whose shorter side is `shorterSide`: a fraction rounded
    /// (at least 1); pixels as given. Never more than `shorterSide` (the window stays inside the
    /// region, see `CandidateCropRenderer`).
    public func pixels(shorterSide: Int) -> Int {
        let s: Int
        switch self {
        case .fraction(let f): s = Int((f * Double(shorterSide)).rounded())
        case .pixels(let n): s = n
        }
        return max(1, min(s, shorterSide))
    }

    /// `0.25` or `64px`, as parsed.
    public var argument: String {
        switch self {
        case .fraction(let f): return "\(f)"
        case .pixels(let n): return "\(n)px"
        }
    }

    public var description: String {
        switch self {
        case .fraction(let f): return "\(f) of the shorter side"
        case .pixels(let n): return "\(n) px"
        }
    }
}

/// Renders the crop baseline for candidates of one photo: the square window of the original
/// photo around the candidate, resized to the model input with Pillow-exact bicubic.
///
/// For a square crop CLIP's own preprocessing (shorter side resized to S, S x S centre crop) is
/// exactly this resize, so the output is what `ImagePreprocessor.resizedAndCropped` makes of the
/// crop saved as a photo of its own; the caller then normalises it like any canvas.
///
/// Window: side `side` pixels (`CropSide.pixels(shorterSide:)` of the region, so at most the
/// region's shorter side), left edge `round(x - side / 2)` (same for y), so the candidate is
/// within half a pixel of the centre. Near the region's border the window is CLAMPED: shifted
/// inside the region (the photo, or the box crop), keeping its side. Every crop is then real
/// photo content of one size (padding would add grey borders whose width says how close the
/// candidate is to the edge, a cue that has nothing to do with the part); the candidate is off
/// centre by the shift, still inside the window.
public struct CandidateCropRenderer: Sendable {
    /// The decoded photo (original pixels).
    public let photo: RGBImage
    /// The region windows stay inside: the whole photo, or the box crop's pixels.
    public let region: PixelRect
    /// Window side, original pixels.
    public let side: Int
    /// Output side (the model input S).
    public let outputSize: Int
    /// The resize of every window (`side` -> `outputSize`), its taps computed once.
    let resize: Resample.BicubicResize

    /// - Parameters:
    ///   - region: the searched pixels of `photo` (nil: the whole photo); cut to the photo.
    /// - Throws: `CanvasError.invalidParameter` for a bad side, `invalidSize` for an empty region
    ///   or output.
    public init(photo: RGBImage, region: PixelRect? = nil, side: CropSide, outputSize: Int) throws {
        try side.validate()
        let whole = PixelRect(x: 0, y: 0, width: photo.width, height: photo.height)
        let r = (region ?? whole).intersection(whole)
        guard !r.isEmpty else { throw CanvasError.invalidSize(what: "crop region", width: r.width, height: r.height) }
        guard outputSize > 0 else {
            throw CanvasError.invalidSize(what: "model input", width: outputSize, height: outputSize)
        }
        self.photo = photo
        self.region = r
        self.side = side.pixels(shorterSide: min(r.width, r.height))
        self.outputSize = outputSize
        self.resize = Resample.BicubicResize(
            inputWidth: self.side, inputHeight: self.side, outputWidth: outputSize, outputHeight: outputSize)
    }

    /// The window for a candidate at `p` (original pixels), clamped inside `region`.
    public func window(at p: Point) -> PixelRect {
        let half = Double(side) / 2
        func edge(_ c: Double, _ lo: Int, _ hi: Int) -> Int {
            let centred = Int((c - half).rounded())
            return min(max(centred, lo), hi - side)
        }
        return PixelRect(
            x: edge(p.x, region.x, region.maxX), y: edge(p.y, region.y, region.maxY), width: side, height: side)
    }

    /// A buffer of the output size to pass to `render(at:into:)`.
    public func makeOutputBuffer() -> RGBImage { RGBImage(width: outputSize, height: outputSize) }

    /// The crop for candidate `p` resized to `outputSize` x `outputSize`, into `out`: the bytes
    /// of `Resample.bicubic` of the window cut out, resized straight from the photo with
    /// `scratch` for the intermediate pass. Allocates nothing once `scratch` has grown (first
    /// call), so a caller reusing `out` and `scratch` across candidates allocates nothing per
    /// candidate.
    public func render(at p: Point, into out: inout RGBImage, scratch: inout CandidateScratch) {
        precondition(
            out.width == outputSize && out.height == outputSize,
            "CandidateCropRenderer: buffer \(out.width)x\(out.height), expected \(outputSize)x\(outputSize)")
        resize.resize(photo, window: window(at: p), into: &out, scratch: &scratch.resample)
    }

    /// The crop for candidate `p` as a new image.
    public func render(at p: Point) -> RGBImage {
        var out = makeOutputBuffer()
        var scratch = CandidateScratch()
        render(at: p, into: &out, scratch: &scratch)
        return out
    }
}

/// Scratch memory of rendering candidates (`CandidateRenderer.render(at:into:scratch:)`): the
/// crop prompt's intermediate resize pass. Owned by the caller, one per worker, reused across
/// candidates: it grows on first use and is not allocated again.
public struct CandidateScratch: Sendable {
    var resample: [UInt8] = []

    public init() {}
}
