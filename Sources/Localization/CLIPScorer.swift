import CLIP
import Imaging
import Tensor

/// Scores candidate locations with CLIP: one model input per point (`CandidateRenderer`: the
/// visually prompted canvas, or the crop baseline's crop of the photo), encoded in one batched
/// forward pass, compared with K cached text embeddings (cosine similarity).
///
/// The renderer, the 8-bit scratch image (with the crop prompt's resize scratch) and the pixel
/// batch are allocated once per image; rendering and normalising candidates allocates nothing,
/// scoring a batch allocates only the model's embeddings and the returned rows.
public struct CLIPScorer: CandidateScorer {
    let model: CLIPModel
    let preprocessor: ImagePreprocessor
    let renderer: CandidateRenderer
    /// (K, E) normalised text embeddings.
    let textEmbeddings: [Float]
    let keypointCount: Int
    let workspace: Workspace
    private var scratch: RGBImage
    private var renderScratch = CandidateScratch()
    private var pixels: [Float]

    /// - Parameters:
    ///   - renderer: the model input of each candidate of this photo; its output side must be the
    ///     preprocessor's.
    ///   - textEmbeddings: K rows of the model's embedding width, L2-normalised.
    public init(
        model: CLIPModel, preprocessor: ImagePreprocessor, renderer: CandidateRenderer,
        textEmbeddings: [Float], workspace: Workspace, batch: Int
    ) {
        precondition(
            renderer.outputSize == preprocessor.size,
            "CLIPScorer: renderer output \(renderer.outputSize) px, model input \(preprocessor.size) px")
        self.model = model
        self.preprocessor = preprocessor
        self.renderer = renderer
        self.textEmbeddings = textEmbeddings
        self.keypointCount = textEmbeddings.count / model.embeddingDim
        self.workspace = workspace
        self.scratch = renderer.makeOutputBuffer()
        self.pixels = [Float](repeating: 0, count: max(1, batch) * preprocessor.valueCount)
    }

    // points (N) -> scores (N, K)
    public mutating func score(_ points: [Point]) throws -> [[Float]] {
        let n = points.count
        let per = preprocessor.valueCount
        let e = model.embeddingDim
        let preprocessor = self.preprocessor
        if pixels.count < n * per { pixels = [Float](repeating: 0, count: n * per) }
        for (i, p) in points.enumerated() {
            renderer.render(at: p, into: &scratch, scratch: &renderScratch)
            let marked = scratch  // shares storage; a local avoids overlapping access to self
            pixels.withUnsafeMutableBufferPointer { buffer in
                preprocessor.normalize(
                    marked, into: UnsafeMutableBufferPointer(rebasing: buffer[(i * per)..<((i + 1) * per)]))
            }
        }
        let embeddings = pixels.withUnsafeBufferPointer {
            model.encodeImages(pixels: $0.baseAddress!, count: n, workspace: workspace)
        }
        var rows = [[Float]](repeating: [Float](repeating: 0, count: keypointCount), count: n)
        for i in 0..<n {
            for k in 0..<keypointCount {
                var dot: Float = 0
                for j in 0..<e { dot += embeddings[i * e + j] * textEmbeddings[k * e + j] }
                rows[i][k] = dot
            }
        }
        return rows
    }
}
