import Foundation
import KeypointsSupport
import Testing

/// `SafeTensorsIndex.layout(of:)`: the one rule the CLIP loader and the model digest share for
/// which files hold a folder's weights.
@Suite struct SafeTensorsLayoutTests {
    private func folder(with names: [String]) throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("layout-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        for name in names { try Data().write(to: dir.appendingPathComponent(name)) }
        return dir
    }

    @Test func singleFileWinsOverAnIndexBesideIt() throws {
        let dir = try folder(with: [SafeTensorsIndex.singleFileName, SafeTensorsIndex.fileName])
        defer { try? FileManager.default.removeItem(at: dir) }
        #expect(SafeTensorsIndex.layout(of: dir) == .singleFile)
    }

    @Test func indexAloneIsSharded() throws {
        let dir = try folder(with: [SafeTensorsIndex.fileName, "model-00001-of-00002.safetensors"])
        defer { try? FileManager.default.removeItem(at: dir) }
        #expect(SafeTensorsIndex.layout(of: dir) == .sharded)
    }

    @Test func neitherFileIsNone() throws {
        let dir = try folder(with: ["config.json", "pytorch_model.bin"])
        defer { try? FileManager.default.removeItem(at: dir) }
        #expect(SafeTensorsIndex.layout(of: dir) == .none)
    }
}
