import KeypointsSupport

/// A prompt template such as `This image shows the {part} of the {animal}`.
///
/// Placeholders are `{name}` with `name` made of ASCII letters, digits and `_`. `{part}` is
/// required and becomes the keypoint's name; every other placeholder must be given a value
/// (keypoint vocabularies take them from the category's `values`). Braces that do not enclose
/// such a name are literal text.
public struct PromptTemplate: Sendable, Equatable, CustomStringConvertible {
    public let text: String
    /// Placeholder names in order of first appearance.
    public let placeholders: [String]

    /// The placeholder every template must contain.
    public static let part = "part"

    /// - Throws: a message (the caller wraps it in its error type) if `{part}` is missing.
    public init(_ text: String) throws(PromptTemplateError) {
        self.text = text
        var names: [String] = []
        for piece in Self.pieces(text) {
            if case .placeholder(let name) = piece, !names.contains(name) { names.append(name) }
        }
        placeholders = names
        guard names.contains(Self.part) else {
            throw PromptTemplateError(message: "expected a \"{\(Self.part)}\" placeholder")
        }
    }

    public var description: String { text }

    /// Fills `{part}` with `part` and other placeholders from `values`.
    /// - Throws: if a placeholder has no value.
    public func fill(part: String, values: [String: String] = [:]) throws(PromptTemplateError) -> String {
        var out = ""
        for piece in Self.pieces(text) {
            switch piece {
            case .literal(let s):
                out += s
            case .placeholder(let name):
                if name == Self.part {
                    out += part
                } else if let v = values[name] {
                    out += v
                } else {
                    throw PromptTemplateError(message: "no value for placeholder \"{\(name)}\"")
                }
            }
        }
        return out
    }

    // MARK: - Parsing

    enum Piece: Equatable {
        case literal(String)
        case placeholder(String)
    }

    static func isNameCharacter(_ c: Character) -> Bool {
        c.isASCII && (c.isLetter || c.isNumber || c == "_")
    }

    static func pieces(_ text: String) -> [Piece] {
        var out: [Piece] = []
        var literal = ""
        var i = text.startIndex
        while i < text.endIndex {
            if text[i] == "{", let close = text[i...].firstIndex(of: "}") {
                let name = text[text.index(after: i)..<close]
                if !name.isEmpty, name.allSatisfy(isNameCharacter) {
                    if !literal.isEmpty {
                        out.append(.literal(literal))
                        literal = ""
                    }
                    out.append(.placeholder(String(name)))
                    i = text.index(after: close)
                    continue
                }
            }
            literal.append(text[i])
            i = text.index(after: i)
        }
        if !literal.isEmpty { out.append(.literal(literal)) }
        return out
    }
}

/// Why a template could not be parsed or filled.
public struct PromptTemplateError: RawMessageError, Equatable {
    public var message: String
    /// `message`: it quotes the template text (display-safe in `description`).
    public var rawMessage: String { message }
}
