// Perceptual colour maps for score heatmaps. Tables: ColormapTables.swift (matplotlib's
// viridis and magma, CC0).

/// A 256-entry perceptually uniform colour map.
public enum Colormap: String, Codable, Sendable, CaseIterable {
    /// Dark blue-purple (low) through green to yellow (high). Never red, so a red marker stays
    /// visible on it.
    case viridis
    /// Black (low) through purple and orange to light yellow (high).
    case magma

    /// Colour of value `t` in [0, 1] (clamped; NaN maps to 0): entry `round(t * 255)`.
    public func color(at t: Double) -> RGB {
        let i = t.isNaN ? 0 : Int((min(max(t, 0), 1) * 255).rounded())
        return entry(i)
    }

    /// Table entry 0 ... 255.
    public func entry(_ i: Int) -> RGB {
        precondition((0...255).contains(i), "Colormap.entry: index \(i) outside 0...255")
        let table = self == .viridis ? Colormap.viridisTable : Colormap.magmaTable
        return RGB(table[3 * i], table[3 * i + 1], table[3 * i + 2])
    }
}
