/// A JSON object read field by field: members outside a known list are refused (typos such as
/// `topk` fail instead of being ignored), and each accessor reads one required or optional
/// member through `JSONNode`, so errors carry the field path.
public struct JSONObjectReader: Sendable {
    /// The object.
    public let node: JSONNode
    public let fields: [String: JSONValue]
    public var path: String { node.path }

    /// - Throws: `JSONFieldError` if `node` is not an object or has keys outside `known`.
    public init(_ node: JSONNode, known: [String]) throws(JSONFieldError) {
        guard case .object(let fields) = node.value else { throw node.fail("expected an object, got \(node.brief)") }
        if let first = fields.keys.filter({ !known.contains($0) }).sorted().first {
            throw node.fail(first, "unknown field (known fields: \(known.joined(separator: ", ")))")
        }
        self.node = node
        self.fields = fields
    }

    /// The object `value` found at `path` (of a file the caller names in its errors).
    public init(_ value: JSONValue, path: String, known: [String]) throws(JSONFieldError) {
        try self.init(JSONNode(value, path: path), known: known)
    }

    public func fieldPath(_ key: String) -> String { jsonFieldPath(path, key) }

    /// True if the field is present and not null (optional fields may be written as null).
    public func has(_ key: String) -> Bool {
        switch fields[key] {
        case .none, .some(.null): return false
        case .some: return true
        }
    }

    /// The field `key` as a node; it must be present and not null.
    public func field(_ key: String) throws(JSONFieldError) -> JSONNode { try node.required(key) }

    public func required(_ key: String) throws(JSONFieldError) -> JSONValue { try field(key).value }

    public func string(_ key: String) throws(JSONFieldError) -> String { try field(key).string() }

    public func optionalString(_ key: String) throws(JSONFieldError) -> String? {
        has(key) ? try string(key) : nil
    }

    public func number(_ key: String) throws(JSONFieldError) -> Double { try field(key).number() }

    public func optionalNumber(_ key: String) throws(JSONFieldError) -> Double? {
        has(key) ? try number(key) : nil
    }

    /// An integer `>= minimum`; the message states the bound (`expected an integer >= 2, got 0`).
    public func integer(_ key: String, minimum: Int) throws(JSONFieldError) -> Int {
        try field(key).integer(minimum: minimum)
    }

    public func optionalInteger(_ key: String, minimum: Int) throws(JSONFieldError) -> Int? {
        has(key) ? try integer(key, minimum: minimum) : nil
    }

    public func array(_ key: String) throws(JSONFieldError) -> [JSONValue] {
        try field(key).array().map(\.value)
    }

    public func optionalObject(_ key: String) throws(JSONFieldError) -> [String: JSONValue]? {
        guard has(key) else { return nil }
        let f = try field(key)
        guard case .object(let o) = f.value else { throw f.fail("expected an object, got \(f.brief)") }
        return o
    }

    /// A string from a closed set; the message lists the choices.
    public func choice(_ key: String, among choices: [String]) throws(JSONFieldError) -> String {
        try field(key).choice(among: choices)
    }
}
