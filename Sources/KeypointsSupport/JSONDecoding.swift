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
