import ArgumentParser
import Foundation
import Imaging
import KeypointsSupport
import Localization

/// The paper's ablation switches, shared by `localize` and `eval`: the prompt templates, the
/// marker (shape, colour, radius, thickness) and the visual prompt (circle, circle + blur outside,
/// circle + grey outside, or an ensemble of them, scores averaged). Unset switches keep the grid
/// preset's marker and the vocabulary's templates.
struct PromptOptions: ParsableArguments {
    @Option(
        name: .customLong("template"),
        help: ArgumentHelp(
            "Prompt template with {part}; repeat it for an ensemble (mean of the prompts' text embeddings); with --vocabulary the templates replace the vocabulary's templates and prompts.",
            valueName: "template"))
    var templates: [String] = []
    @Option(
        help: ArgumentHelp("Marker shape (overrides the preset): circle, square, cross or arrow.", valueName: "shape"))
    var marker: MarkerShape?
    @Option(
        help: ArgumentHelp(
            "Marker colour: red, green, blue, yellow, black, white, R,G,B or #RRGGBB.", valueName: "colour"))
    var color: String?
    // `.unconditional` (as --threads): "--radius -1" reaches validate() and its range error
    // instead of being read as an unknown option and reported as a missing value.
    @Option(
        parsing: .unconditional,
        help: ArgumentHelp(
            "Marker radius: a fraction of the model input's side (0.06) or pixels (20px).", valueName: "r"))
    var radius: String?
    @Option(
        parsing: .unconditional,
        help: ArgumentHelp(
            "Marker line width: a fraction of the model input's side (0.01) or pixels (3px).", valueName: "t"))
    var thickness: String?
    @Option(
        help: ArgumentHelp(
            "Visual prompt: circle (the marker), circle+blur (blur outside it), circle+grey (grey outside it), ensemble (the paper's three, scores averaged) or a comma list of them, e.g. circle,circle+grey (an ensemble: one image per candidate each, the mean score).",
            valueName: "kind"))
    var prompt: String?

    enum PromptKind: String, CaseIterable {
        case circle
        case circleBlur = "circle+blur"
        case circleGrey = "circle+grey"
    }

    /// `--prompt`'s name for the paper's referring-expression ensemble: every `PromptKind`.
    static let ensembleName = "ensemble"

    /// The visual prompts `--prompt` names, in order: one kind, `ensemble` (circle, circle+blur,
    /// circle+grey), or a comma list of distinct kinds (an ensemble of them).
    static func parsePromptKinds(_ text: String) throws -> [PromptKind] {
        let kinds = PromptKind.allCases.map(\.rawValue).joined(separator: ", ")
        let t = text.trimmingCharacters(in: .whitespaces).lowercased()
        if t == ensembleName { return PromptKind.allCases }
        var list: [PromptKind] = []
        for item in t.split(separator: ",", omittingEmptySubsequences: false) {
            let name = item.trimmingCharacters(in: .whitespaces)
            guard let kind = PromptKind(rawValue: name) else {
                let why =
                    name == ensembleName
                    ? "'ensemble' stands alone (it is circle,circle+blur,circle+grey)"
                    : name.isEmpty ? "an empty item" : "'\(name.displaySafe)'"
                throw ValidationError(
                    "--prompt expects \(kinds), \(ensembleName) or a comma list of \(kinds), got '\(text.displaySafe)': \(why)"
                )
            }
            guard !list.contains(kind) else {
                throw ValidationError(
                    "--prompt lists \(kind.rawValue) twice in '\(text.displaySafe)': each visual prompt once")
            }
            list.append(kind)
        }
        return list
    }

    /// The visual prompt `kinds` name (`parsePromptKinds`), each drawing `marker`: one kind is
    /// that prompt, several an ensemble of them in order.
    static func visualPrompt(_ kinds: [PromptKind], marker m: MarkerStyle) -> VisualPrompt {
        let members = kinds.map { kind -> VisualPrompt in
            switch kind {
            case .circle: return .marker(m)
            case .circleBlur: return .markerBlurOutside(m, sigma: blurSigma)
            case .circleGrey: return .markerGreyOutside(m)
            }
        }
        return members.count == 1 ? members[0] : .ensemble(members)
    }

    /// Images scored per candidate: the number of visual prompts `--prompt` names, else the
    /// members of the grid preset's prompt (`base`).
    func promptMemberCount(base: VisualPrompt) -> Int {
        (prompt.flatMap { try? Self.parsePromptKinds($0) })?.count ?? base.members.count
    }

    /// Standard deviation of the blur outside the marker for `circle+blur`, in model-input pixels
    /// (the paper does not give it; 8 px at 336 px blurs away texture but keeps the layout).
    static let blurSigma = 8.0

    /// A length given on the command line.
    struct Length: Equatable {
        var value: Double
        var units: MarkerUnits
    }

    static func parseLength(_ text: String, option: String) throws -> Length {
        let t = text.trimmingCharacters(in: .whitespaces).lowercased()
        let pixels = t.hasSuffix("px")
        let units: MarkerUnits = pixels ? .pixels : .fraction
        guard let v = Double(pixels ? String(t.dropLast(2)) : t), MarkerStyle.admitsSize(v, units: units) else {
            throw ValidationError(
                "\(option) expects a fraction of the model input's side in (0, 1] (e.g. 0.06) or pixels (e.g. 20px), got '\(text.displaySafe)'"
            )
        }
        return Length(value: v, units: units)
    }

    static let namedColors: [String: RGB] = [
        "red": RGB(255, 0, 0), "green": RGB(0, 255, 0), "blue": RGB(0, 0, 255), "yellow": RGB(255, 255, 0),
        "black": RGB(0, 0, 0), "white": RGB(255, 255, 255),
    ]

    static func parseColor(_ text: String) throws -> RGB {
        let t = text.trimmingCharacters(in: .whitespaces).lowercased()
        if let c = namedColors[t] { return c }
        var parts: [Int?] = []
        if t.hasPrefix("#"), t.count == 7 {
            let hex = Array(t.dropFirst())
            parts = stride(from: 0, to: 6, by: 2).map { Int(String(hex[$0..<($0 + 2)]), radix: 16) }
        } else {
            parts = t.split(separator: ",", omittingEmptySubsequences: false).map {
                Int($0.trimmingCharacters(in: .whitespaces))
            }
        }
        guard parts.count == 3, let r = parts[0], let g = parts[1], let b = parts[2],
            [r, g, b].allSatisfy({ (0...255).contains($0) })
        else {
            throw ValidationError(
                "--color expects \(namedColors.keys.sorted().joined(separator: ", ")), R,G,B (0...255) or #RRGGBB, got '\(text.displaySafe)'"
            )
        }
        return RGB(UInt8(r), UInt8(g), UInt8(b))
    }

    func validate() throws {
        if templates.count > LocalizationLimits.promptsPerKeypoint {
            throw ValidationError(
                "--template given \(templates.count) times, over the limit LocalizationLimits.promptsPerKeypoint = \(LocalizationLimits.promptsPerKeypoint)"
            )
        }
        if let color { _ = try Self.parseColor(color) }
        if let radius { _ = try Self.parseLength(radius, option: "--radius") }
        if let thickness { _ = try Self.parseLength(thickness, option: "--thickness") }
        if let prompt { _ = try Self.parsePromptKinds(prompt) }
    }

    /// `--template` as recorded in results headers and JSON documents: one template as itself
    /// (as before ensembles existed), several as a JSON array; nil when not given.
    var templateSetting: String? {
        templates.isEmpty ? nil : KeypointQuery.recordedText(templates)
    }

    /// True when any marker or prompt switch is given.
    var changesThePrompt: Bool { changesTheMarker || prompt != nil }

    /// True when any marker switch (shape, colour, radius, thickness) is given.
    var changesTheMarker: Bool { marker != nil || color != nil || radius != nil || thickness != nil }

    /// The preset's marker with the switches applied. Radius and thickness in different units
    /// are both converted to model-input pixels (`inputSide`: the model's input size).
    func markerStyle(base: MarkerStyle, inputSide: Int) throws -> MarkerStyle {
        var m = base
        if let marker { m.shape = marker }
        if let color { m.color = try Self.parseColor(color) }
        let r =
            try radius.map { try Self.parseLength($0, option: "--radius") }
            ?? Length(value: base.radius, units: base.units)
        let t =
            try thickness.map { try Self.parseLength($0, option: "--thickness") }
            ?? Length(value: base.thickness, units: base.units)
        if r.units == t.units {
            (m.radius, m.thickness, m.units) = (r.value, t.value, r.units)
        } else {
            // As MarkerStyle.pixelSizes rounds fractions: whole pixels, at least 1.
            func px(_ l: Length) -> Double {
                l.units == .pixels ? l.value : max(1, (l.value * Double(inputSide)).rounded())
            }
            (m.radius, m.thickness, m.units) = (px(r), px(t), .pixels)
        }
        return m
    }

    /// Refuses marker switches without `--prompt` when the preset's prompt `base` draws no marker
    /// (a crop, or an ensemble of crops): they would change nothing.
    /// - Throws: `CLIError` naming the switches and the preset's prompt.
    func checkMarkerSwitches(base: VisualPrompt) throws {
        guard prompt == nil, changesTheMarker, base.markerStyle == nil else { return }
        throw CLIError(
            "--marker, --color, --radius and --thickness change a marker, but the grid preset's visual prompt "
                + "(\(base)) draws none; give --prompt too (e.g. --prompt circle)")
    }

    /// The visual prompt for the red-circle method: the preset's, or the one the switches say
    /// (several kinds: an ensemble of them, each with the marker the switches give). Marker
    /// switches without `--prompt` keep the preset's prompt and change each member's marker.
    /// - Throws: `checkMarkerSwitches`'s error for marker switches on a prompt without a marker.
    func visualPrompt(base: VisualPrompt, presetMarker: MarkerStyle, inputSide: Int) throws -> VisualPrompt {
        guard changesThePrompt else { return base }
        try checkMarkerSwitches(base: base)
        let members: [VisualPrompt]
        if let prompt {
            let m = try markerStyle(base: base.markerStyle ?? presetMarker, inputSide: inputSide)
            members = Self.visualPrompt(try Self.parsePromptKinds(prompt), marker: m).members
        } else {
            members = try base.members.map { member in
                let m = try markerStyle(base: member.markerStyle ?? presetMarker, inputSide: inputSide)
                switch member {
                case .marker: return .marker(m)
                case .markerBlurOutside(_, let sigma): return .markerBlurOutside(m, sigma: sigma)
                case .markerGreyOutside: return .markerGreyOutside(m)
                case .crop, .ensemble: return member
                }
            }
        }
        let p = members.count == 1 ? members[0] : .ensemble(members)
        try p.validate()
        return p
    }
}

extension MarkerShape: ExpressibleByArgument {}
