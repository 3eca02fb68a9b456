// Port of https://github.com/openai/CLIP/blob/main/clip/simple_tokenizer.py (basic_clean,
// whitespace_clean and the .lower() in SimpleTokenizer.encode)

/// The text clean-up OpenAI's CLIP tokenizer applies before splitting:
///
///     whitespace_clean(basic_clean(text)).lower()
///     basic_clean(text)      = html.unescape(html.unescape(ftfy.fix_text(text))).strip()
///     whitespace_clean(text) = regex.sub(r'\s+', ' ', text).strip()
///
/// Everything works on Unicode scalars (Python code points), never on Swift `Character`s: "\r\n"
/// is one Character, and String equality is canonical equivalence, neither of which Python has.
///
/// - `ftfy.fix_text`: the subset in `TextCleaning+FTFY.swift` (no mojibake repair).
/// - `html.unescape`: complete, see `TextCleaning+HTML.swift`.
/// - `str.strip()` strips Python's `str.isspace()` characters; the `regex` module's `\s` is the
///   Unicode White_Space property, which lacks U+001C...U+001F (Python 3.11, regex 2026.5.9).
/// - `str.lower()`: full lower-case mappings plus Python's final-sigma rule.
enum TextCleaning {
    /// The cleaned, lower-cased text that the pre-tokenizer splits.
    static func clean(_ text: String) -> [Unicode.Scalar] {
        var scalars = fixText(Array(text.unicodeScalars))
        scalars = htmlUnescape(htmlUnescape(scalars))
        scalars = strip(scalars)
        scalars = collapseWhitespace(scalars)
        scalars = strip(scalars)
        return lowercased(scalars)
    }

    // MARK: - Whitespace

    /// The `regex` module's `\s` for str patterns: Unicode White_Space (the table is stable since
    /// Unicode 6.3; hard-coded so a Swift runtime's Unicode version cannot change it).
    static func isRegexSpace(_ s: Unicode.Scalar) -> Bool {
        switch s.value {
        case 0x09...0x0D, 0x20, 0x85, 0xA0, 0x1680, 0x2000...0x200A, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000:
            return true
        default:
            return false
        }
    }

    /// Python's `str.isspace()`: White_Space plus the information separators U+001C...U+001F.
    static func isPythonSpace(_ s: Unicode.Scalar) -> Bool {
        isRegexSpace(s) || (0x1C...0x1F).contains(s.value)
    }

    /// `str.strip()`.
    static func strip(_ s: [Unicode.Scalar]) -> [Unicode.Scalar] {
        guard let first = s.firstIndex(where: { !isPythonSpace($0) }),
            let last = s.lastIndex(where: { !isPythonSpace($0) })
        else { return [] }
        return Array(s[first...last])
    }

    /// `regex.sub(r'\s+', ' ', text)`.
    static func collapseWhitespace(_ s: [Unicode.Scalar]) -> [Unicode.Scalar] {
        var out: [Unicode.Scalar] = []
        out.reserveCapacity(s.count)
        var inRun = false
        for scalar in s {
            if isRegexSpace(scalar) {
                if !inRun { out.append(" ") }
                inRun = true
            } else {
                out.append(scalar)
                inRun = false
            }
        }
        return out
    }

    // MARK: - Lower case

    /// Python's `str.lower()`: each scalar's full lower-case mapping (so "İ" becomes "i̇"), except
    /// that capital sigma becomes final "ς" when it ends a word (CPython's handle_capital_sigma:
    /// preceded by a cased letter and not followed by one, skipping case-ignorable scalars).
    static func lowercased(_ s: [Unicode.Scalar]) -> [Unicode.Scalar] {
        var out: [Unicode.Scalar] = []
        out.reserveCapacity(s.count)
        for (i, scalar) in s.enumerated() {
            if scalar.isASCII {
                out.append((0x41...0x5A).contains(scalar.value) ? Unicode.Scalar(UInt8(scalar.value + 32)) : scalar)
            } else if scalar.value == 0x3A3 {
                out.append(isFinalSigma(s, at: i) ? "\u{3C2}" : "\u{3C3}")
            } else {
                out.append(contentsOf: scalar.properties.lowercaseMapping.unicodeScalars)
            }
        }
        return out
    }

    private static func isFinalSigma(_ s: [Unicode.Scalar], at i: Int) -> Bool {
        var j = i - 1
        while j >= 0 && s[j].properties.isCaseIgnorable { j -= 1 }
        guard j >= 0 && s[j].properties.isCased else { return false }
        j = i + 1
        while j < s.count && s[j].properties.isCaseIgnorable { j += 1 }
        return j == s.count || !s[j].properties.isCased
    }

    // MARK: - Normalization

    /// Unicode NFC (`unicodedata.normalize("NFC", text)`), by the standard library's normalizer.
    ///
    /// Not Foundation's `precomposedStringWithCanonicalMapping`: on Linux (Swift 6.3) it composes a
    /// supplementary-plane character with a following mark as if only its low 16 bits were there,
    /// e.g. U+230CF U+3099 -> U+30D0 "バ" (found by differential fuzzing against Python).
    static func nfc(_ s: [Unicode.Scalar]) -> [Unicode.Scalar] {
        // Below U+0300 there are no combining marks and no characters that NFC changes.
        if s.allSatisfy({ $0.value < 0x300 }) { return s }
        return Array(String(decoding: String(scalars: s)._nfcCodeUnits, as: UTF8.self).unicodeScalars)
    }
}

extension String {
    init(scalars: some Sequence<Unicode.Scalar>) {
        var view = String.UnicodeScalarView()
        view.append(contentsOf: scalars)
        self.init(view)
    }
}
