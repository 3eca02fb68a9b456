import CLIP
import Foundation
import Imaging
import Tensor
import TensorDNNL
import Testing

@testable import Localization

/// The oneDNN backend against OpenBLAS fp32 at the level users see: the dense30 argmax of every
/// (image, keypoint) of a committed set, for each operand type the CPU runs (f32 everywhere, bf16
/// with bf16 units). Where the two disagree, the oneDNN choice must be nearly as good under the
/// OpenBLAS scores (the argmax of near-ties may flip; a real error would pick a clearly worse
/// location).
@Suite struct PrecisionAgreementTests {
    /// Largest OpenBLAS-score regret allowed for a bf16 answer: bf16 embeddings are within
    /// cosine 0.99997 of fp32 (TensorDNNLTests), i.e. score errors of a few 1e-3 at most.
    static let maximumRegret: Float = 0.01
    /// The same for f32 operands: only the summation order differs (embeddings within cosine
    /// 0.9999999999994), so scores move by ~1e-7 and a flip needs a tie to that precision.
    static let maximumFP32Regret: Float = 1e-5

    static let operands = DNNLBackend.availableOperands

    /// 1: every attention product on oneDNN (the tiny model's sequences are short); the default:
    /// short sequences keep the fp32 tiles, as the CLI runs them.
    @Test(arguments: operands, [1, DNNLBackend.defaultMinimumAttentionTokens])
    func oneDNNArgmaxAgreesWithOpenBLAS(operand: OperandType, minimumAttentionTokens: Int) throws {
        let fixtures = Repo.root.appendingPathComponent("Tests/CLIPTests/Fixtures")
        let dir = fixtures.appendingPathComponent("models/tiny-quickgelu")
        let fp32 = try CLIPBundle.load(directory: dir)
        let onednn = try CLIPBundle.load(
            directory: dir,
            backend: try DNNLBackend(threads: 2, minimumAttentionTokens: minimumAttentionTokens, operand: operand))
        let bound = operand == .bf16 ? Self.maximumRegret : Self.maximumFP32Regret
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
            let b = try Localizer(bundle: onednn, preset: preset, workers: 2).localize(
                image, path: name, keypoints: queries, options: options)
            for k in queries.indices {
                total += 1
                let pa = a.keypoints[k]
                let pb = b.keypoints[k]
                if pa.x == pb.x && pa.y == pb.y {
                    agree += 1
                    continue
                }
                // OpenBLAS fp32 score of the location oneDNN chose.
                let chosen = try #require(a.search.points.first { $0.point.x == pb.x && $0.point.y == pb.y })
                let regret = pa.score - chosen.scores[k]
                worstRegret = max(worstRegret, regret)
                let cells = max(abs(pa.x - pb.x) / (a.region.width / 30), abs(pa.y - pb.y) / (a.region.height / 30))
                worstCells = max(worstCells, cells)
                #expect(
                    regret <= bound,
                    "\(name) \(pa.name): \(operand) picks a location \(regret) worse under OpenBLAS fp32"
                )
            }
        }
        print(
            String(
                format:
                    "oneDNN %@ (attention from %d tokens) vs OpenBLAS fp32 dense30 argmax: %d/%d agree (%.1f%%); worst regret %.7f, worst distance %.1f cells",
                operand.rawValue, minimumAttentionTokens, agree, total, 100 * Double(agree) / Double(total),
                worstRegret, worstCells))
        #expect(total == 45)
    }
}
