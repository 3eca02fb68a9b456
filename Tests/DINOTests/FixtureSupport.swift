import Foundation
import KeypointsTestSupport

@testable import CLIP

/// Committed fixtures (Tests/DINOTests/Fixtures; made by make_reference.py, see its README.md).
enum Fixtures {
    static var root: URL { Bundle.module.resourceURL!.appendingPathComponent("Fixtures") }
    static func model(_ name: String) -> URL { root.appendingPathComponent("models/\(name)") }
    static func image(_ name: String) -> URL { root.appendingPathComponent("images/\(name)") }
    static func reference(_ name: String) throws -> SafeTensorsFile {
        try SafeTensorsFile(url: root.appendingPathComponent("references/\(name).safetensors"))
    }
    static let models = ["vit-p16-w36-h3", "vit-p8-w30-h5-fp16"]
    static let fixtureVersion = "1"

    /// One reference case (the `cases` list of the `fixture` metadata).
    struct Case: Decodable {
        let image: String
        let size: Int
        let tau: Float
        let resized: [Int]
        let grid: [Int]
        let seed_token: Int
    }

    struct Metadata: Decodable {
        let fixture_version: String
        let cases: [Case]
    }

    static func cases(_ file: SafeTensorsFile) throws -> [Case] {
        guard let json = file.metadata["fixture"]?.data(using: .utf8) else {
            throw CLIPError.badInput("\(file.path): no 'fixture' metadata; re-run make_reference.py")
        }
        let meta = try JSONDecoder().decode(Metadata.self, from: json)
        guard meta.fixture_version == fixtureVersion else {
            throw CLIPError.badInput(
                "\(file.path): fixture version \(meta.fixture_version), expected \(fixtureVersion); re-run make_reference.py"
            )
        }
        return meta.cases
    }

    /// A copy of a fixture model in a fresh temporary directory, config.json edited by `edit`.
    static func editedCopy(_ name: String, edit: (inout [String: Any]) -> Void) throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("kp-dino-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        for file in ["model.safetensors", "preprocessor_config.json"] {
            try FileManager.default.copyItem(
                at: model(name).appendingPathComponent(file), to: dir.appendingPathComponent(file))
        }
        let data = try Data(contentsOf: model(name).appendingPathComponent("config.json"))
        var json = try JSONSerialization.jsonObject(with: data) as! [String: Any]
        edit(&json)
        try JSONSerialization.data(withJSONObject: json).write(to: dir.appendingPathComponent("config.json"))
        return dir
    }
}
