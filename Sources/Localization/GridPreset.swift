import Foundation
import Imaging
import KeypointsSupport

/// A candidate-grid preset: which locations to score, coarse to fine, and how to draw the marker.
///
/// Loaded from `grids/*.json`; every field is documented in grids/README.md. Stage 0 is an
/// `M x M` grid of cell centres over the whole search region. Each later stage puts a
/// `grid x grid` window of finer cell centres around each survivor of the previous stage (per
/// keypoint, the `top_k` best), with spacing `previous spacing * neighbourhood / grid`. The
/// refinement ratio `grid / neighbourhood` must be a whole number so that every stage lies on
/// one exact integer lattice (see `LatticePoint`): overlapping windows then ask for identical
/// points, which are scored once.
public struct GridPreset: Codable, Sendable, Equatable {
    /// Short identifier, e.g. "fast".
    public var name: String
    /// One or two sentences for humans.
    public var description: String
    /// Coarse to fine; at least one.
    public var stages: [GridStage]
    /// How the marker is drawn.
    public var marker: MarkerStyle
    /// The visual prompt (`"visual_prompt"` in the file), e.g. an ensemble; `nil`: the marker
    /// alone (`.marker(marker)`). A prompt or member without its own `marker` uses `marker`.
    public var visualPrompt: VisualPrompt?
    /// How a marked image is fitted to the square model input ("pad", "crop" or "stretch" in
    /// the file).
    public var fit: FitMode
    /// Marked images per scorer call; `nil` means `GridPreset.defaultBatch`.
    public var batch: Int?
    /// Optional pass budget of each keypoint's search for optional survivors: each keypoint's
    /// best survivor is always refined; its further survivors (up to `top_k`) are refined, most
    /// ambiguous first (smallest normalised gap to its best), only while the locations that
    /// keypoint has asked for stay within `budget.passes`. `nil`: all `top_k` survivors are refined.
    public var budget: PassBudget?

    /// Batch size used when the preset does not set one.
    public static let defaultBatch = 64
    /// Upper bound on the finest lattice resolution (cells per side), a guard against presets
    /// whose refinement ratios multiply into absurd lattices (lattice coordinates stay far from
    /// integer overflow and the score cache stays meaningful).
    public static let maximumResolution = LocalizationLimits.gridResolution

    enum CodingKeys: String, CodingKey {
        case name, description, stages, marker
        case visualPrompt = "visual_prompt"
        case fit, batch, budget
    }

    public init(
        name: String, description: String, stages: [GridStage], marker: MarkerStyle,
        fit: FitMode, batch: Int? = nil, budget: PassBudget? = nil, visualPrompt: VisualPrompt? = nil
    ) {
        self.name = name
        self.description = description
        self.stages = stages
        self.marker = marker
        self.visualPrompt = visualPrompt
        self.fit = fit
        self.batch = batch
        self.budget = budget
    }

    /// The batch size to use: `batch` or `defaultBatch`.
    public var effectiveBatch: Int { batch ?? Self.defaultBatch }

    /// The visual prompt to score with: `visualPrompt`, or the marker alone.
    public var effectiveVisualPrompt: VisualPrompt { visualPrompt ?? .marker(marker) }

    // MARK: - Loading

    /// Loads and validates a preset file.
    /// - Parameter url: a file URL; its `relativePath` (as given) names the file in errors.
    /// - Throws: `GridPresetError` naming the file and the field.
    public static func load(from url: URL) throws -> GridPreset {
        try decode(contents(of: url), file: url.relativePath)
    }

    /// The bytes of a preset file, for callers that also hash them (`keypoints eval`).
    /// - Throws: `GridPresetError.unreadable` naming the file (its `relativePath`).
    public static func contents(of url: URL) throws -> Data {
        try RegularFile.read(
            url, maxBytes: LocalizationLimits.fileBytes, limitName: "LocalizationLimits.fileBytes"
        ) { GridPresetError.unreadable(file: url.relativePath, reason: $0.message) }
    }

    /// Decodes and validates preset JSON.
    /// - Parameters:
    ///   - data: the JSON bytes.
    ///   - file: the name used in error messages.
    public static func decode(_ data: Data, file: String) throws -> GridPreset {
        switch decodeJSONFile(GridPreset.self, from: data) {
        case .success(let preset): return preset
        case .failure(let e): throw GridPresetError.invalidField(file: file, field: e.field, message: e.message)
        }
    }

    /// Checks an in-memory preset with exactly the rules applied to files (it is encoded and
    /// read back through the same strict reader).
    /// - Parameter file: the name used in error messages.
    public func validate(file: String = "(in-memory preset)") throws {
        let data: Data
        do {
            data = try JSONEncoder().encode(self)
        } catch {
            throw GridPresetError.invalidField(file: file, field: "(encoding)", message: "\(error)")
        }
        _ = try Self.decode(data, file: file)
    }

    // MARK: - Strict decoding

    public init(from decoder: Decoder) throws {
        let path = jsonFieldPath(decoder.codingPath)
        let r = try JSONObjectReader(
            JSONValue(from: decoder), path: path,
            known: ["name", "description", "stages", "marker", "visual_prompt", "fit", "batch", "budget"])
        name = try r.string("name")
        guard !name.isEmpty else {
            throw JSONFieldError(field: r.fieldPath("name"), message: "expected a non-empty string")
        }
        description = try r.optionalString("description") ?? ""
        let stageValues = try r.array("stages")
        guard !stageValues.isEmpty else {
            throw JSONFieldError(
                field: r.fieldPath("stages"), message: "expected at least one stage, got an empty array")
        }
        var stages: [GridStage] = []
        var resolution = 1
        for (i, value) in stageValues.enumerated() {
            let stagePath = r.fieldPath("stages") + "[\(i)]"
            let stage = try GridStage(
                json: value, path: stagePath, index: i,
                isLast: i == stageValues.count - 1)
            let factor = i == 0 ? stage.grid : stage.refinementRatio ?? 1
            guard resolution <= Self.maximumResolution / factor else {
                throw JSONFieldError(
                    field: stagePath,
                    message: "the stages refine to more than \(Self.maximumResolution) cells per side")
            }
            resolution *= factor
            stages.append(stage)
        }
        self.stages = stages
        guard let markerValue = r.fields["marker"] else {
            throw JSONFieldError(field: r.fieldPath("marker"), message: "missing required field")
        }
        marker = try MarkerStyle(presetJSON: markerValue, path: r.fieldPath("marker"))
        visualPrompt =
            r.has("visual_prompt")
            ? try VisualPrompt(
                presetJSON: r.fields["visual_prompt"] ?? .null, path: r.fieldPath("visual_prompt"), marker: marker)
            : nil
        fit = try r.choice("fit", of: FitMode.self)
        batch = try r.optionalInteger("batch", minimum: 1)
        if let batch, batch > LocalizationLimits.batch {
            throw JSONFieldError(
                field: r.fieldPath("batch"),
                message: "\(batch) is over the limit LocalizationLimits.batch = \(LocalizationLimits.batch)")
        }
        budget = r.has("budget") ? try PassBudget(json: r.fields["budget"] ?? .null, path: r.fieldPath("budget")) : nil
    }
}

// MARK: - Stage

/// One stage of a preset. Stage 0 covers the region; later stages refine around survivors.
public struct GridStage: Encodable, Sendable, Equatable {
    /// Candidates per side: the first stage scores `grid x grid` cell centres over the region;
    /// later stages score a `grid x grid` window around each survivor. At least 2.
    public var grid: Int
    /// Later stages only: the window side as a multiple of the previous stage's spacing
    /// (1.0 = the survivor's own cell, 2.0 = +-1 cell). `grid / neighbourhood` must be a whole
    /// number >= 1: the refinement ratio (previous spacing / this spacing).
    public var neighbourhood: Double?
    /// Survivors per keypoint carried to the next stage (required unless this is the last stage).
    public var topK: Int?
    /// Optional: after the best survivor, a candidate survives only if its score is at least
    /// `best - margin * (best - median)`, median over the candidates this stage scored for that
    /// keypoint. `nil` keeps `top_k` survivors regardless of score.
    public var margin: Double?
    /// Optional: a candidate within `separation` spacings of this stage (Chebyshev distance) of an
    /// already chosen survivor is skipped, so the survivors of one keypoint explore distinct
    /// peaks. `nil` or 0 disables it.
    public var separation: Double?

    enum CodingKeys: String, CodingKey {
        case grid, neighbourhood
        case topK = "top_k"
        case margin, separation
    }

    public init(
        grid: Int, neighbourhood: Double? = nil, topK: Int? = nil, margin: Double? = nil,
        separation: Double? = nil
    ) {
        self.grid = grid
        self.neighbourhood = neighbourhood
        self.topK = topK
        self.margin = margin
        self.separation = separation
    }

    /// `grid / neighbourhood` for a later stage (previous spacing / this spacing), `nil` for the
    /// first stage or when it is not a whole number.
    public var refinementRatio: Int? {
        guard let n = neighbourhood, n > 0 else { return nil }
        let ratio = Double(grid) / n
        let rounded = ratio.rounded()
        guard rounded >= 1, rounded <= Double(GridPreset.maximumResolution),
            abs(ratio - rounded) <= Self.ratioTolerance * rounded
        else { return nil }
        return Int(rounded)
    }

    /// Relative tolerance for "whole number" ratios: JSON decimals such as 1.5 are exact enough
    /// in binary that 3 / 1.5 is 2 to within a few ulps.
    static let ratioTolerance = 1e-9

    init(json: JSONValue, path: String, index: Int, isLast: Bool) throws {
        let r = try JSONObjectReader(
            json, path: path,
            known: ["grid", "neighbourhood", "top_k", "margin", "separation"])
        grid = try r.integer("grid", minimum: 2)
        // A first stage scores grid² points; a later one grid² per survivor: keep both sane.
        let maximumGrid = index == 0 ? 1000 : 100
        guard grid <= maximumGrid else {
            throw JSONFieldError(
                field: r.fieldPath("grid"), message: "expected an integer <= \(maximumGrid), got \(grid)")
        }
        if index == 0 {
            if r.has("neighbourhood") {
                throw JSONFieldError(
                    field: r.fieldPath("neighbourhood"),
                    message: "not allowed on the first stage, which covers the whole region")
            }
            neighbourhood = nil
        } else {
            let n = try r.number("neighbourhood")
            guard n > 0 else {
                throw JSONFieldError(
                    field: r.fieldPath("neighbourhood"),
                    message: "expected a number > 0, got \(JSONValue.number(n).brief)")
            }
            neighbourhood = n
        }
        if isLast {
            topK = try r.optionalInteger("top_k", minimum: 1)
        } else {
            guard r.fields["top_k"] != nil else {
                throw JSONFieldError(
                    field: r.fieldPath("top_k"),
                    message: "missing required field (a later stage refines this stage's survivors)")
            }
            topK = try r.integer("top_k", minimum: 1)
        }
        margin = try r.optionalNumber("margin")
        if let m = margin, m < 0 {
            throw JSONFieldError(
                field: r.fieldPath("margin"), message: "expected a number >= 0, got \(JSONValue.number(m).brief)")
        }
        separation = try r.optionalNumber("separation")
        if let s = separation, s < 0 {
            throw JSONFieldError(
                field: r.fieldPath("separation"),
                message: "expected a number >= 0, got \(JSONValue.number(s).brief)")
        }
        if index > 0, refinementRatio == nil {
            let ratio = Double(grid) / (neighbourhood ?? 1)
            throw JSONFieldError(
                field: r.fieldPath("neighbourhood"),
                message: "grid / neighbourhood must be a whole number >= 1 (the refinement ratio), "
                    + "got \(grid) / \(JSONValue.number(neighbourhood ?? 0).brief) = \(ratio)")
        }
    }
}

// MARK: - Budget

/// Passes allowed to one keypoint's search for its optional survivors.
///
/// Every keypoint has its own budget: its search counts the distinct locations it has asked for
/// itself (whether or not another keypoint of the same image had them scored already), exactly as
/// if it ran alone, so its answer never depends on which other keypoints were asked for. Shared
/// locations are still scored once per image, so K keypoints cost at most K times one keypoint.
public struct PassBudget: Codable, Sendable, Equatable {
    /// Passes per keypoint (its stage-0 grid included).
    public var passes: Int

    enum CodingKeys: String, CodingKey {
        case passes
    }

    public init(passes: Int) {
        self.passes = passes
    }

    /// Strict decoding, as inside a preset file.
    public init(from decoder: Decoder) throws {
        try self.init(json: JSONValue(from: decoder), path: jsonFieldPath(decoder.codingPath))
    }

    init(json: JSONValue, path: String) throws {
        if case .object(let fields) = json, fields["base"] != nil || fields["per_keypoint"] != nil {
            throw JSONFieldError(
                field: jsonFieldPath(path, fields["base"] != nil ? "base" : "per_keypoint"),
                message: "\"base\" and \"per_keypoint\" were replaced by \"passes\", the budget of each "
                    + "keypoint's own search (e.g. {\"passes\": 150}; see grids/README.md)")
        }
        let r = try JSONObjectReader(json, path: path, known: ["passes"])
        passes = try r.integer("passes", minimum: 1)
    }
}

// MARK: - Marker

extension MarkerStyle {
    /// Strict decoding of a preset's `marker`: every key is required (unlike `MarkerStyle`'s own
    /// lenient `Decodable`), and errors name the field path.
    ///
    /// The paper's marker is `{"shape": "circle", "color": [255, 0, 0], "radius": 0.06,
    /// "thickness": 0.01, "units": "fraction"}`: a red circle of radius 0.06 H and line width
    /// 0.01 H, H the shorter side of the model input. `radius` is the circle radius / half side of
    /// square and cross / arrow length, `thickness` the line width, both in `units` ("fraction"
    /// of the shorter side of the model input, or model-input "pixels").
    init(presetJSON json: JSONValue, path: String) throws {
        let r = try JSONObjectReader(
            json, path: path,
            known: ["shape", "color", "radius", "thickness", "units"])
        let shape = try r.choice("shape", of: MarkerShape.self)
        let colorValues = try r.array("color")
        let colorPath = r.fieldPath("color")
        guard colorValues.count == 3 else {
            throw JSONFieldError(
                field: colorPath, message: "expected 3 integers 0...255 (R, G, B), got \(colorValues.count) values")
        }
        let channels = try colorValues.enumerated().map { i, v in
            guard case .number(let d) = v, d == d.rounded(), d >= 0, d <= 255 else {
                throw JSONFieldError(
                    field: colorPath + "[\(i)]", message: "expected an integer 0...255, got \(v.brief)")
            }
            return UInt8(d)
        }
        let units = try r.choice("units", of: MarkerUnits.self)
        let radius = try r.number("radius")
        let thickness = try r.number("thickness")
        for (key, value) in [("radius", radius), ("thickness", thickness)] {
            try check(value, Self.sizeBound, r.fieldPath(key))
            if units == .fraction { try check(value, Self.fractionSizeBound, r.fieldPath(key)) }
        }
        self.init(
            shape: shape, color: RGB(channels[0], channels[1], channels[2]), radius: radius,
            thickness: thickness, units: units)
    }
}

// MARK: - Visual prompt

extension VisualPrompt {
    /// The `type` of each prompt in a preset and the other fields it may have.
    static let presetFields: KeyValuePairs<String, [String]> = [
        "marker": ["marker"], "markerBlurOutside": ["marker", "sigma"], "markerGreyOutside": ["marker"],
        "crop": ["fraction", "pixels"], "ensemble": ["prompts"],
    ]

    /// Strict decoding of a preset's `visual_prompt`: `VisualPrompt`'s JSON (`{"type": "marker"}`,
    /// `{"type": "markerBlurOutside", "sigma": 8}`, `{"type": "markerGreyOutside"}`,
    /// `{"type": "crop", "fraction": 0.25}` or `{"type": "crop", "pixels": 64}`, or
    /// `{"type": "ensemble", "prompts": [...]}` of 2 to 8 of these), with unknown fields refused,
    /// every number checked against Imaging's bound (`VisualPrompt.sigmaBound`, ...),
    /// a missing `marker` taken from the preset's `marker` (strict, like it, when given) and
    /// errors naming the field path (`visual_prompt.prompts[1].sigma`).
    /// - Parameter member: true inside an ensemble, where an ensemble is refused (no nesting).
    init(presetJSON json: JSONValue, path: String, marker: MarkerStyle, member: Bool = false) throws {
        let types = Self.presetFields.map(\.key)
        let node = JSONNode(json, path: path)
        guard case .object(let fields) = json else { throw node.fail("expected an object, got \(node.brief)") }
        let type = try JSONObjectReader(json, path: path, known: Array(fields.keys)).choice("type", among: types)
        if member, type == "ensemble" {
            throw JSONFieldError(field: jsonFieldPath(path, "type"), message: Self.nestedEnsembleMessage)
        }
        let known = ["type"] + (Self.presetFields.first { $0.key == type }?.value ?? [])
        let r = try JSONObjectReader(json, path: path, known: known)
        let style =
            try r.has("marker") ? MarkerStyle(presetJSON: r.required("marker"), path: r.fieldPath("marker")) : marker
        switch type {
        case "markerBlurOutside":
            let sigma = try r.number("sigma")
            try check(sigma, Self.sigmaBound, r.fieldPath("sigma"))
            self = .markerBlurOutside(style, sigma: sigma)
        case "markerGreyOutside":
            self = .markerGreyOutside(style)
        case "crop":
            switch (r.has("fraction"), r.has("pixels")) {
            case (true, false):
                let fraction = try r.number("fraction")
                try check(fraction, CropSide.fractionBound, r.fieldPath("fraction"))
                self = .crop(.fraction(fraction))
            case (false, true):
                self = .crop(.pixels(try r.integer("pixels", minimum: CropSide.minimumPixels)))
            default:
                throw JSONFieldError(field: path, message: "a crop needs exactly one of \"fraction\" and \"pixels\"")
            }
        case "ensemble":
            let values = try r.array("prompts")
            guard Self.ensembleSizeBound.contains(values.count) else {
                throw JSONFieldError(
                    field: r.fieldPath("prompts"),
                    message: "expected \(Self.ensembleSizeBound.expected), got \(values.count)")
            }
            self = .ensemble(
                try values.enumerated().map { i, value in
                    try VisualPrompt(
                        presetJSON: value, path: r.fieldPath("prompts") + "[\(i)]", marker: marker, member: true)
                })
        default:
            self = .marker(style)
        }
    }
}

/// Refuses a number outside `bound` (Imaging's, which its own validation checks too), naming `field`.
private func check(_ value: Double, _ bound: ParameterBound<Double>, _ field: String) throws {
    guard bound.contains(value) else {
        throw JSONFieldError(field: field, message: "expected \(bound.expected), got \(JSONValue.number(value).brief)")
    }
}

// MARK: - Choices

extension JSONObjectReader {
    /// A required string field that must be the raw value of one of `T`'s cases, decoded into
    /// `T`; the error lists the cases in declaration order.
    func choice<T: RawRepresentable & CaseIterable>(_ key: String, of type: T.Type) throws -> T
    where T.RawValue == String {
        let raw = try choice(key, among: T.allCases.map(\.rawValue))
        guard let value = T(rawValue: raw) else {
            throw JSONFieldError(field: fieldPath(key), message: "no case of \(T.self) has raw value \"\(raw)\"")
        }
        return value
    }
}
