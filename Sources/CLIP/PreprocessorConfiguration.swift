import Foundation
import KeypointsSupport

/// The part of a Hugging Face preprocessor_config.json keypoints reads: image_mean, image_std.
public enum PreprocessorConfiguration {
    /// image_mean / image_std of `directory`/preprocessor_config.json; the fallbacks when the file
    /// or a field is absent. Three finite numbers each; std positive.
    public static func normalization(
        directory: URL, fallbackMean: [Float],
        fallbackStd: [Float]
    ) throws(CLIPError) -> (mean: [Float], std: [Float]) {
        let url = directory.appendingPathComponent("preprocessor_config.json")
        guard FileManager.default.fileExists(atPath: url.path) else { return (fallbackMean, fallbackStd) }
        let data = try RegularFile.read(
            url, maxBytes: TransformerLimits.configFileBytes, limitName: "TransformerLimits.configFileBytes"
        ) { CLIPError.badConfig(path: url.path, field: "(file)", reason: $0.message) }
        guard let json = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
            throw .badConfig(path: url.path, field: "(file)", reason: "not a JSON object")
        }
        func triple(_ field: String, _ fallback: [Float]) throws(CLIPError) -> [Float] {
            guard let value = json[field] else { return fallback }
            guard let numbers = value as? [NSNumber], numbers.count == 3,
                numbers.allSatisfy({ $0.floatValue.isFinite })
            else {
                throw .badConfig(path: url.path, field: field, reason: "expected 3 finite numbers")
            }
            return numbers.map { $0.floatValue }
        }
        let mean = try triple("image_mean", fallbackMean)
        let std = try triple("image_std", fallbackStd)
        guard std.allSatisfy({ $0 > 0 }) else {
            throw .badConfig(path: url.path, field: "image_std", reason: "expected positive values, got \(std)")
        }
        return (mean, std)
    }
}
