import Foundation
import KeypointsTestSupport
import Tensor
import Testing

@testable import CLIP

/// `InvariantBackend` end to end: an embedding's bits do not depend on the batch around it, its
/// place in the batch, or the thread count (synthetic ViT-B/32 weights, the reference images).
@Suite struct InvariantEmbeddingTests {
    static func model(threads: Int) throws -> CLIPModel {
        let config = try #require(CLIPConfiguration.openAI("ViT-B/32"))
        return try CLIPModel(
            synthetic: config, seed: SyntheticWeights.referenceSeed, backend: InvariantBackend(threads: threads))
    }

    /// Bit patterns, so that `==` is bitwise.
    static func bits(_ v: some Collection<Float>) -> [UInt32] { v.map(\.bitPattern) }

    @Test func imagesAreBitIdenticalAloneInABatchAndOnEitherThreadCount() throws {
        let two = try Self.model(threads: 2)
        let one = two.using(InvariantBackend(threads: 1))
        let ref = try Fixtures.reference("vitb32-synthetic")
        let pixels = normalizePixels(try ref.floats("pixel_values_u8"), size: 224)
        let per = 3 * 224 * 224
        let e = two.embeddingDim
        let image = { (i: Int) in Array(pixels[(i * per)..<((i + 1) * per)]) }
        // Image 2 alone (1 and 2 threads), last of all three, first of a batch with image 0.
        let alone = try one.encodeImages(pixels: image(2), workspace: Workspace(workers: 1))
        let aloneTwo = try two.encodeImages(pixels: image(2), workspace: Workspace(workers: 2))
        let all = try two.encodeImages(pixels: pixels, workspace: Workspace(workers: 2))
        let first = try one.encodeImages(pixels: image(2) + image(0), workspace: Workspace(workers: 1))
        #expect(Self.bits(aloneTwo) == Self.bits(alone))
        #expect(Self.bits(all[(2 * e)...]) == Self.bits(alone))
        #expect(Self.bits(first[..<e]) == Self.bits(alone))
        #expect(Self.bits(first[e...]) == Self.bits(all[..<e]))

        // For the log: the same comparison on OpenBLAS (a measurement, not an assertion; it
        // depends on the OpenBLAS build and core).
        let blas = two.using(SgemmBackend())
        let blasAlone = try blas.encodeImages(pixels: image(2), workspace: Workspace(workers: 2))
        let blasAll = try blas.encodeImages(pixels: pixels, workspace: Workspace(workers: 2))
        let differing = zip(blasAlone, blasAll[(2 * e)...]).filter { $0.bitPattern != $1.bitPattern }.count
        print("OpenBLAS: image 2 alone vs in the batch of 3: \(differing) of \(e) embedding values differ")
    }

    @Test func textsAreBitIdenticalAloneAndInABatch() throws {
        let model = try Self.model(threads: 2)
        let ref = try Fixtures.reference("vitb32-synthetic")
        let ids = try ref.integers("input_ids")
        let tokens = stride(from: 0, to: ids.count, by: 77).map { ids[$0..<($0 + 77)].map { Int32($0) } }
        #expect(tokens.count >= 2)
        let e = model.embeddingDim
        let all = try model.encodeTexts(tokens: tokens, workspace: Workspace(workers: 2))
        // Each text alone runs only up to its own end token; in the batch, up to the longest one's.
        for (i, text) in tokens.enumerated() {
            let alone = try model.encodeTexts(tokens: [text], workspace: Workspace(workers: 1))
            #expect(Self.bits(alone) == Self.bits(all[(i * e)..<((i + 1) * e)]), "text \(i)")
        }
    }

    /// prepareBackend packs every layer the towers use: encoding packs nothing more.
    @Test func preparePacksEveryLayer() throws {
        let backend = InvariantBackend(threads: 2)
        let model = try CLIPModel(directory: Fixtures.model("tiny-quickgelu"), backend: backend)
        #expect(backend.cachedLayerCount == 0)
        try model.prepareBackend()
        let prepared = backend.cachedLayerCount
        #expect(prepared == model.linearLayers.count)
        let ref = try Fixtures.reference("tiny-quickgelu")
        _ = try model.encodeImages(pixels: try ref.floats("pixel_values"), workspace: Workspace(workers: 2))
        let ids = try ref.integers("input_ids")
        _ = try model.encodeTexts(tokens: [ids[0..<77].map { Int32($0) }], workspace: Workspace(workers: 2))
        #expect(backend.cachedLayerCount == prepared)
    }
}
