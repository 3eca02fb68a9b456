import Foundation

/// The pieces of a one-line progress display, shared by `eval`'s progress bar and `model fetch`'s.
public enum ProgressText {
    /// `[#########---------------]`: `fraction` (clamped to 0...1) of `width` cells filled,
    /// rounded down.
    public static func bar(fraction: Double, width: Int) -> String {
        let filled = max(0, min(width, Int((min(1, fraction) * Double(width)).rounded(.down))))
        return "[" + String(repeating: "#", count: filled) + String(repeating: "-", count: width - filled) + "]"
    }

    /// `h:mm:ss` or `m:ss`; "?" for a negative or infinite time.
    public static func duration(_ seconds: Double) -> String {
        guard seconds.isFinite, seconds >= 0 else { return "?" }
        let t = Int(seconds.rounded())
        let h = t / 3600
        let m = (t % 3600) / 60
        let sec = t % 60
        return h > 0 ? String(format: "%d:%02d:%02d", h, m, sec) : String(format: "%d:%02d", m, sec)
    }
}
