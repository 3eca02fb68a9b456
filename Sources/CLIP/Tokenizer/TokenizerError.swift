import KeypointsSupport

/// Errors loading a CLIP tokenizer or tokenizing text. Every loading case names the file, and the
/// line (1-based) or key that is wrong.
public enum TokenizerError: RawMessageError, Equatable {
    case fileNotFound(path: String)
    case unreadableFile(path: String, reason: String)
    case notUTF8(path: String)
    /// A merges line that is not two space-separated symbols.
    case malformedMerge(path: String, line: Int, content: String)
    /// vocab.json is not a JSON object of token -> non-negative integer id.
    case malformedVocabulary(path: String, reason: String)
    /// Two tokens of vocab.json share one id, so ids cannot be decoded.
    case duplicateID(path: String, id: Int, first: String, second: String)
    /// A token the tokenizer can produce is absent from vocab.json. `neededBy` says why it is needed
    /// (a byte symbol, a special token, or "merges.txt line N").
    case missingToken(path: String, token: String, neededBy: String)
    case invalidContextLength(Int)
    /// `tokenize(_:contextLength:truncate: false)` on a text with more tokens than fit.
    case textTooLong(text: String, tokenCount: Int, contextLength: Int)
    /// A word (`word`: its first scalars) of `bytes` UTF-8 bytes, over `CLIPTokenizer.maximumWordBytes`.
    case wordTooLong(text: String, word: String, bytes: Int, limit: Int)

    /// The message, its outside text (paths, keys, names) as it is (`RawMessageError`).
    public var rawMessage: String {
        switch self {
        case .fileNotFound(let p): return "\(p): no such file"
        case .unreadableFile(let p, let r): return "\(p): cannot read: \(r)"
        case .notUTF8(let p): return "\(p): not valid UTF-8 text"
        case .malformedMerge(let p, let l, let c):
            return "\(p): line \(l): expected a merge of two space-separated symbols (e.g. \"t h\"), found \"\(c)\""
        case .malformedVocabulary(let p, let r):
            return "\(p): expected a JSON object of token -> integer id in 0...\(Int32.max): \(r)"
        case .duplicateID(let p, let i, let a, let b): return "\(p): id \(i) is used by both \"\(a)\" and \"\(b)\""
        case .missingToken(let p, let t, let n): return "\(p): no entry for token \"\(t)\" (needed by \(n))"
        case .invalidContextLength(let n): return "context length \(n): expected at least 2 (start and end token)"
        case .textTooLong(let t, let c, let n):
            return
                "text \"\(Self.shown(t))\" has \(c) tokens with start and end, more than the context length \(n) (pass truncate: true to cut it)"
        case .wordTooLong(let t, let w, let b, let l):
            return
                "text \"\(Self.shown(t))\": the word \"\(w)...\" is \(b) bytes of UTF-8, more than CLIPTokenizer.maximumWordBytes (\(l)); CLIP reads only 77 tokens, so shorten the text or add spaces"
        }
    }

    /// A text in a message: its first 60 scalars.
    private static func shown(_ t: String) -> String {
        t.unicodeScalars.count > 60 ? String(String.UnicodeScalarView(t.unicodeScalars.prefix(60))) + "..." : t
    }
}
