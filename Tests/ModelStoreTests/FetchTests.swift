import Foundation
import KeypointsSupport
import KeypointsTestSupport
import Testing

@testable import ModelStore

/// Fetches from a real HTTP server on 127.0.0.1 started inside each test, serving the tiny CLIP
/// fixture in the hub's URL layout. Expected digests come from coreutils `sha256sum`.
@Suite struct FetchTests {
    /// Files, server, store and temporary home of one test.
    struct Fixture {
        let files: [String: Data]
        let server: LoopbackHTTPServer
        let home: URL
        let store: ModelStore

        init(
            files: [String: Data]? = nil, faults: LoopbackHTTPServer.Faults = .init(),
            registry: ModelRegistry = TestSupport.registry()
        ) throws {
            self.files = try files ?? TestSupport.tinyModelFiles()
            server = try LoopbackHTTPServer(files: TestSupport.served(self.files), faults: faults)
            home = try TestSupport.temporaryHome()
            store = ModelStore(home: home, registry: registry)
        }

        func finish() {
            server.stop()
            try? FileManager.default.removeItem(at: home)
        }

        var final: URL { store.modelsDirectory.appendingPathComponent("org--tiny") }
        var staging: URL { store.modelsDirectory.appendingPathComponent("org--tiny.partial") }

        /// The installed files equal the served ones, byte for byte.
        func expectInstalledFilesIdentical() throws {
            for (name, data) in files {
                #expect(try Data(contentsOf: final.appendingPathComponent(name)) == data, "\(name)")
            }
        }

        /// No folder that looks like an install: no final folder and no manifest anywhere.
        func expectNothingInstalled() {
            #expect(!FileManager.default.fileExists(atPath: final.path))
            #expect(!TestSupport.tree(store.modelsDirectory).contains { $0.hasSuffix(ModelManifest.fileName) })
            #expect(throws: ModelStoreError.self) { try store.resolve("tiny") }
        }
    }

    static let safetensors = TestSupport.path("model.safetensors")

    @Test func cleanFetchInstallsIdenticalFilesAndAManifest() async throws {
        let f = try Fixture()
        defer { f.finish() }
        let log = EventLog()
        let result = try await f.store.fetch("tiny", options: TestSupport.options(f.server)) { log.record($0) }

        #expect(result.folder == f.final)
        #expect(!result.alreadyInstalled)
        try f.expectInstalledFilesIdentical()
        #expect(!FileManager.default.fileExists(atPath: f.staging.path))
        #expect(
            !FileManager.default.fileExists(
                atPath: f.store.modelsDirectory.appendingPathComponent("org--tiny.lock").path))

        let manifest = try ModelManifest.load(from: f.final)
        #expect(manifest == result.manifest)
        #expect(manifest.repository == "org/tiny" && manifest.revision == "main" && manifest.name == "tiny")
        #expect(manifest.absent == ["preprocessor_config.json"])  // optional, 404 on the server
        #expect(manifest.files.map(\.name) == TestSupport.tinyFileNames)
        for entry in manifest.files {
            let data = try #require(f.files[entry.name])
            #expect(entry.size == Int64(data.count))
            #expect(entry.sha256 == (try ExternalSHA256.hex(data)), "\(entry.name)")
            #expect(entry.url == f.server.baseURL + TestSupport.path(entry.name))
            #expect(entry.verified == "recorded")
        }
        // The folder the other commands get.
        #expect(try f.store.resolve("tiny") == f.final)
        #expect(try f.store.resolve("org/tiny") == f.final)
        let listed = try #require(f.store.list().first)
        #expect(listed.state == .installed && listed.sizeOnDisk == manifest.totalSize && listed.path == f.final.path)

        // Progress: per file, bytes never go down, the last report of each file is complete.
        let progress = log.progress
        for name in TestSupport.tinyFileNames {
            let mine = progress.filter { $0.file == name }
            #expect(zip(mine, mine.dropFirst()).allSatisfy { $0.bytesDone <= $1.bytesDone }, "\(name)")
            let last = try #require(mine.last)
            #expect(last.finished && last.bytesDone == Int64(f.files[name]?.count ?? -1))
        }
        // No Range header on a fresh fetch, and no transparent compression asked for.
        #expect(f.server.requests.allSatisfy { $0.headers["range"] == nil })
        #expect(f.server.requests(for: Self.safetensors).first?.headers["accept-encoding"] == "identity")

        // A second fetch finds it installed and sends nothing.
        let before = f.server.requests.count
        let again = try await f.store.fetch("tiny", options: TestSupport.options(f.server))
        #expect(again.alreadyInstalled && f.server.requests.count == before)
    }

    static let shardIndex = TestSupport.path("model.safetensors.index.json")

    /// A repository saved in shards: no model.safetensors, the index, three shards.
    @Test func shardedRepositoryFetchesTheIndexThenItsShards() async throws {
        let f = try Fixture(files: TestSupport.shardedModelFiles())
        defer { f.finish() }
        let log = EventLog()
        let result = try await f.store.fetch("org/tiny", options: TestSupport.options(f.server)) { log.record($0) }
        try f.expectInstalledFilesIdentical()
        #expect(!FileManager.default.fileExists(atPath: f.final.appendingPathComponent("model.safetensors").path))
        let weights = ["model.safetensors.index.json"] + TestSupport.shardNames
        #expect(result.manifest.files.map(\.name) == ["config.json"] + weights + ["vocab.json", "merges.txt"])
        #expect(result.manifest.absent == ["preprocessor_config.json"])
        for entry in result.manifest.files {
            #expect(entry.sha256 == (try ExternalSHA256.hex(f.files[entry.name] ?? Data())), "\(entry.name)")
        }
        // model.safetensors asked for once (404), then the index, then each shard once.
        #expect(f.server.requests(for: Self.safetensors).count == 1)
        #expect(f.server.requests(for: Self.shardIndex).count == 1)
        for name in TestSupport.shardNames {
            #expect(f.server.requests(for: TestSupport.path(name)).count == 1, "\(name)")
            let last = try #require(log.progress.last { $0.file == name })
            #expect(last.finished && last.bytesDone == Int64(f.files[name]?.count ?? -1))
            #expect(last.fileCount == 8)  // config, index, 3 shards, vocab, merges, preprocessor
        }
        #expect(log.progress.last { $0.file == "model.safetensors.index.json" }?.fileIndex == 2)
        #expect(log.all.contains { if case .sharded = $0 { true } else { false } })
        #expect(log.all.contains { if case .shards(let names) = $0 { names == TestSupport.shardNames } else { false } })
        // Installed, resolvable, and identified as the same files elsewhere (manifest digests).
        #expect(try f.store.resolve("org/tiny") == f.final)
        #expect(
            try ModelDigest.digest(ofModelAt: f.final)
                == ModelDigest.digest(ofModelAt: TestSupport.modelFolder(f.files)))
        let again = try await f.store.fetch("org/tiny", options: TestSupport.options(f.server))
        #expect(again.alreadyInstalled)
    }

    /// An index naming shards outside the folder (or not a valid index) is refused before any
    /// shard is asked for, and is not kept.
    @Test func hostileShardIndexDownloadsNoShard() async throws {
        let hostile = [
            #"{"weight_map": {"a": "../evil.safetensors"}}"#,
            #"{"weight_map": {"a": "model-00001-of-00003.safetensors", "b": "../../../../tmp/evil.safetensors"}}"#,
            #"{"weight_map": {"a": "/etc/evil.safetensors"}}"#,
            #"{"weight_map": {"a": "sub/evil.safetensors"}}"#,
            #"{"weight_map": {"a": "evil.bin"}}"#,
            #"{"weight_map": {"a": ".evil.safetensors"}}"#,
            #"{"weight_map": {"a": "model-00001-of-00003.safetensors", "evil": "model.safetensors"}}"#,
            #"{"weight_map": "#,
        ]
        for text in hostile {
            var files = try TestSupport.shardedModelFiles()
            files["model.safetensors.index.json"] = Data(text.utf8)
            let f = try Fixture(files: files)
            defer { f.finish() }
            let error = await #expect(throws: ModelStoreError.self) {
                try await f.store.fetch("org/tiny", options: TestSupport.options(f.server))
            }
            guard case .invalidShardIndex = error else {
                Issue.record("\(text): expected .invalidShardIndex, got \(String(describing: error))")
                continue
            }
            let message = error?.description ?? ""
            #expect(message.contains(f.server.baseURL + Self.shardIndex), "\(message)")
            #expect(message.contains("no shard was downloaded"), "\(message)")
            #expect(
                !f.server.requests.contains { $0.path.contains("evil") || $0.path.contains("-of-") },
                "\(text): \(f.server.requests.map(\.path))")
            f.expectNothingInstalled()
            #expect(!TestSupport.tree(f.store.modelsDirectory).contains { $0.contains("evil") })
            #expect(!TestSupport.tree(f.staging).contains("model.safetensors.index.json"))
        }
    }

    /// A shard cut short resumes with a Range request; the index and the finished shard are reused.
    @Test func interruptedShardResumes() async throws {
        let cut = 1000
        let second = TestSupport.path(TestSupport.shardNames[1])
        let f = try Fixture(files: TestSupport.shardedModelFiles(), faults: .init(closeAfterFirst: [second: cut]))
        defer { f.finish() }
        let error = await #expect(throws: ModelStoreError.self) {
            try await f.store.fetch("org/tiny", options: TestSupport.options(f.server))
        }
        guard case .interrupted(let url, let received, _, _) = error else {
            Issue.record("expected .interrupted, got \(String(describing: error))")
            return
        }
        #expect(url == f.server.baseURL + second && received == Int64(cut))
        f.expectNothingInstalled()
        #expect(TestSupport.tree(f.staging).contains(TestSupport.shardNames[0]))
        let log = EventLog()
        _ = try await f.store.fetch("org/tiny", options: TestSupport.options(f.server)) { log.record($0) }
        try f.expectInstalledFilesIdentical()
        #expect(f.server.requests(for: second).last?.headers["range"] == "bytes=\(cut)-")
        #expect(f.server.requests(for: Self.shardIndex).count == 1)
        #expect(f.server.requests(for: TestSupport.path(TestSupport.shardNames[0])).count == 1)
        #expect(
            log.all.contains {
                if case .reused(let file) = $0 { file == "model.safetensors.index.json" } else { false }
            })
    }

    /// The hub's LFS digest is checked for a shard as for any file; neither model.safetensors nor
    /// an index is a 404 naming model.safetensors.
    @Test func shardDigestIsCheckedAndAMissingIndexNamesTheWeights() async throws {
        let third = TestSupport.path(TestSupport.shardNames[2])
        let f = try Fixture(
            files: TestSupport.shardedModelFiles(),
            faults: .init(lfsRedirect: [third: String(repeating: "0", count: 64)]))
        defer { f.finish() }
        let error = await #expect(throws: ModelStoreError.self) {
            try await f.store.fetch("org/tiny", options: TestSupport.options(f.server))
        }
        guard case .checksumMismatch(let file, _, _, _, _) = error else {
            Issue.record("expected .checksumMismatch, got \(String(describing: error))")
            return
        }
        #expect(file == TestSupport.shardNames[2])
        f.expectNothingInstalled()

        let plain = try Fixture(faults: .init(notFound: [Self.safetensors]))
        defer { plain.finish() }
        let missing = await #expect(throws: ModelStoreError.self) {
            try await plain.store.fetch("org/tiny", options: TestSupport.options(plain.server))
        }
        #expect(missing == .notFound(url: plain.server.baseURL + Self.safetensors))
        #expect(plain.server.requests(for: Self.shardIndex).count == 1)
    }

    /// A known model whose model.safetensors the registry pins (digest or size) is not swapped for
    /// shards a server offers instead: the 404 names model.safetensors and no index is asked for.
    @Test func pinnedWeightsAreNotReplacedByShards() async throws {
        let pins: [ModelRegistry] = [
            TestSupport.registry(sha256: ["model.safetensors": String(repeating: "a", count: 64)]),
            TestSupport.registry(sizes: ["model.safetensors": 123]),
        ]
        for registry in pins {
            let f = try Fixture(files: TestSupport.shardedModelFiles(), registry: registry)
            defer { f.finish() }
            let error = await #expect(throws: ModelStoreError.self) {
                try await f.store.fetch("tiny", options: TestSupport.options(f.server))
            }
            #expect(error == .notFound(url: f.server.baseURL + Self.safetensors))
            #expect(f.server.requests(for: Self.shardIndex).isEmpty)
            #expect(!f.server.requests.contains { $0.path.contains("-of-") })
            f.expectNothingInstalled()
        }
    }

    @Test func interruptedFetchResumesWithARangeRequest() async throws {
        let cut = 100_000
        let f = try Fixture(faults: .init(closeAfterFirst: [Self.safetensors: cut]))
        defer { f.finish() }

        let error = await #expect(throws: ModelStoreError.self) {
            try await f.store.fetch("tiny", options: TestSupport.options(f.server))
        }
        guard case .interrupted(let url, let received, let expected, _) = error else {
            Issue.record("expected .interrupted, got \(String(describing: error))")
            return
        }
        #expect(url == f.server.baseURL + Self.safetensors)
        #expect(received == Int64(cut))
        #expect(expected == Int64(f.files["model.safetensors"]?.count ?? -1))
        #expect(error?.description.contains("run the same fetch again to resume") == true)
        f.expectNothingInstalled()
        // The bytes received so far wait in the staging folder.
        let part = f.staging.appendingPathComponent("model.safetensors.part")
        #expect(HTTPDownloader.fileSize(part) == Int64(cut))
        #expect(f.store.list().first?.state == .partial)

        let result = try await f.store.fetch("tiny", options: TestSupport.options(f.server))
        let requests = f.server.requests(for: Self.safetensors)
        #expect(requests.count == 2)
        #expect(requests.first?.headers["range"] == nil)
        #expect(requests.last?.headers["range"] == "bytes=\(cut)-")
        // config.json was complete before the interruption: reused, not downloaded again.
        #expect(f.server.requests(for: TestSupport.path("config.json")).count == 1)
        try f.expectInstalledFilesIdentical()
        let entry = try #require(result.manifest.files.first { $0.name == "model.safetensors" })
        #expect(entry.sha256 == (try ExternalSHA256.hex(f.files["model.safetensors"] ?? Data())))
        #expect(!FileManager.default.fileExists(atPath: f.staging.path))
    }

    /// A disk too small for a file: refused before its first byte, naming the file, the folder and
    /// both sizes; the next fetch (with room) completes.
    @Test func fileLargerThanTheFreeSpaceIsRefusedBeforeWriting() async throws {
        let f = try Fixture()
        defer { f.finish() }
        var options = TestSupport.options(f.server)
        options.freeSpace = { url in url.lastPathComponent.hasPrefix("model.safetensors") ? 50_000 : 1 << 40 }
        let error = await #expect(throws: ModelStoreError.self) {
            try await f.store.fetch("tiny", options: options)
        }
        let size = Int64(f.files["model.safetensors"]?.count ?? -1)
        #expect(
            error
                == .insufficientSpace(
                    file: "model.safetensors", path: f.staging.path, needed: size,
                    available: 50_000))
        #expect(error?.description.contains("not enough disk space for model.safetensors") == true)
        #expect(f.server.requests(for: Self.safetensors).count == 1)  // not retried
        let part = f.staging.appendingPathComponent("model.safetensors.part")
        #expect((HTTPDownloader.fileSize(part) ?? 0) == 0)
        f.expectNothingInstalled()

        _ = try await f.store.fetch("tiny", options: TestSupport.options(f.server))
        try f.expectInstalledFilesIdentical()
    }

    @Test func smallFileOverItsCapIsStoppedAndRemoved() async throws {
        let config = TestSupport.path("config.json")
        // 1 MiB + 1 of JSON: valid, but more than keypoints reads of a config.json.
        let oversized = Data(("{\"pad\": \"" + String(repeating: " ", count: ModelFileLimits.configBytes) + "\"}").utf8)
        for withLength in [true, false] {
            var files = try TestSupport.tinyModelFiles()
            files["config.json"] = oversized
            let f = try Fixture(files: files, faults: .init(noContentLength: withLength ? [] : [config]))
            defer { f.finish() }
            let error = await #expect(throws: ModelStoreError.self) {
                try await f.store.fetch("tiny", options: TestSupport.options(f.server, retries: 2))
            }
            guard case .fileTooLarge(let file, let url, let bytes, let announced, let limit, let limitName) = error
            else {
                Issue.record("with length \(withLength): expected .fileTooLarge, got \(String(describing: error))")
                continue
            }
            #expect(file == "config.json" && url == f.server.baseURL + config)
            #expect(limit == ModelFileLimits.configBytes && limitName == "ModelFileLimits.configBytes")
            // Announced: refused on the size before the first byte; unannounced: at the cap.
            #expect(announced == withLength)
            #expect(bytes == (withLength ? Int64(oversized.count) : Int64(ModelFileLimits.configBytes)))
            #expect(error?.description.contains("more than keypoints reads") == true, "\(error?.description ?? "")")
            #expect(f.server.requests(for: config).count == 1)  // not retried
            #expect(f.server.requests(for: Self.safetensors).isEmpty)  // stopped before the weights
            #expect(!TestSupport.tree(f.staging).contains { $0.hasPrefix("config.json") }, "no part file kept")
            f.expectNothingInstalled()
        }
    }

    @Test func shardIndexOverItsCapIsStopped() async throws {
        var files = try TestSupport.shardedModelFiles()
        files["model.safetensors.index.json"] = Data(repeating: 0x20, count: SafeTensorsIndexLimits.fileBytes + 1)
        let f = try Fixture(files: files, faults: .init(noContentLength: [Self.shardIndex]))
        defer { f.finish() }
        let error = await #expect(throws: ModelStoreError.self) {
            try await f.store.fetch("org/tiny", options: TestSupport.options(f.server))
        }
        guard case .fileTooLarge(let file, _, _, false, SafeTensorsIndexLimits.fileBytes, _) = error else {
            Issue.record("expected .fileTooLarge of the index, got \(String(describing: error))")
            return
        }
        #expect(file == "model.safetensors.index.json")
        #expect(!f.server.requests.contains { $0.path.contains("-of-") })
        f.expectNothingInstalled()
    }

    @Test func automaticRetryResumesWithinOneFetch() async throws {
        let f = try Fixture(faults: .init(closeAfterFirst: [Self.safetensors: 300_000]))
        defer { f.finish() }
        let log = EventLog()
        _ = try await f.store.fetch("tiny", options: TestSupport.options(f.server, retries: 2)) { log.record($0) }
        #expect(f.server.requests(for: Self.safetensors).last?.headers["range"] == "bytes=300000-")
        #expect(
            log.all.contains {
                if case .retrying(file: "model.safetensors", attempt: 1, of: 2, _) = $0 { true } else { false }
            })
        // The resumed request's progress says where it resumed.
        #expect(log.progress.contains { $0.file == "model.safetensors" && $0.bytesResumed == 300_000 })
        try f.expectInstalledFilesIdentical()
    }

    @Test func corruptedFileWithAKnownDigestInstallsNothing() async throws {
        let files = try TestSupport.tinyModelFiles()
        let digest = try ExternalSHA256.hex(try #require(files["model.safetensors"]))
        let f = try Fixture(
            faults: .init(corruptByteAt: [Self.safetensors: 4096]),
            registry: TestSupport.registry(sha256: ["model.safetensors": digest]))
        defer { f.finish() }

        let error = await #expect(throws: ModelStoreError.self) {
            try await f.store.fetch("tiny", options: TestSupport.options(f.server))
        }
        guard case .checksumMismatch(let file, _, let expected, let actual, _) = error else {
            Issue.record("expected .checksumMismatch, got \(String(describing: error))")
            return
        }
        #expect(file == "model.safetensors" && expected == digest && actual != digest)
        #expect(error?.description.contains("nothing was installed") == true)
        f.expectNothingInstalled()
        // The bad bytes are gone: neither the part file nor a completed copy remains.
        let left = TestSupport.tree(f.staging)
        #expect(!left.contains { $0.hasPrefix("model.safetensors") }, "\(left)")
    }

    @Test func hubLFSDigestIsCheckedWhenTheRegistryHasNone() async throws {
        let files = try TestSupport.tinyModelFiles()
        let digest = try ExternalSHA256.hex(try #require(files["model.safetensors"]))
        // Clean: verified against the server's X-Linked-Etag, through the redirect.
        let ok = try Fixture(faults: .init(lfsRedirect: [Self.safetensors: digest]))
        defer { ok.finish() }
        let result = try await ok.store.fetch("tiny", options: TestSupport.options(ok.server))
        #expect(result.manifest.files.first { $0.name == "model.safetensors" }?.verified == "server")
        #expect(ok.server.requests(for: "/cdn" + Self.safetensors).count == 1)
        try ok.expectInstalledFilesIdentical()

        // Corrupted on the CDN: the hub's digest catches it.
        let bad = try Fixture(
            faults: .init(corruptByteAt: ["/cdn" + Self.safetensors: 10], lfsRedirect: [Self.safetensors: digest]))
        defer { bad.finish() }
        let error = await #expect(throws: ModelStoreError.self) {
            try await bad.store.fetch("tiny", options: TestSupport.options(bad.server))
        }
        guard case .checksumMismatch(_, _, let expected, _, let source) = error else {
            Issue.record("expected .checksumMismatch, got \(String(describing: error))")
            return
        }
        #expect(expected == digest && source.contains("X-Linked-Etag"))
        bad.expectNothingInstalled()
    }

    /// A server announcing Int64.max bytes (the hub's X-Linked-Size, body without a length) is
    /// refused for want of space; `needed + spaceMargin` used to overflow and trap.
    @Test func anImpossibleAnnouncedSizeIsRefusedNotOverflowed() async throws {
        let files = try TestSupport.tinyModelFiles()
        let digest = try ExternalSHA256.hex(try #require(files["model.safetensors"]))
        let f = try Fixture(
            faults: .init(
                lfsRedirect: [Self.safetensors: digest], linkedSize: [Self.safetensors: String(Int64.max)],
                noContentLength: ["/cdn" + Self.safetensors]))
        defer { f.finish() }
        let error = await #expect(throws: ModelStoreError.self) {
            try await f.store.fetch("tiny", options: TestSupport.options(f.server))
        }
        guard case .insufficientSpace(let file, _, let needed, _) = error else {
            Issue.record("expected .insufficientSpace, got \(String(describing: error))")
            return
        }
        #expect(file == "model.safetensors" && needed == .max)
        f.expectNothingInstalled()
    }

    @Test func resumeFollowsTheRedirectWithItsRange() async throws {
        let files = try TestSupport.tinyModelFiles()
        let digest = try ExternalSHA256.hex(try #require(files["model.safetensors"]))
        let cdn = "/cdn" + Self.safetensors
        let f = try Fixture(faults: .init(closeAfterFirst: [cdn: 50_000], lfsRedirect: [Self.safetensors: digest]))
        defer { f.finish() }
        _ = try await f.store.fetch("tiny", options: TestSupport.options(f.server, retries: 1))
        #expect(f.server.requests(for: Self.safetensors).last?.headers["range"] == "bytes=50000-")
        #expect(f.server.requests(for: cdn).last?.headers["range"] == "bytes=50000-")
        try f.expectInstalledFilesIdentical()
    }

    @Test func missingRequiredFileIsA404NamingTheURL() async throws {
        let f = try Fixture(faults: .init(notFound: [TestSupport.path("vocab.json")]))
        defer { f.finish() }
        let error = await #expect(throws: ModelStoreError.self) {
            try await f.store.fetch("tiny", options: TestSupport.options(f.server, retries: 3))
        }
        let url = f.server.baseURL + TestSupport.path("vocab.json")
        #expect(error == .notFound(url: url))
        #expect(error?.description.contains(url) == true)
        #expect(f.server.requests(for: TestSupport.path("vocab.json")).count == 1)  // a 404 is not retried
        f.expectNothingInstalled()
        // The files before it were downloaded and stay for a later fetch.
        #expect(TestSupport.tree(f.staging).contains("model.safetensors"))
    }

    @Test func unknownRepositoryIsA404() async throws {
        let f = try Fixture()
        defer { f.finish() }
        let error = await #expect(throws: ModelStoreError.self) {
            try await f.store.fetch("nobody/nothing", options: TestSupport.options(f.server))
        }
        #expect(error == .notFound(url: f.server.baseURL + "/nobody/nothing/resolve/main/config.json"))
        // Nothing was downloaded, so nothing is left behind (no "partial" entry in the list).
        #expect(TestSupport.tree(f.store.modelsDirectory).isEmpty)
    }

    @Test func serverThatIgnoresRangeRestartsFromZero() async throws {
        let f = try Fixture(
            faults: .init(closeAfterFirst: [Self.safetensors: 200_000], ignoreRange: [Self.safetensors]))
        defer { f.finish() }
        _ = try await f.store.fetch("tiny", options: TestSupport.options(f.server, retries: 1))
        #expect(f.server.requests(for: Self.safetensors).last?.headers["range"] == "bytes=200000-")
        try f.expectInstalledFilesIdentical()
    }

    /// A part file that is already whole (the process died before renaming it): the server
    /// answers 416 with the total, and the file is verified and used.
    @Test func rangeNotSatisfiableOnACompletePartFile() async throws {
        let f = try Fixture()
        defer { f.finish() }
        try FileManager.default.createDirectory(at: f.staging, withIntermediateDirectories: true)
        try Data("org/tiny@main".utf8).write(to: f.staging.appendingPathComponent(ModelStore.stagingInfoName))
        let whole = try #require(f.files["model.safetensors"])
        try whole.write(to: f.staging.appendingPathComponent("model.safetensors.part"))
        _ = try await f.store.fetch("tiny", options: TestSupport.options(f.server))
        #expect(f.server.requests(for: Self.safetensors).map { $0.headers["range"] } == ["bytes=\(whole.count)-"])
        try f.expectInstalledFilesIdentical()
    }

    /// A part file longer than the server's file: 416 without a match, so it restarts from zero.
    @Test func rangeNotSatisfiableOnAnOverlongPartFileRestarts() async throws {
        let f = try Fixture()
        defer { f.finish() }
        try FileManager.default.createDirectory(at: f.staging, withIntermediateDirectories: true)
        try Data("org/tiny@main".utf8).write(to: f.staging.appendingPathComponent(ModelStore.stagingInfoName))
        let whole = try #require(f.files["config.json"])
        try (whole + Data(repeating: 0, count: 10)).write(to: f.staging.appendingPathComponent("config.json.part"))
        _ = try await f.store.fetch("tiny", options: TestSupport.options(f.server))
        #expect(
            f.server.requests(for: TestSupport.path("config.json")).map { $0.headers["range"] } == [
                "bytes=\(whole.count + 10)-", nil,
            ])
        try f.expectInstalledFilesIdentical()
    }

    @Test func stalledTransferTimesOutAndResumes() async throws {
        let f = try Fixture(faults: .init(stallAfterFirst: [Self.safetensors: 20_000]))
        defer { f.finish() }
        // The server stalls until the client hangs up (30 s at most, then closes): .timedOut
        // shows the 1 s inactivity timeout fired, however late a loaded machine lets it fire (no
        // wall-clock assertion: timings belong in benchmarks). Without a timeout the fetch would
        // fail after 30 s with the connection closed, not .timedOut. The stall once ended after
        // 4 s, so a timeout held up past that failed the test just the same.
        let error = await #expect(throws: ModelStoreError.self) {
            try await f.store.fetch("tiny", options: TestSupport.options(f.server, timeout: 1))
        }
        guard case .timedOut = error else {
            Issue.record("expected .timedOut, got \(String(describing: error))")
            return
        }
        _ = try await f.store.fetch("tiny", options: TestSupport.options(f.server, timeout: 10))
        #expect(f.server.requests(for: Self.safetensors).last?.headers["range"] == "bytes=20000-")
        try f.expectInstalledFilesIdentical()
    }

    /// Two fetches of one model at once: the second one is refused, not interleaved.
    @Test func aSecondConcurrentFetchIsRefused() async throws {
        let f = try Fixture()
        defer { f.finish() }
        let held = try FetchLock(f.store.modelsDirectory.appendingPathComponent("org--tiny.lock"))
        let error = await #expect(throws: ModelStoreError.self) {
            try await f.store.fetch("tiny", options: TestSupport.options(f.server))
        }
        #expect(error == .busy(path: f.store.modelsDirectory.appendingPathComponent("org--tiny").path))
        #expect(throws: ModelStoreError.self) { try f.store.remove("tiny") }  // nothing there, and busy anyway
        #expect(f.server.requests.isEmpty)
        held.release()
        _ = try await f.store.fetch("tiny", options: TestSupport.options(f.server))
        try f.expectInstalledFilesIdentical()
    }

    @Test func wrongSizeFromTheRegistryIsAnError() async throws {
        let f = try Fixture(registry: TestSupport.registry(sizes: ["vocab.json": 5]))
        defer { f.finish() }
        let error = await #expect(throws: ModelStoreError.self) {
            try await f.store.fetch("tiny", options: TestSupport.options(f.server))
        }
        guard case .sizeMismatch(let file, _, let expected, _) = error else {
            Issue.record("expected .sizeMismatch, got \(String(describing: error))")
            return
        }
        #expect(file == "vocab.json" && expected == 5)
        f.expectNothingInstalled()
    }

    @Test func removeDeletesTheInstallAndAnyPartialFetch() async throws {
        let f = try Fixture(faults: .init(closeAfterFirst: [Self.safetensors: 1000]))
        defer { f.finish() }
        _ = try? await f.store.fetch("tiny", options: TestSupport.options(f.server))
        #expect(FileManager.default.fileExists(atPath: f.staging.path))
        #expect(try f.store.remove("tiny").map(\.path) == [f.staging.path])
        #expect(!FileManager.default.fileExists(atPath: f.staging.path))

        _ = try await f.store.fetch("tiny", options: TestSupport.options(f.server))
        #expect(try f.store.resolve("tiny") == f.final)
        #expect(try f.store.remove("org/tiny").map(\.path) == [f.final.path])
        #expect(TestSupport.tree(f.store.modelsDirectory).isEmpty)
        let error = #expect(throws: ModelStoreError.self) { try f.store.resolve("tiny") }
        #expect(error?.description.contains("keypoints model fetch tiny") == true)
    }

    @Test func forceReplacesAnInstallAndAnyRepositoryIDIsListed() async throws {
        let f = try Fixture()
        defer { f.finish() }
        _ = try await f.store.fetch("tiny", options: TestSupport.options(f.server))
        var options = TestSupport.options(f.server)
        options.force = true
        let again = try await f.store.fetch("tiny", options: options)
        #expect(!again.alreadyInstalled)
        try f.expectInstalledFilesIdentical()
        #expect(TestSupport.tree(f.store.modelsDirectory).filter { !$0.contains("/") } == ["org--tiny"])

        // A repository that is not in the registry: fetched by id, listed, resolved by id.
        let other = try LoopbackHTTPServer(files: TestSupport.served(f.files, repository: "someone/clip"))
        defer { other.stop() }
        let result = try await f.store.fetch("someone/clip", options: TestSupport.options(other))
        #expect(result.folder.lastPathComponent == "someone--clip")
        #expect(try f.store.resolve("someone/clip") == result.folder)
        let entry = try #require(f.store.list().first { $0.repository == "someone/clip" })
        #expect(!entry.known && entry.state == .installed && entry.name == "someone/clip")
    }
}
