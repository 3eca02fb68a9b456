import Foundation
import KeypointsSupport

/// Reading a dataset's annotation files: the one place that opens them, so that every reader
/// reports an unreadable file naming it. JSON errors name the file through `JSONNode.file`;
/// `EvaluationError.init(_:)` turns them into `malformedField`.
enum AnnotationFile {
    /// The bytes of `url` (a regular file of at most `EvaluationLimits.annotationFileBytes`,
    /// opened without blocking); `name` (default: the path) names the file in errors.
    static func data(_ url: URL, name: String? = nil) throws -> Data {
        try RegularFile.read(
            url, maxBytes: EvaluationLimits.annotationFileBytes, limitName: "EvaluationLimits.annotationFileBytes"
        ) { EvaluationError.unreadable(file: name ?? url.path, reason: $0.message) }
    }

    /// The root of the JSON file `url`, whose errors name the file (`name`, default: the path).
    /// - Throws: `EvaluationError.unreadable`, or `JSONFieldError` for malformed JSON.
    static func json(_ url: URL, name: String? = nil) throws -> JSONNode {
        let file = name ?? url.path
        return try JSONNode.parse(data(url, name: file), file: file)
    }
}

extension EvaluationError {
    /// A JSON field error as `malformedField`, naming its file.
    init(_ error: JSONFieldError) {
        self = .malformedField(file: error.file ?? "(JSON)", field: error.field, message: error.message)
    }
}

/// A short reason from a Foundation file error.
func readReason(_ error: any Error) -> String {
    let ns = error as NSError
    if let underlying = ns.userInfo[NSUnderlyingErrorKey] as? NSError, underlying.domain == NSPOSIXErrorDomain {
        return String(cString: strerror(Int32(underlying.code)))
    }
    if ns.domain == NSCocoaErrorDomain && ns.code == NSFileReadNoSuchFileError { return "no such file" }
    return ns.localizedDescription
}
