import KeypointsSupport
import Testing

@Suite struct DisplaySafeTests {
    /// Every scalar of the classes the terminal could act on, and what it must become.
    @Test func eachEscapedClassIsWrittenVisibly() {
        // C0, with the four short forms of Swift's debugDescription.
        #expect("a\0b".displaySafe == "a\\0b")
        #expect("a\tb\rc\nd".displaySafe == "a\\tb\\rc\\nd")
        #expect("\u{1B}]0;title\u{07}".displaySafe == "\\u{1B}]0;title\\u{07}")
        #expect("\u{1B}[2J".displaySafe == "\\u{1B}[2J")
        #expect("\u{01}\u{1F}".displaySafe == "\\u{01}\\u{1F}")
        // DEL and C1 (U+0085 NEXT LINE, U+009B the one-byte CSI).
        #expect("\u{7F}\u{80}\u{85}\u{9B}\u{9F}".displaySafe == "\\u{7F}\\u{80}\\u{85}\\u{9B}\\u{9F}")
        // Bidi overrides, embeddings, isolates and marks.
        #expect("gnp.\u{202E}exe".displaySafe == "gnp.\\u{202E}exe")
        for v: UInt32 in [0x202A, 0x202B, 0x202C, 0x202D, 0x2066, 0x2067, 0x2068, 0x2069, 0x061C, 0x200E, 0x200F] {
            let scalar = Unicode.Scalar(v)!
            let hex = String(v, radix: 16, uppercase: true)
            #expect("x\(Character(scalar))y".displaySafe == "x\\u{\(hex)}y")
        }
        // Every scalar of every class, exhaustively: none survives.
        let classes = Array(0..<0x20) + Array(0x7F...0x9F) + Array(0x202A...0x202E) + Array(0x2066...0x2069)
        for v in classes {
            let text = "k" + String(Character(Unicode.Scalar(UInt32(v))!)) + "k"
            let safe = text.displaySafe
            #expect(safe.unicodeScalars.allSatisfy { !DisplaySafeText.isEscaped($0) }, "\(v): \(safe)")
            #expect(safe.hasPrefix("k\\") && safe.hasSuffix("k"), "\(v): \(safe)")
        }
    }

    /// A combining mark after an ESC forms one Character with it: the escape is per scalar, so
    /// the ESC is still caught and the mark kept.
    @Test func controlInsideAGraphemeIsEscaped() {
        #expect("\u{1B}\u{301}x".displaySafe == "\\u{1B}\u{301}x")
        #expect("\r\n".displaySafe == "\\r\\n")
    }

    /// Cut to a column: whole escapes or none, `...` counted in the width; what fits is unchanged.
    @Test func cutToAWidthKeepsEscapesWhole() {
        #expect("abc\u{1B}[2J".displaySafe(width: 20) == "abc\\u{1B}[2J")
        #expect("abcdefgh".displaySafe(width: 8) == "abcdefgh")
        #expect("abcdefghi".displaySafe(width: 8) == "abcde...")
        // `ab\u{1B}` is 8 characters: with "..." it does not fit in 10, so the escape goes whole.
        #expect("ab\u{1B}cdef".displaySafe(width: 10) == "ab...")
        #expect("ab\u{1B}cdef".displaySafe(width: 11) == "ab\\u{1B}...")
        #expect("ab\r\ncd".displaySafe(width: 6) == "ab...")
        #expect("北京の鳥です".displaySafe(width: 5) == "北京...")
        // Every width: the part before "..." ends where an escape or a character ends.
        let text = "x\u{202E}y\u{1B}z\u{85}"
        let pieces = text.map { String($0).displaySafe }
        let wholePrefixes = Set((0...pieces.count).map { pieces.prefix($0).joined() })
        for width in 0..<30 {
            let cut = text.displaySafe(width: width)
            let kept = cut.hasSuffix("...") ? String(cut.dropLast(3)) : cut
            #expect(wholePrefixes.contains(kept), "\(width): \(cut)")
            #expect(cut.count <= max(width, 3), "\(width): \(cut)")
        }
    }

    @Test func ordinaryUnicodeIsKept() {
        let texts = [
            "left eye", "café", "cafe\u{301}", "北京の鳥", "ñandú", "😀👩‍👩‍👧 🇫🇷", "a\\b \"quoted\" 'x' {}",
            "right\u{A0}wing", "soft\u{AD}hyphen", "line\u{2028}sep", "zero\u{200B}width",
            "/photos/birds/a b.jpg", "",
        ]
        for t in texts {
            #expect(t.displaySafe == t)
            #expect(Array(t.displaySafe.utf8) == Array(t.utf8), "bytes of \(t)")
        }
        // A substring works as well.
        let s = "ab\u{1B}cd"
        #expect(s.dropFirst().displaySafe == "b\\u{1B}cd")
    }

    /// Documented: the backslash is kept, so escaping twice changes nothing (a message quoting an
    /// already escaped message) and the output is not a reversible encoding.
    @Test func idempotentBecauseBackslashIsKept() {
        let hostile = "k\u{1B}[2J\r\n\t\0\u{85}\u{202E}é😀"
        let once = hostile.displaySafe
        #expect(once == "k\\u{1B}[2J\\r\\n\\t\\0\\u{85}\\u{202E}é😀")
        #expect(once.displaySafe == once)
        #expect("k\\u{1B}".displaySafe == "k\\u{1B}")  // a real backslash looks like an escape
    }
}

/// An error's two forms (`RawMessageError`): the text as it is for data files, display-safe for
/// the terminal.
@Suite struct RawMessageErrorTests {
    struct Plain: Error, CustomStringConvertible {
        var description: String { "plain\nerror" }
    }

    @Test func rawMessageKeepsTheTextAndDescriptionEscapesIt() {
        let read = FileReadError(path: "a\nb\u{1B}[2J.jsonl", message: "cannot open for reading: no such file")
        #expect(read.rawMessage == "a\nb\u{1B}[2J.jsonl: cannot open for reading: no such file")
        #expect(read.description == #"a\nb\u{1B}[2J.jsonl: cannot open for reading: no such file"#)
        let field = JSONFieldError(file: "v\r.json", field: "categories[0].name", message: "\"bird\u{202E}\"")
        #expect(field.rawMessage == "v\r.json: categories[0].name: \"bird\u{202E}\"")
        #expect(field.description == #"v\r.json: categories[0].name: "bird\u{202E}""#)
        // The free function: a RawMessageError's raw message, any other error's description.
        #expect(rawMessage(of: read) == read.rawMessage)
        #expect(rawMessage(of: Plain()) == "plain\nerror")
    }
}
