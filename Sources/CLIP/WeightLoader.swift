import Foundation
import KeypointsSupport
import Tensor

/// The one loading path of every model family (CLIP, DINO ViT): reads parameters by key from a
/// `WeightSource`, checks each against the family's expected-shape table (`WeightNames`), counts
/// them, and remembers which keys were read so the rest can be reported as unused.
struct WeightLoader<Source: WeightSource> {
    let source: Source
    let shapes: [String: [Int]]
    private(set) var requested = Set<String>()
    private(set) var parameterCount = 0

    init(source: Source, expected: [(key: String, shape: [Int])]) {
        self.source = source
        self.shapes = Dictionary(uniqueKeysWithValues: expected.map { ($0.key, $0.shape) })
    }

    /// The tensor `key` as Float32, checked against its expected shape.
    mutating func tensor(_ key: String) throws(CLIPError) -> [Float] {
        requested.insert(key)
        let t = try source.tensor(key, shape: shapes[key] ?? [])
        parameterCount += t.count
        return t
    }

    /// A `Linear` from `module.weight` (N, K) and, with `bias`, `module.bias` (N).
    mutating func linear(_ module: String, bias: Bool = true) throws(CLIPError) -> Linear {
        let w = try tensor(WeightNames.weight(module))
        let shape = shapes[WeightNames.weight(module)] ?? []
        precondition(shape.count == 2, "WeightNames lists no 2-D shape for \(module)")
        let b = bias ? try tensor(WeightNames.bias(module)) : nil
        return Linear(weight: w, bias: b, outFeatures: shape[0], inFeatures: shape[1])
    }

    mutating func norm(_ module: String) throws(CLIPError) -> (gamma: [Float], beta: [Float]) {
        (try tensor(WeightNames.weight(module)), try tensor(WeightNames.bias(module)))
    }

    /// A stack of pre-norm layers, q, k and v fused into one (3C, C) projection.
    /// - Parameters:
    ///   - prefix: the key prefix of layer l.
    ///   - qkvBias: whether q, k and v have biases (zeros are used otherwise).
    mutating func encoder(
        layers count: Int, prefix: (Int) -> String, keys: WeightNames.LayerKeys, width c: Int,
        heads: Int, intermediate: Int, activation: Activation, eps: Float,
        qkvBias: Bool = true
    ) throws(CLIPError) -> TransformerEncoder {
        var layers: [TransformerLayer] = []
        for l in 0..<count {
            let p = prefix(l)
            let q = try linear(p + keys.q, bias: qkvBias)
            let k = try linear(p + keys.k, bias: qkvBias)
            let v = try linear(p + keys.v, bias: qkvBias)
            let zeros = [Float](repeating: 0, count: c)
            let qkv = Linear(
                weight: q.weight + k.weight + v.weight,
                bias: (q.bias ?? zeros) + (k.bias ?? zeros) + (v.bias ?? zeros),
                outFeatures: 3 * c, inFeatures: c)
            layers.append(
                TransformerLayer(
                    layerNorm1: try norm(p + keys.layerNorm1), qkv: qkv, out: try linear(p + keys.out),
                    layerNorm2: try norm(p + keys.layerNorm2),
                    fc1: try linear(p + keys.fc1), fc2: try linear(p + keys.fc2)))
        }
        return TransformerEncoder(
            width: c, heads: heads, intermediate: intermediate, activation: activation,
            eps: eps, layers: layers)
    }

    /// Keys of the source never read, except those `ignored` says the family may carry.
    func unusedKeys(ignoring ignored: (String) -> Bool = { _ in false }) -> [String] {
        source.unusedKeys(requested: requested).filter { !ignored($0) }
    }
}

/// A Hugging Face model directory: config.json and the weights, `model.safetensors` or, when it is
/// absent, the shards `model.safetensors.index.json` names (`ShardedSafeTensors`); checked the
/// same way for every model family. When both are present the single file is used, as
/// transformers' `from_pretrained` does.
struct CheckpointDirectory {
    let configURL: URL
    let weights: any WeightSource
    /// The weights' dtypes joined with "+" ("F32", "F16", "BF16"), buffers excluded, over all shards.
    let dtype: String

    /// - Parameter family: what the directory should hold, for error hints ("CLIP", "DINO ViT").
    init(directory: URL, family: String) throws(CLIPError) {
        let weightsURL = directory.appendingPathComponent(SafeTensorsIndex.singleFileName)
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory.path, isDirectory: &isDir), isDir.boolValue else {
            throw .missingFile(
                path: directory.path,
                hint: "expected a \(family) model directory with config.json and model.safetensors "
                    + "(or model.safetensors.index.json and its shards)")
        }
        configURL = directory.appendingPathComponent("config.json")
        let entries: [SafeTensorsEntry]
        switch SafeTensorsIndex.layout(of: directory) {
        case .singleFile:
            let file: SafeTensorsFile
            do { file = try SafeTensorsFile(url: weightsURL) } catch { throw .safeTensors(error) }
            weights = file
            entries = Array(file.entries.values)
        case .sharded:
            let sharded = try ShardedSafeTensors(folder: directory)
            weights = sharded
            entries = sharded.entries
        case .none:
            let hasBin =
                FileManager.default.fileExists(atPath: directory.appendingPathComponent("pytorch_model.bin").path)
                || FileManager.default.fileExists(
                    atPath: directory.appendingPathComponent("pytorch_model.bin.index.json").path)
            throw .missingFile(
                path: weightsURL.path,
                hint: hasBin
                    ? "only pytorch_model.bin found; keypoints never unpickles: download model.safetensors "
                        + "(or model.safetensors.index.json and its shards) from the same repository"
                    : "download model.safetensors, or model.safetensors.index.json and its shards, from the "
                        + "Hugging Face repository")
        }
        dtype = Set(entries.filter { !WeightNames.expectedBuffers.contains($0.key) }.map(\.dtype.rawValue))
            .sorted().joined(separator: "+")
    }
}
