/// A loaded network whose matrix products run on a `LinearBackend` (a CLIP model, a DINO ViT):
/// what a loader needs to get it ready (convert its weights for the backend, show its warnings).
public protocol BackendModel: Sendable {
    /// The backend every product of the model runs on.
    var backend: any LinearBackend { get }
    /// Every `Linear` of the model (for backends that convert weights ahead of time).
    var linearLayers: [Linear] { get }
    /// Warnings from loading (e.g. unused checkpoint tensors), for the caller to print.
    var warnings: [String] { get }
}

extension BackendModel {
    /// Converts the model's weights for its backend now rather than on the first batch.
    public func prepareBackend() throws { try backend.prepare(linearLayers) }
}
