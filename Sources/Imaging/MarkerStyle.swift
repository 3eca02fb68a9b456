// The marker drawn at a candidate location (the paper's "red circle" and its ablation shapes).

import Foundation

// MARK: - Shape and units

/// Marker shapes of the paper's ablation (circle best, then arrow, square, cross).
public enum MarkerShape: String, Codable, Sendable, CaseIterable {
    /// Ring between radius r - t/2 and r + t/2 around the candidate.
    case circle
    /// Square outline of side 2r centred on the candidate, line thickness t (sharp corners).
    case square
    /// Upright "+" with arms of half-length r and thickness t (flat ends).
    case cross
    /// Arrow of length 2r coming from the upper left, tip exactly at the candidate: a shaft of
    /// thickness t (round tail) and a filled triangular head of length 0.7r and width 0.9r.
    case arrow
}

/// How `radius` and `thickness` of a `MarkerStyle` are given.
public enum MarkerUnits: String, Codable, Sendable, CaseIterable {
    /// Fractions of H, the shorter side of the canvas (model input); resolved to whole pixels.
    case fraction
    /// Canvas pixels, used as given (fractional values allowed).
    case pixels
}

// MARK: - Style

/// A marker's shape, colour and size. Decodes from grid-preset JSON such as
/// `{"shape": "circle", "color": [255, 0, 0], "radius": 0.06, "thickness": 0.01, "units": "fraction"}`;
/// every key is optional and defaults to the paper's red circle.
public struct MarkerStyle: Sendable, Equatable, Hashable, Codable, CustomStringConvertible {
    public var shape: MarkerShape
    public var color: RGB
    public var radius: Double
    public var thickness: Double
    public var units: MarkerUnits

    /// The paper's marker: red (255, 0, 0) circle, r = 0.06 H, t = 0.01 H
    /// (r = 20 px and t = 3 px at H = 336).
    public static let paper = MarkerStyle()

    public init(
        shape: MarkerShape = .circle, color: RGB = .red, radius: Double = 0.06,
        thickness: Double = 0.01, units: MarkerUnits = .fraction
    ) {
        self.shape = shape
        self.color = color
        self.radius = radius
        self.thickness = thickness
        self.units = units
    }

    /// Radius and thickness in canvas pixels for a canvas whose shorter side is `H`.
    ///
    /// Fractions are rounded to whole pixels (`round(0.06 * 336) = 20`,
    /// `round(0.01 * 336) = 3`), the thickness to at least 1 px, the radius to at least 1 px.
    public func pixelSizes(shorterSide H: Int) -> (radius: Double, thickness: Double) {
        switch units {
        case .pixels:
            return (radius, thickness)
        case .fraction:
            let h = Double(H)
            return (max(1, (radius * h).rounded()), max(1, (thickness * h).rounded()))
        }
    }

    public var description: String {
        let u = units == .fraction ? "H" : "px"
        return "\(shape) rgb(\(color.r),\(color.g),\(color.b)) r \(radius)\(u) t \(thickness)\(u)"
    }

    // MARK: Codable

    private enum CodingKeys: String, CodingKey { case shape, color, radius, thickness, units }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = MarkerStyle()
        shape = try c.decodeIfPresent(MarkerShape.self, forKey: .shape) ?? d.shape
        units = try c.decodeIfPresent(MarkerUnits.self, forKey: .units) ?? d.units
        radius = try c.decodeIfPresent(Double.self, forKey: .radius) ?? d.radius
        thickness = try c.decodeIfPresent(Double.self, forKey: .thickness) ?? d.thickness
        if let rgb = try c.decodeIfPresent([Int].self, forKey: .color) {
            guard rgb.count == 3, rgb.allSatisfy({ (0...255).contains($0) }) else {
                throw DecodingError.dataCorruptedError(
                    forKey: .color, in: c,
                    debugDescription: "marker color: expected [r, g, b] with 3 integers in 0...255, got \(rgb)")
            }
            color = RGB(UInt8(rgb[0]), UInt8(rgb[1]), UInt8(rgb[2]))
        } else {
            color = d.color
        }
        guard Self.sizeBound.contains(radius) else {
            throw DecodingError.dataCorruptedError(
                forKey: .radius, in: c,
                debugDescription: "marker radius: expected \(Self.sizeBound.expected), got \(radius)")
        }
        guard Self.sizeBound.contains(thickness) else {
            throw DecodingError.dataCorruptedError(
                forKey: .thickness, in: c,
                debugDescription: "marker thickness: expected \(Self.sizeBound.expected), got \(thickness)")
        }
        if units == .fraction {
            guard Self.fractionSizeBound.contains(radius), Self.fractionSizeBound.contains(thickness) else {
                throw DecodingError.dataCorruptedError(
                    forKey: .radius, in: c,
                    debugDescription: "marker size with units \"fraction\": expected radius and thickness <= 1 "
                        + "(fractions of the shorter side), got radius \(radius), thickness \(thickness); "
                        + "use \"units\": \"pixels\" for pixel sizes")
            }
        }
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(shape, forKey: .shape)
        try c.encode([Int(color.r), Int(color.g), Int(color.b)], forKey: .color)
        try c.encode(radius, forKey: .radius)
        try c.encode(thickness, forKey: .thickness)
        try c.encode(units, forKey: .units)
    }
}
