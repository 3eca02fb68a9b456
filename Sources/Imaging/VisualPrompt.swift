// The paper's visual prompts: what is done to the canvas for one candidate location.

import Foundation

/// One way of showing CLIP a candidate location.
///
/// JSON (grid presets): `{"type": "marker", "marker": {...MarkerStyle...}}`,
/// `{"type": "markerBlurOutside", "marker": {...}, "sigma": 8}`,
/// `{"type": "markerGreyOutside", "marker": {...}}`, `{"type": "crop", "fraction": 0.3}` or
/// `{"type": "crop", "pixels": 64}`, or an ensemble of 2 to 8 of these,
/// `{"type": "ensemble", "prompts": [{...}, {...}]}` (no ensemble inside an ensemble).
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
    /// Several images per candidate, one per member prompt (2...8 members, none an ensemble):
    /// a candidate's score is the mean over the members of the cosine similarity of that
    /// member's image with the text (the paper's referring-expression ensemble, applied to
    /// keypoints). Each member costs one forward pass per candidate.
    case ensemble([VisualPrompt])

    /// The paper's red circle.
    public static let paper = VisualPrompt.marker(.paper)

    /// Members an ensemble may have: one member is the prompt itself; 8 bounds the forward
    /// passes per candidate (and the images rendered per candidate) to 8x the single prompt's.
    public static let ensembleMembers = 2...8

    /// The paper's referring-expression ensemble with `style`: circle, circle + blur outside
    /// (standard deviation `sigma` canvas pixels), circle + grey outside.
    public static func paperEnsemble(_ style: MarkerStyle = .paper, sigma: Double) -> VisualPrompt {
        .ensemble([.marker(style), .markerBlurOutside(style, sigma: sigma), .markerGreyOutside(style)])
    }

    /// The prompts rendered for each candidate: an ensemble's members, or the prompt itself.
    public var members: [VisualPrompt] {
        if case .ensemble(let members) = self { return members }
        return [self]
    }

    /// The marker style, if the prompt draws one.
    public var markerStyle: MarkerStyle? {
        switch self {
        case .marker(let s), .markerBlurOutside(let s, _), .markerGreyOutside(let s): return s
        case .crop: return nil
        case .ensemble(let members): return members.lazy.compactMap(\.markerStyle).first
        }
    }

    public var description: String {
        switch self {
        case .marker(let s): return "marker \(s)"
        case .markerBlurOutside(let s, let sigma): return "marker \(s), blur outside sigma \(sigma) px"
        case .markerGreyOutside(let s): return "marker \(s), grey outside"
        case .crop(let side): return "crop of the photo (or box crop), side \(side), window kept inside"
        case .ensemble(let members):
            return "ensemble of \(members.count) (mean score): "
                + members.map { "[\($0.description)]" }.joined(separator: " + ")
        }
    }

    /// The description for one run's own output (the localize table line): an ensemble whose
    /// members all draw one marker names that marker once, after its members by what they add,
    /// `"ensemble of 3 (mean score): marker, marker + blur outside sigma 8.0 px, marker + grey
    /// outside; marker circle rgb(255,0,0) r 0.06H t 0.01H"` (150 characters where `description`
    /// repeats the marker in every member: 230). Anything else is its `description`, which
    /// results files record.
    public var compactDescription: String {
        guard case .ensemble(let members) = self, let style = markerStyle else { return description }
        var kinds: [String] = []
        for member in members {
            switch member {
            case .marker(let s) where s == style: kinds.append("marker")
            case .markerBlurOutside(let s, let sigma) where s == style:
                kinds.append("marker + blur outside sigma \(sigma) px")
            case .markerGreyOutside(let s) where s == style: kinds.append("marker + grey outside")
            default: return description
            }
        }
        return "ensemble of \(members.count) (mean score): " + kinds.joined(separator: ", ") + "; marker \(style)"
    }

    /// A short label for column headings and legends (`keypoints report --compare`), where the
    /// full description of an ensemble (every member's marker) runs to hundreds of characters:
    /// an ensemble's members by kind, `"ensemble of 3: circle, circle+blur, circle+grey"` (each
    /// member's `kindLabel`). A single prompt's description is already short: it is its own label.
    public var shortLabel: String {
        guard case .ensemble(let members) = self else { return description }
        return Self.ensembleLabel(count: "\(members.count)", kinds: members.map(\.kindLabel))
    }

    /// What a prompt is, without its parameters: the marker's shape, with `+blur` or `+grey` for
    /// what is done outside it; `crop`; `ensemble`.
    public var kindLabel: String {
        switch self {
        case .marker(let s): return s.shape.rawValue
        case .markerBlurOutside(let s, _): return s.shape.rawValue + "+blur"
        case .markerGreyOutside(let s): return s.shape.rawValue + "+grey"
        case .crop: return "crop"
        case .ensemble: return "ensemble"
        }
    }

    private static func ensembleLabel(count: some StringProtocol, kinds: [String]) -> String {
        "ensemble of \(count): " + kinds.joined(separator: ", ")
    }

    /// `shortLabel` from a recorded `description`, for where only that text is at hand (the
    /// `visual_prompt` of a results header). This is the one place that reads the description
    /// format back: an ensemble's `"ensemble of N (mean score): [member] + [member]"`, each member
    /// read for its kind only (`"marker SHAPE ..."`, then `", blur outside ..."` or
    /// `", grey outside"`; `"crop ..."`). Tests check it against `shortLabel` for every kind
    /// `description` writes, so a change of the format fails there, not in a label. Anything
    /// else, a single prompt's description or text this type did not write, is returned as is.
    public static func shortLabel(ofDescription text: String) -> String {
        let head = "ensemble of "
        guard text.hasPrefix(head), let colon = text.range(of: " (mean score): ") else { return text }
        let count = text[text.index(text.startIndex, offsetBy: head.count)..<colon.lowerBound]
        let list = text[colon.upperBound...]
        guard list.hasPrefix("["), list.hasSuffix("]") else { return text }
        let members = list.dropFirst().dropLast().components(separatedBy: "] + [").map { member -> String in
            guard member.hasPrefix("marker ") else { return member.hasPrefix("crop ") ? "crop" : member }
            let shape = member.dropFirst("marker ".count).prefix { $0 != " " && $0 != "," }
            if member.contains(", blur outside ") { return shape + "+blur" }
            if member.hasSuffix(", grey outside") { return shape + "+grey" }
            return String(shape)
        }
        return ensembleLabel(count: count, kinds: members)
    }

    /// Checks the numeric parameters (`sigmaBound`; crop: `CropSide.fractionBound`,
    /// `CropSide.pixelsBound`) and an ensemble's members (`ensembleSizeBound`, none an ensemble,
    /// each valid). The grid-preset reader checks the same bounds.
    /// - Throws: `CanvasError.invalidParameter` naming the parameter.
    public func validate() throws {
        switch self {
        case .markerBlurOutside(_, let sigma):
            guard Self.sigmaBound.contains(sigma) else {
                throw CanvasError.invalidParameter(
                    name: "visual prompt sigma", expected: Self.sigmaBound.expected, actual: "\(sigma)")
            }
        case .crop(let side):
            try side.validate(name: "visual prompt crop side")
        case .marker, .markerGreyOutside:
            break
        case .ensemble(let members):
            guard Self.ensembleSizeBound.contains(members.count) else {
                throw CanvasError.invalidParameter(
                    name: "visual prompt ensemble prompts", expected: Self.ensembleSizeBound.expected,
                    actual: "\(members.count)")
            }
            for (i, m) in members.enumerated() {
                if case .ensemble = m {
                    throw CanvasError.invalidParameter(
                        name: "visual prompt ensemble prompts[\(i)]", expected: "a single prompt (no nested ensemble)",
                        actual: "an ensemble")
                }
                try m.validate()
            }
        }
    }

    // MARK: Codable

    private enum CodingKeys: String, CodingKey { case type, marker, sigma, fraction, pixels, prompts }
    private enum Kind: String, Codable { case marker, markerBlurOutside, markerGreyOutside, crop, ensemble }

    /// An ensemble member: any prompt but an ensemble, refused by its `type` before its fields
    /// are read (so nesting never recurses).
    private struct Member: Decodable {
        let prompt: VisualPrompt

        init(from decoder: Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            if try c.decode(Kind.self, forKey: .type) == .ensemble {
                throw DecodingError.dataCorruptedError(
                    forKey: .type, in: c, debugDescription: VisualPrompt.nestedEnsembleMessage)
            }
            prompt = try VisualPrompt(from: decoder)
        }
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let kind = try c.decode(Kind.self, forKey: .type)
        let style = try c.decodeIfPresent(MarkerStyle.self, forKey: .marker) ?? .paper
        switch kind {
        case .marker: self = .marker(style)
        case .markerBlurOutside: self = .markerBlurOutside(style, sigma: try c.decode(Double.self, forKey: .sigma))
        case .markerGreyOutside: self = .markerGreyOutside(style)
        case .ensemble:
            self = .ensemble(try Self.decodeMembers(c))
            return  // each member was validated as it was decoded
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
            throw DecodingError.dataCorruptedError(forKey: key, in: c, debugDescription: error.rawMessage)
        }
    }

    /// An ensemble's `prompts`, their count checked before any member is decoded.
    private static func decodeMembers(_ c: KeyedDecodingContainer<CodingKeys>) throws -> [VisualPrompt] {
        var list = try c.nestedUnkeyedContainer(forKey: .prompts)
        guard let count = list.count, ensembleSizeBound.contains(count) else {
            throw DecodingError.dataCorruptedError(
                forKey: .prompts, in: c,
                debugDescription:
                    "expected \(ensembleSizeBound.expected), got \(list.count.map(String.init) ?? "an unknown number")")
        }
        var members: [VisualPrompt] = []
        while !list.isAtEnd { members.append(try list.decode(Member.self).prompt) }
        return members
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
        case .ensemble(let members):
            try c.encode(Kind.ensemble, forKey: .type)
            try c.encode(members, forKey: .prompts)
        }
    }
}
