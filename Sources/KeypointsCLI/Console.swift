import Foundation
import KeypointsSupport

/// stdout for results, stderr for progress and warnings. Notes, warnings and progress lines are
/// one line each, made display-safe here (`displaySafe`): they quote paths, names and errors.
enum Console {
    static func note(_ message: String) {
        FileHandle.standardError.write(Data((message.displaySafe + "\n").utf8))
    }

    static func warning(_ message: String) {
        FileHandle.standardError.write(Data(("warning: " + message.displaySafe + "\n").utf8))
    }

    /// One line of results on stdout, display-safe (`displaySafe`): the paths and names in it
    /// come from the command line and from files. Tables built by the libraries
    /// (`PCKReport.table`) escape their own cells, so that column widths count the escapes.
    static func result(_ line: String) {
        print(line.displaySafe)
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
            FileHandle.standardError.write(Data(("\r\u{1B}[K" + message.displaySafe).utf8))
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
