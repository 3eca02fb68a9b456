import Foundation
import Imaging
import KeypointsTestSupport
import Localization
import Testing

@testable import Evaluation

/// `eval --mask` (issue 10): the random baseline inside the mask, the box mask from the object's
/// box, and the mask recorded in the results header (a resume with another mask is refused).
@Suite struct SearchMaskEvalTests {
    @Test func randomSamplesUniformlyInsideTheMask() throws {
        let image = DecodedImage(rgb: RGBImage(width: 40, height: 30))
        let keypoints = (0..<50).map { EvalKeypoint(name: "k\($0)", prompt: "p") }
        // An L-shaped mask: x 5..<10 for all rows, plus row 20..<22 for x 10..<30.
        var bits = [UInt8](repeating: 0, count: 40 * 30)
        for y in 0..<30 { for x in 5..<10 { bits[y * 40 + x] = 1 } }
        for y in 20..<22 { for x in 10..<30 { bits[y * 40 + x] = 1 } }
        let mask = PixelMask(width: 40, height: 30, bits: bits)
        let out = try RandomPredictor(seed: 1).predict(
            PredictionRequest(
                imageID: "1", category: "c", image: image, region: nil,
                keypoints: keypoints, mask: mask))
        #expect(out.predictions.allSatisfy { mask.contains(Point(x: $0.x, y: $0.y)) })
        // Both arms are reached (190 pixels: 150 in the column, 40 in the row).
        #expect(out.predictions.contains { $0.x >= 10 } && out.predictions.contains { $0.x < 10 })
        // A mask with nothing inside the region: uniform in the region, as without a mask.
        let empty = PixelMask(width: 40, height: 30, bits: [UInt8](repeating: 0, count: 40 * 30))
        let free = try RandomPredictor(seed: 1).predict(
            PredictionRequest(
                imageID: "1", category: "c", image: image, region: nil,
                keypoints: keypoints, mask: empty))
        let plain = try RandomPredictor(seed: 1).predict(
            PredictionRequest(
                imageID: "1", category: "c", image: image, region: nil,
                keypoints: keypoints))
        #expect(free.predictions == plain.predictions)
    }

    @Test func boxMaskIsTheObjectBoxInRequestPixels() throws {
        let image = DecodedImage(rgb: RGBImage(width: 40, height: 30))
        let request = PredictionRequest(
            imageID: "1", category: "c", image: image, region: nil, keypoints: [],
            objectBox: Box(x: 10, y: 5, width: 4, height: 2))
        let mask = try #require(try BoxSearchMask().mask(for: request))
        #expect(mask.count == 8 && mask.contains(Point(x: 10.2, y: 5.1)) && !mask.contains(Point(x: 14.1, y: 5.1)))
        #expect(BoxSearchMask().settings == ["mask": "box"])
    }

    @Test func cliRandomWithBoxMaskStaysInTheBoxAndResumeChecksTheMask() throws {
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("kp-mask-\(UUID().uuidString).jsonl")
        defer { try? FileManager.default.removeItem(at: out) }
        let base = ["eval", "--dataset", "cub", "--root", Fixtures.cub.path, "--split", "all", "--method", "random"]
        let r = try KeypointsExecutable.runInRepository(base + ["--mask", "box", "--out", out.path, "--json"])
        #expect(r.status == 0, "\(r.stderr)")
        let lines = try String(contentsOf: out, encoding: .utf8).split(separator: "\n")
        #expect(lines.first?.contains("\"mask\":\"box\"") == true, "\(lines.first ?? "")")
        var checked = 0
        for line in lines {
            guard let record = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                let box = record["box"] as? [Double], let kps = record["keypoints"] as? [[String: Any]]
            else { continue }
            for k in kps {
                let pred = try #require(k["pred"] as? [Double])
                #expect(
                    pred[0] >= box[0] - 1 && pred[0] <= box[0] + box[2] + 1 && pred[1] >= box[1] - 1
                        && pred[1] <= box[1] + box[3] + 1)
                checked += 1
            }
        }
        #expect(checked == 31)
        // Resuming the same file without the mask is refused.
        let other = try KeypointsExecutable.runInRepository(base + ["--out", out.path])
        #expect(other.status != 0 && other.stderr.contains("mask"), "\(other.stderr)")
    }

    /// `--method crop` with a mask: every keypoint's crop is centred on a candidate inside the mask
    /// (the search keeps only those; CropBaselineTests checks every scored candidate), so its
    /// predictions lie inside, wherever they would fall without the mask.
    @Test func cropMethodPredictsInsideTheMask() throws {
        let fixtures = Fixtures.repositoryRoot.appendingPathComponent("Tests/CLIPTests/Fixtures")
        let bundle = try CLIPBundle.load(directory: fixtures.appendingPathComponent("models/tiny-quickgelu"))
        let localizer = Localizer(
            bundle: bundle,
            preset: try GridPreset.load(from: Fixtures.repositoryRoot.appendingPathComponent("grids/fast.json")),
            workers: 1)
        let image = try ImageCodec.decode(contentsOf: fixtures.appendingPathComponent("images/bird.jpg"))
        let keypoints = ["beak", "tail", "left wing"].map {
            EvalKeypoint(name: $0, prompt: "This is the \($0) of a bird")
        }
        var predictor = CLIPPredictor(method: .crop, localizer: localizer)
        let free = try predictor.predict(
            PredictionRequest(imageID: "1", category: "bird", image: image, region: nil, keypoints: keypoints))
        // A mask (x 20..<60, y 70..<110 of the 160x120 photo) away from the unmasked answers.
        let mask = PixelMask(box: Box(x: 20, y: 70, width: 40, height: 40), width: 160, height: 120)
        #expect(free.predictions.contains { !mask.contains(Point(x: $0.x, y: $0.y)) })
        let masked = try predictor.predict(
            PredictionRequest(
                imageID: "1", category: "bird", image: image, region: nil, keypoints: keypoints, mask: mask))
        for p in masked.predictions { #expect(mask.contains(Point(x: p.x, y: p.y)), "\(p.name) at (\(p.x), \(p.y))") }
        #expect(masked.passes > 0 && masked.passes < free.passes)
    }
}
