import Foundation
import Tensor

/// A configuration read from a checkpoint directory's config.json (`CLIPConfiguration`,
/// `ViTConfiguration`): decoded, then checked against `TransformerLimits`.
public protocol CheckpointConfiguration: Sendable {
    static func load(from url: URL) throws(CLIPError) -> Self
}

/// A model family built from its configuration and a weight source (`CLIPModel`, `DINOModel`):
/// loaded from a Hugging Face directory or made with random weights the same way for every family.
public protocol CheckpointModel {
    associatedtype Configuration: CheckpointConfiguration
    /// How errors about the directory name the family ("CLIP", "DINO ViT").
    static var family: String { get }
    /// Builds the model from any weight source (a checkpoint or `SyntheticWeights`).
    init(
        configuration: Configuration, weights: some WeightSource, dtype: String, backend: any LinearBackend
    ) throws(CLIPError)
}

extension CheckpointModel {
    /// Loads a Hugging Face directory of the family: config.json + model.safetensors.
    public init(directory: URL, backend: any LinearBackend = SgemmBackend()) throws(CLIPError) {
        let checkpoint = try CheckpointDirectory(directory: directory, family: Self.family)
        let config = try Configuration.load(from: checkpoint.configURL)
        try self.init(configuration: config, weights: checkpoint.weights, dtype: checkpoint.dtype, backend: backend)
    }

    /// A random-weight model of a given shape (`keypoints bench --arch`, timing without a download).
    public init(
        synthetic config: Configuration, seed: UInt64 = SyntheticWeights.referenceSeed,
        backend: any LinearBackend = SgemmBackend()
    ) throws(CLIPError) {
        try self.init(
            configuration: config, weights: SyntheticWeights(seed: seed), dtype: "synthetic", backend: backend)
    }
}

extension CLIPConfiguration: CheckpointConfiguration {}
extension ViTConfiguration: CheckpointConfiguration {}
