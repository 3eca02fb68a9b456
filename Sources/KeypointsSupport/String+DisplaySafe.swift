extension StringProtocol {
    /// This text with every character that could control or disguise a terminal written as a
    /// visible escape, for error messages, warnings and text tables. Tensor key names, category
    /// and keypoint names, CSV fields, photo paths and EXIF strings come from outside files (and
    /// a file name can hold any byte but `/` and NUL); printed raw, an ESC sequence
    /// (`ESC ] 0 ; title BEL`, `ESC [ 2 J`) rewrites the terminal, a carriage return or line
    /// feed overwrites or fakes a line, and a bidi override shows the text in another order.
    ///
    /// Escaped, one Unicode scalar at a time, in the style of Swift's `debugDescription`:
    /// - C0 controls U+0000-U+001F: `\0`, `\t`, `\n`, `\r`, otherwise `\u{1B}` (uppercase hex,
    ///   at least two digits). Tab, CR and LF too: a message or table cell is one line.
    /// - DEL U+007F and the C1 controls U+0080-U+009F: `\u{7F}`, `\u{85}`.
    /// - The bidi controls (Unicode's Bidi_Control property): the embeddings and overrides
    ///   U+202A-U+202E, the isolates U+2066-U+2069, and the marks U+061C, U+200E, U+200F:
    ///   `\u{202E}`.
    ///
    /// Everything else is kept as it is: printable ASCII (the backslash and the quote included),
    /// accented letters, CJK, emoji and their joiners. Text without any of these characters comes
    /// back byte for byte, so ordinary messages do not change.
    ///
    /// The backslash is not escaped, so the result is for reading, not a reversible encoding (a
    /// name spelled `a\u{1B}` with a real backslash looks the same as `a` followed by ESC). In
    /// exchange the function is idempotent: its output holds none of the escaped characters, so
    /// a message that quotes another already escaped message is not escaped twice.
    public var displaySafe: String {
        guard unicodeScalars.contains(where: DisplaySafeText.isEscaped) else { return String(self) }
        var out = String.UnicodeScalarView()
        for scalar in unicodeScalars {
            if DisplaySafeText.isEscaped(scalar) {
                out.append(contentsOf: DisplaySafeText.escape(scalar).unicodeScalars)
            } else {
                out.append(scalar)
            }
        }
        return String(out)
    }

    /// `displaySafe` in at most `width` characters, for a table column: when longer, its start
    /// and `...`, cut between whole characters of the text, so an escape is shown whole or not at
    /// all (never `\u{1` of `\u{1B}`). Text that fits comes back as `displaySafe` gives it.
    public func displaySafe(width: Int) -> String {
        let shown = displaySafe
        guard shown.count > width else { return shown }
        let room = width - 3
        var out = ""
        var used = 0
        for character in self {
            let piece = String(character).displaySafe
            guard used + piece.count <= room else { break }
            out += piece
            used += piece.count
        }
        return out + "..."
    }
}

/// The rule of `StringProtocol.displaySafe`: which scalars are escaped and how.
public enum DisplaySafeText {
    /// Whether `displaySafe` writes `scalar` as an escape: a C0 or C1 control, DEL, or a bidi
    /// control.
    public static func isEscaped(_ scalar: Unicode.Scalar) -> Bool {
        scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value)
            || (scalar.value >= 0x061C && scalar.properties.isBidiControl)
    }

    /// `\0`, `\t`, `\n`, `\r`, or `\u{HEX}` with at least two uppercase hex digits.
    static func escape(_ scalar: Unicode.Scalar) -> String {
        switch scalar {
        case "\0": return "\\0"
        case "\t": return "\\t"
        case "\n": return "\\n"
        case "\r": return "\\r"
        default:
            let hex = String(scalar.value, radix: 16, uppercase: true)
            return "\\u{" + (hex.count < 2 ? "0" + hex : hex) + "}"
        }
    }
}
