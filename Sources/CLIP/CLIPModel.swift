import Foundation
import KeypointsSupport
import Tensor

/// Where parameters come from: a checkpoint file or the synthetic generator.
public protocol WeightSource {
    /// The tensor for `key`, checked against `shape`, as Float32.
    func tensor(_ key: String, shape: [Int]) throws(CLIPError) -> [Float]
    /// Keys present but never requested (reported as unused).
    func unusedKeys(requested: Set<String>) -> [String]
}

extension SafeTensorsFile: WeightSource {
    public func tensor(_ key: String, shape: [Int]) throws(CLIPError) -> [Float] {
        guard let e = entries[key] else { throw .missingWeight(path: path, key: key, expectedShape: shape) }
        // A scalar may be stored as shape [] or [1].
        let scalarOK = shape.isEmpty && e.shape == [1]
        guard e.shape == shape || scalarOK else {
            throw .wrongShape(path: path, key: key, expected: shape, actual: e.shape)
        }
        do { return try floats(key) } catch { throw .safeTensors(error) }
    }

    public func unusedKeys(requested: Set<String>) -> [String] {
        keys.filter { !requested.contains($0) && !WeightNames.expectedBuffers.contains($0) }
    }
}

extension SyntheticWeights: WeightSource {
    public func tensor(_ key: String, shape: [Int]) throws(CLIPError) -> [Float] {
        tensor(key: key, shape: shape)
    }
    public func unusedKeys(requested: Set<String>) -> [String] { [] }
}

/// A CLIP ViT model (both towers), immutable and Sendable after loading.
///
/// Reproduces transformers' CLIPModel.get_image_features / get_text_features (= OpenAI CLIP's
/// encode_image / encode_text) in fp32; all matrix products go through `backend`.
public struct CLIPModel: BackendModel, CheckpointModel {
    public let configuration: CLIPConfiguration
    public let vision: TransformerEncoder
    public let text: TransformerEncoder
    /// Warnings from loading (unused checkpoint keys), for the caller to print.
    public let warnings: [String]
    /// The dtype of the checkpoint's weights ("F32", "F16", "BF16", or "synthetic").
    public let weightDType: String
    public let parameterCount: Int
    public private(set) var backend: any LinearBackend

    // Vision embeddings and head.
    let classEmbedding: [Float]  // (Cv)
    let patchEmbedding: Linear  // (Cv, 3 P P), no bias
    let visionPositions: [Float]  // (Tv, Cv)
    let preLayerNorm: (gamma: [Float], beta: [Float])
    let postLayerNorm: (gamma: [Float], beta: [Float])
    let visualProjection: Linear  // (E, Cv), no bias
    // Text embeddings and head.
    let tokenEmbedding: [Float]  // (V, Ct)
    let textPositions: [Float]  // (77, Ct)
    let finalLayerNorm: (gamma: [Float], beta: [Float])
    let textProjection: Linear  // (E, Ct), no bias
    /// The raw parameter; the similarity scale is exp(logitScale).
    public let logitScale: Float

    public var imageSize: Int { configuration.vision.imageSize }
    public var embeddingDim: Int { configuration.projectionDim }

    // MARK: - Loading

    /// `init(directory:)` (CheckpointModel) loads a Hugging Face `openai/clip-vit-*` directory.
    public static let family = "CLIP"

    /// Builds the model from any weight source (a checkpoint or `SyntheticWeights`).
    public init(
        configuration config: CLIPConfiguration, weights: some WeightSource, dtype: String,
        backend: any LinearBackend = SgemmBackend()
    ) throws(CLIPError) {
        do { try BLAS.load() } catch { throw .badInput(rawMessage(of: error)) }
        var load = WeightLoader(source: weights, expected: WeightNames.expectedTensors(for: config))
        func encoder(_ tower: String, _ t: TowerConfiguration) throws(CLIPError) -> TransformerEncoder {
            try load.encoder(
                layers: t.numHiddenLayers, prefix: { WeightNames.layerPrefix(tower, $0) },
                keys: WeightNames.clipLayer, width: t.hiddenSize, heads: t.numAttentionHeads,
                intermediate: t.intermediateSize, activation: t.hiddenAct, eps: t.layerNormEps)
        }

        let v = config.vision
        let t = config.text
        configuration = config
        self.backend = backend
        classEmbedding = try load.tensor(WeightNames.Vision.classEmbedding)
        let patch = try load.tensor(WeightNames.Vision.patchEmbedding)
        patchEmbedding = Linear(
            weight: patch, bias: nil, outFeatures: v.hiddenSize,
            inFeatures: v.numChannels * v.patchSize * v.patchSize)
        visionPositions = try load.tensor(WeightNames.Vision.positionEmbedding)
        preLayerNorm = try load.norm(WeightNames.Vision.preLayerNorm)
        vision = try encoder(WeightNames.Vision.prefix, v)
        postLayerNorm = try load.norm(WeightNames.Vision.postLayerNorm)
        tokenEmbedding = try load.tensor(WeightNames.Text.tokenEmbedding)
        textPositions = try load.tensor(WeightNames.Text.positionEmbedding)
        text = try encoder(WeightNames.Text.prefix, t)
        finalLayerNorm = try load.norm(WeightNames.Text.finalLayerNorm)
        visualProjection = try load.linear(WeightNames.visualProjection, bias: false)
        textProjection = try load.linear(WeightNames.textProjection, bias: false)
        logitScale = try load.tensor(WeightNames.logitScale)[0]
        parameterCount = load.parameterCount
        weightDType = dtype
        warnings = load.unusedKeys().map { "unused checkpoint tensor '\($0)' (not part of a CLIP ViT)" }
    }

    // MARK: - Image tower

    /// Image embeddings.
    ///
    /// pixels: (B, 3, S, S) normalised CHW -> (B, E), L2-normalised unless `normalize` is false.
    /// - Parameter pooled: if given, receives the post-layernorm class tokens (B, Cv).
    public func encodeImages(
        pixels: UnsafePointer<Float>, count b: Int, workspace ws: Workspace,
        normalize: Bool = true, pooled: UnsafeMutablePointer<Float>? = nil
    ) -> [Float] {
        let v = configuration.vision
        let c = v.hiddenSize
        let p = v.patchSize
        let s = v.imageSize
        let g = s / p
        let patches = g * g
        let t = patches + 1
        let k = 3 * p * p
        let e = configuration.projectionDim
        guard b > 0 else { return [] }
        // im2col: pixels (B, 3, S, S) -> cols (B P, 3 p p) in the conv weight's (c, ky, kx) order.
        let cols = ws.buffer(.patches, count: b * patches * k)
        PatchEmbedding.im2col(pixels, batch: b, rows: g, cols: g, patch: p, into: cols, workers: ws.workers)
        // cols (B P, 3 p p) -> embedded (B P, C)
        let embedded = ws.buffer(.attention, count: b * max(patches, t) * c)
        backend.apply(patchEmbedding, x: cols, rows: b * patches, y: embedded, accumulate: false)
        // x (B, T, C): [class; patches] + positions
        let x = ws.buffer(.residual, count: b * t * c)
        classEmbedding.withUnsafeBufferPointer { cls in
            visionPositions.withUnsafeBufferPointer { pos in
                for bi in 0..<b {
                    let row0 = x + bi * t * c
                    for j in 0..<c { row0[j] = cls[j] + pos[j] }
                    for pi in 0..<patches {
                        let dst = row0 + (pi + 1) * c
                        let src = embedded + (bi * patches + pi) * c
                        let pp = pos.baseAddress! + (pi + 1) * c
                        for j in 0..<c { dst[j] = src[j] + pp[j] }
                    }
                }
            }
        }
        Kernels.layerNorm(
            x, rows: b * t, width: c, parameters: preLayerNorm, eps: v.layerNormEps, y: x, workers: ws.workers,
            profiler: backend.profiler)
        let cls = ws.buffer(.pooled, count: b * c)
        vision.forward(
            x, batch: b, tokens: t, causal: false, backend: backend, workspace: ws,
            pooledRows: [Int](repeating: 0, count: b), pooledOut: cls)
        Kernels.layerNorm(
            cls, rows: b, width: c, parameters: postLayerNorm, eps: v.layerNormEps, y: cls, workers: ws.workers,
            profiler: backend.profiler)
        if let pooled { pooled.update(from: cls, count: b * c) }
        return project(cls, rows: b, projection: visualProjection, dim: e, normalize: normalize)
    }

    /// Convenience over a Swift array: pixels.count must be B x 3 x S x S.
    public func encodeImages(pixels: [Float], workspace ws: Workspace, normalize: Bool = true) throws(CLIPError)
        -> [Float]
    {
        let per = 3 * imageSize * imageSize
        guard !pixels.isEmpty, pixels.count % per == 0 else {
            throw .badInput(
                "encodeImages: \(pixels.count) floats is not a whole number of 3x\(imageSize)x\(imageSize) images")
        }
        return pixels.withUnsafeBufferPointer {
            encodeImages(pixels: $0.baseAddress!, count: pixels.count / per, workspace: ws, normalize: normalize)
        }
    }

    // MARK: - Text tower

    /// Text embeddings.
    ///
    /// tokens: B rows of context-length ids (OpenAI layout: [sot, ..., eot, 0, ...]) -> (B, E).
    /// Only the first max(pooled position) + 1 tokens are computed: with the causal mask, later
    /// tokens cannot change the pooled one.
    /// - Parameter pooled: if given, receives the final-layernorm pooled tokens (B, Ct).
    public func encodeTexts(
        tokens: [[Int32]], workspace ws: Workspace, normalize: Bool = true,
        pooled: UnsafeMutablePointer<Float>? = nil
    ) throws(CLIPError) -> [Float] {
        let tc = configuration.text
        let c = tc.hiddenSize
        let e = configuration.projectionDim
        let b = tokens.count
        guard b > 0 else { return [] }
        var positions: [Int] = []
        for (i, row) in tokens.enumerated() {
            guard !row.isEmpty, row.count <= tc.maxPositionEmbeddings else {
                throw .badInput("text \(i): \(row.count) tokens; expected 1...\(tc.maxPositionEmbeddings)")
            }
            if let bad = row.first(where: { $0 < 0 || Int($0) >= tc.vocabSize }) {
                throw .badInput("text \(i): token id \(bad) outside the vocabulary of \(tc.vocabSize)")
            }
            positions.append(Self.poolPosition(row, config: tc))
        }
        let t = (positions.max() ?? 0) + 1
        let x = ws.buffer(.residual, count: b * t * c)
        tokenEmbedding.withUnsafeBufferPointer { tok in
            textPositions.withUnsafeBufferPointer { pos in
                for bi in 0..<b {
                    for ti in 0..<t {
                        let id = ti < tokens[bi].count ? Int(tokens[bi][ti]) : 0
                        let dst = x + (bi * t + ti) * c
                        let te = tok.baseAddress! + id * c
                        let pe = pos.baseAddress! + ti * c
                        for j in 0..<c { dst[j] = te[j] + pe[j] }
                    }
                }
            }
        }
        let out = ws.buffer(.pooled, count: b * c)
        text.forward(
            x, batch: b, tokens: t, causal: true, backend: backend, workspace: ws,
            pooledRows: positions, pooledOut: out)
        Kernels.layerNorm(
            out, rows: b, width: c, parameters: finalLayerNorm, eps: tc.layerNormEps, y: out, workers: ws.workers,
            profiler: backend.profiler)
        if let pooled { pooled.update(from: out, count: b * c) }
        return project(out, rows: b, projection: textProjection, dim: e, normalize: normalize)
    }

    /// transformers' pooling: argmax of ids (legacy eos_token_id == 2, the OpenAI hub configs),
    /// else the first position holding eos_token_id (the last position if there is none).
    static func poolPosition(_ row: [Int32], config: TowerConfiguration) -> Int {
        if config.poolsAtArgmax {
            var best = 0
            for (i, id) in row.enumerated() where id > row[best] { best = i }
            return best
        }
        return row.firstIndex(of: Int32(config.eosTokenId)) ?? (row.count - 1)
    }

    // x: (R, C) -> (R, E)
    private func project(
        _ x: UnsafePointer<Float>, rows: Int, projection: Linear, dim e: Int,
        normalize: Bool
    ) -> [Float] {
        var result = [Float](repeating: 0, count: rows * e)
        result.withUnsafeMutableBufferPointer { r in
            backend.apply(projection, x: x, rows: rows, y: r.baseAddress!, accumulate: false)
            if normalize { Kernels.l2NormalizeRows(r.baseAddress!, rows: rows, width: e) }
        }
        return result
    }

    /// This model with its products on `backend` (the weights are shared, not copied): e.g. the
    /// same backend reporting to a profiler.
    public func using(_ backend: any LinearBackend) -> CLIPModel {
        var model = self
        model.backend = backend
        return model
    }

    /// Every `Linear` of the model (for backends that convert weights ahead of time).
    public var linearLayers: [Linear] {
        (vision.layers + text.layers).flatMap { [$0.qkv, $0.out, $0.fc1, $0.fc2] }
            + [patchEmbedding, visualProjection, textProjection]
    }

    // MARK: - Cost

    /// FLOPs of one image through the image tower (patch embedding, layers, projection).
    public var imageFLOPs: Double {
        let v = configuration.vision
        let t = v.visionTokens
        return patchEmbedding.flops(rows: t - 1) + vision.flops(batch: 1, tokens: t)
            + visualProjection.flops(rows: 1)
    }

    /// FLOPs of one text of `tokens` tokens through the text tower.
    public func textFLOPs(tokens: Int) -> Double {
        text.flops(batch: 1, tokens: tokens) + textProjection.flops(rows: 1)
    }
}
