import Foundation
import KeypointsTestSupport

@testable import CLIP

/// Committed fixtures (Tests/CLIPTests/Fixtures; made by make_reference.py, see its README.md).
enum Fixtures {
    static var root: URL { Bundle.module.resourceURL!.appendingPathComponent("Fixtures") }
    static func model(_ name: String) -> URL { root.appendingPathComponent("models/\(name)") }
    static func reference(_ name: String) throws -> SafeTensorsFile {
        try SafeTensorsFile(url: root.appendingPathComponent("references/\(name).safetensors"))
    }
    static func tempDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("kp-clip-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }
}

/// Per-embedding comparison: cosine and max-abs error of row `row` of two (N, E) matrices.
func compareRows(_ a: [Float], _ b: [Float], width e: Int, row: Int) -> (cosine: Double, maxAbs: Float) {
    var maxAbs: Float = 0
    for j in row * e..<(row + 1) * e { maxAbs = max(maxAbs, abs(a[j] - b[j])) }
    return (rowCosine(a, b, width: e, row: row), maxAbs)
}
