/// Caps on the files the model store reads back from a model folder (its own, but a folder can be
/// copied, edited or damaged), checked before the first byte is read.
public enum ModelStoreLimits {
    /// keypoints-manifest.json: one entry of a few hundred bytes per downloaded file.
    public static let manifestBytes = 1 << 20
    /// keypoints-digests.json: one entry of about 150 bytes per content file.
    public static let digestCacheBytes = 64 << 10
}
