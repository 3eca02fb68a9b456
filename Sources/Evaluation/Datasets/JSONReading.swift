import Foundation

/// Path-tracking accessors over `JSONSerialization` output, so errors name the file and the
/// field (`annotations[3].bbox[2]`), what was expected and what was found.
struct JSONNode {
    let value: Any
    let path: String
    let file: String

    static func parse(_ url: URL, name: String? = nil) throws -> JSONNode {
        let file = name ?? url.path
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw EvaluationError.unreadable(file: file, reason: readReason(error))
        }
        do {
            let value = try JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed])
            return JSONNode(value: value, path: "", file: file)
        } catch {
            throw EvaluationError.malformedField(file: file, field: "(JSON syntax)", message: "\((error as NSError).localizedDescription)")
        }
    }

    func fail(_ message: String) -> EvaluationError {
        .malformedField(file: file, field: path.isEmpty ? "(top level)" : path, message: message)
    }

    var brief: String {
        switch value {
        case is NSNull: return "null"
        case let s as String: return "\"\(s.count > 40 ? String(s.prefix(40)) + "..." : s)\""
        case let a as [Any]: return "an array of \(a.count)"
        case is [String: Any]: return "an object"
        case let n as NSNumber: return n.stringValue
        default: return "\(value)"
        }
    }

    var isNull: Bool { value is NSNull }

    func child(_ key: String) -> JSONNode? {
        guard let object = value as? [String: Any], let v = object[key] else { return nil }
        return JSONNode(value: v, path: path.isEmpty ? key : path + "." + key, file: file)
    }

    func field(_ key: String) throws -> JSONNode {
        guard value is [String: Any] else { throw fail("expected an object, got \(brief)") }
        guard let c = child(key) else {
            throw EvaluationError.malformedField(file: file, field: path.isEmpty ? key : path + "." + key,
                                                 message: "missing required field")
        }
        return c
    }

    func object() throws -> [(String, JSONNode)] {
        guard let object = value as? [String: Any] else { throw fail("expected an object, got \(brief)") }
        return object.keys.sorted().map { k in
            (k, JSONNode(value: object[k] as Any, path: path.isEmpty ? k : path + "." + k, file: file))
        }
    }

    func array() throws -> [JSONNode] {
        guard let a = value as? [Any] else { throw fail("expected an array, got \(brief)") }
        return a.enumerated().map { JSONNode(value: $1, path: "\(path)[\($0)]", file: file) }
    }

    func string() throws -> String {
        guard let s = value as? String else { throw fail("expected a string, got \(brief)") }
        return s
    }

    func number() throws -> Double {
        // JSONSerialization gives numbers (and true/false) as NSNumber; strings never bridge to it.
        guard !(value is String), let n = value as? NSNumber else {
            throw fail("expected a number, got \(brief)")
        }
        let d = n.doubleValue
        guard d.isFinite else { throw fail("expected a finite number, got \(brief)") }
        return d
    }

    /// A finite coordinate >= 0.
    func coordinate() throws -> Double {
        let d = try number()
        guard d >= 0 else { throw fail("expected a coordinate >= 0, got \(brief)") }
        return d
    }

    func integer() throws -> Int {
        let d = try number()
        guard d == d.rounded(), abs(d) < 1e15 else { throw fail("expected an integer, got \(brief)") }
        return Int(d)
    }
}
