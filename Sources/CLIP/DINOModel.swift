import Foundation
import KeypointsSupport
import Tensor

/// A DINO ViT in the Hugging Face `ViTModel` layout (facebook/dino-vits16, dino-vitb16,
/// dino-vits8), immutable and Sendable after loading.
///
/// Reproduces transformers' `ViTModel(pixel_values, interpolate_pos_encoding=True)` in fp32 on
/// inputs of any size that is a multiple of the patch: [class; patches] + bicubic-interpolated
/// position embeddings, pre-norm layers with exact GELU (the same `TransformerEncoder` and
/// `LinearBackend` as CLIP), final LayerNorm; no LayerNorm before the encoder.
public struct DINOModel: BackendModel, CheckpointModel {
    public let configuration: ViTConfiguration
    public let encoder: TransformerEncoder
    /// Warnings from loading (unused checkpoint keys), for the caller to print.
    public let warnings: [String]
    /// The dtype of the checkpoint's weights ("F32", "F16", "BF16", or "synthetic").
    public let weightDType: String
    public let parameterCount: Int
    public let backend: any LinearBackend

    let classToken: [Float]  // (C)
    let positions: [Float]  // (1 + g g, C): class position, then the g x g grid
    let patchProjection: Linear  // (C, 3 p p) with bias
    let finalLayerNorm: (gamma: [Float], beta: [Float])

    public var patchSize: Int { configuration.patchSize }
    public var width: Int { configuration.hiddenSize }

    // MARK: - Loading

    /// `init(directory:)` (CheckpointModel) loads a Hugging Face ViTModel directory.
    public static let family = "DINO ViT"

    /// Builds the model from any weight source (a checkpoint or `SyntheticWeights`).
    public init(
        configuration config: ViTConfiguration, weights: some WeightSource, dtype: String,
        backend: any LinearBackend = SgemmBackend()
    ) throws(CLIPError) {
        do { try BLAS.load() } catch { throw .badInput(rawMessage(of: error)) }
        let names = WeightNames.ViT.self
        var load = WeightLoader(source: weights, expected: names.expectedTensors(for: config))
        let c = config.hiddenSize
        configuration = config
        self.backend = backend
        classToken = try load.tensor(names.classToken)
        positions = try load.tensor(names.positionEmbeddings)
        let patchModule = names.patchProjection
        let patchWeight = try load.tensor(WeightNames.weight(patchModule))
        patchProjection = Linear(
            weight: patchWeight, bias: try load.tensor(WeightNames.bias(patchModule)),
            outFeatures: c, inFeatures: config.numChannels * config.patchSize * config.patchSize)
        encoder = try load.encoder(
            layers: config.numHiddenLayers, prefix: names.layerPrefix, keys: names.layer,
            width: c, heads: config.numAttentionHeads, intermediate: config.intermediateSize,
            activation: config.hiddenAct, eps: config.layerNormEps, qkvBias: config.qkvBias)
        finalLayerNorm = try load.norm(names.finalLayerNorm)
        parameterCount = load.parameterCount
        weightDType = dtype
        warnings = load.unusedKeys(ignoring: { $0.hasPrefix(names.ignoredPrefix) })
            .map { "unused checkpoint tensor '\($0)' (not part of a ViTModel)" }
    }

    // MARK: - Forward

    /// Position embeddings for a rows x cols token grid: (1 + rows cols, C), the class position
    /// first, the grid interpolated like transformers' `interpolate_pos_encoding`.
    public func positionEmbeddings(rows: Int, cols: Int) -> [Float] {
        let c = width
        let g = configuration.checkpointGrid
        let grid = Array(positions[c...])
        return Array(positions[..<c])
            + PositionInterpolation.bicubic(grid, height: g, width: g, channels: c, rows: rows, cols: cols)
    }

    /// One pass over a batch of padded images.
    ///
    /// pixels: (B, 3, rows p, cols p) normalised CHW
    ///   -> keys: (B, rows cols, C), the last layer's key projection (all heads, no class token);
    ///   -> hiddenStates: (B, 1 + rows cols, C), the final-LayerNorm output.
    /// Either output may be nil; without `hiddenStates` the pass stops after the last keys.
    public func forward(
        pixels: UnsafePointer<Float>, batch b: Int, rows: Int, cols: Int, workspace ws: Workspace,
        keys: UnsafeMutablePointer<Float>?, hiddenStates: UnsafeMutablePointer<Float>?
    ) {
        let c = width
        let p = patchSize
        let patches = rows * cols
        let t = patches + 1
        guard b > 0, patches > 0 else { return }
        // im2col: pixels (B, 3, H, W) -> cols (B P, 3 p p) -> embedded (B P, C)
        let im2col = ws.buffer(.patches, count: b * patches * 3 * p * p)
        PatchEmbedding.im2col(pixels, batch: b, rows: rows, cols: cols, patch: p, into: im2col, workers: ws.workers)
        let embedded = ws.buffer(.attention, count: b * t * c)
        backend.apply(patchProjection, x: im2col, rows: b * patches, y: embedded, accumulate: false)
        // x (B, T, C): [class; patches] + positions
        let x = ws.buffer(.residual, count: b * t * c)
        let pos = positionEmbeddings(rows: rows, cols: cols)
        classToken.withUnsafeBufferPointer { cls in
            pos.withUnsafeBufferPointer { pe in
                for bi in 0..<b {
                    let row0 = x + bi * t * c
                    for j in 0..<c { row0[j] = cls[j] + pe[j] }
                    for pi in 0..<patches {
                        let dst = row0 + (pi + 1) * c
                        let src = embedded + (bi * patches + pi) * c
                        let pp = pe.baseAddress! + (pi + 1) * c
                        for j in 0..<c { dst[j] = src[j] + pp[j] }
                    }
                }
            }
        }
        let allKeys = keys == nil ? nil : ws.buffer(.keys, count: b * t * c)
        encoder.forward(
            x, batch: b, tokens: t, causal: false, backend: backend, workspace: ws,
            lastKeys: allKeys, stopAfterLastKeys: hiddenStates == nil)
        if let keys, let allKeys {
            // (B, T, C) -> (B, T - 1, C): drop the class token.
            for bi in 0..<b { (keys + bi * patches * c).update(from: allKeys + (bi * t + 1) * c, count: patches * c) }
        }
        if let hiddenStates {
            Kernels.layerNorm(
                x, rows: b * t, width: c, parameters: finalLayerNorm, eps: configuration.layerNormEps, y: hiddenStates,
                workers: ws.workers,
                profiler: backend.profiler)
        }
    }

    /// Convenience over Swift arrays for one image: pixels (3, rows p, cols p)
    /// -> keys (rows cols, C) and, when `withHiddenStates`, hidden states (1 + rows cols, C).
    public func run(
        pixels: [Float], rows: Int, cols: Int, workspace ws: Workspace,
        withHiddenStates: Bool = false
    ) throws(CLIPError) -> (keys: [Float], hiddenStates: [Float]) {
        let p = patchSize
        let c = width
        guard rows > 0, cols > 0, pixels.count == 3 * rows * p * cols * p else {
            throw .badInput(
                "DINO input: \(pixels.count) floats for a \(rows)x\(cols) grid of \(p) px patches (expected \(3 * rows * p * cols * p))"
            )
        }
        var keys = [Float](repeating: 0, count: rows * cols * c)
        var hidden = [Float](repeating: 0, count: withHiddenStates ? (rows * cols + 1) * c : 0)
        pixels.withUnsafeBufferPointer { px in
            keys.withUnsafeMutableBufferPointer { k in
                hidden.withUnsafeMutableBufferPointer { h in
                    forward(
                        pixels: px.baseAddress!, batch: 1, rows: rows, cols: cols, workspace: ws,
                        keys: k.baseAddress!, hiddenStates: withHiddenStates ? h.baseAddress! : nil)
                }
            }
        }
        return (keys, hidden)
    }

    /// Every `Linear` of the model (for backends that convert weights ahead of time).
    public var linearLayers: [Linear] {
        encoder.layers.flatMap { [$0.qkv, $0.out, $0.fc1, $0.fc2] } + [patchProjection]
    }

    /// FLOPs of one image of rows x cols patches up to the last keys.
    public func flops(rows: Int, cols: Int) -> Double {
        let t = rows * cols + 1
        return patchProjection.flops(rows: t - 1) + encoder.flops(batch: 1, tokens: t)
    }
}
