import Foundation
import Testing

@testable import Imaging

/// A fixture folder of PNGs with Pillow 13's verdict on each, in its expected.json (written by a
/// make_*_fixtures.py script's `record`): the SHA-256 of `Image.open(f).convert("RGB").tobytes()`
/// and of the alpha plane, or the error Pillow raises.
struct PillowVerdictFixtures {
    struct Manifest: Decodable {
        var version: Int
        var pillow: String
        var images: [Entry]
    }

    /// One file, named KIND-CASE.png.
    struct Entry: Decodable {
        var file: String
        /// The image kind (colour type and depth, e.g. "gray16", "rgb8-adam7").
        var kind: String
        /// What was done to it (e.g. "whole", "trns", "no-crc").
        var `case`: String
        var width: Int
        var height: Int
        /// The mode `Image.open` gives; nil where Pillow raises.
        var mode: String?
        var pillowError: String?
        var rgbSHA256: String?
        /// Of `convert("RGBA")`'s A band, for modes with alpha and files with tRNS.
        var alphaSHA256: String?
    }

    /// The folder under Fixtures.
    let folder: String
    /// The script that writes it.
    let script: String
    /// expected.json's version the tests are written for.
    let version: Int

    var root: URL { Bundle.module.resourceURL!.appendingPathComponent("Fixtures/\(folder)") }

    func url(_ name: String) -> URL { root.appendingPathComponent(name) }

    func manifest() throws -> Manifest {
        let m = try JSONDecoder().decode(Manifest.self, from: Data(contentsOf: url("expected.json")))
        try #require(
            m.version == version, "\(folder)/expected.json version \(m.version) != \(version): re-run \(script)")
        return m
    }

    /// Records an issue unless decoding `url` fails with `ImageError.decodeFailed`, naming the
    /// file, as Pillow refuses it (`entry.pillowError`).
    static func expectRefused(_ url: URL, entry: Entry) {
        do {
            let image = try ImageCodec.decode(contentsOf: url)
            Issue.record("\(entry.file): decoded to \(image.width)x\(image.height); Pillow: \(entry.pillowError ?? "")")
        } catch {
            guard case .decodeFailed = error else {
                Issue.record("\(entry.file): \(error), expected decodeFailed")
                return
            }
            #expect(error.description.hasPrefix("\(url.path): cannot decode PNG: "), "\(entry.file): \(error)")
        }
    }
}
