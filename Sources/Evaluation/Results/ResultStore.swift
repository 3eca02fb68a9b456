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
    /// The run's settings: the file's header once `start(settings:)` has checked or written it.
    public private(set) var settings: [String: String]
    /// Image records in file order (from earlier runs, then this one).
    public private(set) var images: [ImageRecord] = []
    /// Skipped items in file order (see `ResultFile.unresolvedSkipped` for the summary view).
    public private(set) var skipped: [SkippedRecord] = []
    /// Set when opening truncated a torn last line: what was wrong.
    public private(set) var repairedTail: String?
    /// True when the file existed with a header (this is a resumed run).
    public private(set) var resumed = false
    private var done: Set<String> = []
    private var opening: ResultsFileOpening<ResultFile>?
    private var file: DurableLineFile?

    private init(url: URL?, settings: [String: String]) {
        self.url = url
        self.settings = settings
    }

    /// A store that keeps records in memory only.
    public static func inMemory(settings: [String: String]) -> ResultStore {
        ResultStore(url: nil, settings: settings)
    }

    /// Opens (creating or resuming) a results file: `open(url:)` then `start(settings:)`.
    /// - Throws: `settingsMismatch` if the file was written with other settings; `badResultsFile`
    ///   if it is not a results file or is corrupt before its last line; `locked` if another
    ///   process has it open; `writeFailed`.
    public static func open(url: URL, settings: [String: String]) throws -> ResultStore {
        let store = try open(url: url)
        try store.start(settings: settings)
        return store
    }

    /// Opens a results file before the run's settings are known (they may need the model): an
    /// existing file is locked and read, once, and a torn last line cut away (`repairedTail`);
    /// `recordedSettings` are what its header holds. Nothing is appended before
    /// `start(settings:)`, and a missing file is created only then.
    /// - Throws: `oldResultsFormat` for a header of an older format version; `badResultsFile`,
    ///   `locked`, `writeFailed` as `open(url:settings:)`.
    public static func open(url: URL) throws -> ResultStore {
        let store = ResultStore(url: url, settings: [:])
        let opening = try ResultsFileOpening.open(url, read: ResultFile.read)
        store.opening = opening
        store.repairedTail = opening.parsed?.tornTail
        if let header = opening.parsed?.header, header.version != ResultHeader.currentVersion {
            throw EvaluationError.oldResultsFormat(
                file: url.path, version: header.version,
                reason:
                    "it identifies the model and grid by path, so it is not resumed; finish it with the keypoints that "
                    + "wrote it, or start another --out (keypoints report still reads it)")
        }
        return store
    }

    /// The settings an earlier run recorded in the file's header, if it has one (until
    /// `start(settings:)`).
    public var recordedSettings: [String: String]? { opening?.parsed?.header?.settings }

    /// Starts the run with `settings`: resumes a file whose header holds the same settings
    /// (paths only inform, see `RunIdentity`), taking its records, or writes the header of a
    /// new one. Call once, after `open(url:)`.
    /// - Throws: `settingsMismatch` naming every difference; `locked`, `writeFailed`.
    public func start(settings: [String: String]) throws {
        guard var opening else { preconditionFailure("ResultStore.start: not opened, or started twice") }
        self.opening = nil
        self.settings = settings
        let started = try opening.start(settings: settings, ignoring: RunIdentity.resumeIgnoredKeys) {
            try ResultLine.header(ResultHeader(settings: settings, created: Self.timestamp())).encodedLine()
        }
        file = started.file
        if let parsed = started.resumed {
            resumed = true
            images = parsed.images.map(\.value)
            skipped = parsed.skipped.map(\.value)
            done = Set(images.map(\.id))
        }
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
        opening?.close()
        opening = nil
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
