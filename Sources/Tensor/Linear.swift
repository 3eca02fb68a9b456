/// A fully connected layer in PyTorch's layout: weight (N, K) = (out, in), bias (N) or none.
/// Immutable after loading.
public struct Linear: Sendable {
    public let outFeatures: Int
    public let inFeatures: Int
    public let weight: [Float]
    public let bias: [Float]?

    public init(weight: [Float], bias: [Float]?, outFeatures: Int, inFeatures: Int) {
        precondition(weight.count == outFeatures * inFeatures, "Linear: weight count")
        precondition(bias == nil || bias!.count == outFeatures, "Linear: bias count")
        self.weight = weight
        self.bias = bias
        self.outFeatures = outFeatures
        self.inFeatures = inFeatures
    }

    /// Floating-point operations of one application to `rows` rows (multiply-adds count 2).
    public func flops(rows: Int) -> Double { 2 * Double(rows) * Double(inFeatures) * Double(outFeatures) }
}
