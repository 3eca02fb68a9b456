import Foundation

/// Any JSON value, the common currency of the strict readers (`JSONNode`, `JSONObjectReader`).
///
/// Numbers are kept as `Double` (the data files hold small integers, fractions and pixel
/// coordinates); `true`/`false` stay booleans, so a boolean is never read as a number.
public enum JSONValue: Decodable, Sendable, Equatable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    public init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() {
            self = .null
        } else if let b = try? c.decode(Bool.self) {
            self = .bool(b)
        } else if let d = try? c.decode(Double.self) {
            self = .number(d)
        } else if let s = try? c.decode(String.self) {
            self = .string(s)
        } else if let a = try? c.decode([JSONValue].self) {
            self = .array(a)
        } else {
            self = .object(try c.decode([String: JSONValue].self))
        }
    }

    /// Parses JSON text (any top-level value).
    /// - Throws: `JSONFieldError` with field "(JSON syntax)" for malformed text.
    public static func parse(_ data: Data) throws(JSONFieldError) -> JSONValue {
        try decodeJSONFile(JSONValue.self, from: data).get()
    }

    /// Longest string shown whole in error messages; longer ones are cut and end in "...".
    public static let briefStringLimit = 40

    /// A short rendering for error messages: `0`, `2.5`, `"crop"`, `an array of 3`, `an object`.
    public var brief: String {
        switch self {
        case .null: return "null"
        case .bool(let b): return b ? "true" : "false"
        case .number(let d):
            if d == d.rounded(), abs(d) < 1e15 { return String(Int64(d)) }
            return String(d)
        case .string(let s):
            return "\"\(s.count > Self.briefStringLimit ? String(s.prefix(Self.briefStringLimit)) + "..." : s)\""
        case .array(let a): return "an array of \(a.count)"
        case .object: return "an object"
        }
    }
}
