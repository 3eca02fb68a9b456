import Foundation
import KeypointsSupport

/// A checkpoint saved in shards (`model.safetensors.index.json` and the shard files it names),
/// presented as one weight source, so the loader's missing, unused and wrong-shape checks see
/// one table of keys.
///
/// Opening checks the index against the shards before any tensor is read: every shard the index
/// names exists and is a valid safetensors file; every key of `weight_map` is in the shard it
/// names; every tensor of a shard is in `weight_map`, assigned to that shard (so no key is in two
/// shards); and no file of transformers' shard pattern (`model-00003-of-00003.safetensors`) lies
/// in the folder without the index naming it (shards of another save).
public final class ShardedSafeTensors: Sendable {
    /// The index file's path.
    public let indexPath: String
    /// The shards in the index's (sorted) order.
    public let shards: [SafeTensorsFile]
    /// Tensor key -> index into `shards`.
    private let shardOfKey: [String: Int]

    /// - Throws: `CLIPError.safeTensorsIndex` for a malformed index or a missing shard,
    ///   `.safeTensors` for a malformed shard, `.shardMismatch` when the index and the shards
    ///   disagree, `.unreferencedShard` for a shard-named file the index does not name.
    public init(folder: URL) throws(CLIPError) {
        let index: SafeTensorsIndex
        do { index = try SafeTensorsIndex.load(folder: folder) } catch { throw .safeTensorsIndex(error) }
        let indexPath = folder.appendingPathComponent(SafeTensorsIndex.fileName).path
        var shards: [SafeTensorsFile] = []
        for name in index.shards {
            do { shards.append(try SafeTensorsFile(url: folder.appendingPathComponent(name))) } catch {
                throw .safeTensors(error)
            }
        }
        var shardOfKey: [String: Int] = [:]
        for (i, shard) in shards.enumerated() {
            let name = index.shards[i]
            for key in shard.keys {
                guard let listed = index.weightMap[key] else {
                    throw .shardMismatch(
                        index: indexPath, shard: shard.path, key: key,
                        reason: "in the shard but not in the index's weight_map")
                }
                guard listed == name else {
                    throw .shardMismatch(
                        index: indexPath, shard: shard.path, key: key,
                        reason: "in this shard, but weight_map assigns it to \(listed)"
                            + (index.shards.contains(listed) ? " (a key in two shards?)" : ""))
                }
                shardOfKey[key] = i
            }
        }
        for (key, name) in index.weightMap.sorted(by: { $0.key < $1.key }) where shardOfKey[key] == nil {
            throw .shardMismatch(
                index: indexPath, shard: folder.appendingPathComponent(name).path, key: key,
                reason: "weight_map assigns it to this shard, which does not hold it")
        }
        let named = Set(index.shards)
        let files = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        if let stray = files.filter({ SafeTensorsIndex.looksLikeShard($0) && !named.contains($0) }).min() {
            throw .unreferencedShard(index: indexPath, shard: folder.appendingPathComponent(stray).path)
        }
        self.indexPath = indexPath
        self.shards = shards
        self.shardOfKey = shardOfKey
    }

    /// Every tensor's header entry, over all shards.
    public var entries: [SafeTensorsEntry] { shards.flatMap { Array($0.entries.values) } }
}

extension ShardedSafeTensors: WeightSource {
    /// A key absent from every shard is named with the index's path; a wrong shape with its shard's.
    public func tensor(_ key: String, shape: [Int]) throws(CLIPError) -> [Float] {
        guard let i = shardOfKey[key] else { throw .missingWeight(path: indexPath, key: key, expectedShape: shape) }
        return try shards[i].tensor(key, shape: shape)
    }

    public func unusedKeys(requested: Set<String>) -> [String] {
        shards.flatMap { $0.unusedKeys(requested: requested) }.sorted()
    }
}
