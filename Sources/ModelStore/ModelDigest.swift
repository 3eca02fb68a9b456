import Foundation
import KeypointsSupport

/// The content digest of a model directory: what identifies a model in evaluation results,
/// wherever the directory sits (two copies at different paths have one digest).
///
/// Each content file's SHA-256 comes, cheapest first, from
/// 1. the folder's `keypoints-manifest.json` (written by `keypoints model fetch`, which verified
///    the digest), when the file still has the recorded size;
/// 2. the folder's `keypoints-digests.json` cache, when the file still has the cached size and
///    modification time;
/// 3. hashing the file (ViT-L/14-336's 1.7 GB weights take seconds), then caching the digest in
///    `keypoints-digests.json` for files of `cacheThreshold` bytes or more when the folder is
///    writable (best effort: a read-only folder only costs the hashing again).
public enum ModelDigest {
    /// The files that determine a model's outputs (weights, architecture, tokenizer,
    /// preprocessing), in digest order; absent ones are left out. A sharded checkpoint's index and
    /// shards take model.safetensors' place (`digest`).
    public static let contentFiles = [
        "config.json", "model.safetensors", "vocab.json", "merges.txt", "preprocessor_config.json",
    ]
    public static let cacheFileName = "keypoints-digests.json"
    /// Files smaller than this are hashed every time: it takes milliseconds, and test fixtures in
    /// a source tree stay free of cache files.
    public static let cacheThreshold: Int64 = 64 << 20

    /// One cached file digest.
    struct CachedDigest: Codable, Equatable {
        var size: Int64
        /// Modification time, seconds since 1970.
        var mtime: Double
        var sha256: String
    }

    /// SHA-256 over one line `NAME<TAB>SHA256` per content file present, in `contentFiles` order;
    /// a sharded checkpoint (no model.safetensors, a `model.safetensors.index.json`) takes
    /// model.safetensors' place with one line for the index, then one per shard it names, in
    /// sorted order (`weightFiles`). A single-file model's digest is unchanged by this.
    /// - Parameters:
    ///   - cacheThreshold: files this large or larger are cached (a parameter for tests).
    ///   - hashing: called before such a file is hashed (name, bytes), for a progress note.
    /// - Throws: `fileSystem` when the folder has no config.json or a file cannot be read;
    ///   `SafeTensorsIndexError` for a malformed index or a shard it names that is missing.
    public static func digest(
        ofModelAt folder: URL, cacheThreshold: Int64 = cacheThreshold,
        hashing: ((String, Int64) -> Void)? = nil
    ) throws -> String {
        guard FileManager.default.fileExists(atPath: folder.appendingPathComponent("config.json").path) else {
            throw ModelStoreError.fileSystem(path: folder.path, message: "no config.json: not a model directory")
        }
        let weights = try weightFiles(in: folder)
        let names = contentFiles.flatMap { $0 == SafeTensorsIndex.singleFileName ? weights : [$0] }
        let digests = try fileDigests(names, in: folder, cacheThreshold: cacheThreshold, hashing: hashing)
        return linesDigest(digests)
    }

    /// What identifies a model's weights alone (the saliency model in eval and localize results):
    /// the SHA-256 of model.safetensors, or for a sharded checkpoint the SHA-256 over the lines
    /// `NAME<TAB>SHA256` of the index and then each shard in sorted order, as in `digest`.
    /// - Throws: `fileSystem` when the folder has neither model.safetensors nor an index, or a file
    ///   cannot be read; `SafeTensorsIndexError` as `digest`.
    public static func weightsDigest(
        ofModelAt folder: URL, cacheThreshold: Int64 = cacheThreshold,
        hashing: ((String, Int64) -> Void)? = nil
    ) throws -> String {
        let names = try weightFiles(in: folder)
        guard !names.isEmpty else {
            throw ModelStoreError.fileSystem(
                path: folder.appendingPathComponent(SafeTensorsIndex.singleFileName).path,
                message: "no such file (nor \(SafeTensorsIndex.fileName)): not a model directory")
        }
        let digests = try fileDigests(names, in: folder, cacheThreshold: cacheThreshold, hashing: hashing)
        if names == [SafeTensorsIndex.singleFileName] { return digests[0].sha256 }
        return linesDigest(digests)
    }

    /// SHA-256 over one line `NAME<TAB>SHA256` per file, in order.
    private static func linesDigest(_ digests: [(name: String, sha256: String)]) -> String {
        SHA256Hasher.hash(Data(digests.map { "\($0.name)\t\($0.sha256)\n" }.joined().utf8))
    }

    /// The files holding the weights, as the CLIP loader picks them: ["model.safetensors"] when
    /// present, else the index and the shards it names (sorted), else none.
    static func weightFiles(in folder: URL) throws -> [String] {
        switch SafeTensorsIndex.layout(of: folder) {
        case .singleFile: [SafeTensorsIndex.singleFileName]
        case .sharded: [SafeTensorsIndex.fileName] + (try SafeTensorsIndex.load(folder: folder)).shards
        case .none: []
        }
    }

    /// The SHA-256 of each file of `names` present in `folder` (absent ones are left out): from
    /// the manifest, the cache, or by hashing, then caching (see the type's comment).
    private static func fileDigests(
        _ names: [String], in folder: URL, cacheThreshold: Int64, hashing: ((String, Int64) -> Void)?
    ) throws -> [(name: String, sha256: String)] {
        let manifest = try? ModelManifest.load(from: folder)
        let cacheURL = folder.appendingPathComponent(cacheFileName)
        var cache = readCache(cacheURL)
        var cacheChanged = false
        var out: [(name: String, sha256: String)] = []
        for name in names {
            let url = folder.appendingPathComponent(name)
            guard let attributes = try? FileManager.default.attributesOfItem(atPath: url.path) else { continue }
            let size = (attributes[.size] as? NSNumber)?.int64Value ?? -1
            let mtime = (attributes[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0
            let sha: String
            if let entry = manifest?.files.first(where: { $0.name == name }), entry.size == size {
                sha = entry.sha256
            } else if let cached = cache[name], cached.size == size, cached.mtime == mtime {
                sha = cached.sha256
            } else {
                if size >= cacheThreshold { hashing?(name, size) }
                sha = try ModelStoreError.mapping { () throws(FileReadError) in try SHA256Hasher.hashFile(at: url) }
                if size >= cacheThreshold {
                    cache[name] = CachedDigest(size: size, mtime: mtime, sha256: sha)
                    cacheChanged = true
                }
            }
            out.append((name, sha))
        }
        if cacheChanged, let data = try? JSONEncoder().encode(cache) {
            try? data.write(to: cacheURL, options: .atomic)
        }
        return out
    }

    /// The cache, or empty when it is absent, not a regular file, over
    /// `ModelStoreLimits.digestCacheBytes` or not valid (it is only a shortcut). Entries for
    /// other than content files (or a shard index and shard file names), or whose digest is not 64 lowercase hex digits, are left out.
    static func readCache(_ url: URL) -> [String: CachedDigest] {
        guard
            let data = try? RegularFile.read(
                url, maxBytes: ModelStoreLimits.digestCacheBytes, limitName: "ModelStoreLimits.digestCacheBytes"),
            let cache = try? JSONDecoder().decode([String: CachedDigest].self, from: data)
        else { return [:] }
        return cache.filter { name, entry in
            (contentFiles.contains(name) || name == SafeTensorsIndex.fileName || SafeTensorsIndex.isShardName(name))
                && SHA256Hasher.isHexDigest(entry.sha256)
        }
    }
}
