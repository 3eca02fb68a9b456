import Foundation
import KeypointsSupport
import Testing

@testable import Imaging

/// PNGs cut short or damaged in or after their image data, decoded where Pillow 13 decodes them
/// (`Image.open(f).convert("RGB")`, the CLIP reference preprocessing) to the same pixels, and
/// refused where it raises (fixtures and Pillow's verdict on each from
/// Fixtures/make_png_truncation_fixtures.py; its doc comment states Pillow's rule).
@Suite("PNGTruncationTests")
struct PNGTruncationTests {
    /// Cases where keypoints deliberately differs from Pillow 13 (README, "PNG image data"):
    /// case name -> whether keypoints decodes the file.
    static let deliberate: [String: Bool] = [
        // A complete zlib stream that lacks the last row: Pillow leaves it black; keypoints
        // refuses a partial image.
        "short-stream": false
    ]

    @Test("each file decodes to Pillow's pixels, or is refused where Pillow raises")
    func decodesWherePillowDoes() throws {
        let manifest = try PillowVerdictFixtures.pngTruncation.manifest()
        #expect(manifest.images.count >= 150)
        // Both verdicts occur, and each deliberate difference is in the fixtures.
        #expect(
            manifest.images.contains { $0.pillowError != nil } && manifest.images.contains { $0.pillowError == nil })
        #expect(Set(Self.deliberate.keys).isSubset(of: Set(manifest.images.map(\.case))))
        let whole = Dictionary(
            uniqueKeysWithValues: manifest.images.filter { $0.case == "whole" }.map { ($0.kind, $0) })
        for entry in manifest.images {
            let url = PillowVerdictFixtures.pngTruncation.url(entry.file)
            let pillowDecodes = entry.pillowError == nil
            let decodes = Self.deliberate[entry.case] ?? pillowDecodes
            if let deliberate = Self.deliberate[entry.case] {
                #expect(
                    deliberate != pillowDecodes, "\(entry.file): listed as deliberate, but keypoints agrees with Pillow"
                )
            }
            guard decodes else {
                PillowVerdictFixtures.expectRefused(url, entry: entry)
                continue
            }
            // Pillow's pixels; where it refuses, those of the whole file (the rows are the same).
            let reference = try #require(pillowDecodes ? entry : whole[entry.kind], "\(entry.file): no whole file")
            let decoded: DecodedImage
            do {
                decoded = try ImageCodec.decode(contentsOf: url)
            } catch {
                Issue.record(
                    "\(entry.file): \(error); expected to decode (Pillow: \(entry.pillowError ?? "decodes it"))")
                continue
            }
            #expect(decoded.width == entry.width && decoded.height == entry.height, "\(entry.file)")
            #expect(SHA256Hasher.hash(Data(decoded.rgb.pixels)) == reference.rgbSHA256, "\(entry.file): RGB differs")
            #expect(decoded.alpha.map { SHA256Hasher.hash(Data($0)) } == reference.alphaSHA256, "\(entry.file): alpha")
        }
    }

    @Test(
        "a refusal says what was wrong, naming the file",
        arguments: [
            ("rgb8-last-row-cut.png", "unexpected end of data (truncated file?) after 6 of 7 rows"),
            ("rgb8-half.png", "unexpected end of data (truncated file?) after "),
            ("rgb8-adam7-last-row-cut.png", "unexpected end of data (truncated file?) in Adam7 pass 7 of 7"),
            ("rgb8-multi-cut-in-second.png", "unexpected end of data (truncated file?) after "),
            ("rgb8-adler-wrong.png", "incorrect data check"),
            ("rgb8-short-stream.png", "Not enough image data after 6 of 7 rows"),
            // An IDAT after the last row cut short, read by libpng (it holds the Adler-32) or not.
            ("rgb8-tail-idat-cut.png", "an IDAT chunk after the last row (at byte "),
            (
                "rgb8-extra-idat-past-the-end.png",
                "runs past the end of the file (Pillow 13 refuses the file: Truncated"
            ),
            // The Adler-32 is read with the last row, as Pillow reads it (65536 bytes at once).
            ("gray8-stored-8k-adler-wrong-after-8k.png", "IDAT: incorrect data check after 4 of 5 rows"),
        ])
    func refusalMessages(file: String, message: String) throws {
        let url = PillowVerdictFixtures.pngTruncation.url(file)
        let error = #expect(throws: ImageError.self) { try ImageCodec.decode(contentsOf: url) }
        #expect(
            error?.description.hasPrefix("\(url.path): cannot decode PNG: ") == true, "\(String(describing: error))")
        #expect(error?.description.contains(message) == true, "\(String(describing: error))")
    }

    /// The warning for a file cut short after its last row (libpng's message inside).
    static let cutAfterLastRow =
        "PNG broken after its last row: unexpected end of data (truncated file?) (ignored, as in Pillow 13"

    @Test(
        "what is ignored after the last row is said in a warning",
        arguments: [
            ("rgb8-no-crc.png", cutAfterLastRow),
            ("rgb8-past-the-end.png", cutAfterLastRow),
            ("rgb8-adler-cut.png", cutAfterLastRow),
            ("rgb8-adam7-no-crc.png", cutAfterLastRow),
            ("rgb8-crc-wrong.png", "IDAT: CRC error"),
            ("rgb8-adler-wrong-own-idat.png", "IDAT: incorrect data check"),
        ])
    func warnings(file: String, warning: String) throws {
        let decoded = try ImageCodec.decode(contentsOf: PillowVerdictFixtures.pngTruncation.url(file))
        #expect(decoded.warnings.contains { $0.contains(warning) }, "\(file): \(decoded.warnings)")
    }

    @Test("a whole file has no warning")
    func wholeFilesAreQuiet() throws {
        for entry in try PillowVerdictFixtures.pngTruncation.manifest().images
        where entry.case == "whole" || entry.case == "multi-whole" {
            let decoded = try ImageCodec.decode(contentsOf: PillowVerdictFixtures.pngTruncation.url(entry.file))
            #expect(decoded.warnings.isEmpty, "\(entry.file): \(decoded.warnings)")
        }
    }
}

extension PillowVerdictFixtures {
    /// Fixtures/png_truncation.
    static let pngTruncation = PillowVerdictFixtures(
        folder: "png_truncation", script: "make_png_truncation_fixtures.py", version: 1)
}
