import Foundation
import Imaging
import Testing

@testable import Evaluation

/// eval uses images and annotations as stored: an EXIF orientation is never applied, only warned
/// about (through `EvalProgress.lastWarnings`), and the image's record is unchanged.
@Suite struct ExifWarningTests {
    static var exifFixtures: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("ImagingTests/Fixtures/exif")
    }

    func item(_ file: String) -> EvalItem {
        EvalItem(
            id: file, category: "c", imagePath: file, imageURL: Self.exifFixtures.appendingPathComponent(file),
            box: Box(x: 0, y: 0, width: 7, height: 4), region: .box,
            keypoints: [GroundTruthKeypoint(id: 0, name: "k", prompt: "k", x: 1, y: 1)])
    }

    @Test func rotatedImageIsUsedAsStoredWithAWarningAndNoNote() throws {
        let loaded = try EvalRunner.loadImage(item("orientation-6.jpg")).get()
        #expect(loaded.image.width == 7 && loaded.image.height == 4, "stored frame")
        #expect(loaded.notes.isEmpty)
        #expect(
            loaded.warnings == [
                "EXIF orientation 6 (rotated 90° clockwise) ignored: the image and its annotations are used in the stored pixel frame"
            ])
        let upright = try EvalRunner.loadImage(item("orientation-1.jpg")).get()
        #expect(upright.warnings.isEmpty)
        #expect(upright.image.rgb == loaded.image.rgb)
        let unreadable = try EvalRunner.loadImage(item("orientation-9.jpg")).get()
        #expect(unreadable.warnings.count == 1)
        #expect(unreadable.warnings.first?.contains("Orientation 9 is not one of 1...8") == true)
    }
}
