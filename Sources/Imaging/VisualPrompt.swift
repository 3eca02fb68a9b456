// The paper's visual prompts: what is done to the canvas for one candidate location.

import Foundation

/// One way of showing CLIP a candidate location.
///
/// JSON (grid presets): `{"type": "marker", "marker": {...MarkerStyle...}}`,
/// `{"type": "markerBlurOutside", "marker": {...}, "sigma": 8}`,
/// `{"type": "markerGreyOutside", "marker": {...}}`, `{"type": "crop", "fraction": 0.3}` or
/// `{"type": "crop", "pixels": 64}`.
/// `marker` is optional and defaults to the paper's red circle.
public enum VisualPrompt: Sendable, Equatable, Hashable, Codable, CustomStringConvertible {
    /// The marker drawn on the canvas (the paper's method).
    case marker(MarkerStyle)
    /// The marker, and everything outside the disk of radius r + t/2 (the marker's outer edge,
    /// whatever its shape) Gaussian-blurred with standard deviation `sigma` canvas pixels.
    case markerBlurOutside(MarkerStyle, sigma: Double)
    /// The marker, and everything outside the disk of radius r + t/2 converted to grey
    /// (ITU-R 601-2 luma, as Pillow's convert("L")).
    case markerGreyOutside(MarkerStyle)
    /// The "crop" baseline: a square of the ORIGINAL photo (or its box crop) around the
    /// candidate, `side` pixels, kept inside the photo, resized to the model input like any CLIP
    /// input. No marker. Rendered from the photo by `CandidateRenderer`
    /// (`CandidateCropRenderer`), not from the canvas.
    case crop(CropSide)

    /// The paper's red circle.
    public static let paper = VisualPrompt.marker(.paper)

    /// The marker style, if the prompt draws one.
    public var markerStyle: MarkerStyle? {
        switch self {
        case .marker(let s), .markerBlurOutside(let s, _), .markerGreyOutside(let s): return s
        case .crop: return nil
        }
    }

    public var description: String {
        switch self {
        case .marker(let s): return "marker \(s)"
        case .markerBlurOutside(let s, let sigma): return "marker \(s), blur outside sigma \(sigma) px"
        case .markerGreyOutside(let s): return "marker \(s), grey outside"
        case .crop(let side): return "crop of the photo (or box crop), side \(side), window kept inside"
        }
    }

    /// Checks the numeric parameters (sigma > 0; crop: 0 < fraction <= 1, pixels >= 1).
    /// - Throws: `CanvasError.invalidParameter` naming the parameter.
    public func validate() throws {
        switch self {
        case .markerBlurOutside(_, let sigma):
            guard sigma.isFinite, sigma > 0 else {
                throw CanvasError.invalidParameter(
                    name: "visual prompt sigma", expected: "a number > 0 (canvas px)",
                    actual: "\(sigma)")
            }
        case .crop(let side):
            try side.validate(name: "visual prompt crop side")
        case .marker, .markerGreyOutside:
            break
        }
    }

    // MARK: Codable

    private enum CodingKeys: String, CodingKey { case type, marker, sigma, fraction, pixels }
    private enum Kind: String, Codable { case marker, markerBlurOutside, markerGreyOutside, crop }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let kind = try c.decode(Kind.self, forKey: .type)
        let style = try c.decodeIfPresent(MarkerStyle.self, forKey: .marker) ?? .paper
        switch kind {
        case .marker: self = .marker(style)
        case .markerBlurOutside: self = .markerBlurOutside(style, sigma: try c.decode(Double.self, forKey: .sigma))
        case .markerGreyOutside: self = .markerGreyOutside(style)
        case .crop:
            if let pixels = try c.decodeIfPresent(Int.self, forKey: .pixels) {
                self = .crop(.pixels(pixels))
            } else {
                self = .crop(.fraction(try c.decode(Double.self, forKey: .fraction)))
            }
        }
        do {
            try validate()
        } catch let error as CanvasError {
            let key: CodingKeys
            if case .crop(.pixels) = self { key = .pixels } else { key = kind == .crop ? .fraction : .sigma }
            throw DecodingError.dataCorruptedError(forKey: key, in: c, debugDescription: error.description)
        }
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        switch self {
        case .marker(let s):
            try c.encode(Kind.marker, forKey: .type)
            try c.encode(s, forKey: .marker)
        case .markerBlurOutside(let s, let sigma):
            try c.encode(Kind.markerBlurOutside, forKey: .type)
            try c.encode(s, forKey: .marker)
            try c.encode(sigma, forKey: .sigma)
        case .markerGreyOutside(let s):
            try c.encode(Kind.markerGreyOutside, forKey: .type)
            try c.encode(s, forKey: .marker)
        case .crop(let side):
            try c.encode(Kind.crop, forKey: .type)
            switch side {
            case .fraction(let f): try c.encode(f, forKey: .fraction)
            case .pixels(let n): try c.encode(n, forKey: .pixels)
            }
        }
    }
}
