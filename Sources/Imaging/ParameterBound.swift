// The valid range of each visual-prompt parameter, stated once. `VisualPrompt.validate`, the
// prompts' JSON decoding, `CropSide`'s parser, the grid-preset reader (Localization) and the
// command line's marker options all check these, and say them in these words.

/// A range a parameter must lie in, with the words error messages use for it.
public struct ParameterBound<Value: Sendable>: Sendable {
    /// What the parameter must be, as messages say it after "expected": `a number > 0 (canvas px)`.
    public let expected: String
    private let admits: @Sendable (Value) -> Bool

    public init(expected: String, admits: @escaping @Sendable (Value) -> Bool) {
        self.expected = expected
        self.admits = admits
    }

    /// Whether `value` is inside the bound.
    public func contains(_ value: Value) -> Bool { admits(value) }
}

extension VisualPrompt {
    /// The blur's standard deviation outside the marker (`markerBlurOutside`), canvas pixels.
    public static let sigmaBound = ParameterBound<Double>(expected: "a number > 0 (canvas px)") {
        $0.isFinite && $0 > 0
    }

    /// The members of an ensemble (`ensembleMembers`).
    public static let ensembleSizeBound = ParameterBound<Int>(
        expected: "\(ensembleMembers.lowerBound)...\(ensembleMembers.upperBound) prompts"
    ) { ensembleMembers.contains($0) }

    /// Why a member that is itself an ensemble is refused.
    public static let nestedEnsembleMessage = "an ensemble member must be a single prompt, not an ensemble (no nesting)"
}

extension CropSide {
    /// A crop side given as a fraction of the region's shorter side.
    public static let fractionBound = ParameterBound<Double>(expected: "0 < fraction <= 1") {
        $0.isFinite && $0 > 0 && $0 <= 1
    }

    /// The smallest crop side given in pixels.
    public static let minimumPixels = 1

    /// A crop side given in pixels.
    public static let pixelsBound = ParameterBound<Int>(expected: "pixels >= \(minimumPixels)") { $0 >= minimumPixels }
}

extension MarkerStyle {
    /// A marker's radius or thickness, in either units.
    public static let sizeBound = ParameterBound<Double>(expected: "a number > 0") { $0.isFinite && $0 > 0 }

    /// A marker's radius or thickness with `units` "fraction" (of the model input's shorter side),
    /// on top of `sizeBound`.
    public static let fractionSizeBound = ParameterBound<Double>(
        expected: "a fraction of the input side <= 1 (units is \"fraction\")"
    ) { $0 <= 1 }

    /// Whether `value` is a valid radius or thickness in `units`.
    public static func admitsSize(_ value: Double, units: MarkerUnits) -> Bool {
        sizeBound.contains(value) && (units == .pixels || fractionSizeBound.contains(value))
    }
}
