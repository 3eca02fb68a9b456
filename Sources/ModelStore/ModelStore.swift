import Foundation

/// The local cache of downloaded models: `HOME/models/ORG--NAME/`, where HOME is
/// `$KEYPOINTS_HOME`, else `$XDG_CACHE_HOME/keypoints`, else `~/.cache/keypoints`.
///
/// Layout of `HOME/models/`:
/// - `openai--clip-vit-large-patch14-336/`: an installed model (its files plus
///   `keypoints-manifest.json`, written last);
/// - `openai--clip-vit-large-patch14-336.partial/`: a fetch in progress or interrupted (files
///   being downloaded end in `.part`); renamed to the folder above only when every file is
///   complete and verified, so an interrupted fetch never leaves a folder that looks complete;
/// - `openai--clip-vit-large-patch14-336.lock`: held (flock) while a fetch or removal runs.
public struct ModelStore: Sendable {
    public let home: URL
    public let registry: ModelRegistry

    public static let defaultEndpoint = "https://huggingface.co"
    static let stagingSuffix = ".partial"
    static let lockSuffix = ".lock"
    static let partSuffix = ".part"
    /// Records which repository and revision a staging folder belongs to.
    static let stagingInfoName = ".keypoints-fetch"

    /// - Parameters:
    ///   - home: The keypoints home; models live in `home/models`.
    ///   - registry: The known models.
    public init(home: URL, registry: ModelRegistry = .builtin) {
        self.home = home
        self.registry = registry
    }

    /// The store at the default home for this environment.
    public init(environment: [String: String] = ProcessInfo.processInfo.environment, registry: ModelRegistry = .builtin)
    {
        self.init(home: Self.defaultHome(environment: environment), registry: registry)
    }

    public var modelsDirectory: URL { home.appendingPathComponent("models", isDirectory: true) }

    /// `$KEYPOINTS_HOME`, else `$XDG_CACHE_HOME/keypoints`, else `~/.cache/keypoints`.
    public static func defaultHome(environment: [String: String] = ProcessInfo.processInfo.environment) -> URL {
        if let h = environment["KEYPOINTS_HOME"], !h.isEmpty {
            return URL(fileURLWithPath: (h as NSString).expandingTildeInPath, isDirectory: true)
        }
        if let x = environment["XDG_CACHE_HOME"], !x.isEmpty {
            return URL(fileURLWithPath: x, isDirectory: true).appendingPathComponent("keypoints", isDirectory: true)
        }
        let userHome = environment["HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? NSHomeDirectory()
        return URL(fileURLWithPath: userHome, isDirectory: true).appendingPathComponent(
            ".cache/keypoints", isDirectory: true)
    }

    /// `$KEYPOINTS_HF_ENDPOINT`, else `$HF_ENDPOINT` (huggingface_hub's variable), else https://huggingface.co.
    public static func defaultEndpoint(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        for key in ["KEYPOINTS_HF_ENDPOINT", "HF_ENDPOINT"] {
            if let v = environment[key], !v.isEmpty { return v }
        }
        return defaultEndpoint
    }

    /// `{endpoint}/{repository}/resolve/{revision}/{file}`, the Hugging Face download layout. The
    /// revision is percent-encoded as one path segment ("refs/pr/1" -> "refs%2Fpr%2F1").
    public static func downloadURL(endpoint: String, repository: String, revision: String, file: String) throws -> URL {
        var base = endpoint
        while base.hasSuffix("/") { base.removeLast() }
        guard let e = URL(string: base), let scheme = e.scheme?.lowercased(), scheme == "http" || scheme == "https",
            e.host != nil
        else { throw ModelStoreError.invalidEndpoint(endpoint) }
        var segment = CharacterSet.urlPathAllowed
        segment.remove("/")
        let rev = revision.addingPercentEncoding(withAllowedCharacters: segment) ?? revision
        let path = file.split(separator: "/").map {
            String($0).addingPercentEncoding(withAllowedCharacters: segment) ?? String($0)
        }
        .joined(separator: "/")
        guard let url = URL(string: "\(base)/\(repository)/resolve/\(rev)/\(path)") else {
            throw ModelStoreError.invalidEndpoint(endpoint)
        }
        return url
    }

    // MARK: - Names and folders

    /// The spec for a known name, alias or repository id, or an ad-hoc spec for any other
    /// repository id. Throws `unknownModel` for anything else, and for a misspelled known name
    /// that has the ORG/NAME form ("ViT-B/33"), with the nearest known name, so that a typo is
    /// not looked up on the network.
    public func spec(for name: String) throws -> ModelSpec {
        if let s = registry.spec(named: name) { return s }
        if ModelRegistry.isRepositoryID(name) && !registry.isMisspelledShortName(name) {
            return ModelRegistry.adHoc(repository: name)
        }
        throw ModelStoreError.unknownModel(
            name: name, known: registry.models.map(\.name), suggestion: registry.nearestShortName(to: name))
    }

    /// Where `spec` is installed (whether or not it is).
    public func folder(for spec: ModelSpec) -> URL {
        modelsDirectory.appendingPathComponent(
            ModelRegistry.folderName(forRepository: spec.repository), isDirectory: true)
    }

    func stagingFolder(for spec: ModelSpec) -> URL {
        modelsDirectory.appendingPathComponent(
            ModelRegistry.folderName(forRepository: spec.repository) + Self.stagingSuffix,
            isDirectory: true)
    }

    func lockFile(for spec: ModelSpec) -> URL {
        modelsDirectory.appendingPathComponent(
            ModelRegistry.folderName(forRepository: spec.repository) + Self.lockSuffix)
    }

    /// The manifest of a complete install of `spec`: the folder has a readable manifest and every
    /// file it lists exists with the recorded size. Nil otherwise.
    public func installedManifest(for spec: ModelSpec) -> ModelManifest? {
        let dir = folder(for: spec)
        guard let m = try? ModelManifest.load(from: dir) else { return nil }
        for f in m.files where HTTPDownloader.fileSize(dir.appendingPathComponent(f.name)) != f.size { return nil }
        return m
    }

    // MARK: - Resolve

    /// The model directory for a `--model` value.
    ///
    /// - An existing directory (a path, `~` expanded) is used as is.
    /// - A known name ("ViT-L/14-336", case-insensitive), alias ("ViT-L-14-336") or Hugging Face
    ///   repository id ("ORG/NAME") that is installed gives its cache folder.
    /// - Otherwise the error says exactly which command downloads it
    ///   (`keypoints model fetch ViT-L/14-336`).
    public func resolve(_ nameOrPath: String) throws -> URL {
        let expanded = (nameOrPath as NSString).expandingTildeInPath
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: expanded, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else { throw ModelStoreError.notADirectory(path: expanded) }
            return URL(fileURLWithPath: expanded, isDirectory: true)
        }
        let looksLikePath =
            nameOrPath.hasPrefix("/") || nameOrPath.hasPrefix("./") || nameOrPath.hasPrefix("../")
            || nameOrPath.hasPrefix("~")
        if looksLikePath { throw ModelStoreError.fileSystem(path: expanded, message: "no such model directory") }
        let spec = try spec(for: nameOrPath)
        if installedManifest(for: spec) != nil { return folder(for: spec) }
        if registry.spec(named: nameOrPath) != nil {
            throw ModelStoreError.notInstalled(name: spec.name, cache: modelsDirectory.path)
        }
        throw ModelStoreError.repositoryNotInstalled(
            id: nameOrPath, cache: modelsDirectory.path, known: registry.models.map(\.name))
    }

    // MARK: - List

    /// A known or installed model as `keypoints model list` shows it.
    public struct Entry: Sendable, Codable, Equatable {
        public enum State: String, Sendable, Codable {
            case installed
            /// A fetch was interrupted; `keypoints model fetch` resumes it.
            case partial
            case notInstalled = "not-installed"
        }
        public var name: String
        public var repository: String
        public var summary: String
        public var known: Bool
        public var isDefault: Bool
        public var state: State
        public var path: String?
        public var revision: String?
        /// Bytes on disk of an install, or of the files downloaded so far for a partial fetch.
        public var sizeOnDisk: Int64?
        /// Total download size when the registry knows every file's size.
        public var downloadSize: Int64?

        enum CodingKeys: String, CodingKey {
            case name, repository, summary, known, state, path, revision
            case isDefault = "default"
            case sizeOnDisk = "size_on_disk"
            case downloadSize = "download_size"
        }
    }

    /// Every known model, then every other installed or partial model in the cache.
    public func list() -> [Entry] {
        var entries = registry.models.map { entry(for: $0, known: true) }
        let knownFolders = Set(registry.models.map { ModelRegistry.folderName(forRepository: $0.repository) })
        let names = (try? FileManager.default.contentsOfDirectory(atPath: modelsDirectory.path)) ?? []
        var extraFolders = Set<String>()
        for n in names {
            var base = n
            if base.hasSuffix(Self.stagingSuffix) {
                base.removeLast(Self.stagingSuffix.count)
            } else if base.hasSuffix(Self.lockSuffix) {
                continue
            }
            if !knownFolders.contains(base) && !base.hasPrefix(".") { extraFolders.insert(base) }
        }
        for f in extraFolders.sorted() {
            let repository: String
            if let m = try? ModelManifest.load(from: modelsDirectory.appendingPathComponent(f)) {
                repository = m.repository
            } else if let info = try? String(
                contentsOf: modelsDirectory.appendingPathComponent(f + Self.stagingSuffix)
                    .appendingPathComponent(Self.stagingInfoName), encoding: .utf8),
                let repo = info.split(separator: "@").first
            {
                repository = String(repo)
            } else {
                continue  // not ours
            }
            guard ModelRegistry.isRepositoryID(repository) else { continue }
            entries.append(entry(for: ModelRegistry.adHoc(repository: repository), known: false))
        }
        return entries
    }

    private func entry(for spec: ModelSpec, known: Bool) -> Entry {
        var e = Entry(
            name: known ? spec.name : spec.repository, repository: spec.repository, summary: spec.summary,
            known: known, isDefault: known && spec.name == ModelRegistry.defaultModelName,
            state: .notInstalled, path: nil, revision: nil, sizeOnDisk: nil, downloadSize: spec.knownDownloadSize)
        if let m = installedManifest(for: spec) {
            e.state = .installed
            e.path = folder(for: spec).path
            e.revision = m.revision
            e.sizeOnDisk = m.totalSize
        } else if FileManager.default.fileExists(atPath: stagingFolder(for: spec).path) {
            e.state = .partial
            e.path = stagingFolder(for: spec).path
            e.sizeOnDisk = Self.directorySize(stagingFolder(for: spec))
        }
        return e
    }

    static func directorySize(_ url: URL) -> Int64 {
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: url.path)) ?? []).filter {
            !$0.hasPrefix(".")
        }
        return names.reduce(Int64(0)) { $0 + (HTTPDownloader.fileSize(url.appendingPathComponent($1)) ?? 0) }
    }

    // MARK: - Remove

    /// Deletes an installed model and any partial fetch of it.
    /// - Returns: The folders deleted.
    @discardableResult
    public func remove(_ name: String) throws -> [URL] {
        let spec = try spec(for: name)
        let targets = [folder(for: spec), stagingFolder(for: spec)].filter {
            FileManager.default.fileExists(atPath: $0.path)
        }
        guard !targets.isEmpty else {
            throw ModelStoreError.nothingToRemove(
                name: registry.spec(named: name) != nil ? spec.name : name, cache: modelsDirectory.path)
        }
        let lock = try FetchLock(lockFile(for: spec))
        defer { lock.release(removingFile: true) }
        for t in targets {
            do { try FileManager.default.removeItem(at: t) } catch {
                throw ModelStoreError.fileSystem(path: t.path, message: "cannot remove: \(error.localizedDescription)")
            }
        }
        return targets
    }
}
