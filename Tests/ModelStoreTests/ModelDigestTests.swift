import Foundation
import KeypointsSupport
import KeypointsTestSupport
import Testing

@testable import ModelStore

/// The model content digest that identifies evaluation runs wherever the model sits.
@Suite struct ModelDigestTests {
    /// A writable copy of the tiny model in a fresh folder.
    func copyOfTinyModel() throws -> URL {
        let folder = try TestSupport.temporaryHome().appendingPathComponent("model", isDirectory: true)
        try FileManager.default.copyItem(at: TestSupport.tinyModelFolder, to: folder)
        return folder
    }

    @Test func copiesAgreeAndContentChangesDiffer() throws {
        let a = try copyOfTinyModel()
        let b = try copyOfTinyModel()
        let digest = try ModelDigest.digest(ofModelAt: a)
        #expect(digest.count == 64)
        #expect(try ModelDigest.digest(ofModelAt: b) == digest)
        #expect(try ModelDigest.digest(ofModelAt: TestSupport.tinyModelFolder) == digest)
        // One byte of the weights (not the header) changes the digest.
        let weights = b.appendingPathComponent("model.safetensors")
        var data = try Data(contentsOf: weights)
        data[data.count - 1] ^= 0x01
        try data.write(to: weights)
        #expect(try ModelDigest.digest(ofModelAt: b) != digest)
        // Small files are never cached: the fixture folder stays clean.
        #expect(!FileManager.default.fileExists(atPath: a.appendingPathComponent(ModelDigest.cacheFileName).path))
        #expect(
            throws: ModelStoreError.fileSystem(
                path: a.deletingLastPathComponent().path, message: "no config.json: not a model directory")
        ) {
            _ = try ModelDigest.digest(ofModelAt: a.deletingLastPathComponent())
        }
    }

    /// SHA-256 (sha256sum) over `NAME<TAB>SHA256` lines of `names` in `folder`, in that order.
    func linesDigest(_ names: [String], in folder: URL) throws -> String {
        var text = ""
        for name in names {
            text += "\(name)\t\(try ExternalSHA256.hex(Data(contentsOf: folder.appendingPathComponent(name))))\n"
        }
        return try ExternalSHA256.hex(Data(text.utf8))
    }

    @Test func shardedCheckpointIsIdentifiedByItsIndexAndShardsInOrder() throws {
        let files = try TestSupport.shardedModelFiles()
        let a = try TestSupport.modelFolder(files)
        let b = try TestSupport.modelFolder(files)
        let weights = ["model.safetensors.index.json"] + TestSupport.shardNames
        let digest = try ModelDigest.digest(ofModelAt: a)
        #expect(digest == (try linesDigest(["config.json"] + weights + ["vocab.json", "merges.txt"], in: a)))
        #expect(try ModelDigest.digest(ofModelAt: b) == digest)
        let weightsDigest = try ModelDigest.weightsDigest(ofModelAt: a)
        #expect(weightsDigest == (try linesDigest(weights, in: a)))
        // A single file's weights digest is still its SHA-256, and its model digest unchanged by an
        // index beside it (the loader uses the single file then).
        let single = try copyOfTinyModel()
        let singleDigest = try ModelDigest.digest(ofModelAt: single)
        #expect(
            try ModelDigest.weightsDigest(ofModelAt: single)
                == ExternalSHA256.hex(Data(contentsOf: single.appendingPathComponent("model.safetensors"))))
        try files["model.safetensors.index.json"]?.write(
            to: single.appendingPathComponent("model.safetensors.index.json"))
        #expect(try ModelDigest.digest(ofModelAt: single) == singleDigest)
        // One byte of one shard changes both digests.
        let shard = b.appendingPathComponent(TestSupport.shardNames[1])
        var data = try Data(contentsOf: shard)
        data[data.count - 1] ^= 0x01
        try data.write(to: shard)
        #expect(try ModelDigest.digest(ofModelAt: b) != digest)
        #expect(try ModelDigest.weightsDigest(ofModelAt: b) != weightsDigest)
        // A shard the index names is missing, or the index names one outside the folder: refused.
        try FileManager.default.removeItem(at: shard)
        #expect(throws: SafeTensorsIndexError.self) { try ModelDigest.digest(ofModelAt: b) }
        #expect(throws: SafeTensorsIndexError.self) { try ModelDigest.weightsDigest(ofModelAt: b) }
        try Data(#"{"weight_map": {"a": "../model/config.safetensors"}}"#.utf8).write(
            to: a.appendingPathComponent("model.safetensors.index.json"))
        #expect(throws: SafeTensorsIndexError.self) { try ModelDigest.digest(ofModelAt: a) }
        // Neither weights file: the weights digest says so.
        try FileManager.default.removeItem(at: a.appendingPathComponent("model.safetensors.index.json"))
        #expect { try ModelDigest.weightsDigest(ofModelAt: a) } throws: { "\($0)".contains("model.safetensors") }
    }

    @Test func fetchManifestDigestsAreReused() throws {
        let folder = try copyOfTinyModel()
        let plain = try ModelDigest.digest(ofModelAt: folder)
        let weights = folder.appendingPathComponent("model.safetensors")
        let size = Int64(try Data(contentsOf: weights).count)
        // A manifest entry with the file's size is trusted (fetch verified it), so a recorded
        // digest other than the real one shows that the file was not hashed again.
        let entry = ModelManifest.Entry(
            name: "model.safetensors", size: size, sha256: String(repeating: "a", count: 64),
            url: "https://example.invalid/model.safetensors", verified: "registry")
        try ModelManifest(
            name: "tiny", repository: "org/tiny", revision: "main", endpoint: "https://example.invalid",
            fetchedAt: Date(), files: [entry], absent: []
        ).write(to: folder)
        let viaManifest = try ModelDigest.digest(ofModelAt: folder)
        #expect(viaManifest != plain)
        // A size that no longer matches the manifest: hashed again.
        var data = try Data(contentsOf: weights)
        data.append(0)
        try data.write(to: weights)
        var hashed: [String] = []
        _ = try ModelDigest.digest(ofModelAt: folder, cacheThreshold: 0) { name, _ in hashed.append(name) }
        #expect(hashed.contains("model.safetensors"))
    }

    @Test func largeFileDigestsAreCachedBySizeAndTime() throws {
        let folder = try copyOfTinyModel()
        let threshold: Int64 = 100_000  // the weights (808 kB) only
        var hashed: [String] = []
        let first = try ModelDigest.digest(ofModelAt: folder, cacheThreshold: threshold) { name, _ in
            hashed.append(name)
        }
        #expect(hashed == ["model.safetensors"], "\(hashed)")
        let cacheURL = folder.appendingPathComponent(ModelDigest.cacheFileName)
        var cache = try JSONDecoder().decode([String: ModelDigest.CachedDigest].self, from: Data(contentsOf: cacheURL))
        #expect(Array(cache.keys) == ["model.safetensors"])
        // Served from the cache: nothing hashed, and a planted digest is what gets used.
        hashed = []
        #expect(
            try ModelDigest.digest(ofModelAt: folder, cacheThreshold: threshold) { name, _ in hashed.append(name) }
                == first)
        #expect(hashed.isEmpty)
        cache["model.safetensors"]?.sha256 = String(repeating: "b", count: 64)
        try JSONEncoder().encode(cache).write(to: cacheURL)
        #expect(try ModelDigest.digest(ofModelAt: folder, cacheThreshold: threshold) != first)
        // A new modification time invalidates the entry: hashed again, the true digest is back.
        let weights = folder.appendingPathComponent("model.safetensors")
        try FileManager.default.setAttributes(
            [.modificationDate: Date(timeIntervalSinceNow: 60)], ofItemAtPath: weights.path)
        hashed = []
        #expect(
            try ModelDigest.digest(ofModelAt: folder, cacheThreshold: threshold) { name, _ in hashed.append(name) }
                == first)
        #expect(hashed.contains("model.safetensors"))
        // A corrupt cache is ignored, not an error.
        try Data("{not json".utf8).write(to: cacheURL)
        #expect(try ModelDigest.digest(ofModelAt: folder, cacheThreshold: threshold) == first)
    }

    /// The manifest and the digest cache are read as the other readers read files: a file over its
    /// `ModelStoreLimits` cap is refused before reading, a FIFO does not block, and a cache entry
    /// whose digest is not a SHA-256 is left out.
    @Test func manifestAndCacheAreReadWithinTheirLimits() throws {
        let folder = try copyOfTinyModel()
        let plain = try ModelDigest.digest(ofModelAt: folder)
        let manifestURL = folder.appendingPathComponent(ModelManifest.fileName)
        try Data(count: ModelStoreLimits.manifestBytes + 1).write(to: manifestURL)
        #expect { try ModelManifest.load(from: folder) } throws: { error in
            "\(error)".contains("ModelStoreLimits.manifestBytes")
        }
        #expect(try ModelDigest.digest(ofModelAt: folder) == plain)
        // Sizes that are negative or overflow `totalSize`, a digest that is not one: refused.
        let digest = String(repeating: "a", count: 64)
        for (sizes, sha, field) in [
            ([-1], digest, "files[0].size"), ([Int64.max, 1], digest, "files[1].size"), ([1], "A", "files[0].sha256"),
        ] {
            let files = sizes.map {
                ModelManifest.Entry(name: "f", size: $0, sha256: sha, url: "u", verified: "recorded")
            }
            try ModelManifest(
                name: "m", repository: "r", revision: "main", endpoint: "e", fetchedAt: Date(), files: files, absent: []
            ).write(to: folder)
            #expect { try ModelManifest.load(from: folder) } throws: { error in "\(error)".contains(field) }
        }
        try FileManager.default.removeItem(at: manifestURL)

        let cacheURL = folder.appendingPathComponent(ModelDigest.cacheFileName)
        try Data(count: ModelStoreLimits.digestCacheBytes + 1).write(to: cacheURL)
        #expect(ModelDigest.readCache(cacheURL).isEmpty)
        try FileManager.default.removeItem(at: cacheURL)
        #expect(mkfifo(cacheURL.path, 0o600) == 0)
        #expect(try ModelDigest.digest(ofModelAt: folder) == plain)
        try FileManager.default.removeItem(at: cacheURL)

        let config = folder.appendingPathComponent("config.json")
        let attributes = try FileManager.default.attributesOfItem(atPath: config.path)
        let size = try #require((attributes[.size] as? NSNumber)?.int64Value)
        let mtime = try #require((attributes[.modificationDate] as? Date)?.timeIntervalSince1970)
        for (sha, used) in [
            (String(repeating: "c", count: 64), true), (String(repeating: "C", count: 64), false),
            ("c", false),
        ] {
            let entry = ModelDigest.CachedDigest(size: size, mtime: mtime, sha256: sha)
            try JSONEncoder().encode(["config.json": entry]).write(to: cacheURL)
            #expect((try ModelDigest.digest(ofModelAt: folder) != plain) == used, "\(sha)")
        }
    }
}
