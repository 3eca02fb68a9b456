import Foundation
import Imaging
import KeypointsSupport

/// Errors reading a boxes file (`localize --boxes`).
public enum PhotoBoxesError: RawMessageError, Equatable {
    case unreadable(file: String, reason: String)
    /// A row (1-based line) that is not `image,x,y,w,h` with finite numbers and w, h > 0.
    case badRow(file: String, line: Int, message: String)
    /// One photo with two rows.
    case repeatedPhoto(file: String, photo: String, first: Int, second: Int)

    /// The message, its outside text (paths, keys, names) as it is (`RawMessageError`).
    public var rawMessage: String {
        switch self {
        case .unreadable(let file, let reason): return "\(file): cannot read boxes: \(reason)"
        case .badRow(let file, let line, let message): return "\(file) line \(line): \(message)"
        case .repeatedPhoto(let file, let photo, let first, let second):
            return "\(file) line \(second): \(photo) already has a box on line \(first); give each photo one row"
        }
    }
}

/// One box per photo, read from a CSV file (`localize --boxes FILE`): boxes from a detector or
/// an annotation tool, to crop to (`--crop-to-box`, the paper's SPair-71k protocol) or to search
/// in.
///
///     image,x,y,w,h
///     birds/a.jpg,40,30,400,300
///     /data/photos/b.png,0,12.5,220,180
///
/// The first line is that header. Each row is a photo's path (relative paths are relative to the
/// boxes file's folder; everything before the last four commas, so a path may hold commas; a path
/// in double quotes, with "" for a quote, is unquoted) and its box in original pixels: top-left
/// corner, width and height (COCO's order), as decimal numbers. Blank lines are
/// skipped. Photos are matched by absolute, standardized path.
public struct PhotoBoxes: Sendable {
    public static let header = "image,x,y,w,h"

    /// The file, as errors name it.
    public let file: String
    private let boxes: [FilePathKey: Box]

    /// How many photos have a box.
    public var count: Int { boxes.count }

    /// The box of the photo at `path` (relative to the working directory), if the file has one.
    public func box(forPhoto path: String) -> Box? {
        boxes[FilePathKey(path)]
    }

    /// Reads a boxes file (at most `LocalizationLimits.fileBytes`).
    public static func load(from url: URL) throws -> PhotoBoxes {
        let data = try RegularFile.read(
            url, maxBytes: LocalizationLimits.fileBytes, limitName: "LocalizationLimits.fileBytes"
        ) { PhotoBoxesError.unreadable(file: url.path, reason: $0.message) }
        return try parse(data, file: url.path, folder: url.deletingLastPathComponent())
    }

    /// Parses boxes-file bytes; relative photo paths are resolved against `folder`.
    /// - Throws: `PhotoBoxesError` naming the file and line.
    public static func parse(_ data: Data, file: String, folder: URL) throws -> PhotoBoxes {
        guard let text = String(data: data, encoding: .utf8) else {
            throw PhotoBoxesError.unreadable(file: file, reason: "not UTF-8 text")
        }
        var boxes: [FilePathKey: Box] = [:]
        var firstLine: [FilePathKey: Int] = [:]
        var sawHeader = false
        // "\r\n" is one Character in Swift: both line ends split.
        let rows = text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" })
        for (n, row) in rows.enumerated() {
            let line = n + 1
            if row.allSatisfy(\.isWhitespace) { continue }
            guard sawHeader else {
                let columns = row.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
                guard columns.joined(separator: ",") == header else {
                    throw PhotoBoxesError.badRow(
                        file: file, line: line, message: "expected the header \"\(header)\", got \"\(row.prefix(80))\"")
                }
                sawHeader = true
                continue
            }
            let fields = row.split(separator: ",", omittingEmptySubsequences: false)
            guard fields.count >= 5 else {
                throw PhotoBoxesError.badRow(
                    file: file, line: line, message: "expected image,x,y,w,h (5 fields), got \(fields.count)")
            }
            var path = fields.dropLast(4).joined(separator: ",").trimmingCharacters(in: .whitespaces)
            // A quoted path, as spreadsheet programs and pandas write one with commas or quotes.
            if path.count >= 2, path.hasPrefix("\""), path.hasSuffix("\"") {
                path = String(path.dropFirst().dropLast()).replacingOccurrences(of: "\"\"", with: "\"")
            }
            guard !path.isEmpty else {
                throw PhotoBoxesError.badRow(file: file, line: line, message: "the image path is empty")
            }
            var values: [Double] = []
            for (name, field) in zip(["x", "y", "w", "h"], fields.suffix(4)) {
                let text = field.trimmingCharacters(in: .whitespaces)
                // Decimal only: Swift's Double("0x10") would read hexadecimal.
                guard text.allSatisfy({ "0123456789+-.eE".contains($0) }), let v = Double(text), v.isFinite else {
                    throw PhotoBoxesError.badRow(
                        file: file, line: line, message: "\(name) \"\(text.prefix(40))\": expected a finite number")
                }
                values.append(v)
            }
            let box = Box(x: values[0], y: values[1], width: values[2], height: values[3])
            guard box.width > 0, box.height > 0 else {
                throw PhotoBoxesError.badRow(
                    file: file, line: line, message: "box \(box): expected w and h > 0 (original pixels)")
            }
            let url = path.hasPrefix("/") ? URL(fileURLWithPath: path) : folder.appendingPathComponent(path)
            let key = FilePathKey(url: url)
            if let first = firstLine[key] {
                throw PhotoBoxesError.repeatedPhoto(file: file, photo: path, first: first, second: line)
            }
            firstLine[key] = line
            boxes[key] = box
        }
        guard sawHeader else {
            throw PhotoBoxesError.badRow(file: file, line: 1, message: "empty; expected the header \"\(header)\"")
        }
        return PhotoBoxes(file: file, boxes: boxes)
    }
}
