import CLIP
import Foundation
import Imaging
import Testing

@testable import Localization

/// Candidates restricted to a mask (issue 10): no stage scores outside it, and dense30 spends
/// exactly one pass per grid centre inside it.
@Suite struct SearchMaskTests {
    static let width = 680, height = 500
    static let region = Box(x: 40, y: 25, width: 600, height: 450)

    /// An ellipse mask (a bird-like blob) covering part of the region.
    static let ellipse: PixelMask = {
        var bits = [UInt8](repeating: 0, count: width * height)
        for y in 0..<height {
            for x in 0..<width {
                let u = (Double(x) + 0.5 - 300) / 170
                let v = (Double(y) + 0.5 - 260) / 110
                if u * u + v * v <= 1 { bits[y * width + x] = 1 }
            }
        }
        return PixelMask(width: width, height: height, bits: bits)
    }()

    @Test(arguments: ["dense30", "fast"])
    func noCandidateOutsideTheMask(preset name: String) throws {
        let mask = Self.ellipse
        // Scores peak outside the mask, so an unmasked search would go there.
        let g: (Double, Double) -> Float = { x, y in Float(-((x - 600) * (x - 600) + (y - 60) * (y - 60))) }
        let search = try CoarseToFineSearch(
            preset: Repo.preset(name), region: Self.region, keypointCount: 2, mask: mask)
        var scorer = RecordingScorer([g, { x, _ in Float(x) }])
        let result = try search.run(&scorer)
        let scored = scorer.calls.flatMap { $0 }
        #expect(!scored.isEmpty)
        #expect(scored.allSatisfy { mask.contains($0) }, "\(name): a candidate outside the mask was scored")
        #expect(result.keypoints.allSatisfy { mask.contains($0.point) })
        if name == "dense30" {
            let inside = search.firstStagePoints().filter { mask.contains($0) }.count
            #expect(
                result.passes == inside && inside > 0 && inside < 900,
                "\(result.passes) passes, \(inside) centres inside")
        }
        // Unmasked, the same search scores outside the ellipse.
        let free = try CoarseToFineSearch(preset: Repo.preset(name), region: Self.region, keypointCount: 2)
        var freeScorer = RecordingScorer([g, { x, _ in Float(x) }])
        _ = try free.run(&freeScorer)
        #expect(freeScorer.calls.flatMap { $0 }.contains { !mask.contains($0) })
    }

    @Test func aMaskWithoutFirstStageLocationsIsRefused() throws {
        let empty = PixelMask(
            width: Self.width, height: Self.height, bits: [UInt8](repeating: 0, count: Self.width * Self.height))
        #expect(throws: SearchError.self) {
            _ = try CoarseToFineSearch(preset: Repo.preset("fast"), region: Self.region, keypointCount: 1, mask: empty)
        }
    }

    @Test func boxMaskAndPlacement() {
        let m = PixelMask(box: Box(x: 1.5, y: 0, width: 2, height: 1), width: 5, height: 2)
        // Centres 1.5 and 2.5 fall in [1.5, 3.5), 3.5 does not; row 0 only (centre 0.5 in [0, 1)).
        #expect(m.bits == [0, 1, 1, 0, 0, 0, 0, 0, 0, 0])
        #expect(m.contains(Point(x: 2.9, y: 0.2)) && !m.contains(Point(x: 3.0, y: 0.2)))
        let placed = PixelMask(
            placing: PixelMask(width: 2, height: 1, bits: [1, 1]), atX: 3, y: 1, width: 5, height: 2)
        #expect(placed.bits == [0, 0, 0, 0, 0, 0, 0, 0, 1, 1])
        #expect(placed.count == 2 && !placed.isEmpty)
    }
}

/// The Localizer's handling of masks: an empty one falls back with a note, a wrong size is an error.
@Suite struct LocalizerMaskTests {
    static var fixtures: URL { Repo.root.appendingPathComponent("Tests/CLIPTests/Fixtures") }

    @Test func emptyMaskFallsBackWithANoteAndWrongSizeIsAnError() throws {
        let bundle = try CLIPBundle.load(directory: Self.fixtures.appendingPathComponent("models/tiny-quickgelu"))
        let image = try ImageCodec.decode(contentsOf: Self.fixtures.appendingPathComponent("images/bird.jpg"))
        let preset = try Repo.preset("dense30")
        let localizer = Localizer(bundle: bundle, preset: preset, workers: 2)
        let queries = try KeypointVocabulary.freeText(["beak"], template: "This is the {part} of a bird")
        var options = Localizer.defaultOptions(for: preset)
        options.mask = PixelMask(
            width: image.width, height: image.height,
            bits: [UInt8](repeating: 0, count: image.width * image.height))
        options.maskName = "saliency"
        let result = try localizer.localize(image, path: "bird.jpg", keypoints: queries, options: options)
        #expect(result.passes == 900)
        #expect(
            result.notes.contains {
                $0.contains("saliency mask holds none of the 900 first-stage locations: searching without a mask")
            })

        options.mask = PixelMask(
            box: Box(x: 0, y: 0, width: 10, height: 10), width: image.width + 1, height: image.height)
        #expect {
            _ = try localizer.localize(image, path: "bird.jpg", keypoints: queries, options: options)
        } throws: { error in
            "\(error)" == "bird.jpg: mask saliency is 161x120, expected the photo's size 160x120"
        }
    }
}
