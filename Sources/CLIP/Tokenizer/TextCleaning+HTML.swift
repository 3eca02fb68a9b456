// Port of Python 3.11's html.unescape (Lib/html/__init__.py) and of ftfy 6.3.1's
// fixes.unescape_html / chardata._build_html_entities.

/// HTML character references, two ways:
/// - `htmlUnescape`: Python's `html.unescape`, complete: all 2231 HTML5 names
///   (`html.entities.html5`, generated into `TextCleaning+Tables.swift`), the 106 legacy names that
///   also work without ';' ("&amp", "&copy", "&eacute"...; "&notit;" -> "¬it;" by the longest
///   legacy prefix), decimal and hex references with or without ';', and its replacements for
///   invalid numbers (0 and surrogates and > U+10FFFF -> U+FFFD, 0x80...0x9F -> Windows-1252,
///   control and non-characters -> removed).
/// - `ftfyUnescapeHTML`: ftfy's stricter `unescape_html`, which runs inside ftfy.fix_text: only
///   `&#?[0-9A-Za-z]{1,24};`, plus upper-cased names ("&EACUTE;" -> "É").
extension TextCleaning {
    /// `html.entities.html5`: name (with ';' when the name requires it) -> text.
    static let html5Entities: [String: [Unicode.Scalar]] = {
        var map: [String: [Unicode.Scalar]] = [:]
        for (key, value) in parseTable(html5EntityTable) { map[key] = Array(value.unicodeScalars) }
        return map
    }()

    /// Longest entity name in the table; names in `&...` are at most 32 scalars (Python's regex).
    private static let maximumNameLength = 32

    /// `ftfy.chardata.HTML_ENTITIES` without the leading "&": every HTML5 name that ends in ';',
    /// plus, for each all-lower-case one, its upper-cased name mapped to the upper-cased text when
    /// `html.unescape` leaves that upper-cased name alone (ftfy's `_build_html_entities`).
    static let ftfyEntities: [String: [Unicode.Scalar]] = {
        var map: [String: [Unicode.Scalar]] = [:]
        for (name, value) in html5Entities where name.hasSuffix(";") { map[name] = value }
        for (name, value) in html5Entities where name.hasSuffix(";") && name == name.lowercased() {
            let upper = name.uppercased()
            let reference = Array(("&" + upper).unicodeScalars)
            if htmlUnescape(reference) == reference {
                map[upper] = Array(String(scalars: value).uppercased().unicodeScalars)
            }
        }
        return map
    }()

    // MARK: - Python html.unescape

    /// Python's `html.unescape(s)`.
    static func htmlUnescape(_ s: [Unicode.Scalar]) -> [Unicode.Scalar] {
        substitute(s, at: "&") { s, i in characterReference(s, at: i) }
    }

    /// Python's `_charref` regex `&(#[0-9]+;?|#[xX][0-9a-fA-F]+;?|[^\t\n\f <&#;]{1,32};?)` at `s[i]`
    /// == "&", and `_replace_charref` of the match: (replacement, end index), or nil for no match.
    private static func characterReference(_ s: [Unicode.Scalar], at i: Int) -> ([Unicode.Scalar], Int)? {
        let start = i + 1
        guard start < s.count else { return nil }
        if s[start] == "#" {
            // decimal
            var end = start + 1
            while end < s.count && isASCIIDigit(s[end], hex: false) { end += 1 }
            if end > start + 1 {
                let number = parseNumber(s[(start + 1)..<end], radix: 10)
                if end < s.count && s[end] == ";" { end += 1 }
                return (numericReference(number), end)
            }
            // hexadecimal
            guard start + 1 < s.count, s[start + 1] == "x" || s[start + 1] == "X" else { return nil }
            end = start + 2
            while end < s.count && isASCIIDigit(s[end], hex: true) { end += 1 }
            guard end > start + 2 else { return nil }
            let number = parseNumber(s[(start + 2)..<end], radix: 16)
            if end < s.count && s[end] == ";" { end += 1 }
            return (numericReference(number), end)
        }
        // named: 1...32 scalars outside [\t\n\f <&#;], then an optional ';'
        var end = start
        while end < s.count && end - start < maximumNameLength && !isNameTerminator(s[end]) { end += 1 }
        guard end > start else { return nil }
        if end < s.count && s[end] == ";" { end += 1 }
        let name = Array(s[start..<end])
        if let value = entity(name[...]) { return (value, end) }
        // the longest legacy name (no ';') that is a prefix of at least 2 scalars
        var length = name.count - 1
        while length >= 2 {
            if let value = entity(name[0..<length]) {
                return (value + name[length...], end)
            }
            length -= 1
        }
        return (["&"] + name, end)
    }

    /// `html5Entities[name]`, for ASCII names only: the keys are ASCII, and Swift's String equality
    /// would let e.g. U+212A KELVIN SIGN match "K".
    private static func entity(_ name: ArraySlice<Unicode.Scalar>) -> [Unicode.Scalar]? {
        guard name.allSatisfy(\.isASCII) else { return nil }
        return html5Entities[String(scalars: name)]
    }

    private static func isNameTerminator(_ s: Unicode.Scalar) -> Bool {
        switch s {
        case "\t", "\n", "\u{0C}", " ", "<", "&", "#", ";": return true
        default: return false
        }
    }

    private static func isASCIIAlphanumeric(_ s: Unicode.Scalar) -> Bool {
        switch s.value {
        case 0x30...0x39, 0x41...0x5A, 0x61...0x7A: return true
        default: return false
        }
    }

    private static func isASCIIDigit(_ s: Unicode.Scalar, hex: Bool) -> Bool {
        switch s.value {
        case 0x30...0x39: return true
        case 0x41...0x46, 0x61...0x66: return hex
        default: return false
        }
    }

    /// The value of ASCII digits, saturated at 0x110000 (Python has big integers; everything from
    /// 0x110000 up gives the same result, U+FFFD).
    private static func parseNumber(_ digits: ArraySlice<Unicode.Scalar>, radix: UInt32) -> UInt32 {
        var value: UInt32 = 0
        for digit in digits {
            let d: UInt32
            switch digit.value {
            case 0x30...0x39: d = digit.value - 0x30
            case 0x41...0x46: d = digit.value - 0x41 + 10
            default: d = digit.value - 0x61 + 10
            }
            value = min(value * radix + d, 0x110000)
        }
        return value
    }

    /// Python's numeric branch of `_replace_charref`.
    private static func numericReference(_ number: UInt32) -> [Unicode.Scalar] {
        switch number {
        case 0x00: return ["\u{FFFD}"]
        case 0x0D: return ["\r"]
        case 0x80...0x9F: return [windows1252C1[Int(number - 0x80)]]
        case 0xD800...0xDFFF, 0x110000...: return ["\u{FFFD}"]
        case 0x01...0x08, 0x0B, 0x0E...0x1F, 0x7F, 0xFDD0...0xFDEF: return []
        default:
            if number & 0xFFFE == 0xFFFE { return [] }  // U+FFFE, U+FFFF, U+1FFFE, ... U+10FFFF
            return Unicode.Scalar(number).map { [$0] } ?? ["\u{FFFD}"]
        }
    }

    // MARK: - ftfy unescape_html

    /// ftfy's `unescape_html`: HTML_ENTITY_RE = `&#?[0-9A-Za-z]{1,24};` replaced by the entity from
    /// `ftfyEntities`, or for "&#..." by `html.unescape` of the match when that consumes the ';'.
    static func ftfyUnescapeHTML(_ s: [Unicode.Scalar]) -> [Unicode.Scalar] {
        substitute(s, at: "&") { s, i in
            guard let end = ftfyEntityEnd(s, at: i) else { return nil }
            let match = Array(s[i..<end])
            if let value = ftfyEntities[String(scalars: match.dropFirst())] { return (value, end) }
            guard match.count > 1 && match[1] == "#" else { return (match, end) }
            let unescaped = htmlUnescape(match)
            return (unescaped.contains(";") ? match : unescaped, end)
        }
    }

    /// End of a match of `&#?[0-9A-Za-z]{1,24};` starting at `s[i]` == "&".
    private static func ftfyEntityEnd(_ s: [Unicode.Scalar], at i: Int) -> Int? {
        var start = i + 1
        if start < s.count && s[start] == "#" { start += 1 }
        var end = start
        while end < s.count && isASCIIAlphanumeric(s[end]) { end += 1 }
        guard end > start, end - start <= 24, end < s.count, s[end] == ";" else { return nil }
        return end + 1
    }
}
