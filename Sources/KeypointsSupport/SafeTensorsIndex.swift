import Foundation

/// Errors reading `model.safetensors.index.json`. Every case names the index file.
public enum SafeTensorsIndexError: RawMessageError, Equatable, Sendable {
    /// The file is missing, not a regular file, or over `SafeTensorsIndexLimits.fileBytes`.
    case unreadable(path: String, reason: String)
    /// Malformed JSON or a field of the wrong type or value; `field` is its path
    /// (`weight_map["text_projection.weight"]`, `metadata.total_size`, "(JSON syntax)").
    case invalid(path: String, field: String, reason: String)
    /// A shard the index names is not a file in the index's folder.
    case missingShard(path: String, shard: String, key: String)

    /// The message, its outside text (paths, keys, names) as it is (`RawMessageError`).
    public var rawMessage: String {
        switch self {
        case .unreadable(let p, let r): return "\(p): cannot read the shard index: \(r)"
        case .invalid(let p, let f, let r): return "\(p): \(f): \(r)"
        case .missingShard(let p, let s, let k):
            return "\(p): weight_map[\"\(k)\"] names the shard \(s), which is not in the folder "
                + "(download every shard the index lists)"
        }
    }
}

/// Bounds on a shard index, checked before anything is built from it.
public enum SafeTensorsIndexLimits {
    /// Index file bytes: ViT-bigG's index (about 1,000 keys) is under 100 KB.
    public static let fileBytes = 16 << 20
    /// Keys in `weight_map`: `SafeTensorsLimits.tensors`, the bound of one safetensors file.
    public static let keys = 100_000
    /// Distinct shard files (transformers' default 5 GB shards: 10,000 is 50 TB).
    public static let shards = 10_000
    /// Length of a shard's file name (a Linux file name is at most 255 bytes).
    public static let shardNameBytes = 255
}

/// `model.safetensors.index.json`, the table of a checkpoint that transformers saved in shards
/// (`save_pretrained(max_shard_size=)`, the hub's large checkpoints):
///
///     {"metadata": {"total_size": 799556}, "weight_map": {"logit_scale": "model-00001-of-00003.safetensors", ...}}
///
/// `weight_map` maps every tensor key to the shard file that holds it. Shard names must be plain
/// file names in the index's own folder (`isShardName`: letters, digits, '-', '_', '.', not
/// starting with '.', ending in `.safetensors`), so an index can name neither a path outside the
/// folder (`../x.safetensors`, `/etc/passwd`) nor a URL path when the shards are downloaded, and
/// none may be `model.safetensors` (the single file, which is used instead of the index when present).
/// `metadata` is optional and its members other than `total_size` are ignored (transformers 5
/// adds `total_parameters`); `total_size`, when present, must be an integer >= 0 and is not
/// compared with the shards: conversions from `pytorch_model.bin.index.json` copy the .bin
/// index's figure, and every tensor's byte count is already checked against its shape in its
/// shard. Other top-level members are ignored, as transformers ignores them.
public struct SafeTensorsIndex: Sendable, Equatable {
    /// The index's file name in a model folder.
    public static let fileName = "model.safetensors.index.json"
    /// The single-file checkpoint, used instead of the index when both are present (as
    /// transformers' `from_pretrained` does).
    public static let singleFileName = "model.safetensors"

    /// Tensor key -> shard file name.
    public let weightMap: [String: String]
    /// The distinct shard file names, sorted.
    public let shards: [String]
    /// `metadata.total_size` when present.
    public let totalSize: Int?

    /// Parses an index; `file` names it in errors.
    public static func parse(_ data: Data, file: String) throws(SafeTensorsIndexError) -> SafeTensorsIndex {
        let root: JSONNode
        do { root = try JSONNode.parse(data, file: file) } catch {
            throw .invalid(path: file, field: error.field, reason: error.message)
        }
        do throws(JSONFieldError) {
            var totalSize: Int?
            let map = try root.required("weight_map")
            if let metadata = root.child("metadata"), !metadata.isNull {
                guard case .object = metadata.value else {
                    throw metadata.fail("expected an object, got \(metadata.brief)")
                }
                if let size = metadata.child("total_size"), !size.isNull {
                    totalSize = try size.integer(minimum: 0)
                }
            }
            guard case .object(let members) = map.value else {
                throw map.fail("expected an object of tensor key -> shard file name, got \(map.brief)")
            }
            guard members.count <= SafeTensorsIndexLimits.keys else {
                throw map.fail(
                    "\(members.count) keys, over the limit SafeTensorsIndexLimits.keys = \(SafeTensorsIndexLimits.keys)"
                )
            }
            guard !members.isEmpty else { throw map.fail("no tensors: expected at least one key") }
            var weightMap: [String: String] = [:]
            var shards = Set<String>()
            for key in members.keys.sorted() {
                let field = JSONNode(members[key] ?? .null, path: "weight_map[\"\(key)\"]", file: file)
                let shard = try field.string()
                guard isShardName(shard) else {
                    throw field.fail(
                        "expected a .safetensors file name in the index's folder (letters, digits, '-', '_', '.'; "
                            + "no '/', not starting with '.'), got \(field.brief)")
                }
                guard shard != singleFileName else {
                    // Never loaded as a shard: when present, the single file is used and the index not read.
                    throw field.fail(
                        "\(singleFileName) is the single-file checkpoint's name (used instead of the index "
                            + "when present), not a shard's; expected a shard file name")
                }
                weightMap[key] = shard
                shards.insert(shard)
            }
            guard shards.count <= SafeTensorsIndexLimits.shards else {
                throw map.fail(
                    "\(shards.count) shard files, over the limit SafeTensorsIndexLimits.shards = "
                        + "\(SafeTensorsIndexLimits.shards)")
            }
            return SafeTensorsIndex(weightMap: weightMap, shards: shards.sorted(), totalSize: totalSize)
        } catch {
            throw .invalid(path: file, field: error.field, reason: error.message)
        }
    }

    /// How a model folder holds its weights, as transformers' `from_pretrained` picks them.
    public enum Layout: Sendable, Equatable {
        /// `model.safetensors` (used even when an index is beside it).
        case singleFile
        /// No `model.safetensors`, but `model.safetensors.index.json` and (it says) its shards.
        case sharded
        /// Neither file.
        case none
    }

    /// The one rule for which weight files of `folder` count: `model.safetensors` if present,
    /// else the index, else none. Only looks whether the files exist; `load(folder:)` reads the index.
    public static func layout(of folder: URL) -> Layout {
        let fm = FileManager.default
        if fm.fileExists(atPath: folder.appendingPathComponent(singleFileName).path) { return .singleFile }
        if fm.fileExists(atPath: folder.appendingPathComponent(fileName).path) { return .sharded }
        return .none
    }

    /// Reads and parses `folder/model.safetensors.index.json` (at most
    /// `SafeTensorsIndexLimits.fileBytes`) and checks that every shard it names is a file there.
    public static func load(folder: URL) throws(SafeTensorsIndexError) -> SafeTensorsIndex {
        let url = folder.appendingPathComponent(fileName)
        let index = try read(url, file: url.path)
        for shard in index.shards {
            var isDirectory: ObjCBool = false
            let exists = FileManager.default.fileExists(
                atPath: folder.appendingPathComponent(shard).path, isDirectory: &isDirectory)
            if !exists || isDirectory.boolValue {
                let key = index.weightMap.filter { $0.value == shard }.keys.min() ?? ""
                throw .missingShard(path: url.path, shard: shard, key: key)
            }
        }
        return index
    }

    /// Reads (at most `SafeTensorsIndexLimits.fileBytes`) and parses the index file at `url`, without
    /// looking for its shards; `file` names it in errors (its path, or the URL it came from).
    public static func read(_ url: URL, file: String) throws(SafeTensorsIndexError) -> SafeTensorsIndex {
        let data = try RegularFile.read(
            url, maxBytes: SafeTensorsIndexLimits.fileBytes, limitName: "SafeTensorsIndexLimits.fileBytes"
        ) { SafeTensorsIndexError.unreadable(path: file, reason: $0.message) }
        return try parse(data, file: file)
    }

    /// True for a plain file name that may hold a shard: 1 to `SafeTensorsIndexLimits.shardNameBytes`
    /// ASCII letters, digits, '-', '_' and '.', not starting with '.', ending in ".safetensors".
    public static func isShardName(_ name: String) -> Bool {
        let suffix = ".safetensors"
        return name.utf8.count <= SafeTensorsIndexLimits.shardNameBytes && name.utf8.count > suffix.utf8.count
            && name.hasSuffix(suffix) && !name.hasPrefix(".")
            && name.utf8.allSatisfy { c in
                (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A) || c == 0x2D
                    || c == 0x5F || c == 0x2E
            }
    }

    /// True for a file name in transformers' shard pattern `PREFIX-NNNNN-of-MMMMM.safetensors`, for
    /// finding shard files of another save beside an index that does not name them.
    public static func looksLikeShard(_ name: String) -> Bool {
        guard isShardName(name) else { return false }
        let stem = name.dropLast(".safetensors".count)
        let parts = stem.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count >= 4, parts[parts.count - 2] == "of" else { return false }
        let number = parts[parts.count - 3]
        let count = parts[parts.count - 1]
        return !number.isEmpty && !count.isEmpty && number.allSatisfy(\.isNumber) && count.allSatisfy(\.isNumber)
    }
}
