import KeypointsSupport

/// Deterministic pseudo-random CLIP weights, bit-identical to the generator in
/// Tests/CLIPTests/Fixtures/make_reference.py (the spec is written out there and in
/// `tensor(key:shape:)` below).
///
/// Used for a model of a real architecture shape whose weights are not committed (tests compare
/// it with PyTorch reference vectors) and for `keypoints bench --arch`, which measures speed
/// without downloading weights.
public struct SyntheticWeights: Sendable {
    public let seed: UInt64
    /// Seed of the committed ViT-B/32 references.
    public static let referenceSeed: UInt64 = 20_231_002

    public init(seed: UInt64) { self.seed = seed }

    /// (center, scale) of the uniform distribution for a key; nil for buffers.
    /// shape: the PyTorch shape of the tensor.
    public static func distribution(key: String, shape: [Int]) -> (center: Float, scale: Float)? {
        if key.hasSuffix("position_ids") { return nil }
        let isNorm = key.contains("layer_norm") || key.contains("layrnorm") || key.contains("layernorm")
        if isNorm && key.hasSuffix(".weight") { return (1, 0.2) }
        if isNorm && key.hasSuffix(".bias") { return (0, 0.1) }
        if key.hasSuffix("class_embedding") || key.hasSuffix("position_embedding.weight")
            || key.hasSuffix("token_embedding.weight")
        {
            return (0, 0.2)
        }
        if key.hasSuffix("patch_embedding.weight") {
            let p = shape.count == 4 ? shape[3] : 1
            return (0, Float((3.0 / Double(3 * p * p)).squareRoot()))
        }
        if key.hasSuffix(".weight") {
            let fanIn = shape.count == 2 ? shape[1] : 1
            return (0, Float((3.0 / Double(fanIn)).squareRoot()))
        }
        if key.hasSuffix(".bias") { return (0, 0.05) }
        return (0, 0.05)
    }

    /// Fills a tensor: element i = center + scale * (2 u_i - 1), u_i the top 24 bits of output
    /// i + 1 of SplitMix64 seeded with seed ^ FNV-1a(key), i.e. the finalisation of
    /// (seed ^ fnv1a(key)) + (i + 1) * golden.
    public func tensor(key: String, shape: [Int]) -> [Float] {
        if key == WeightNames.logitScale { return [2.6592600345611572] }
        guard let (center, scale) = Self.distribution(key: key, shape: shape) else { return [] }
        let n = shape.reduce(1, *)
        var rng = SplitMix64(seed: seed ^ FNV1a.hash64(key))
        return [Float](unsafeUninitializedCapacity: n) { buffer, initialized in
            for i in 0..<n {
                let z = rng.next()
                let u = Float(z >> 40) / 16_777_216
                let v = 2 * u - 1
                let scaled = scale * v
                buffer[i] = center + scaled
            }
            initialized = n
        }
    }
}
