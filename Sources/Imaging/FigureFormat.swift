// The file formats figures (heatmaps, overlays, montages) are written in, chosen by extension.

/// A figure's file format, named by its file's extension: `.png` (lossless) or `.jpg` / `.jpeg`
/// (libjpeg at `jpegQuality`, 4:4:4).
public enum FigureFormat: String, Sendable, CaseIterable {
    case png
    case jpeg

    /// JPEG quality of figures: 92 keeps text, thin lines and the colour bar free of visible
    /// ringing while a 2048 px photo figure stays a few hundred KB (libjpeg's default, 75, blurs
    /// thin text edges).
    public static let jpegQuality = 92

    /// The extensions accepted, for messages.
    public static let accepted = ".png, .jpg or .jpeg"

    /// The format named by the extension of `path` (case-insensitive), or nil for any other
    /// extension or none.
    public init?(path: String) {
        guard let dot = path.lastIndex(of: "."), !path[dot...].contains("/") else { return nil }
        switch path[path.index(after: dot)...].lowercased() {
        case "png": self = .png
        case "jpg", "jpeg": self = .jpeg
        default: return nil
        }
    }
}
