import Foundation
import KeypointsSupport
import Testing

@testable import CLIP

/// tiny-quickgelu saved in shards: the committed index transformers wrote
/// (Fixtures/sharded/model.safetensors.index.json, make_sharded.py) with its three shards rebuilt
/// from the committed single file, one F32 safetensors file per shard name holding the keys the
/// index assigns to it (make_sharded.py checked that transformers' shards hold exactly those
/// tensors, bit for bit).
enum ShardedFixture {
    typealias Tensor = (key: String, shape: [Int], values: [Float])

    static var index: URL { Fixtures.root.appendingPathComponent("sharded/\(SafeTensorsIndex.fileName)") }

    /// The shards' tensors by shard name, as the committed index assigns them.
    static func shards() throws -> [String: [Tensor]] {
        let single = try SafeTensorsFile(
            url: Fixtures.model("tiny-quickgelu").appendingPathComponent("model.safetensors"))
        let map = try SafeTensorsIndex.parse(Data(contentsOf: index), file: index.path).weightMap
        var shards: [String: [Tensor]] = [:]
        for (key, shard) in map.sorted(by: { $0.key < $1.key }) {
            shards[shard, default: []].append(
                (key: key, shape: try single.entry(key).shape, values: try single.floats(key)))
        }
        return shards
    }

    /// A model folder: tiny-quickgelu's config and tokenizer, the index (`indexText`, else the
    /// committed one) and the shards after `edit`.
    static func folder(
        indexText: String? = nil, edit: (inout [String: [Tensor]]) -> Void = { _ in }
    ) throws -> URL {
        let source = Fixtures.model("tiny-quickgelu")
        let dir = try Fixtures.tempDirectory()
        for name in ["config.json", "vocab.json", "merges.txt"] {
            try FileManager.default.copyItem(
                at: source.appendingPathComponent(name), to: dir.appendingPathComponent(name))
        }
        let indexURL = dir.appendingPathComponent(SafeTensorsIndex.fileName)
        if let indexText {
            try Data(indexText.utf8).write(to: indexURL)
        } else {
            try FileManager.default.copyItem(at: index, to: indexURL)
        }
        var shards = try shards()
        edit(&shards)
        for (name, tensors) in shards {
            try SafeTensorsWriter.write(tensors, to: dir.appendingPathComponent(name))
        }
        return dir
    }

    static let first = "model-00001-of-00003.safetensors"
    static let second = "model-00002-of-00003.safetensors"
    static let third = "model-00003-of-00003.safetensors"
}

@Suite struct ShardedCheckpointTests {
    /// Loading `dir` fails with a message holding every one of `parts`.
    func expectLoadError(
        _ dir: URL, _ parts: [String], sourceLocation: SourceLocation = #_sourceLocation
    ) {
        do {
            _ = try CLIPModel(directory: dir)
            Issue.record("loaded without an error", sourceLocation: sourceLocation)
        } catch {
            for part in parts {
                #expect("\(error)".contains(part), "\(error) lacks \(part)", sourceLocation: sourceLocation)
            }
        }
    }

    @Test func committedIndexIsTransformersThreeShards() throws {
        let index = try SafeTensorsIndex.parse(Data(contentsOf: ShardedFixture.index), file: "index")
        #expect(index.shards == [ShardedFixture.first, ShardedFixture.second, ShardedFixture.third])
        #expect(index.weightMap.count == 78)
        #expect(index.totalSize == 799_556)
    }

    @Test func shardedModelGivesTheSingleFilesEmbeddingsBitForBit() throws {
        let dir = try ShardedFixture.folder()
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("model.safetensors").path))
        let sharded = try CLIPModel(directory: dir)
        let single = try CLIPModel(directory: Fixtures.model("tiny-quickgelu"))
        #expect(sharded.warnings.isEmpty, "\(sharded.warnings)")
        #expect(sharded.weightDType == "F32")
        #expect(sharded.parameterCount == single.parameterCount)
        #expect(sharded.logitScale == single.logitScale)

        let ref = try Fixtures.reference("tiny-quickgelu")
        let pixels = try ref.floats("pixel_values")
        let ws = Workspace(workers: 2)
        let images = try sharded.encodeImages(pixels: pixels, workspace: ws)
        #expect(images == (try single.encodeImages(pixels: pixels, workspace: ws)))
        let ids = try ref.integers("input_ids")
        let tokens = stride(from: 0, to: ids.count, by: 77).map { ids[$0..<($0 + 77)].map { Int32($0) } }
        let texts = try sharded.encodeTexts(tokens: tokens, workspace: ws)
        #expect(texts == (try single.encodeTexts(tokens: tokens, workspace: ws)))
        // And so the transformers reference holds for the sharded model too.
        let expected = try ref.floats("image_embeds")
        let e = sharded.embeddingDim
        for row in 0..<3 {
            #expect(compareRows(images, expected, width: e, row: row).cosine >= embeddingCosineTolerance)
        }
    }

    @Test func singleFileIsUsedWhenBothArePresent() throws {
        // The index is broken: it is not read when model.safetensors is there (as transformers).
        let dir = try ShardedFixture.folder(indexText: "{")
        try FileManager.default.copyItem(
            at: Fixtures.model("tiny-quickgelu").appendingPathComponent("model.safetensors"),
            to: dir.appendingPathComponent("model.safetensors"))
        let model = try CLIPModel(directory: dir)
        #expect(model.weightDType == "F32")
        try FileManager.default.removeItem(at: dir.appendingPathComponent("model.safetensors"))
        expectLoadError(dir, [SafeTensorsIndex.fileName, "(JSON syntax)"])
    }

    @Test func indexAndShardsMustAgree() throws {
        // A key the index assigns to a shard that does not hold it.
        let absent = try ShardedFixture.folder {
            $0[ShardedFixture.second]?.removeAll { $0.key == "text_projection.weight" }
        }
        expectLoadError(absent, [ShardedFixture.second, "'text_projection.weight'", "does not hold it"])
        // A tensor of a shard that weight_map does not list.
        let unlisted = try ShardedFixture.folder {
            $0[ShardedFixture.third]?.append((key: "vision_model.head.weight", shape: [2], values: [1, 2]))
        }
        expectLoadError(
            unlisted, [ShardedFixture.third, "'vision_model.head.weight'", "not in the index's weight_map"])
        // A key in two shards: logit_scale (in the first) copied into the third.
        let twice = try ShardedFixture.folder { shards in
            if let t = shards[ShardedFixture.first]?.first(where: { $0.key == "logit_scale" }) {
                shards[ShardedFixture.third]?.append(t)
            }
        }
        expectLoadError(
            twice, [ShardedFixture.third, "'logit_scale'", "weight_map assigns it to \(ShardedFixture.first)"])
        // A shard-named file the index does not name.
        let stray = try ShardedFixture.folder {
            $0["model-00004-of-00004.safetensors"] = [(key: "x", shape: [1], values: [0])]
        }
        expectLoadError(stray, ["model-00004-of-00004.safetensors", "does not name"])
        // A shard the index names is missing.
        let missing = try ShardedFixture.folder { $0[ShardedFixture.third] = nil }
        expectLoadError(missing, [SafeTensorsIndex.fileName, ShardedFixture.third, "not in the folder"])
        // A damaged shard is named as any damaged safetensors file.
        let damaged = try ShardedFixture.folder()
        try Data([1, 2, 3]).write(to: damaged.appendingPathComponent(ShardedFixture.second))
        expectLoadError(damaged, [ShardedFixture.second, "not a safetensors file"])
    }

    @Test func loaderChecksHoldAcrossShards() throws {
        // Removed from its shard and from the index: missing, named with the index's path.
        let committed = try String(contentsOf: ShardedFixture.index, encoding: .utf8)
        let withoutBias = committed.replacingOccurrences(
            of: #""text_model.final_layer_norm.bias": "model-00002-of-00003.safetensors","#, with: "")
        #expect(withoutBias != committed)
        let missing = try ShardedFixture.folder(indexText: withoutBias) {
            $0[ShardedFixture.second]?.removeAll { $0.key == "text_model.final_layer_norm.bias" }
        }
        expectLoadError(
            missing, [SafeTensorsIndex.fileName, "missing tensor 'text_model.final_layer_norm.bias'", "[48]"])
        // A wrong shape is named with its shard's path.
        let wrong = try ShardedFixture.folder { shards in
            for (name, tensors) in shards {
                shards[name] = tensors.map {
                    $0.key == "visual_projection.weight" ? (key: $0.key, shape: [64, 32], values: $0.values) : $0
                }
            }
        }
        expectLoadError(
            wrong, ["'visual_projection.weight' has shape [64, 32], expected [32, 64]", "-of-00003.safetensors"])
        // An unused key listed in the index and present in its shard: a warning, as for one file.
        let extraIndex = committed.replacingOccurrences(
            of: #""logit_scale": "#,
            with: #""vision_model.head.weight": "model-00003-of-00003.safetensors", "logit_scale": "#)
        let extra = try ShardedFixture.folder(indexText: extraIndex) {
            $0[ShardedFixture.third]?.append((key: "vision_model.head.weight", shape: [2], values: [1, 2]))
        }
        let model = try CLIPModel(directory: extra)
        #expect(model.warnings.count == 1)
        #expect(model.warnings.first?.contains("vision_model.head.weight") == true)
    }

    @Test func malformedIndexesAreRefusedNamingTheField() throws {
        let cases: [(text: String, parts: [String])] = [
            ("{", ["(JSON syntax)"]),
            ("[]", ["expected an object"]),
            (#"{"metadata": {}}"#, ["weight_map", "missing required field"]),
            (#"{"weight_map": []}"#, ["weight_map", "expected an object"]),
            (#"{"weight_map": {}}"#, ["weight_map", "no tensors"]),
            (#"{"weight_map": {"a": 3}}"#, [#"weight_map["a"]"#, "expected a string"]),
            (#"{"weight_map": {"a": "../model-00001-of-00003.safetensors"}}"#, [#"weight_map["a"]"#, "no '/'"]),
            (#"{"weight_map": {"a": "/tmp/x.safetensors"}}"#, [#"weight_map["a"]"#, "file name"]),
            (#"{"weight_map": {"a": "sub/x.safetensors"}}"#, [#"weight_map["a"]"#, "file name"]),
            (#"{"weight_map": {"a": ".safetensors"}}"#, [#"weight_map["a"]"#, "file name"]),
            (#"{"weight_map": {"a": "model-00001-of-00003.bin"}}"#, [#"weight_map["a"]"#, ".safetensors"]),
            (
                #"{"weight_map": {"a": "x.safetensors"}, "metadata": {"total_size": -1}}"#,
                ["metadata.total_size", ">= 0"]
            ),
            (#"{"weight_map": {"a": "x.safetensors"}, "metadata": 3}"#, ["metadata", "expected an object"]),
            // The single file's name: never loaded as a shard (the single file wins when present).
            (#"{"weight_map": {"a": "model.safetensors"}}"#, [#"weight_map["a"]"#, "single-file checkpoint"]),
        ]
        for c in cases {
            let dir = try ShardedFixture.folder(indexText: c.text)
            expectLoadError(dir, [dir.appendingPathComponent(SafeTensorsIndex.fileName).path] + c.parts)
        }
        // Within its limits: a file over SafeTensorsIndexLimits.fileBytes is not read.
        let big = try ShardedFixture.folder(
            indexText: String(repeating: " ", count: SafeTensorsIndexLimits.fileBytes + 1))
        expectLoadError(big, ["SafeTensorsIndexLimits.fileBytes"])
    }

    @Test func shardNames() {
        for ok in [
            "model-00001-of-00002.safetensors", "diffusion_pytorch_model-00001-of-00002.safetensors", "a.safetensors",
        ] {
            #expect(SafeTensorsIndex.isShardName(ok), "\(ok)")
        }
        for bad in [
            "", ".safetensors", "..safetensors", "../a.safetensors", "a/b.safetensors", "/a.safetensors",
            "a.safetensors.part", "a b.safetensors", "a\\b.safetensors", "é.safetensors",
            String(repeating: "a", count: 250) + ".safetensors",
        ] {
            #expect(!SafeTensorsIndex.isShardName(bad), "\(bad)")
        }
        #expect(SafeTensorsIndex.looksLikeShard("model-00003-of-00003.safetensors"))
        #expect(!SafeTensorsIndex.looksLikeShard("open_clip_model.safetensors"))
        #expect(!SafeTensorsIndex.looksLikeShard("model.safetensors"))
    }
}
