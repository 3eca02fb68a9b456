/// Caps on the small files of a model folder, shared by their readers (the CLIP module's
/// `TransformerLimits`, `SafeTensorsIndexLimits`) and by `keypoints model fetch`, which stops a
/// download that grows past the cap instead of filling the disk with a file that would be refused
/// when read.
public enum ModelFileLimits {
    /// config.json and preprocessor_config.json (a few KB in practice).
    public static let configBytes = 1 << 20
    /// A tokenizer file (CLIP's vocab.json is 1.7 MB, merges.txt 0.5 MB).
    public static let tokenizerBytes = 64 << 20

    /// The cap on a model folder's file `name`, with how errors name it; nil for the weights
    /// (model.safetensors and its shards, bounded by the free space instead) and unknown names.
    public static func cap(ofFile name: String) -> (bytes: Int, name: String)? {
        switch name {
        case "config.json", "preprocessor_config.json": (configBytes, "ModelFileLimits.configBytes")
        case "vocab.json", "merges.txt": (tokenizerBytes, "ModelFileLimits.tokenizerBytes")
        case SafeTensorsIndex.fileName: (SafeTensorsIndexLimits.fileBytes, "SafeTensorsIndexLimits.fileBytes")
        default: nil
        }
    }
}
