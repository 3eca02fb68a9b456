/// Which results-header settings identify a run, and which only inform.
///
/// A run is identified by content: the model's weights digest (`model_sha256`), the grid preset's
/// and the vocabulary's digests (`grid_sha256`, `vocabulary_sha256`), the dataset's digest
/// (`dataset_sha256`: annotations, selection, prompts), the method and its visual prompt, the seed,
/// and the precision actually used. Paths (`root`, `images`, `model`, `grid`, `vocabulary`) are
/// kept for information only, so shards run on machines with the data, model and checkout at
/// different paths still resume and merge. `software` (the keypoints version that wrote the
/// header) informs too: a newer build resumes and merges an older one's files.
///
/// Format 1 headers (written before format 2) identified the model and the grid by path; they
/// are compared as before (everything but `shard`, `root` and `images`) and are never merged
/// with format 2 files, nor resumed by this version (see `ResultStore.open`).
public enum RunIdentity {
    /// Paths recorded for information only (format 2 on).
    public static let informationKeys: Set<String> = ["root", "images", "model", "grid", "vocabulary", "software"]
    /// The arithmetic of the matrix products: "precision" (fp32 or bf16) and the backend named
    /// after it. Shards that differ only here merge only when asked (`allowMixedPrecision`).
    public static let precisionKeys: Set<String> = ["precision", "backend"]
    /// Keys that may differ between the files of one format-1 run.
    static let version1MergeIgnoredKeys: Set<String> = ["shard", "root", "images"]

    /// Keys ignored when resuming a file of the current format.
    public static var resumeIgnoredKeys: Set<String> { informationKeys }

    /// Keys ignored when merging files of header format `version`.
    public static func mergeIgnoredKeys(version: Int, allowMixedPrecision: Bool) -> Set<String> {
        guard version >= 2 else { return version1MergeIgnoredKeys }
        var keys = informationKeys.union(["shard"])
        if allowMixedPrecision { keys.formUnion(precisionKeys) }
        return keys
    }
}
