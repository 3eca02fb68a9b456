import Foundation
import Testing

@testable import CLIP

/// Builds a raw safetensors file from a header object and a data section.
func rawSafeTensors(header: [String: Any], data: Data, claimedHeaderSize: UInt64? = nil) throws -> Data {
    let json = try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])
    var n = (claimedHeaderSize ?? UInt64(json.count)).littleEndian
    var out = Data()
    withUnsafeBytes(of: &n) { out.append(contentsOf: $0) }
    out.append(json)
    out.append(data)
    return out
}

@Suite struct SafeTensorsTests {
    func write(_ data: Data, name: String = "model.safetensors") throws -> URL {
        let url = try Fixtures.tempDirectory().appendingPathComponent(name)
        try data.write(to: url)
        return url
    }

    func expectError(
        _ data: Data, _ check: (SafeTensorsError) -> Bool, sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        let url = try write(data)
        do {
            _ = try SafeTensorsFile(url: url)
            Issue.record("no error", sourceLocation: sourceLocation)
        } catch {
            #expect(check(error), "\(error)", sourceLocation: sourceLocation)
            #expect(
                error.description.contains(url.path), "message does not name the file: \(error)",
                sourceLocation: sourceLocation)
        }
    }

    @Test func readsAllDTypes() throws {
        var data = Data()
        let f32: [Float] = [1.5, -2, 3.25]
        f32.withUnsafeBytes { data.append(contentsOf: $0) }
        let f16: [Float16] = [0.5, -1.25]
        f16.withUnsafeBytes { data.append(contentsOf: $0) }
        let bf16: [UInt16] = [0x3FC0, 0xC020]  // 1.5, -2.5
        bf16.withUnsafeBytes { data.append(contentsOf: $0) }
        let i64: [Int64] = [7, -3]
        i64.withUnsafeBytes { data.append(contentsOf: $0) }
        let header: [String: Any] = [
            "__metadata__": ["format": "pt"],
            "a": ["dtype": "F32", "shape": [3], "data_offsets": [0, 12]],
            "b": ["dtype": "F16", "shape": [1, 2], "data_offsets": [12, 16]],
            "c": ["dtype": "BF16", "shape": [2], "data_offsets": [16, 20]],
            "d": ["dtype": "I64", "shape": [2], "data_offsets": [20, 36]],
        ]
        let file = try SafeTensorsFile(url: try write(try rawSafeTensors(header: header, data: data)))
        #expect(try file.floats("a") == f32)
        #expect(try file.floats("b") == [0.5, -1.25])
        #expect(try file.floats("c") == [1.5, -2.5])
        #expect(try file.integers("d") == [7, -3])
        #expect(file.metadata["format"] == "pt")
        #expect(throws: SafeTensorsError.self) { try file.floats("zzz") }
    }

    @Test func rejectsMalformedFiles() throws {
        let ok: [String: Any] = ["a": ["dtype": "F32", "shape": [2], "data_offsets": [0, 8]]]
        let eight = Data(count: 8)
        // Too small for the header size.
        try expectError(Data([1, 2, 3])) { if case .tooSmall = $0 { true } else { false } }
        // Header claims more bytes than the file has.
        try expectError(try rawSafeTensors(header: ok, data: eight, claimedHeaderSize: 1 << 40)) {
            if case .headerSize = $0 { true } else { false }
        }
        // Truncated data section: offsets past the end.
        try expectError(try rawSafeTensors(header: ok, data: Data(count: 4))) {
            if case .outOfRange(_, let key, _, _, _) = $0 { key == "a" } else { false }
        }
        // Not JSON.
        var garbage = Data()
        var n = UInt64(5).littleEndian
        withUnsafeBytes(of: &n) { garbage.append(contentsOf: $0) }
        garbage.append(Data("{{{{{".utf8))
        try expectError(garbage) { if case .headerNotJSON = $0 { true } else { false } }
        // Unknown dtype.
        try expectError(
            try rawSafeTensors(header: ["a": ["dtype": "Q4", "shape": [2], "data_offsets": [0, 8]]], data: eight)
        ) {
            if case .unknownDType(_, "a", "Q4") = $0 { true } else { false }
        }
        // Shape and byte count disagree.
        try expectError(
            try rawSafeTensors(header: ["a": ["dtype": "F32", "shape": [3], "data_offsets": [0, 8]]], data: eight)
        ) {
            if case .sizeMismatch(_, "a", _, _, _) = $0 { true } else { false }
        }
        // Overlapping tensors.
        let overlapping: [String: Any] = [
            "a": ["dtype": "F32", "shape": [2], "data_offsets": [0, 8]],
            "b": ["dtype": "F32", "shape": [1], "data_offsets": [4, 8]],
        ]
        try expectError(try rawSafeTensors(header: overlapping, data: eight)) {
            if case .overlap = $0 { true } else { false }
        }
        // Negative / reversed offsets and a bad shape.
        try expectError(
            try rawSafeTensors(header: ["a": ["dtype": "F32", "shape": [2], "data_offsets": [8, 0]]], data: eight)
        ) {
            if case .badEntry(_, "a", _) = $0 { true } else { false }
        }
        try expectError(
            try rawSafeTensors(header: ["a": ["dtype": "F32", "shape": [-2], "data_offsets": [0, 8]]], data: eight)
        ) {
            if case .badEntry(_, "a", _) = $0 { true } else { false }
        }
    }

    @Test func truncatedCheckpointFailsWithItsPath() throws {
        let source = Fixtures.model("tiny-quickgelu")
        let dir = try Fixtures.tempDirectory()
        for name in ["config.json", "vocab.json", "merges.txt"] {
            try FileManager.default.copyItem(
                at: source.appendingPathComponent(name), to: dir.appendingPathComponent(name))
        }
        let weights = try Data(contentsOf: source.appendingPathComponent("model.safetensors"))
        try weights.prefix(weights.count - 1000).write(to: dir.appendingPathComponent("model.safetensors"))
        #expect { try CLIPModel(directory: dir) } throws: { error in
            "\(error)".contains("model.safetensors") && "\(error)".contains("outside the data section")
        }
    }

    /// Rewrites the tiny model's checkpoint through `edit` and returns the new directory.
    func editedModel(_ edit: (inout [(key: String, shape: [Int], values: [Float])]) -> Void) throws -> URL {
        let source = Fixtures.model("tiny-quickgelu")
        let dir = try Fixtures.tempDirectory()
        for name in ["config.json", "vocab.json", "merges.txt"] {
            try FileManager.default.copyItem(
                at: source.appendingPathComponent(name), to: dir.appendingPathComponent(name))
        }
        let file = try SafeTensorsFile(url: source.appendingPathComponent("model.safetensors"))
        var tensors = try file.keys.map { (key: $0, shape: try file.entry($0).shape, values: try file.floats($0)) }
        edit(&tensors)
        try SafeTensorsWriter.write(tensors, to: dir.appendingPathComponent("model.safetensors"))
        return dir
    }

    @Test func missingWrongShapeAndUnusedKeys() throws {
        let missing = try editedModel { $0.removeAll { $0.key == "text_model.final_layer_norm.bias" } }
        #expect { try CLIPModel(directory: missing) } throws: { error in
            "\(error)".contains("missing tensor 'text_model.final_layer_norm.bias'") && "\(error)".contains("[48]")
        }
        let wrong = try editedModel { t in
            if let i = t.firstIndex(where: { $0.key == "visual_projection.weight" }) {
                t[i] = (key: t[i].key, shape: [64, 32], values: t[i].values)
            }
        }
        #expect { try CLIPModel(directory: wrong) } throws: { error in
            "\(error)".contains("'visual_projection.weight' has shape [64, 32], expected [32, 64]")
        }
        let extra = try editedModel { $0.append((key: "vision_model.head.weight", shape: [2], values: [1, 2])) }
        let model = try CLIPModel(directory: extra)
        #expect(model.warnings.count == 1)
        #expect(model.warnings.first?.contains("vision_model.head.weight") == true)
    }

    @Test func configErrorsNameTheField() throws {
        let dir = try Fixtures.tempDirectory()
        let url = dir.appendingPathComponent("config.json")
        try Data(#"{"text_config": {"hidden_size": 48}, "vision_config": {}}"#.utf8).write(to: url)
        #expect { try CLIPConfiguration.load(from: url) } throws: { error in
            "\(error)".contains("config.json") && "\(error)".contains("text_config.intermediate_size")
        }
        try Data(
            #"{"text_config": {"hidden_size": 48, "intermediate_size": 8, "num_hidden_layers": 1, "num_attention_heads": 5}, "vision_config": {"hidden_size": 8, "intermediate_size": 8, "num_hidden_layers": 1, "num_attention_heads": 2}}"#
                .utf8
        ).write(to: url)
        #expect { try CLIPConfiguration.load(from: url) } throws: { error in
            "\(error)".contains("text_config.num_attention_heads")
        }
        // A negative image size passes the divisibility check and squares to a plausible token
        // count: it must be refused by name, not reach the preprocessor.
        try Data(
            #"{"text_config": {"hidden_size": 8, "intermediate_size": 8, "num_hidden_layers": 1, "num_attention_heads": 2}, "vision_config": {"hidden_size": 8, "intermediate_size": 8, "num_hidden_layers": 1, "num_attention_heads": 2, "image_size": -336, "patch_size": 14}}"#
                .utf8
        ).write(to: url)
        #expect { try CLIPConfiguration.load(from: url) } throws: { error in
            "\(error)".contains("vision_config.image_size")
        }
    }
}

@Suite struct HubConfigTests {
    /// The shape of the hub's older openai/clip-vit-* config.json files (transformers 4.x):
    /// generation fields, nulls, id2label, `*_config_dict: null`, legacy eos_token_id 2.
    @Test func legacyHubConfigDecodes() throws {
        let json = #"""
            {"_name_or_path": "openai/clip-vit-base-patch32", "architectures": ["CLIPModel"], "initializer_factor": 1.0,
             "logit_scale_init_value": 2.6592, "model_type": "clip", "projection_dim": 512,
             "text_config": {"_name_or_path": "", "architectures": null, "attention_dropout": 0.0, "bad_words_ids": null,
               "bos_token_id": 0, "eos_token_id": 2, "hidden_act": "quick_gelu", "hidden_size": 512,
               "id2label": {"0": "LABEL_0", "1": "LABEL_1"}, "initializer_factor": 1.0, "initializer_range": 0.02,
               "intermediate_size": 2048, "layer_norm_eps": 1e-05, "max_length": 20, "max_position_embeddings": 77,
               "model_type": "clip_text_model", "num_attention_heads": 8, "num_hidden_layers": 12, "pad_token_id": 1,
               "prefix": null, "projection_dim": 512, "pruned_heads": {}, "vocab_size": 49408},
             "text_config_dict": null, "torch_dtype": "float32", "transformers_version": null,
             "vision_config": {"dropout": 0.0, "hidden_act": "quick_gelu", "hidden_size": 768, "image_size": 224,
               "intermediate_size": 3072, "layer_norm_eps": 1e-05, "model_type": "clip_vision_model",
               "num_attention_heads": 12, "num_hidden_layers": 12, "patch_size": 32, "projection_dim": 512},
             "vision_config_dict": null}
            """#
        let url = try Fixtures.tempDirectory().appendingPathComponent("config.json")
        try Data(json.utf8).write(to: url)
        let config = try CLIPConfiguration.load(from: url)
        #expect(config.architectureName == "ViT-B/32")
        #expect(config.text.poolsAtArgmax)
        #expect(config.vision.visionTokens == 50)
        // Same shapes as the built-in ViT-B/32 (the vision tower's unused eos id aside).
        var expected = try #require(CLIPConfiguration.openAI("ViT-B/32"))
        expected.vision.eosTokenId = config.vision.eosTokenId
        #expect(config == expected)
    }
}
