/// Upper bounds on the numbers the evaluation reads from files (results files, annotations,
/// shard specifications), checked before anything is allocated or summed from them. Errors name
/// the limit (`EvaluationLimits.shards`).
public enum EvaluationLimits {
    /// Shards of one run (`--shard i/n` and results headers): a job array of this many tasks
    /// is far beyond any cluster allocation; the merge lists missing shards up to this count.
    public static let shards = 100_000
    /// Model passes recorded for one image: the densest preset makes about 10^4; 2^32 leaves
    /// room while a sum over 2^31 records cannot overflow Int.
    public static let passesPerImage = 1 << 32
    /// Annotated keypoints of one image (`unnamed`, and keypoint records): COCO has 17,
    /// FaceSynthetics 70.
    public static let keypointsPerImage = 100_000
    /// Bytes of one results file (about 1 KB per image: 10^6 images fit).
    public static let resultsFileBytes = 4 << 30
    /// Bytes of one annotation file (COCO's person_keypoints_train2017.json is 238 MB).
    public static let annotationFileBytes = 1 << 30
}
