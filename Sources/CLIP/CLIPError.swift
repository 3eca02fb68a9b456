import KeypointsSupport

/// Errors loading a CLIP model directory. Every case names the file and what was expected.
public enum CLIPError: RawMessageError {
    case missingFile(path: String, hint: String)
    case badConfig(path: String, field: String, reason: String)
    /// config.json of another model family than the one asked for (a DINO ViT where a CLIP model
    /// is needed, or the reverse); `found` and `expected` name the families ("DINO ViT", "CLIP
    /// model"), `modelType` is the config's model_type.
    case wrongFamily(directory: String, found: String, modelType: String, expected: String)
    case missingWeight(path: String, key: String, expectedShape: [Int])
    case wrongShape(path: String, key: String, expected: [Int], actual: [Int])
    case safeTensors(SafeTensorsError)
    /// `model.safetensors.index.json` is malformed or names a shard that is not there.
    case safeTensorsIndex(SafeTensorsIndexError)
    /// The index and a shard disagree about `key` (`reason` says how).
    case shardMismatch(index: String, shard: String, key: String, reason: String)
    /// A file named like a shard (`model-00003-of-00003.safetensors`) that the index does not name.
    case unreferencedShard(index: String, shard: String)
    case badInput(String)

    /// The message, its outside text (paths, keys, names) as it is (`RawMessageError`).
    public var rawMessage: String {
        switch self {
        case .missingFile(let p, let hint): return "\(p): no such file (\(hint))"
        case .badConfig(let p, let f, let r): return "\(p): field '\(f)': \(r)"
        case .wrongFamily(let d, let found, let type, let expected):
            return "\(d) is a \(found) (model_type \(type)), not a \(expected); this option takes a \(expected) "
                + "directory or name (keypoints model list)"
        case .missingWeight(let p, let k, let s): return "\(p): missing tensor '\(k)' (expected shape \(s))"
        case .wrongShape(let p, let k, let e, let a): return "\(p): tensor '\(k)' has shape \(a), expected \(e)"
        case .safeTensors(let e): return e.rawMessage
        case .safeTensorsIndex(let e): return e.rawMessage
        case .shardMismatch(let index, let shard, let key, let reason):
            return "\(shard): tensor '\(key)': \(reason) (index \(index))"
        case .unreferencedShard(let index, let shard):
            return "\(shard): a shard file that \(index) does not name (a shard of another save? "
                + "remove it or download the matching index)"
        case .badInput(let m): return m
        }
    }
}
