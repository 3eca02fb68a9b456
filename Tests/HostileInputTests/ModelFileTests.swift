import CLIP
import Foundation
import KeypointsSupport
import KeypointsTestSupport
import Testing

/// Issue 15, cases 1, 3 and 4: sizes in config.json and model.safetensors are bounded and all
/// arithmetic on them is checked, so hostile model directories fail fast with one line.
@Suite struct ModelFileTests {
    /// Case 1: num_hidden_layers 1e9 grew memory by ~300 MB/s building weight names.
    @Test func hugeLayerCountIsRefused() throws {
        let model = try Hostile.modelCopy()
        try Hostile.editJSON(model.appendingPathComponent("config.json")) { c in
            var vision = c["vision_config"] as? [String: Any] ?? [:]
            vision["num_hidden_layers"] = 1_000_000_000
            c["vision_config"] = vision
        }
        let r = try Hostile.run(["info", "--model", model.path])
        Hostile.expectOneLineError(
            r,
            [
                "config.json", "vision_config.num_hidden_layers", "1000000000",
                "limit layers = \(TransformerLimits.standard.layers)",
            ])
    }

    /// Case 4: image_size 2^33 with patch_size 1 overflowed counting vision tokens.
    @Test func visionTokenOverflowIsRefused() throws {
        let model = try Hostile.modelCopy()
        try Hostile.editJSON(model.appendingPathComponent("config.json")) { c in
            var vision = c["vision_config"] as? [String: Any] ?? [:]
            vision["image_size"] = 1 << 33
            vision["patch_size"] = 1
            c["vision_config"] = vision
        }
        let r = try Hostile.run(["info", "--model", model.path])
        Hostile.expectOneLineError(r, ["config.json", "vision_config.image_size", "limit imageSize"])
        // Within the image limit, the token count is what overflows the table.
        try Hostile.editJSON(model.appendingPathComponent("config.json")) { c in
            var vision = c["vision_config"] as? [String: Any] ?? [:]
            vision["image_size"] = 2048
            vision["patch_size"] = 1
            c["vision_config"] = vision
        }
        let tokens = try Hostile.run(["info", "--model", model.path])
        Hostile.expectOneLineError(tokens, ["config.json", "vision_config.patch_size", "limit tokens = 4097"])
    }

    /// The limits table checks every field (library level, no process).
    @Test func everyConfigSizeIsBounded() throws {
        let base = try CLIPConfiguration.load(from: Hostile.tinyModel.appendingPathComponent("config.json"))
        let huge = Int.max / 2
        let cases: [(String, (inout CLIPConfiguration) -> Void)] = [
            ("text_config.hidden_size", { $0.text.hiddenSize = huge }),
            ("vision_config.intermediate_size", { $0.vision.intermediateSize = huge }),
            ("text_config.num_attention_heads", { $0.text.numAttentionHeads = huge }),
            ("text_config.vocab_size", { $0.text.vocabSize = huge }),
            ("text_config.max_position_embeddings", { $0.text.maxPositionEmbeddings = huge }),
            ("projection_dim", { $0.projectionDim = huge }),
            ("text_config.eos_token_id", { $0.text.eosTokenId = huge }),
        ]
        for (field, edit) in cases {
            var c = base
            edit(&c)
            do {
                try c.validate(path: "config.json")
                Issue.record("\(field) = \(huge) accepted")
            } catch {
                #expect(error.description.contains(field), "\(error)")
            }
        }
    }

    /// Case 3: a tensor whose shape product overflows; the error message itself used to
    /// overflow (SIGILL).
    @Test func safetensorsShapeOverflowIsOneLine() throws {
        let model = try Hostile.modelCopy()
        let url = model.appendingPathComponent("model.safetensors")
        try writeSafetensors(
            url,
            header: [
                "logit_scale": ["dtype": "F32", "shape": [1 << 40, 1 << 40, 1 << 40], "data_offsets": [0, 4]]
            ], dataBytes: 4)
        let r = try Hostile.run(["info", "--model", model.path])
        Hostile.expectOneLineError(r, ["model.safetensors", "logit_scale", "more than \(Int.max) bytes"])
        // The library error, directly.
        #expect(throws: SafeTensorsError.self) { _ = try SafeTensorsFile(url: url) }
    }

    @Test func safetensorsHeaderAndRankLimits() throws {
        let dir = try Hostile.temporaryFolder()
        let url = dir.appendingPathComponent("big-header.safetensors")
        var bytes = Data()
        var n = UInt64(SafeTensorsLimits.headerBytes + 1).littleEndian
        withUnsafeBytes(of: &n) { bytes.append(contentsOf: $0) }
        try bytes.write(to: url)
        // A sparse file large enough for the claimed header: refused before reading it.
        let fd = open(url.path, O_WRONLY)
        #expect(ftruncate(fd, off_t(SafeTensorsLimits.headerBytes + 64)) == 0)
        close(fd)
        do {
            _ = try SafeTensorsFile(url: url)
            Issue.record("a header over the limit was read")
        } catch {
            #expect(error.description.contains("SafeTensorsLimits.headerBytes"), "\(error)")
        }
        let rank = dir.appendingPathComponent("rank.safetensors")
        try writeSafetensors(
            rank, header: ["x": ["dtype": "U8", "shape": Array(repeating: 1, count: 9), "data_offsets": [0, 1]]],
            dataBytes: 1)
        do {
            _ = try SafeTensorsFile(url: rank)
            Issue.record("a tensor of rank 9 was accepted")
        } catch {
            #expect(error.description.contains("SafeTensorsLimits.rank"), "\(error)")
        }
    }

    /// A sharded checkpoint's index is outside input too: a shard name leaving the folder, an index
    /// or a shard that is a FIFO, a shard that is a directory and an index over the shard limit are
    /// each one line naming the index (or shard) and the field, within the budget, without blocking.
    @Test func hostileShardIndexIsOneLine() throws {
        let model = try Hostile.modelCopy()
        let index = model.appendingPathComponent("model.safetensors.index.json")
        // The single file moved beside the folder, where "../outside.safetensors" would reach it.
        try FileManager.default.moveItem(
            at: model.appendingPathComponent("model.safetensors"),
            to: model.deletingLastPathComponent().appendingPathComponent("outside.safetensors"))
        func writeIndex(_ weightMap: [String: String]) throws {
            try JSONSerialization.data(withJSONObject: ["weight_map": weightMap]).write(to: index)
        }
        try writeIndex(["logit_scale": "../outside.safetensors"])
        Hostile.expectOneLineError(
            try Hostile.run(["info", "--model", model.path]),
            ["model.safetensors.index.json", "weight_map[\"logit_scale\"]", "../outside.safetensors"])

        var many: [String: String] = [:]
        for i in 0...SafeTensorsIndexLimits.shards { many["k\(i)"] = "s\(i).safetensors" }
        try writeIndex(many)
        Hostile.expectOneLineError(
            try Hostile.run(["info", "--model", model.path]),
            ["model.safetensors.index.json", "weight_map", "SafeTensorsIndexLimits.shards = 10000"])

        let shard = model.appendingPathComponent("model-00001-of-00001.safetensors")
        try writeIndex(["logit_scale": shard.lastPathComponent])
        try FileManager.default.createDirectory(at: shard, withIntermediateDirectories: false)
        Hostile.expectOneLineError(
            try Hostile.run(["info", "--model", model.path]),
            [
                "model.safetensors.index.json", "weight_map[\"logit_scale\"]", shard.lastPathComponent,
                "not in the folder",
            ])
        try FileManager.default.removeItem(at: shard)
        #expect(mkfifo(shard.path, 0o644) == 0)
        Hostile.expectOneLineError(
            try Hostile.run(["info", "--model", model.path]), [shard.lastPathComponent, "not a regular file"])

        try FileManager.default.removeItem(at: index)
        #expect(mkfifo(index.path, 0o644) == 0)
        Hostile.expectOneLineError(
            try Hostile.run(["info", "--model", model.path]), ["model.safetensors.index.json", "not a regular file"])
    }

    func writeSafetensors(_ url: URL, header: [String: Any], dataBytes: Int) throws {
        try SafeTensorsWriter.write(header: header, data: Data(count: dataBytes), to: url)
    }
}
