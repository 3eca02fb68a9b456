/// Upper bounds on the numbers the localization layer reads from files (grid presets, keypoint
/// vocabularies) or the command line, checked before anything is allocated from them. Errors
/// name the limit (`LocalizationLimits.batch`).
public enum LocalizationLimits {
    /// Marked images per scorer call. Each one is a 3 x 224 x 224 float input plus the
    /// encoder's activations (ViT-B/32: 50 tokens x 768 floats per buffer), so 1024 already
    /// needs gigabytes; presets use 16 to 256.
    public static let batch = 1024
    /// Finest lattice resolution of a grid preset, cells per side (lattice coordinates stay far
    /// from integer overflow and the score cache stays meaningful).
    public static let gridResolution = 100_000
    /// Categories in one vocabulary file (CUB has 200 classes, COCO 80).
    public static let categories = 10_000
    /// Keypoints of one category (FaceSynthetics has 70; each one costs a text embedding and
    /// a heatmap per image).
    public static let keypointsPerCategory = 10_000
    /// Prompts of one keypoint, and templates of one category or `--template` list: an ensemble
    /// costs one text embedding per prompt (OpenAI's ImageNet ensemble has 80 templates).
    public static let promptsPerKeypoint = 100
    /// Bytes of a vocabulary, grid preset or boxes (`localize --boxes`) file.
    public static let fileBytes = 64 << 20
}
