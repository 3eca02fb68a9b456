import Foundation

/// Settings of one fetch.
public struct FetchOptions: Sendable {
    /// Base URL of the hub or a mirror.
    public var endpoint: String
    /// Branch, tag or commit; nil means the spec's revision ("main"). Known sizes and digests are
    /// used only for the spec's own revision.
    public var revision: String?
    /// Automatic resumes after an interrupted or stalled transfer, per file.
    public var retries: Int
    /// Seconds to wait before each automatic resume (times the attempt number).
    public var retryDelay: TimeInterval
    /// Seconds without any data before a transfer fails (URLSession's inactivity timeout).
    public var timeout: TimeInterval
    /// Download again even when the model is installed.
    public var force: Bool
    /// Replaces the free-space query of the cache's file system (tests simulate a full disk).
    var freeSpace: (@Sendable (URL) -> Int64?)?

    public init(
        endpoint: String = ModelStore.defaultEndpoint, revision: String? = nil, retries: Int = 3,
        retryDelay: TimeInterval = 2, timeout: TimeInterval = 60, force: Bool = false
    ) {
        self.endpoint = endpoint
        self.revision = revision
        self.retries = retries
        self.retryDelay = retryDelay
        self.timeout = timeout
        self.force = force
    }
}

/// Something worth telling the user during a fetch.
public enum FetchEvent: Sendable {
    case progress(FetchProgress)
    /// A transfer failed and is resumed automatically.
    case retrying(file: String, attempt: Int, of: Int, reason: String)
    /// An optional file the repository does not have.
    case skippedOptional(file: String)
    /// A file already completed by an earlier, interrupted fetch.
    case reused(file: String)
    /// The repository has no model.safetensors: its `model.safetensors.index.json` is fetched
    /// instead, then the shards it names.
    case sharded(index: String)
    /// The index named these shards (validated), which are fetched next.
    case shards([String])
}

public struct FetchResult: Sendable {
    public var folder: URL
    public var manifest: ModelManifest
    /// True when the model was installed already and nothing was downloaded.
    public var alreadyInstalled: Bool
}
