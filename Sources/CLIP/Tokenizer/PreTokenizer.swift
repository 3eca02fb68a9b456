// Port of https://github.com/openai/CLIP/blob/main/clip/simple_tokenizer.py (SimpleTokenizer.pat)

/// CLIP's split of cleaned text into words, by hand instead of a regular expression:
///
///     <\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+
///
/// with the `regex` module's IGNORECASE, and `re.findall` semantics: at each position the first
/// alternative that matches wins, scanning resumes after the match, and scalars no alternative
/// matches (whitespace) are skipped. IGNORECASE matters only for the literal alternatives (the
/// text is already lower-cased): besides ASCII case, "ſ" (U+017F LONG S) matches "s", so "'ſ" is a
/// contraction token; and the negated class [^\s\p{L}\p{N}] rejects U+0345 COMBINING GREEK
/// YPOGEGRAMMENI because it case-folds to the letter "ι", so U+0345 matches no alternative and is
/// dropped like whitespace. (Checked over all code points with regex 2026.5.9: no other scalar
/// behaves differently with and without IGNORECASE.) \p{L} and \p{N} use the Swift runtime's
/// Unicode general categories.
enum PreTokenizer {
    private static let specials: [[Unicode.Scalar]] = ["<|startoftext|>", "<|endoftext|>"].map {
        Array($0.unicodeScalars)
    }
    private static let contractions: [[Unicode.Scalar]] = ["'s", "'t", "'re", "'ve", "'m", "'ll", "'d"].map {
        Array($0.unicodeScalars)
    }

    /// The words of `text` as ranges of scalar indices, in order.
    static func split(_ text: [Unicode.Scalar]) -> [Range<Int>] {
        var words: [Range<Int>] = []
        var i = 0
        while i < text.count {
            let scalar = text[i]
            if scalar == "<", let length = specials.lazy.compactMap({ matchLiteral($0, in: text, at: i) }).first {
                words.append(i..<(i + length))
                i += length
            } else if scalar == "'",
                let length = contractions.lazy.compactMap({ matchLiteral($0, in: text, at: i) }).first
            {
                words.append(i..<(i + length))
                i += length
            } else if isLetter(scalar) {
                var end = i + 1
                while end < text.count && isLetter(text[end]) { end += 1 }
                words.append(i..<end)
                i = end
            } else if isNumber(scalar) {
                words.append(i..<(i + 1))
                i += 1
            } else if isOther(scalar) {
                var end = i + 1
                while end < text.count && isOther(text[end]) { end += 1 }
                words.append(i..<end)
                i = end
            } else {
                i += 1
            }
        }
        return words
    }

    /// Length of `literal` if it matches at `text[i]` ignoring case, else nil.
    private static func matchLiteral(_ literal: [Unicode.Scalar], in text: [Unicode.Scalar], at i: Int) -> Int? {
        guard i + literal.count <= text.count else { return nil }
        for (k, expected) in literal.enumerated() where !equalIgnoringCase(text[i + k], expected) { return nil }
        return literal.count
    }

    /// `expected` is ASCII; the only non-ASCII scalar that folds onto these letters is U+017F.
    private static func equalIgnoringCase(_ actual: Unicode.Scalar, _ expected: Unicode.Scalar) -> Bool {
        if actual == expected { return true }
        guard (0x61...0x7A).contains(expected.value) else { return false }
        return actual.value == expected.value - 32 || (expected == "s" && actual == "\u{17F}")
    }

    static func isLetter(_ s: Unicode.Scalar) -> Bool {
        switch s.properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter: return true
        default: return false
        }
    }

    static func isNumber(_ s: Unicode.Scalar) -> Bool {
        switch s.properties.generalCategory {
        case .decimalNumber, .letterNumber, .otherNumber: return true
        default: return false
        }
    }

    /// [^\s\p{L}\p{N}] under IGNORECASE.
    private static func isOther(_ s: Unicode.Scalar) -> Bool {
        !TextCleaning.isRegexSpace(s) && !isLetter(s) && !isNumber(s) && s.value != 0x345
    }
}
