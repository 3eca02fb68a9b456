import Foundation

// Strict field-by-field reading of the small JSON data files (grids/*.json, keypoints/*.json).
//
// The files are decoded into `JSONValue` first and then read field by field, so every error can
// name the field path (`stages[1].grid`), what was expected and what was found (`got 0`), and
// unknown fields (typos such as `topk`) are rejected instead of silently ignored. Decoding an
// `Int` straight through `JSONDecoder` would report `2.5` or `-1` with decoder-specific wording
// and no value.

/// Any JSON value. Numbers are kept as `Double` (the files hold small integers and fractions).
enum JSONValue: Decodable, Sendable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    init(from decoder: Decoder) throws {
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

    /// A short rendering for error messages: `0`, `2.5`, `"crop"`, `an array`, `an object`.
    var brief: String {
        switch self {
        case .null: return "null"
        case .bool(let b): return b ? "true" : "false"
        case .number(let d):
            if d == d.rounded(), abs(d) < 1e15 { return String(Int64(d)) }
            return String(d)
        case .string(let s): return "\"\(s)\""
        case .array(let a): return "an array of \(a.count)"
        case .object: return "an object"
        }
    }
}

/// A field-level problem found while reading a data file; the loader adds the file name.
struct JSONFieldError: Error {
    var field: String
    var message: String
}

/// Renders a decoder coding path as `stages[1].grid`.
func jsonFieldPath(_ codingPath: [CodingKey]) -> String {
    var out = ""
    for key in codingPath {
        if let i = key.intValue {
            out += "[\(i)]"
        } else {
            out += out.isEmpty ? key.stringValue : "." + key.stringValue
        }
    }
    return out
}

/// Joins a parent path and a child key.
func jsonFieldPath(_ parent: String, _ key: String) -> String {
    parent.isEmpty ? key : parent + "." + key
}

/// Reads the fields of one JSON object, tracking its path for error messages.
struct JSONObjectReader {
    let path: String
    let fields: [String: JSONValue]

    /// - Throws: `JSONFieldError` if `value` is not an object or has keys outside `known`.
    init(_ value: JSONValue, path: String, known: [String]) throws {
        guard case .object(let fields) = value else {
            throw JSONFieldError(field: path.isEmpty ? "(top level)" : path,
                                 message: "expected an object, got \(value.brief)")
        }
        let unknown = fields.keys.filter { !known.contains($0) }.sorted()
        if let first = unknown.first {
            throw JSONFieldError(
                field: jsonFieldPath(path, first),
                message: "unknown field (known fields: \(known.joined(separator: ", ")))")
        }
        self.path = path
        self.fields = fields
    }

    func fieldPath(_ key: String) -> String { jsonFieldPath(path, key) }

    /// True if the field is present and not null (optional fields may be written as null).
    func has(_ key: String) -> Bool {
        switch fields[key] {
        case .none, .some(.null): return false
        case .some: return true
        }
    }

    func required(_ key: String) throws -> JSONValue {
        guard let v = fields[key] else {
            throw JSONFieldError(field: fieldPath(key), message: "missing required field")
        }
        if case .null = v {
            throw JSONFieldError(field: fieldPath(key), message: "missing required field (null)")
        }
        return v
    }

    func string(_ key: String) throws -> String {
        let v = try required(key)
        guard case .string(let s) = v else {
            throw JSONFieldError(field: fieldPath(key), message: "expected a string, got \(v.brief)")
        }
        return s
    }

    func optionalString(_ key: String) throws -> String? {
        has(key) ? try string(key) : nil
    }

    func number(_ key: String) throws -> Double {
        let v = try required(key)
        guard case .number(let d) = v, d.isFinite else {
            throw JSONFieldError(field: fieldPath(key), message: "expected a number, got \(v.brief)")
        }
        return d
    }

    func optionalNumber(_ key: String) throws -> Double? {
        has(key) ? try number(key) : nil
    }

    /// An integer `>= minimum`; the message states the bound (`expected an integer >= 2, got 0`).
    func integer(_ key: String, minimum: Int) throws -> Int {
        let v = try required(key)
        let what = "expected an integer >= \(minimum), got \(v.brief)"
        guard case .number(let d) = v, d == d.rounded(), abs(d) < 1e15 else {
            throw JSONFieldError(field: fieldPath(key), message: what)
        }
        guard Int(d) >= minimum else { throw JSONFieldError(field: fieldPath(key), message: what) }
        return Int(d)
    }

    func optionalInteger(_ key: String, minimum: Int) throws -> Int? {
        has(key) ? try integer(key, minimum: minimum) : nil
    }

    func array(_ key: String) throws -> [JSONValue] {
        let v = try required(key)
        guard case .array(let a) = v else {
            throw JSONFieldError(field: fieldPath(key), message: "expected an array, got \(v.brief)")
        }
        return a
    }

    func optionalObject(_ key: String) throws -> [String: JSONValue]? {
        guard has(key) else { return nil }
        let v = try required(key)
        guard case .object(let o) = v else {
            throw JSONFieldError(field: fieldPath(key), message: "expected an object, got \(v.brief)")
        }
        return o
    }

    /// A string from a closed set; the message lists the choices.
    func choice(_ key: String, among choices: [String]) throws -> String {
        let s = try string(key)
        guard choices.contains(s) else {
            throw JSONFieldError(
                field: fieldPath(key),
                message: "expected one of \(choices.map { "\"\($0)\"" }.joined(separator: ", ")), got \"\(s)\"")
        }
        return s
    }
}

/// Decodes `data` as `T`, turning every failure into (field, message). Bad JSON syntax is
/// reported with field "(JSON syntax)".
func decodeJSONFile<T: Decodable>(_ type: T.Type, from data: Data) -> Result<T, JSONFieldError> {
    do {
        return .success(try JSONDecoder().decode(T.self, from: data))
    } catch let e as JSONFieldError {
        return .failure(e)
    } catch let DecodingError.dataCorrupted(context) where context.codingPath.isEmpty {
        let detail = context.underlyingError.map { "\($0)" } ?? context.debugDescription
        return .failure(JSONFieldError(field: "(JSON syntax)", message: "invalid JSON: \(detail)"))
    } catch let e as DecodingError {
        switch e {
        case .dataCorrupted(let c), .keyNotFound(_, let c), .typeMismatch(_, let c), .valueNotFound(_, let c):
            return .failure(JSONFieldError(field: jsonFieldPath(c.codingPath), message: c.debugDescription))
        @unknown default:
            return .failure(JSONFieldError(field: "(unknown)", message: "\(e)"))
        }
    } catch {
        return .failure(JSONFieldError(field: "(unknown)", message: "\(error)"))
    }
}
