// Port of the ftfy 6.3.1 fixes that fix_text applies by default (https://github.com/rspeer/python-ftfy,
// ftfy/__init__.py fix_text / fix_and_explain, ftfy/fixes.py, ftfy/chardata.py), without mojibake repair.

/// A subset of `ftfy.fix_text` (ftfy 6.3.1, default `TextFixerConfig`).
///
/// Implemented, in ftfy's order, repeated until the text stops changing:
/// 1. `unescape_html`: ftfy's own entity decoding (only `&name;` with the semicolon, `&#...;`, and
///    upper-cased names such as `&EACUTE;` -> "É"), skipped for the rest of the text once a line
///    contains "<" (ftfy's "auto" setting). Because ftfy loops, "&amp;amp;amp;" unescapes fully.
/// 2. `fix_c1_controls`: U+0080...U+009F -> their Windows-1252 characters ("\u{92}" -> "’").
/// 3. `fix_latin_ligatures`: ﬁ ﬂ ﬀ ﬃ ﬄ ﬅ ﬆ Ĳ ĳ ŉ Ǳ ǲ ǳ Ǆ ǅ ǆ Ǉ ǈ ǉ Ǌ ǋ ǌ (not æ œ).
/// 4. `fix_character_width`: fullwidth ASCII, halfwidth katakana/Hangul, U+3000 -> their NFKC forms.
/// 5. `uncurl_quotes`: U+2018...U+201B and U+02BC -> "'", U+201C...U+201F -> "\"". Primes
///    (′ ″ U+2032/U+2033) and guillemets are NOT changed: ftfy leaves them alone.
/// 6. `fix_line_breaks`: CRLF, CR, U+2028, U+2029, U+0085 -> "\n".
/// 7. `remove_terminal_escapes`: ESC [ digits/';' letter.
/// 8. `remove_control_chars`: U+0000...U+0008, U+000B, U+000E...U+001F, U+007F, U+206A...U+206F,
///    U+FEFF, U+FFF9...U+FFFC.
/// 9. NFC normalization.
/// ftfy works line by line ("\n" ends a segment; segments longer than 1,000,000 code points are cut).
///
/// Not implemented:
/// - `fix_encoding` (mojibake repair, with `restore_byte_a0`, `replace_lossy_sequences` and
///   `decode_inconsistent_utf8`): "cafÃ©" stays "cafÃ©" here, ftfy makes it "café". This needs
///   ftfy's badness heuristic and its sloppy codecs; prompts typed by people do not need it.
/// - `fix_surrogates`: Swift strings cannot hold lone or paired UTF-16 surrogates.
extension TextCleaning {
    /// ftfy's `max_decode_length`.
    static let ftfyMaxSegmentLength = 1_000_000
    /// A bound on ftfy's repeat-until-unchanged loop (ftfy itself has none). Real text ends after
    /// 2 or 3 passes, but nested "&amp;amp;..." adds one pass per level and each pass rescans the
    /// line, so a prompt of "&" + "amp;" x 2000 (8 KB) took 132 s under ASan with a bound of 10,000
    /// (fuzzing; ftfy 6.3.1 in Python: 0.31 s). 32 passes keep cleaning linear in the text's length;
    /// only text escaped more than 32 levels deep keeps its outer "amp;"s, where ftfy removes them.
    static let ftfyMaximumPasses = 32

    static func fixText(_ text: [Unicode.Scalar]) -> [Unicode.Scalar] {
        var out: [Unicode.Scalar] = []
        out.reserveCapacity(text.count)
        var unescapeHTML = true  // ftfy's unescape_html="auto", turned off for good by a "<"
        var start = 0
        while start < text.count {
            var end = (text[start...].firstIndex(of: "\n") ?? text.count - 1) + 1
            end = min(end, start + ftfyMaxSegmentLength)
            let segment = Array(text[start..<end])
            if unescapeHTML && segment.contains("<") { unescapeHTML = false }
            out.append(contentsOf: fixSegment(segment, unescapeHTML: unescapeHTML))
            start = end
        }
        return out
    }

    /// `ftfy.fix_and_explain` on one segment.
    static func fixSegment(_ segment: [Unicode.Scalar], unescapeHTML: Bool) -> [Unicode.Scalar] {
        var text = segment
        for _ in 0..<ftfyMaximumPasses {
            let original = text
            if unescapeHTML { text = ftfyUnescapeHTML(text) }
            text = fixC1Controls(text)
            text = fixLatinLigatures(text)
            text = fixCharacterWidth(text)
            text = uncurlQuotes(text)
            text = fixLineBreaks(text)
            text = removeTerminalEscapes(text)
            text = removeControlCharacters(text)
            text = nfc(text)
            if text == original { break }
        }
        return text
    }

    // MARK: - Individual fixes

    /// `fix_c1_controls`: U+0080...U+009F decoded as "sloppy" Windows-1252 (unassigned bytes keep
    /// their code point).
    static func fixC1Controls(_ s: [Unicode.Scalar]) -> [Unicode.Scalar] {
        guard s.contains(where: { (0x80...0x9F).contains($0.value) }) else { return s }
        return s.map { (0x80...0x9F).contains($0.value) ? windows1252C1[Int($0.value - 0x80)] : $0 }
    }

    /// Windows-1252 bytes 0x80...0x9F (0x81, 0x8D, 0x8F, 0x90, 0x9D are unassigned and map to
    /// themselves, as in ftfy's sloppy-windows-1252 and Python's html._invalid_charrefs).
    static let windows1252C1: [Unicode.Scalar] = [
        "\u{20AC}", "\u{81}", "\u{201A}", "\u{192}", "\u{201E}", "\u{2026}", "\u{2020}", "\u{2021}",
        "\u{2C6}", "\u{2030}", "\u{160}", "\u{2039}", "\u{152}", "\u{8D}", "\u{17D}", "\u{8F}",
        "\u{90}", "\u{2018}", "\u{2019}", "\u{201C}", "\u{201D}", "\u{2022}", "\u{2013}", "\u{2014}",
        "\u{2DC}", "\u{2122}", "\u{161}", "\u{203A}", "\u{153}", "\u{9D}", "\u{17E}", "\u{178}",
    ]

    /// ftfy.chardata.LIGATURES.
    static let latinLigatures: [Unicode.Scalar: String] = [
        "\u{132}": "IJ", "\u{133}": "ij", "\u{149}": "\u{2BC}n",
        "\u{1F1}": "DZ", "\u{1F2}": "Dz", "\u{1F3}": "dz",
        "\u{1C4}": "D\u{17D}", "\u{1C5}": "D\u{17E}", "\u{1C6}": "d\u{17E}",
        "\u{1C7}": "LJ", "\u{1C8}": "Lj", "\u{1C9}": "lj",
        "\u{1CA}": "NJ", "\u{1CB}": "Nj", "\u{1CC}": "nj",
        "\u{FB00}": "ff", "\u{FB01}": "fi", "\u{FB02}": "fl", "\u{FB03}": "ffi", "\u{FB04}": "ffl",
        "\u{FB05}": "\u{17F}t", "\u{FB06}": "st",
    ]

    static func fixLatinLigatures(_ s: [Unicode.Scalar]) -> [Unicode.Scalar] {
        translate(s, latinLigatures)
    }

    /// ftfy.chardata.WIDTH_MAP, parsed from the generated `ftfyWidthTable`.
    static let widthMap: [Unicode.Scalar: String] = {
        var map: [Unicode.Scalar: String] = [:]
        for (key, value) in parseTable(ftfyWidthTable) {
            if let code = UInt32(key, radix: 16), let scalar = Unicode.Scalar(code) { map[scalar] = value }
        }
        return map
    }()

    static func fixCharacterWidth(_ s: [Unicode.Scalar]) -> [Unicode.Scalar] {
        translate(s, widthMap)
    }

    /// `uncurl_quotes`: ftfy's SINGLE_QUOTE_RE [\u02bc\u2018-\u201b] and DOUBLE_QUOTE_RE [\u201c-\u201f].
    static func uncurlQuotes(_ s: [Unicode.Scalar]) -> [Unicode.Scalar] {
        s.map { scalar in
            switch scalar.value {
            case 0x2BC, 0x2018...0x201B: return "'"
            case 0x201C...0x201F: return "\""
            default: return scalar
            }
        }
    }

    /// `fix_line_breaks`.
    static func fixLineBreaks(_ s: [Unicode.Scalar]) -> [Unicode.Scalar] {
        var out: [Unicode.Scalar] = []
        out.reserveCapacity(s.count)
        var i = 0
        while i < s.count {
            switch s[i].value {
            case 0x0D:
                out.append("\n")
                if i + 1 < s.count && s[i + 1] == "\n" { i += 1 }
            case 0x2028, 0x2029, 0x85:
                out.append("\n")
            default:
                out.append(s[i])
            }
            i += 1
        }
        return out
    }

    /// `remove_terminal_escapes`: ANSI_RE = "\033\[((?:\d|;)*)([a-zA-Z])", where Python's `\d` is
    /// any decimal digit (category Nd).
    static func removeTerminalEscapes(_ s: [Unicode.Scalar]) -> [Unicode.Scalar] {
        substitute(s, at: "\u{1B}") { s, i in
            guard i + 1 < s.count && s[i + 1] == "[" else { return nil }
            var j = i + 2
            while j < s.count && (s[j] == ";" || s[j].properties.generalCategory == .decimalNumber) { j += 1 }
            guard j < s.count && s[j].isASCII && s[j].properties.isAlphabetic else { return nil }
            return ([], j + 1)
        }
    }

    /// `remove_control_chars`: ftfy.chardata.CONTROL_CHARS.
    static func isRemovedControl(_ s: Unicode.Scalar) -> Bool {
        switch s.value {
        case 0x00...0x08, 0x0B, 0x0E...0x1F, 0x7F, 0x206A...0x206F, 0xFEFF, 0xFFF9...0xFFFC: return true
        default: return false
        }
    }

    static func removeControlCharacters(_ s: [Unicode.Scalar]) -> [Unicode.Scalar] {
        s.contains(where: isRemovedControl) ? s.filter { !isRemovedControl($0) } : s
    }

    // MARK: - Helpers

    /// Python's `re.sub` for a pattern that starts with `trigger`, left to right: where `s[i]` is
    /// `trigger` and `match(s, i)` gives (replacement, end of the match), the match is replaced
    /// and the scan continues at its end; everything else is copied.
    static func substitute(
        _ s: [Unicode.Scalar], at trigger: Unicode.Scalar,
        _ match: (_ s: [Unicode.Scalar], _ i: Int) -> (replacement: [Unicode.Scalar], end: Int)?
    ) -> [Unicode.Scalar] {
        guard s.contains(trigger) else { return s }
        var out: [Unicode.Scalar] = []
        out.reserveCapacity(s.count)
        var i = 0
        while i < s.count {
            if s[i] == trigger, let (replacement, end) = match(s, i) {
                out.append(contentsOf: replacement)
                i = end
            } else {
                out.append(s[i])
                i += 1
            }
        }
        return out
    }

    /// `str.translate` with a scalar -> replacement map.
    private static func translate(_ s: [Unicode.Scalar], _ map: [Unicode.Scalar: String]) -> [Unicode.Scalar] {
        guard s.contains(where: { map[$0] != nil }) else { return s }
        var out: [Unicode.Scalar] = []
        out.reserveCapacity(s.count)
        for scalar in s {
            if let replacement = map[scalar] {
                out.append(contentsOf: replacement.unicodeScalars)
            } else {
                out.append(scalar)
            }
        }
        return out
    }

    /// Lines "key<TAB>hex code points" of a generated table.
    static func parseTable(_ table: String) -> [(key: String, value: String)] {
        var rows: [(key: String, value: String)] = []
        for line in table.split(separator: "\n", omittingEmptySubsequences: true) {
            let fields = line.split(separator: "\t", maxSplits: 1)
            guard fields.count == 2 else { continue }
            let scalars = fields[1].split(separator: " ").compactMap {
                UInt32($0, radix: 16).flatMap(Unicode.Scalar.init)
            }
            rows.append((key: String(fields[0]), value: String(scalars: scalars)))
        }
        return rows
    }
}
