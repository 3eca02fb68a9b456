import Foundation
import Testing

@testable import CLIP

/// preprocessor_config.json's image_mean / image_std: what is accepted normalises every pixel to a
/// finite model input; anything else is refused naming the file and the field.
@Suite struct PreprocessorConfigurationTests {
    let fallbackMean: [Float] = [0.1, 0.2, 0.3]
    let fallbackStd: [Float] = [0.4, 0.5, 0.6]

    func read(_ json: String) throws -> (mean: [Float], std: [Float]) {
        let folder = try Fixtures.tempDirectory()
        try Data(json.utf8).write(to: folder.appendingPathComponent("preprocessor_config.json"))
        return try PreprocessorConfiguration.normalization(
            directory: folder, fallbackMean: fallbackMean, fallbackStd: fallbackStd)
    }

    func expectRefused(
        _ json: String, field: String, sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        do {
            let read = try read(json)
            Issue.record("accepted: \(read)", sourceLocation: sourceLocation)
        } catch let error as CLIPError {
            guard case .badConfig(let path, let f, _) = error else {
                Issue.record("unexpected error \(error)", sourceLocation: sourceLocation)
                return
            }
            #expect(path.hasSuffix("preprocessor_config.json"), sourceLocation: sourceLocation)
            #expect(f == field, "\(error)", sourceLocation: sourceLocation)
            #expect(error.description.contains("expected 3 numbers in"), "\(error)", sourceLocation: sourceLocation)
        }
    }

    @Test func readsMeanAndStdAndFallsBackPerField() throws {
        let both = try read(#"{"image_mean": [0.485, 0.456, 0.406], "image_std": [0.229, 0.224, 0.225]}"#)
        #expect(both.mean == [0.485, 0.456, 0.406])
        #expect(both.std == [0.229, 0.224, 0.225])
        let meanOnly = try read(#"{"image_mean": [0.5, 0.5, 0.5]}"#)
        #expect(meanOnly.mean == [0.5, 0.5, 0.5])
        #expect(meanOnly.std == fallbackStd)
        // The ends of the ranges are accepted.
        let ends = try read(#"{"image_mean": [0, 1, 0], "image_std": [0.001, 10, 1]}"#)
        #expect(ends.mean == [0, 1, 0])
        #expect(ends.std == [0.001, 10, 1])
    }

    /// The fuzzer's finding (Fuzz/Seeds/preprocessor-config/huge-mean.json): a finite mean of 2.1e38
    /// was accepted and black pixels normalised to -infinity.
    @Test func refusesAMeanOutsideThePixelScale() throws {
        try expectRefused(#"{"image_mean": [0.0,211111111111111111100000000000003464853, 5]}"#, field: "image_mean")
        try expectRefused(#"{"image_mean": [123.675, 116.28, 103.53]}"#, field: "image_mean")
        try expectRefused(#"{"image_mean": [-0.5, 0.5, 0.5]}"#, field: "image_mean")
        try expectRefused(#"{"image_mean": [1e39, 0, 0]}"#, field: "image_mean")
    }

    @Test func refusesAStdThatWouldGiveInfiniteInputs() throws {
        try expectRefused(#"{"image_std": [1e-40, 0.5, 0.5]}"#, field: "image_std")
        try expectRefused(#"{"image_std": [0, 0.5, 0.5]}"#, field: "image_std")
        try expectRefused(#"{"image_std": [1e30, 0.5, 0.5]}"#, field: "image_std")
    }

    @Test func refusesOtherShapes() throws {
        try expectRefused(#"{"image_std": [0.5, "0.5", 0.5]}"#, field: "image_std")
        try expectRefused(#"{"image_mean": [0.5, 0.5]}"#, field: "image_mean")
        try expectRefused(#"{"image_mean": 0.5}"#, field: "image_mean")
    }
}
