import Foundation
import Testing

@testable import ModelStore

/// Registry, paths, resolve, list and remove: no network.
@Suite struct ModelStoreTests {
    @Test func builtinRegistryHasTheFourOpenAIModelsAndThreeDINOModels() throws {
        let r = ModelRegistry.builtin
        #expect(
            r.models.map(\.name) == [
                "ViT-B/32", "ViT-B/16", "ViT-L/14", "ViT-L/14-336",
                "dino-vits16", "dino-vitb16", "dino-vits8",
            ])
        #expect(r.spec(named: "vit-l/14-336")?.repository == "openai/clip-vit-large-patch14-336")
        #expect(r.spec(named: "ViT-B-32")?.repository == "openai/clip-vit-base-patch32")
        #expect(r.spec(named: "openai/clip-vit-base-patch16")?.name == "ViT-B/16")
        #expect(r.spec(named: ModelRegistry.defaultModelName) != nil)
        // DINO: the safetensors variants (main holds only pytorch_model.bin for the /16 models).
        #expect(
            r.spec(named: "dino-vits16").map { [$0.repository, $0.revision] } == ["facebook/dino-vits16", "refs/pr/1"])
        #expect(
            r.spec(named: "dino-vitb16").map { [$0.repository, $0.revision] } == ["facebook/dino-vitb16", "refs/pr/1"])
        #expect(r.spec(named: "dino-vits8").map { [$0.repository, $0.revision] } == ["facebook/dino-vits8", "main"])
        #expect(r.spec(named: ModelRegistry.defaultSaliencyModelName) != nil)
        let refsURL = try ModelStore.downloadURL(
            endpoint: "https://huggingface.co", repository: "facebook/dino-vits16",
            revision: "refs/pr/1", file: "model.safetensors")
        #expect(
            refsURL.absoluteString
                == "https://huggingface.co/facebook/dino-vits16/resolve/refs%2Fpr%2F1/model.safetensors")
        for m in r.models {
            let required =
                m.name.hasPrefix("dino")
                ? ["config.json", "model.safetensors"]
                : ["config.json", "model.safetensors", "vocab.json", "merges.txt"]
            #expect(m.files.filter { !$0.optional }.map(\.name) == required)
            for f in m.files { if let d = f.sha256 { #expect(d.count == 64 && d.allSatisfy(\.isHexDigit)) } }
        }
    }

    @Test func repositoryIDsAndFolderNames() {
        #expect(ModelRegistry.isRepositoryID("openai/clip-vit-base-patch32"))
        #expect(ModelRegistry.isRepositoryID("laion/CLIP-ViT-B-32-laion2B-s34B-b79K"))
        for bad in ["clip", "a/b/c", "../x", "a/..", "/abs", "a/", "a/b c", "a/.hidden"] {
            #expect(!ModelRegistry.isRepositoryID(bad), "\(bad)")
        }
        #expect(
            ModelRegistry.folderName(forRepository: "openai/clip-vit-base-patch32") == "openai--clip-vit-base-patch32")
    }

    @Test func defaultHomeAndEndpointFromEnvironment() {
        #expect(
            ModelStore.defaultHome(environment: ["KEYPOINTS_HOME": "/data/kp", "HOME": "/home/u"]).path == "/data/kp")
        #expect(ModelStore.defaultHome(environment: ["HOME": "/home/u"]).path == "/home/u/.cache/keypoints")
        #expect(
            ModelStore.defaultHome(environment: ["HOME": "/home/u", "XDG_CACHE_HOME": "/c"]).path == "/c/keypoints")
        #expect(ModelStore.defaultEndpoint(environment: [:]) == "https://huggingface.co")
        #expect(ModelStore.defaultEndpoint(environment: ["HF_ENDPOINT": "https://m.example"]) == "https://m.example")
        #expect(
            ModelStore.defaultEndpoint(environment: ["KEYPOINTS_HF_ENDPOINT": "http://a", "HF_ENDPOINT": "http://b"])
                == "http://a")
        let store = ModelStore(environment: ["KEYPOINTS_HOME": "/data/kp"])
        #expect(store.modelsDirectory.path == "/data/kp/models")
    }

    @Test func downloadURLLayout() throws {
        let u = try ModelStore.downloadURL(
            endpoint: "https://huggingface.co/", repository: "openai/clip-vit-base-patch32",
            revision: "main", file: "model.safetensors")
        #expect(
            u.absoluteString == "https://huggingface.co/openai/clip-vit-base-patch32/resolve/main/model.safetensors")
        let pr = try ModelStore.downloadURL(
            endpoint: "http://127.0.0.1:8080", repository: "a/b", revision: "refs/pr/1", file: "config.json")
        #expect(pr.absoluteString == "http://127.0.0.1:8080/a/b/resolve/refs%2Fpr%2F1/config.json")
        #expect(throws: ModelStoreError.invalidEndpoint("ftp://x")) {
            try ModelStore.downloadURL(endpoint: "ftp://x", repository: "a/b", revision: "main", file: "f")
        }
    }

    @Test func resolveUsesAnExistingDirectoryAsIs() throws {
        let home = try TestSupport.temporaryHome()
        defer { try? FileManager.default.removeItem(at: home) }
        let store = ModelStore(home: home)
        let dir = TestSupport.tinyModelFolder
        #expect(try store.resolve(dir.path).standardizedFileURL == dir.standardizedFileURL)
        let file = dir.appendingPathComponent("config.json").path
        #expect(throws: ModelStoreError.notADirectory(path: file)) { try store.resolve(file) }
    }

    @Test func resolveOfAMissingModelSaysWhatToRun() throws {
        let home = try TestSupport.temporaryHome()
        defer { try? FileManager.default.removeItem(at: home) }
        let store = ModelStore(home: home)
        let error = #expect(throws: ModelStoreError.self) { try store.resolve("ViT-L/14-336") }
        #expect(
            error?.description.contains("keypoints model fetch ViT-L/14-336") == true, "\(String(describing: error))")
        // An alias in any case names the canonical model.
        let alias = #expect(throws: ModelStoreError.self) { try store.resolve("vit-b-32") }
        #expect(alias?.description.contains("keypoints model fetch ViT-B/32") == true)
        // Any repository id: the same command with the id.
        let repo = #expect(throws: ModelStoreError.self) { try store.resolve("laion/some-clip") }
        #expect(repo?.description.contains("keypoints model fetch laion/some-clip") == true)
        #expect(repo?.description.contains("known models: ViT-B/32") == true)
        // A typo of a known name is no repository id, though it has the ORG/NAME form: the
        // nearest known name is suggested.
        let typo = #expect(throws: ModelStoreError.self) { try store.resolve("ViT-L/14-335") }
        #expect(typo?.description.contains("did you mean ViT-L/14-336?") == true, "\(String(describing: typo))")
        #expect(typo?.description.contains("keypoints model fetch") == false)
        // Neither a directory, a known name nor a repository id.
        let unknown = #expect(throws: ModelStoreError.self) { try store.resolve("clip-large") }
        #expect(
            unknown
                == .unknownModel(
                    name: "clip-large",
                    known: [
                        "ViT-B/32", "ViT-B/16", "ViT-L/14", "ViT-L/14-336", "dino-vits16", "dino-vitb16", "dino-vits8",
                    ]))
        #expect(unknown?.description.contains("ViT-L/14-336") == true)
        // A path that does not exist is reported as a path.
        let path = #expect(throws: ModelStoreError.self) { try store.resolve("./no/such/dir") }
        #expect(path?.description.contains("no such model directory") == true)
    }

    /// "ViT-B/33" has the form ORG/NAME and was fetched from the hub (and `--model ViT-B/33`
    /// advised fetching it): a name spelled like a known one is a typo, refused with the nearest.
    @Test func misspelledKnownNamesAreRefusedWithTheNearest() throws {
        let store = ModelStore(home: try TestSupport.temporaryHome())
        defer { try? FileManager.default.removeItem(at: store.home) }
        let known = ModelRegistry.builtin.models.map(\.name)
        for (typed, nearest) in [
            ("ViT-B/33", "ViT-B/32"), ("vit-l/14-335", "ViT-L/14-336"), ("ViT-H/14", "ViT-L/14"),
            ("ViT-B-33", "ViT-B-32"), ("dino-vits17", "dino-vits16"),
        ] {
            let error = #expect(throws: ModelStoreError.self) { try store.spec(for: typed) }
            #expect(error == .unknownModel(name: typed, known: known, suggestion: nearest), "\(typed)")
            #expect(error?.description.hasPrefix("'\(typed)' is not a known model; did you mean \(nearest)?") == true)
        }
        // Repository ids stay repository ids, also those close to a known repository.
        for repository in ["laion/some-clip", "facebook/dino-vitb8", "openai/clip-vit-base-patch33", "vit/b32"] {
            #expect(try store.spec(for: repository).repository == repository)
        }
        // Far from every known name: no suggestion.
        #expect(ModelRegistry.builtin.nearestShortName(to: "clip-large") == nil)
    }

    /// A fetch of a misspelled name stops before any request.
    @Test func fetchOfAMisspelledNameMakesNoRequest() async throws {
        let store = ModelStore(home: try TestSupport.temporaryHome())
        defer { try? FileManager.default.removeItem(at: store.home) }
        // Port 9 (discard) on loopback: a request would fail with a network error, not this one.
        let options = FetchOptions(endpoint: "http://127.0.0.1:9", retries: 0, timeout: 1)
        await #expect(
            throws: ModelStoreError.unknownModel(
                name: "ViT-B/33", known: ModelRegistry.builtin.models.map(\.name), suggestion: "ViT-B/32")
        ) {
            _ = try await store.fetch("ViT-B/33", options: options) { _ in }
        }
    }

    /// A folder without a complete manifest is not an install, so resolve does not return it.
    @Test func resolveIgnoresFoldersThatDoNotLookComplete() throws {
        let home = try TestSupport.temporaryHome()
        defer { try? FileManager.default.removeItem(at: home) }
        let store = ModelStore(home: home, registry: TestSupport.registry())
        let spec = try store.spec(for: "tiny")
        let folder = store.folder(for: spec)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try Data("{}".utf8).write(to: folder.appendingPathComponent("config.json"))
        #expect(throws: ModelStoreError.self) { try store.resolve("tiny") }

        // With a manifest whose files are all present at their sizes it is installed...
        let manifest = ModelManifest(
            name: "tiny", repository: spec.repository, revision: "main", endpoint: "http://x",
            fetchedAt: Date(),
            files: [
                .init(
                    name: "config.json", size: 2, sha256: String(repeating: "0", count: 64),
                    url: "http://x", verified: "recorded")
            ], absent: [])
        try manifest.write(to: folder)
        #expect(try store.resolve("tiny") == folder)
        #expect(try store.resolve("org/tiny") == folder)
        // ...and a listed file of the wrong size makes it incomplete again.
        try Data("{ }".utf8).write(to: folder.appendingPathComponent("config.json"))
        #expect(throws: ModelStoreError.self) { try store.resolve("tiny") }
    }

    @Test func listShowsKnownModelsWithTheDefaultMarked() throws {
        let home = try TestSupport.temporaryHome()
        defer { try? FileManager.default.removeItem(at: home) }
        let entries = ModelStore(home: home).list()
        #expect(
            entries.map(\.name) == [
                "ViT-B/32", "ViT-B/16", "ViT-L/14", "ViT-L/14-336", "dino-vits16", "dino-vitb16", "dino-vits8",
            ])
        #expect(entries.filter(\.isDefault).map(\.name) == ["ViT-L/14-336"])
        #expect(entries.allSatisfy { $0.state == .notInstalled && $0.path == nil })
    }

    @Test func removeOfAModelThatIsNotThere() throws {
        let home = try TestSupport.temporaryHome()
        defer { try? FileManager.default.removeItem(at: home) }
        let error = #expect(throws: ModelStoreError.self) { try ModelStore(home: home).remove("ViT-B/32") }
        #expect(error == .nothingToRemove(name: "ViT-B/32", cache: home.appendingPathComponent("models").path))
    }

    @Test func progressLine() {
        let p = FetchProgress(
            file: "model.safetensors", fileIndex: 2, fileCount: 4, bytesDone: 855_270_290,
            bytesTotal: 1_710_540_580, bytesResumed: 0, bytesPerSecond: 25_000_000, finished: false)
        #expect(
            p.render(barWidth: 10) == "[2/4] model.safetensors [#####-----]  855.3 MB / 1.71 GB  25.0 MB/s  ETA 0:34")
        let unknown = FetchProgress(
            file: "vocab.json", fileIndex: 3, fileCount: 4, bytesDone: 999, bytesTotal: nil,
            bytesResumed: 0, bytesPerSecond: 0, finished: false)
        #expect(unknown.render() == "[3/4] vocab.json   999 B")
        #expect(FetchProgress.duration(3725) == "1:02:05")
    }

    @Test func contentRangeParsing() {
        #expect(HTTPDownloader.parseContentRange("bytes 100-199/1000")! == (100, 199, 1000))
        #expect(HTTPDownloader.parseContentRange("bytes */1000")! == (nil, nil, 1000))
        #expect(HTTPDownloader.parseContentRange("bytes 0-9/*")! == (0, 9, nil))
        #expect(HTTPDownloader.parseContentRange("items 0-9/10") == nil)
        // Sizes from a server are bounded: no negative total, none past Int64.max.
        #expect(HTTPDownloader.parseContentRange("bytes 0-9/-5") == nil)
        #expect(HTTPDownloader.parseContentRange("bytes 0-9/99999999999999999999") == nil)
        #expect(HTTPDownloader.parseContentRange("bytes 0-9/abc") == nil)
        #expect(HTTPDownloader.parseContentRange("bytes 0-9/9223372036854775807")! == (0, 9, .max))
        #expect(HTTPDownloader.parseSize(" 123 ") == 123)
        for bad in ["-1", "+1", "", "1e3", "9223372036854775808", nil] { #expect(HTTPDownloader.parseSize(bad) == nil) }
        #expect(HTTPDownloader.saturatingSum(.max - 1, 5) == .max)
        #expect(HTTPDownloader.saturatingSum(7, 5) == 12)
        #expect(
            HTTPDownloader.sha256FromETag("\"" + String(repeating: "ab", count: 32) + "\"")
                == String(repeating: "ab", count: 32))
        // md5-like: not a SHA-256.
        #expect(HTTPDownloader.sha256FromETag("\"5d41402abc4b2a76b9719d911017c592\"") == nil)
    }
}
