import CLIP
import Imaging
import Tensor

/// Scores candidate locations with CLIP: one model input per point and visual-prompt member
/// (`CandidateRenderer`: the visually prompted canvas, or the crop baseline's crop of the photo),
/// encoded in forward passes of at most `batch` images, compared with K cached text embeddings
/// (cosine similarity). With M members (a `VisualPrompt.ensemble`) a point's score is the mean
/// over its M images of their cosine similarities; with one member it is that image's, computed
/// exactly as without ensembles.
///
/// The renderers, one 8-bit scratch image and render scratch per member and the pixel batch are
/// allocated once per image; rendering and normalising candidates allocates nothing, scoring a
/// batch allocates only the model's embeddings and the returned rows.
public struct CLIPScorer: CandidateScorer {
    let model: CLIPModel
    let preprocessor: ImagePreprocessor
    /// One renderer per visual-prompt member, in member order.
    let renderers: [CandidateRenderer]
    /// (K, E) normalised text embeddings.
    let textEmbeddings: [Float]
    let keypointCount: Int
    let workspace: Workspace
    /// Images per forward pass, at most.
    let batch: Int
    private var scratch: [RGBImage]
    private var renderScratch: [CandidateScratch]
    private var pixels: [Float]
    /// The largest number of images one forward pass has encoded (for tests: never above `batch`).
    private(set) var largestForwardBatch = 0

    /// - Parameters:
    ///   - renderer: the model input of each candidate of this photo; its output side must be the
    ///     preprocessor's.
    ///   - textEmbeddings: K rows of the model's embedding width, L2-normalised.
    public init(
        model: CLIPModel, preprocessor: ImagePreprocessor, renderer: CandidateRenderer,
        textEmbeddings: [Float], workspace: Workspace, batch: Int
    ) {
        self.init(
            model: model, preprocessor: preprocessor, renderers: [renderer], textEmbeddings: textEmbeddings,
            workspace: workspace, batch: batch)
    }

    /// - Parameters:
    ///   - renderers: one per visual-prompt member (`CandidateRenderer.members(of:photo:geometry:)`),
    ///     at least one; each output side must be the preprocessor's.
    ///   - textEmbeddings: K rows of the model's embedding width, L2-normalised.
    ///   - batch: images per forward pass, at most (a call with N points encodes N x M images in
    ///     chunks of `batch`).
    public init(
        model: CLIPModel, preprocessor: ImagePreprocessor, renderers: [CandidateRenderer],
        textEmbeddings: [Float], workspace: Workspace, batch: Int
    ) {
        precondition(!renderers.isEmpty, "CLIPScorer: no renderer")
        for r in renderers {
            precondition(
                r.outputSize == preprocessor.size,
                "CLIPScorer: renderer output \(r.outputSize) px, model input \(preprocessor.size) px")
        }
        self.model = model
        self.preprocessor = preprocessor
        self.renderers = renderers
        self.textEmbeddings = textEmbeddings
        self.keypointCount = textEmbeddings.count / model.embeddingDim
        self.workspace = workspace
        self.batch = max(1, batch)
        self.scratch = renderers.map { $0.makeOutputBuffer() }
        self.renderScratch = renderers.map { _ in CandidateScratch() }
        self.pixels = [Float](repeating: 0, count: self.batch * preprocessor.valueCount)
    }

    /// Forward passes per location: one per member.
    public var passesPerLocation: Int { renderers.count }

    // points (N) -> scores (N, K): the mean over the M members of image (i, m)'s cosine
    // similarities, images ordered point-major (i * M + m) and encoded `batch` at a time.
    public mutating func score(_ points: [Point]) throws -> [[Float]] {
        let m = renderers.count
        let per = preprocessor.valueCount
        let e = model.embeddingDim
        let K = keypointCount
        let preprocessor = self.preprocessor
        let images = points.count * m
        var rows = [[Float]](repeating: [Float](repeating: 0, count: K), count: points.count)
        var start = 0
        while start < images {
            let count = min(batch, images - start)
            for slot in 0..<count {
                let (i, member) = (start + slot).quotientAndRemainder(dividingBy: m)
                renderers[member].render(at: points[i], into: &scratch[member], scratch: &renderScratch[member])
                let marked = scratch[member]  // shares storage; a local avoids overlapping access to self
                pixels.withUnsafeMutableBufferPointer { buffer in
                    preprocessor.normalize(
                        marked, into: UnsafeMutableBufferPointer(rebasing: buffer[(slot * per)..<((slot + 1) * per)]))
                }
            }
            largestForwardBatch = max(largestForwardBatch, count)
            let embeddings = pixels.withUnsafeBufferPointer {
                model.encodeImages(pixels: $0.baseAddress!, count: count, workspace: workspace)
            }
            for slot in 0..<count {
                let (i, member) = (start + slot).quotientAndRemainder(dividingBy: m)
                for k in 0..<K {
                    var dot: Float = 0
                    for j in 0..<e { dot += embeddings[slot * e + j] * textEmbeddings[k * e + j] }
                    // Member 0 assigns, so one member's score is its dot product bit for bit.
                    rows[i][k] = member == 0 ? dot : rows[i][k] + dot
                }
            }
            start += count
        }
        if m > 1 {
            let scale = Float(m)
            for i in rows.indices {
                for k in 0..<K { rows[i][k] /= scale }
            }
        }
        return rows
    }
}
