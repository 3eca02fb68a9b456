import Foundation
import Imaging
import KeypointsTestSupport
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
}
