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
    /// preprocessing), in digest order; absent ones are left out.
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

    /// SHA-256 over one line `NAME<TAB>SHA256` per content file present.
    /// - Parameters:
    ///   - cacheThreshold: files this large or larger are cached (a parameter for tests).
    ///   - hashing: called before such a file is hashed (name, bytes), for a progress note.
    /// - Throws: `fileSystem` when the folder has no config.json or a file cannot be read.
    public static func digest(
        ofModelAt folder: URL, cacheThreshold: Int64 = cacheThreshold,
        hashing: ((String, Int64) -> Void)? = nil
    ) throws -> String {
        guard FileManager.default.fileExists(atPath: folder.appendingPathComponent("config.json").path) else {
            throw ModelStoreError.fileSystem(path: folder.path, message: "no config.json: not a model directory")
        }
        let manifest = try? ModelManifest.load(from: folder)
        let cacheURL = folder.appendingPathComponent(cacheFileName)
        var cache = readCache(cacheURL)
        var cacheChanged = false
        var text = ""
        for name in contentFiles {
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
            text += "\(name)\t\(sha)\n"
        }
        if cacheChanged, let data = try? JSONEncoder().encode(cache) {
            try? data.write(to: cacheURL, options: .atomic)
        }
        return SHA256Hasher.hash(Data(text.utf8))
    }

    /// The cache, or empty when it is absent, not a regular file, over
    /// `ModelStoreLimits.digestCacheBytes` or not valid (it is only a shortcut). Entries for
    /// other than content files, or whose digest is not 64 lowercase hex digits, are left out.
    static func readCache(_ url: URL) -> [String: CachedDigest] {
        guard
            let data = try? RegularFile.read(
                url, maxBytes: ModelStoreLimits.digestCacheBytes, limitName: "ModelStoreLimits.digestCacheBytes"),
            let cache = try? JSONDecoder().decode([String: CachedDigest].self, from: data)
        else { return [:] }
        return cache.filter { name, entry in contentFiles.contains(name) && SHA256Hasher.isHexDigest(entry.sha256) }
    }
}
