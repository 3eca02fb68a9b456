import CLIP
import Foundation
import Imaging
import Tensor
import TensorDNNL
import Testing

@testable import Localization

/// bf16 against fp32 at the level users see: the dense30 argmax of every (image, keypoint) of a
/// committed set. Where the two disagree, the bf16 choice must be nearly as good under fp32
/// scores (the argmax of near-ties may flip; a real error would pick a clearly worse location).
@Suite(.enabled(if: DNNLBackend.isSupported, "the CPU has no bf16 units"))
struct PrecisionAgreementTests {
    /// Largest fp32-score regret allowed for a bf16 answer: bf16 embeddings are within
    /// cosine 0.99997 of fp32 (TensorDNNLTests), i.e. score errors of a few 1e-3 at most.
    static let maximumRegret: Float = 0.01

    /// 1: every attention product in bf16 too (the tiny model's sequences are short); the default:
    /// short sequences keep fp32 attention, as the CLI runs them.
    @Test(arguments: [1, DNNLBackend.defaultMinimumAttentionTokens])
    func bf16ArgmaxAgreesWithFP32(minimumAttentionTokens: Int) throws {
        let fixtures = Repo.root.appendingPathComponent("Tests/CLIPTests/Fixtures")
        let dir = fixtures.appendingPathComponent("models/tiny-quickgelu")
        let fp32 = try CLIPBundle.load(directory: dir)
        let bf16 = try CLIPBundle.load(
            directory: dir,
            backend: try DNNLBackend(
                threads: 2,
                minimumAttentionTokens: minimumAttentionTokens))
        let preset = try Repo.preset("dense30")
        let queries = try KeypointVocabulary.load(from: Repo.vocabulary("cub")).queries(category: "bird")
        var agree = 0
        var total = 0
        var worstRegret: Float = 0
        var worstCells = 0.0
        for name in ["bird.jpg", "cow.jpg", "face.png"] {
            let image = try ImageCodec.decode(contentsOf: fixtures.appendingPathComponent("images/\(name)"))
            let options = Localizer.defaultOptions(for: preset)
            let a = try Localizer(bundle: fp32, preset: preset, workers: 2).localize(
                image, path: name, keypoints: queries, options: options)
            let b = try Localizer(bundle: bf16, preset: preset, workers: 2).localize(
                image, path: name, keypoints: queries, options: options)
            for k in queries.indices {
                total += 1
                let pa = a.keypoints[k]
                let pb = b.keypoints[k]
                if pa.x == pb.x && pa.y == pb.y {
                    agree += 1
                    continue
                }
                // fp32 score of the location bf16 chose.
                let chosen = try #require(a.search.points.first { $0.point.x == pb.x && $0.point.y == pb.y })
                let regret = pa.score - chosen.scores[k]
                worstRegret = max(worstRegret, regret)
                let cells = max(abs(pa.x - pb.x) / (a.region.width / 30), abs(pa.y - pb.y) / (a.region.height / 30))
                worstCells = max(worstCells, cells)
                #expect(
                    regret <= Self.maximumRegret, "\(name) \(pa.name): bf16 picks a location \(regret) worse under fp32"
                )
            }
        }
        print(
            String(
                format:
                    "bf16 (attention from %d tokens) vs fp32 dense30 argmax: %d/%d agree (%.1f%%); worst fp32 regret %.5f, worst distance %.1f cells",
                minimumAttentionTokens, agree, total, 100 * Double(agree) / Double(total), worstRegret, worstCells))
        #expect(total == 45)
    }
}
