import Foundation
import KeypointsSupport

/// Where evaluation results go: a JSON-lines file (see ResultRecord.swift) that survives
/// interruption, or memory only.
///
/// Every record is written durably before the next image starts (`DurableLineFile`), so after a
/// crash or SIGKILL the file holds every finished image plus at most one torn line. Opening
/// an existing file resumes it: a torn last line is truncated away (its image
/// is redone), images already recorded are skipped by the runner, and different settings are
/// refused (paths only inform: the same run resumes from another checkout, see `RunIdentity`). The file is locked (`flock`) while open, so two runs cannot interleave lines.
public final class ResultStore {
    /// `nil` for an in-memory store.
    public let url: URL?
    public let settings: [String: String]
    /// Image records in file order (from earlier runs, then this one).
    public private(set) var images: [ImageRecord] = []
    /// Skipped items in file order (see `ResultFile.unresolvedSkipped` for the summary view).
    public private(set) var skipped: [SkippedRecord] = []
    /// Set when opening truncated a torn last line: what was wrong.
    public private(set) var repairedTail: String?
    /// True when the file existed with a header (this is a resumed run).
    public private(set) var resumed = false
    private var done: Set<String> = []
    private var file: DurableLineFile?

    private init(url: URL?, settings: [String: String]) {
        self.url = url
        self.settings = settings
    }

    /// A store that keeps records in memory only.
    public static func inMemory(settings: [String: String]) -> ResultStore {
        ResultStore(url: nil, settings: settings)
    }

    /// Opens (creating or resuming) a results file.
    /// - Throws: `settingsMismatch` if the file was written with other settings; `badResultsFile`
    ///   if it is not a results file or is corrupt before its last line; `locked` if another
    ///   process has it open; `writeFailed`.
    public static func open(url: URL, settings: [String: String]) throws -> ResultStore {
        let store = ResultStore(url: url, settings: settings)
        let path = url.path
        let (file, parsed) = try DurableLineFile.openResults(url, read: ResultFile.read)
        store.file = file
        store.repairedTail = parsed.tornTail
        if let header = parsed.header {
            guard header.version == ResultHeader.currentVersion else {
                throw EvaluationError.oldResultsFormat(
                    file: path, version: header.version,
                    reason:
                        "it identifies the model and grid by path, so it is not resumed; finish it with the keypoints that "
                        + "wrote it, or start another --out (keypoints report still reads it)")
            }
            try header.requireResumable(by: settings, ignoring: RunIdentity.resumeIgnoredKeys, file: path)
            store.resumed = true
            store.images = parsed.images.map(\.value)
            store.skipped = parsed.skipped.map(\.value)
            store.done = Set(store.images.map(\.id))
        } else {
            let header = ResultHeader(settings: settings, created: Self.timestamp())
            try store.write(.header(header))
        }
        return store
    }

    /// Whether `id` already has an image record.
    public func isDone(_ id: String) -> Bool { done.contains(id) }

    /// Records the start of an invocation.
    public func beginSession(_ session: SessionRecord) throws {
        try write(.session(session))
    }

    /// Appends one image record (durably, for file stores).
    /// - Precondition: `record.id` is not recorded yet (the runner checks `isDone`).
    public func append(_ record: ImageRecord) throws {
        precondition(!done.contains(record.id), "ResultStore.append: image \(record.id) is already recorded")
        try write(.image(record))
        images.append(record)
        done.insert(record.id)
    }

    /// Appends a skipped item.
    public func appendSkipped(_ record: SkippedRecord) throws {
        try write(.skipped(record))
        skipped.append(record)
    }

    /// Skipped items without an image record, one per id (the last reason).
    public var unresolvedSkipped: [SkippedRecord] {
        var latest: [String: SkippedRecord] = [:]
        var order: [String] = []
        for s in skipped where !done.contains(s.id) {
            if latest[s.id] == nil { order.append(s.id) }
            latest[s.id] = s
        }
        return order.compactMap { latest[$0] }
    }

    /// Releases the lock and closes the file (also done on deinit).
    public func close() {
        file?.close()
        file = nil
    }

    // MARK: - Writing

    private func write(_ line: ResultLine) throws {
        guard let file else { return }
        try file.appendRecord { try line.encodedLine() }
    }

    /// Current time, ISO 8601 UTC.
    public static func timestamp() -> String {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime]
        return f.string(from: Date())
    }
}
