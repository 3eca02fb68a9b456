import Foundation
import KeypointsSupport

/// Progress of one file of a fetch, reported several times a second while bytes arrive and once
/// when the file is complete.
public struct FetchProgress: Sendable, Equatable {
    public var file: String
    /// 1-based position of the file in the fetch, and the number of files.
    public var fileIndex: Int
    public var fileCount: Int
    /// Bytes of this file on disk so far, including bytes resumed from an earlier run.
    public var bytesDone: Int64
    /// The file's size when the server or the registry told it.
    public var bytesTotal: Int64?
    /// Bytes resumed from an earlier run (not counted in the rate).
    public var bytesResumed: Int64
    /// Bytes per second over this request.
    public var bytesPerSecond: Double
    public var finished: Bool

    public init(
        file: String, fileIndex: Int, fileCount: Int, bytesDone: Int64, bytesTotal: Int64?,
        bytesResumed: Int64, bytesPerSecond: Double, finished: Bool
    ) {
        self.file = file
        self.fileIndex = fileIndex
        self.fileCount = fileCount
        self.bytesDone = bytesDone
        self.bytesTotal = bytesTotal
        self.bytesResumed = bytesResumed
        self.bytesPerSecond = bytesPerSecond
        self.finished = finished
    }

    /// Seconds left at the current rate, when the total is known and bytes are flowing.
    public var secondsRemaining: Double? {
        guard let total = bytesTotal, bytesPerSecond > 0 else { return nil }
        return Double(max(0, total - bytesDone)) / bytesPerSecond
    }

    /// One line for a terminal:
    /// `[2/4] model.safetensors [#########---------]  812.3 MB / 1.71 GB  23.4 MB/s  ETA 0:38`
    public func render(barWidth: Int = 24) -> String {
        var s = "[\(fileIndex)/\(fileCount)] \(file) "
        if let total = bytesTotal, total > 0 {
            s += ProgressText.bar(fraction: Double(bytesDone) / Double(total), width: barWidth)
            s += "  " + Self.bytes(bytesDone) + " / " + Self.bytes(total)
        } else {
            s += "  " + Self.bytes(bytesDone)
        }
        if finished {
            s += "  done"
        } else {
            if bytesPerSecond > 0 { s += "  " + Self.bytes(Int64(bytesPerSecond)) + "/s" }
            if let eta = secondsRemaining { s += "  ETA " + Self.duration(eta) }
        }
        if bytesResumed > 0 { s += "  (resumed at " + Self.bytes(bytesResumed) + ")" }
        return s
    }

    /// Decimal units as the hub shows them: "512 B", "3.4 kB", "812.3 MB", "1.71 GB".
    public static func bytes(_ n: Int64) -> String {
        let v = Double(n)
        if v < 1000 { return "\(n) B" }
        if v < 1e6 { return String(format: "%.1f kB", v / 1e3) }
        if v < 1e9 { return String(format: "%.1f MB", v / 1e6) }
        return String(format: "%.2f GB", v / 1e9)
    }

    /// `h:mm:ss` or `m:ss` (`ProgressText.duration`).
    public static func duration(_ seconds: Double) -> String { ProgressText.duration(seconds) }
}
