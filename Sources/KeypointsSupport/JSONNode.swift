import Foundation

/// A JSON value and the path that reached it (`annotations[3].bbox[2]`), with typed accessors
/// whose errors name the file, that path, what was expected and what was found (`expected an
/// integer >= 2, got 0`). The one strict reader of the project's JSON: data files (grids, keypoint
/// vocabularies) read it through `JSONObjectReader`, dataset annotations (COCO, SPair) directly.
///
///     let root = try JSONNode.parse(data, file: "annotations.json")
///     for image in try root.field("images").array() {
///         let id = try image.field("id").integer()
///     }
public struct JSONNode: Sendable {
    public let value: JSONValue
    /// Where `value` sits in the document; empty for the document itself.
    public let path: String
    /// The file the document came from, for errors; nil when the caller adds it.
    public let file: String?

    public init(_ value: JSONValue, path: String = "", file: String? = nil) {
        self.value = value
        self.path = path
        self.file = file
    }

    /// Parses JSON text into its root node; `file` names it in errors.
    /// - Throws: `JSONFieldError` with field "(JSON syntax)" for malformed text.
    public static func parse(_ data: Data, file: String? = nil) throws(JSONFieldError) -> JSONNode {
        do {
            return JSONNode(try JSONValue.parse(data), file: file)
        } catch {
            throw JSONFieldError(file: file, field: error.field, message: error.message)
        }
    }

    /// An error at this node (field "(top level)" for the document itself).
    public func fail(_ message: String) -> JSONFieldError {
        JSONFieldError(file: file, field: path.isEmpty ? "(top level)" : path, message: message)
    }

    /// An error at the member `key` of this node.
    public func fail(_ key: String, _ message: String) -> JSONFieldError {
        JSONFieldError(file: file, field: fieldPath(key), message: message)
    }

    /// The node for `value` at `path` in the same file.
    func node(_ value: JSONValue, path: String) -> JSONNode { JSONNode(value, path: path, file: file) }

    /// A short rendering of the value for error messages (see `JSONValue.brief`).
    public var brief: String { value.brief }

    public var isNull: Bool { value == .null }

    // MARK: - Objects

    /// The path of `key` below this node.
    public func fieldPath(_ key: String) -> String { jsonFieldPath(path, key) }

    /// The member `key` if this is an object that has it (null included), else nil.
    public func child(_ key: String) -> JSONNode? {
        guard case .object(let fields) = value, let v = fields[key] else { return nil }
        return node(v, path: fieldPath(key))
    }

    /// The member `key`, which may be null.
    /// - Throws: if this is not an object or has no member `key`.
    public func field(_ key: String) throws(JSONFieldError) -> JSONNode {
        guard case .object = value else { throw fail("expected an object, got \(brief)") }
        guard let c = child(key) else { throw fail(key, "missing required field") }
        return c
    }

    /// The member `key`, which must not be null.
    public func required(_ key: String) throws(JSONFieldError) -> JSONNode {
        let c = try field(key)
        if c.isNull { throw c.fail("missing required field (null)") }
        return c
    }

    /// The members of an object in key order.
    public func object() throws(JSONFieldError) -> [(String, JSONNode)] {
        guard case .object(let fields) = value else { throw fail("expected an object, got \(brief)") }
        return fields.keys.sorted().map { k in (k, node(fields[k] ?? .null, path: fieldPath(k))) }
    }

    /// This object as a strict reader that refuses members outside `known`.
    public func object(known: [String]) throws(JSONFieldError) -> JSONObjectReader {
        try JSONObjectReader(self, known: known)
    }

    // MARK: - Values

    public func array() throws(JSONFieldError) -> [JSONNode] {
        guard case .array(let a) = value else { throw fail("expected an array, got \(brief)") }
        return a.enumerated().map { node($1, path: "\(path)[\($0)]") }
    }

    public func string() throws(JSONFieldError) -> String {
        guard case .string(let s) = value else { throw fail("expected a string, got \(brief)") }
        return s
    }

    /// A finite number (booleans are not numbers).
    public func number() throws(JSONFieldError) -> Double {
        guard case .number(let d) = value else { throw fail("expected a number, got \(brief)") }
        guard d.isFinite else { throw fail("expected a finite number, got \(brief)") }
        return d
    }

    /// A finite coordinate >= 0.
    public func coordinate() throws(JSONFieldError) -> Double {
        let d = try number()
        guard d >= 0 else { throw fail("expected a coordinate >= 0, got \(brief)") }
        return d
    }

    /// Integers are exact below this magnitude (as doubles, and in `Int`).
    static let integerLimit = 1e15

    /// A whole number, `>= minimum` if given; the message states the bound
    /// (`expected an integer >= 2, got 0`).
    public func integer(minimum: Int? = nil) throws(JSONFieldError) -> Int {
        let what = minimum.map { "expected an integer >= \($0), got \(brief)" } ?? "expected an integer, got \(brief)"
        guard case .number(let d) = value, d == d.rounded(), abs(d) < Self.integerLimit else { throw fail(what) }
        guard Int(d) >= (minimum ?? Int.min) else { throw fail(what) }
        return Int(d)
    }

    /// A string from a closed set; the message lists the choices.
    public func choice(among choices: [String]) throws(JSONFieldError) -> String {
        let s = try string()
        guard choices.contains(s) else {
            throw fail("expected one of \(choices.map { "\"\($0)\"" }.joined(separator: ", ")), got \"\(s)\"")
        }
        return s
    }
}
