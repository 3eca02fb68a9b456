import Foundation
import KeypointsSupport

extension ModelStore {
    /// Downloads a model into the cache, resuming any earlier partial fetch, verifying every file,
    /// and moving the complete folder into place in one rename.
    ///
    /// - Parameters:
    ///   - name: A known name or alias ("ViT-L/14-336") or a Hugging Face repository id ("ORG/NAME").
    ///   - options: Endpoint, revision, retries, timeout, force.
    ///   - events: Progress (bytes, total, rate; several times a second) and notices. Called on a
    ///     background queue.
    /// - Returns: The installed folder and its manifest.
    public func fetch(
        _ name: String, options: FetchOptions = FetchOptions(),
        events: (@Sendable (FetchEvent) -> Void)? = nil
    ) async throws -> FetchResult {
        var spec = try spec(for: name)
        let revision = options.revision ?? spec.revision
        if revision != spec.revision {
            // Known sizes and digests belong to the registry's revision only.
            spec.files = spec.files.map { ModelFile($0.name, optional: $0.optional) }
            spec.revision = revision
        }
        // Reject a bad endpoint before touching the cache.
        _ = try Self.downloadURL(
            endpoint: options.endpoint, repository: spec.repository, revision: revision, file: "config.json")

        let final = folder(for: spec)
        let staging = stagingFolder(for: spec)
        let lock = try FetchLock(lockFile(for: spec))
        defer { lock.release(removingFile: true) }

        if !options.force, let m = installedManifest(for: spec), m.revision == revision {
            return FetchResult(folder: final, manifest: m, alreadyInstalled: true)
        }
        try prepareStaging(staging, tag: "\(spec.repository)@\(revision)")
        do {
            return try await download(
                spec, name: name, revision: revision, options: options, staging: staging,
                final: final, events: events)
        } catch {
            // A staging folder that holds no downloaded byte is not worth keeping (nor listing as partial).
            if Self.directorySize(staging) == 0 { try? FileManager.default.removeItem(at: staging) }
            throw error
        }
    }

    private func download(
        _ spec: ModelSpec, name: String, revision: String, options: FetchOptions, staging: URL, final: URL,
        events: (@Sendable (FetchEvent) -> Void)?
    ) async throws -> FetchResult {
        var entries: [ModelManifest.Entry] = []
        var absent: [String] = []
        var downloader = HTTPDownloader(timeout: options.timeout, userAgent: "keypoints-modelstore/1 (+URLSession)")
        if let freeSpace = options.freeSpace { downloader.freeSpace = freeSpace }
        // The files to fetch, in order; a repository without model.safetensors gets its shard index
        // and then the shards the index names inserted after it (`sharded`).
        var files = spec.files
        var sharded = ShardedFetch.no
        var position = 0
        /// Once the fallback's index is in the staging folder (downloaded, or reused from an
        /// earlier run), the shards it names are queued right after it.
        func queueShards(after file: ModelFile, at destination: URL, url: URL) throws {
            guard sharded == .indexPending, file.name == SafeTensorsIndex.fileName else { return }
            files.insert(contentsOf: try shardFiles(index: destination, url: url, events: events), at: position)
            sharded = .shardsListed
        }
        while position < files.count {
            let file = files[position]
            let index = position
            position += 1
            let url = try Self.downloadURL(
                endpoint: options.endpoint, repository: spec.repository, revision: revision,
                file: file.name)
            let destination = staging.appendingPathComponent(file.name)
            let part = staging.appendingPathComponent(file.name + Self.partSuffix)
            try createParent(of: destination)

            if FileManager.default.fileExists(atPath: destination.path) {
                // Completed (and verified, when a digest was known) by an earlier run.
                let size = HTTPDownloader.fileSize(destination) ?? 0
                let sha = try ModelStoreError.mapping { () throws(FileReadError) in
                    try SHA256Hasher.hashFile(at: destination)
                }
                if (file.size.map { $0 == size } ?? true) && (file.sha256.map { $0 == sha } ?? true) {
                    events?(.reused(file: file.name))
                    entries.append(
                        .init(
                            name: file.name, size: size, sha256: sha, url: url.absoluteString,
                            verified: file.sha256 != nil ? "registry" : "recorded"))
                    try queueShards(after: file, at: destination, url: url)
                    continue
                }
                try removeItem(destination)
            }

            var report: HTTPDownloader.ProgressHandler?
            if let events {
                let fileCount = files.count
                report = { @Sendable (done: Int64, total: Int64?, resumed: Int64, rate: Double) in
                    events(
                        .progress(
                            FetchProgress(
                                file: file.name, fileIndex: index + 1, fileCount: fileCount,
                                bytesDone: done, bytesTotal: file.size ?? total, bytesResumed: resumed,
                                bytesPerSecond: rate, finished: false)))
                }
            }
            var attempt = 0
            var outcome: DownloadOutcome?
            while outcome == nil {
                do {
                    outcome = try await downloader.download(
                        from: url, to: part, knownSize: file.size, cap: ModelFileLimits.cap(ofFile: file.name),
                        progress: report)
                } catch let error as ModelStoreError {
                    switch error {
                    case .notFound where sharded == .indexPending && file.name == SafeTensorsIndex.fileName:
                        // Neither model.safetensors nor an index: name the file the model needs.
                        throw ModelStoreError.notFound(
                            url: try Self.downloadURL(
                                endpoint: options.endpoint, repository: spec.repository, revision: revision,
                                file: SafeTensorsIndex.singleFileName
                            ).absoluteString)
                    case .notFound where file.optional:
                        try? FileManager.default.removeItem(at: part)
                        events?(.skippedOptional(file: file.name))
                    case .notFound
                    where file.name == SafeTensorsIndex.singleFileName && sharded == .no && file.sha256 == nil
                        && file.size == nil:
                        // Saved in shards (transformers' large checkpoints): the index, then its shards.
                        // It takes model.safetensors' place in the list (and its number in the progress).
                        // Not when the registry pins model.safetensors' digest or size: a shard's
                        // digest is not known in advance, so a mirror must not swap the pinned file
                        // for shards of its own.
                        try? FileManager.default.removeItem(at: part)
                        files[index] = ModelFile(SafeTensorsIndex.fileName)
                        position = index
                        sharded = .indexPending
                        events?(.sharded(index: SafeTensorsIndex.fileName))
                    case .interrupted, .timedOut, .network:
                        guard attempt < options.retries else { throw error }
                        attempt += 1
                        events?(
                            .retrying(file: file.name, attempt: attempt, of: options.retries, reason: error.rawMessage)
                        )
                        try await Task.sleep(nanoseconds: UInt64(options.retryDelay * Double(attempt) * 1e9))
                        continue
                    case .hostNotFound(let url, let host, _):
                        // Name this model's own files (a DINO ViT has no tokenizer files).
                        throw ModelStoreError.hostNotFound(
                            url: url, host: host, files: spec.files.filter { !$0.optional }.map(\.name))
                    default:
                        throw error
                    }
                }
                break
            }
            guard let outcome else {
                if file.optional { absent.append(file.name) }
                continue
            }
            let verified = try verify(file: file, outcome: outcome, part: part, url: url)
            events?(
                .progress(
                    FetchProgress(
                        file: file.name, fileIndex: index + 1, fileCount: files.count,
                        bytesDone: outcome.size, bytesTotal: outcome.size, bytesResumed: 0,
                        bytesPerSecond: 0, finished: true)))
            do { try FileManager.default.moveItem(at: part, to: destination) } catch {
                throw ModelStoreError.fileSystem(
                    path: destination.path,
                    message: "cannot rename \(part.lastPathComponent): \(error.localizedDescription)")
            }
            entries.append(
                .init(
                    name: file.name, size: outcome.size, sha256: outcome.sha256, url: url.absoluteString,
                    verified: verified))
            try queueShards(after: file, at: destination, url: url)
        }

        let manifest = ModelManifest(
            name: registry.spec(named: name) != nil ? spec.name : name, repository: spec.repository,
            revision: revision, endpoint: options.endpoint, fetchedAt: Date(),
            files: entries, absent: absent)
        try removeItem(staging.appendingPathComponent(Self.stagingInfoName))
        try manifest.write(to: staging)
        try install(staging: staging, final: final)
        return FetchResult(folder: final, manifest: manifest, alreadyInstalled: false)
    }

    /// Whether the fetch fell back to a sharded checkpoint (model.safetensors was a 404).
    private enum ShardedFetch {
        case no
        /// The index is queued next.
        case indexPending
        /// The index was read and its shards queued.
        case shardsListed
    }

    /// The shards a downloaded `model.safetensors.index.json` names, each a plain file name
    /// (`SafeTensorsIndex.parse`), as files to fetch. An invalid index is deleted (so a later
    /// fetch asks for it again) and nothing after it is downloaded.
    private func shardFiles(index: URL, url: URL, events: (@Sendable (FetchEvent) -> Void)?) throws -> [ModelFile] {
        do throws(SafeTensorsIndexError) {
            let shards = try SafeTensorsIndex.read(index, file: url.absoluteString).shards
            events?(.shards(shards))
            return shards.map { ModelFile($0) }
        } catch {
            try? FileManager.default.removeItem(at: index)
            throw ModelStoreError.invalidShardIndex(error)
        }
    }

    /// Checks size and digest; deletes the part file and throws on a mismatch.
    /// - Returns: What the digest was checked against ("registry", "server" or "recorded").
    private func verify(file: ModelFile, outcome: DownloadOutcome, part: URL, url: URL) throws -> String {
        let u = url.absoluteString
        if let expected = file.size ?? outcome.serverSize, expected != outcome.size {
            try? FileManager.default.removeItem(at: part)
            throw ModelStoreError.sizeMismatch(file: file.name, url: u, expected: expected, actual: outcome.size)
        }
        let expected: (digest: String, source: String)? =
            file.sha256.map { ($0.lowercased(), "registry") } ?? outcome.serverSHA256.map { ($0, "server") }
        guard let expected else { return "recorded" }
        guard expected.digest == outcome.sha256 else {
            try? FileManager.default.removeItem(at: part)
            throw ModelStoreError.checksumMismatch(
                file: file.name, url: u, expected: expected.digest, actual: outcome.sha256,
                source: expected.source == "registry"
                    ? "known digest of \(file.name); if the repository changed on purpose, fetch it by repository id instead"
                    : "the server's X-Linked-Etag")
        }
        return expected.source
    }

    /// Creates the staging folder, or keeps it when it belongs to the same repository and
    /// revision (so its files resume); a staging folder of another revision is wiped.
    private func prepareStaging(_ staging: URL, tag: String) throws {
        let info = staging.appendingPathComponent(Self.stagingInfoName)
        if FileManager.default.fileExists(atPath: staging.path) {
            let existing = try? String(contentsOf: info, encoding: .utf8)
            if existing == tag { return }
            try removeItem(staging)
        }
        do {
            try FileManager.default.createDirectory(at: staging, withIntermediateDirectories: true)
            try Data(tag.utf8).write(to: info)
        } catch {
            throw ModelStoreError.fileSystem(
                path: staging.path, message: "cannot create: \(error.localizedDescription)")
        }
    }

    /// Renames the complete staging folder into place (replacing an older install, if any).
    private func install(staging: URL, final: URL) throws {
        let fm = FileManager.default
        var aside: URL?
        if fm.fileExists(atPath: final.path) {
            let old = final.deletingLastPathComponent().appendingPathComponent(
                ".\(final.lastPathComponent).old-\(UUID().uuidString)")
            do { try fm.moveItem(at: final, to: old) } catch {
                throw ModelStoreError.fileSystem(
                    path: final.path, message: "cannot move the old install aside: \(error.localizedDescription)")
            }
            aside = old
        }
        do { try fm.moveItem(at: staging, to: final) } catch {
            if let aside { try? fm.moveItem(at: aside, to: final) }
            throw ModelStoreError.fileSystem(
                path: final.path,
                message: "cannot move \(staging.lastPathComponent) into place: \(error.localizedDescription)")
        }
        if let aside { try? fm.removeItem(at: aside) }
    }

    private func createParent(of url: URL) throws {
        let parent = url.deletingLastPathComponent()
        do { try FileManager.default.createDirectory(at: parent, withIntermediateDirectories: true) } catch {
            throw ModelStoreError.fileSystem(
                path: parent.path, message: "cannot create folder: \(error.localizedDescription)")
        }
    }

    private func removeItem(_ url: URL) throws {
        guard FileManager.default.fileExists(atPath: url.path) else { return }
        do { try FileManager.default.removeItem(at: url) } catch {
            throw ModelStoreError.fileSystem(path: url.path, message: "cannot remove: \(error.localizedDescription)")
        }
    }
}
