import Foundation

/// Decodes `data` as `T`, turning every failure into (field, message). Bad JSON syntax is
/// reported with field "(JSON syntax)"; a `JSONFieldError` thrown by `T`'s strict
/// `init(from:)` passes through unchanged.
public func decodeJSONFile<T: Decodable>(_ type: T.Type, from data: Data) -> Result<T, JSONFieldError> {
    do {
        return .success(try JSONDecoder().decode(T.self, from: data))
    } catch let e as JSONFieldError {
        return .failure(e)
    } catch let DecodingError.dataCorrupted(context) where context.codingPath.isEmpty {
        if let located = JSONSyntaxError(data) {
            return .failure(JSONFieldError(field: "(JSON syntax)", message: located.description))
        }
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

/// Where JSON text stops being valid, as line and column. JSONDecoder on Linux says only "The
/// given data was not valid JSON"; JSONSerialization's message carries the byte offset ("Invalid
/// value around character 40."), which is turned into a line and a column here.
struct JSONSyntaxError: CustomStringConvertible {
    /// 1-based line.
    let line: Int
    /// 1-based column, in characters (Unicode scalars) of that line.
    let column: Int
    /// JSONSerialization's message without its offset, lower-cased first ("invalid value").
    let problem: String

    /// Nil when `data` parses, or the parser names no offset (e.g. "Unexpected end of file").
    init?(_ data: Data) {
        let message: String
        do {
            _ = try JSONSerialization.jsonObject(with: data, options: .fragmentsAllowed)
            return nil
        } catch {
            guard let text = (error as NSError).userInfo[NSDebugDescriptionErrorKey] as? String else { return nil }
            message = text
        }
        guard let marker = message.range(of: " around character "),
            let offset = Int(message[marker.upperBound...].prefix { $0.isNumber }), (0...data.count).contains(offset)
        else { return nil }
        let before = data.prefix(offset)
        let lineStart = before.lastIndex(of: UInt8(ascii: "\n")).map { $0 + 1 } ?? before.startIndex
        line = before.count { $0 == UInt8(ascii: "\n") } + 1
        // UTF-8 continuation bytes (10xxxxxx) do not start a character.
        column = before[lineStart...].count { $0 & 0xC0 != 0x80 } + 1
        let head = message[..<marker.lowerBound]
        problem = head.prefix(1).lowercased() + head.dropFirst()
    }

    var description: String { "invalid JSON at line \(line), column \(column): \(problem)" }
}
