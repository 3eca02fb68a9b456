import Foundation

@testable import ModelStore

enum TestSupport {
    /// A fresh folder under the system temporary directory, used as KEYPOINTS_HOME.
    static func temporaryHome() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("kp-modelstore-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    static var repositoryRoot: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
    }

    /// The tiny random CLIP made for the CLIP tests (Tests/CLIPTests/Fixtures/make_reference.py):
    /// a real Hugging Face model folder of ~840 kB.
    static var tinyModelFolder: URL {
        repositoryRoot.appendingPathComponent("Tests/CLIPTests/Fixtures/models/tiny-quickgelu")
    }

    static let tinyFileNames = ["config.json", "model.safetensors", "vocab.json", "merges.txt"]

    /// The tiny model's files by name.
    static func tinyModelFiles() throws -> [String: Data] {
        var out: [String: Data] = [:]
        for name in tinyFileNames { out[name] = try Data(contentsOf: tinyModelFolder.appendingPathComponent(name)) }
        return out
    }

    /// The sharded-checkpoint fixture's index (transformers' split of the tiny model into three
    /// shards; Tests/CLIPTests/Fixtures/make_sharded.py).
    static var shardedIndex: URL {
        repositoryRoot.appendingPathComponent("Tests/CLIPTests/Fixtures/sharded/model.safetensors.index.json")
    }

    static let shardNames = [
        "model-00001-of-00003.safetensors", "model-00002-of-00003.safetensors", "model-00003-of-00003.safetensors",
    ]

    /// The tiny model's files in the sharded layout: config and tokenizer, the committed index, and
    /// three shard files (thirds of the single file's bytes: the store never parses a shard).
    static func shardedModelFiles() throws -> [String: Data] {
        var out = try tinyModelFiles()
        let weights = out.removeValue(forKey: "model.safetensors") ?? Data()
        out["model.safetensors.index.json"] = try Data(contentsOf: shardedIndex)
        let third = weights.count / 3
        for (i, name) in shardNames.enumerated() {
            out[name] = weights.subdata(in: (i * third)..<(i == 2 ? weights.count : (i + 1) * third))
        }
        return out
    }

    /// Writes `files` into a fresh model folder.
    static func modelFolder(_ files: [String: Data]) throws -> URL {
        let folder = try temporaryHome().appendingPathComponent("model", isDirectory: true)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        for (name, data) in files { try data.write(to: folder.appendingPathComponent(name)) }
        return folder
    }

    static let repository = "org/tiny"

    static func path(_ file: String, repository: String = repository, revision: String = "main") -> String {
        "/\(repository)/resolve/\(revision)/\(file)"
    }

    /// The hub layout for `files` under `repository`.
    static func served(_ files: [String: Data], repository: String = repository) -> [String: Data] {
        Dictionary(uniqueKeysWithValues: files.map { (path($0.key, repository: repository), $0.value) })
    }

    /// A registry with one model "tiny" = org/tiny; `sha256` and `sizes` fill in known values.
    static func registry(sha256: [String: String] = [:], sizes: [String: Int64] = [:]) -> ModelRegistry {
        let files =
            tinyFileNames.map { ModelFile($0, size: sizes[$0], sha256: sha256[$0]) }
            + [ModelFile("preprocessor_config.json", optional: true)]
        return ModelRegistry(models: [
            ModelSpec(
                name: "tiny", aliases: ["Tiny-1"], repository: repository, files: files,
                summary: "tiny test CLIP")
        ])
    }

    /// Fetch options for loopback tests: no retries unless asked, no delay, short timeout.
    static func options(_ server: LoopbackHTTPServer, retries: Int = 0, timeout: TimeInterval = 10) -> FetchOptions {
        FetchOptions(endpoint: server.baseURL, retries: retries, retryDelay: 0, timeout: timeout)
    }

    /// Every file and folder under `url`, relative, sorted.
    static func tree(_ url: URL) -> [String] {
        guard let e = FileManager.default.enumerator(atPath: url.path) else { return [] }
        return (e.allObjects as? [String] ?? []).sorted()
    }
}

/// Collects fetch events from the background queue.
final class EventLog: @unchecked Sendable {
    private let lock = NSLock()
    private var events: [FetchEvent] = []

    func record(_ e: FetchEvent) { lock.withLock { events.append(e) } }

    var all: [FetchEvent] { lock.withLock { events } }

    var progress: [FetchProgress] {
        all.compactMap { if case .progress(let p) = $0 { return p } else { return nil } }
    }
}
