import Foundation

/// stdout for results, stderr for progress and warnings.
enum Console {
    static func note(_ message: String) {
        FileHandle.standardError.write(Data((message + "\n").utf8))
    }

    static func warning(_ message: String) {
        FileHandle.standardError.write(Data(("warning: " + message + "\n").utf8))
    }

    /// One JSON document to stdout (keys sorted so output is stable).
    static func printJSON<T: Encodable>(_ value: T) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(
            positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        let data = try encoder.encode(value)
        FileHandle.standardOutput.write(data)
        FileHandle.standardOutput.write(Data("\n".utf8))
    }

    /// A progress line on stderr, rewritten in place on a terminal.
    static func progress(_ message: String) {
        if isatty(2) != 0 {
            FileHandle.standardError.write(Data(("\r\u{1B}[K" + message).utf8))
        } else {
            note(message)
        }
    }

    /// Ends an in-place progress line.
    static func endProgress() {
        if isatty(2) != 0 { FileHandle.standardError.write(Data("\n".utf8)) }
    }

    static func format(_ v: Double, _ digits: Int = 4) -> String { String(format: "%.\(digits)f", v) }
}
