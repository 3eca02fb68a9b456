import Foundation
import KeypointsSupport

/// The part of a Hugging Face preprocessor_config.json keypoints reads: image_mean, image_std.
public enum PreprocessorConfiguration {
    /// Range of image_mean: pixels are on the 0...1 scale when normalised, so is their mean (a
    /// mean on the 0...255 scale is refused, not turned into inputs near -1000).
    public static let meanRange: ClosedRange<Double> = 0...1
    /// Range of image_std: at least 1e-3, so (pixel - mean) / std stays within +-1000 (finite;
    /// found by fuzzing: a tiny or huge value gave infinite model inputs); at most 10.
    public static let stdRange: ClosedRange<Double> = 0.001...10

    /// image_mean / image_std of `directory`/preprocessor_config.json; the fallbacks when the file
    /// or a field is absent. Three numbers each, in `meanRange` and `stdRange`.
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
        func triple(_ field: String, _ fallback: [Float], in range: ClosedRange<Double>) throws(CLIPError) -> [Float] {
            guard let value = json[field] else { return fallback }
            let expected = "expected 3 numbers in \(range.lowerBound)...\(range.upperBound)"
            guard let numbers = value as? [NSNumber], numbers.count == 3 else {
                throw .badConfig(path: url.path, field: field, reason: "\(expected), got \(briefJSON(value))")
            }
            // Compared as read (doubles): 1e39 is no Float (it would become infinity), 1e-50 no positive one.
            let doubles = numbers.map(\.doubleValue)
            guard doubles.allSatisfy({ range.contains($0) }) else {
                throw .badConfig(path: url.path, field: field, reason: "\(expected), got \(doubles)")
            }
            return doubles.map { Float($0) }
        }
        let mean = try triple("image_mean", fallbackMean, in: meanRange)
        let std = try triple("image_std", fallbackStd, in: stdRange)
        return (mean, std)
    }

    /// A JSON value in a message: its serialisation, cut to 60 characters.
    private static func briefJSON(_ value: Any) -> String {
        guard JSONSerialization.isValidJSONObject([value]),
            let data = try? JSONSerialization.data(withJSONObject: [value], options: [.fragmentsAllowed]),
            let text = String(data: data, encoding: .utf8)
        else { return "\(type(of: value))" }
        let inner = String(text.dropFirst().dropLast())
        return inner.count > 60 ? String(inner.prefix(60)) + "..." : inner
    }
}
