import CLIP
import Imaging
import Tensor

/// Scores candidate locations with CLIP: one visually prompted canvas per point, encoded in one
/// batched forward pass, compared with K cached text embeddings (cosine similarity).
///
/// The canvas, the prompt renderer, the 8-bit scratch image and the pixel batch are allocated
/// once per image; scoring a batch allocates only the returned rows.
public struct CLIPScorer: CandidateScorer {
    let model: CLIPModel
    let preprocessor: ImagePreprocessor
    let geometry: CanvasGeometry
    let renderer: VisualPromptRenderer
    /// (K, E) normalised text embeddings.
    let textEmbeddings: [Float]
    let keypointCount: Int
    let workspace: Workspace
    private var scratch: RGBImage
    private var pixels: [Float]

    /// - Parameters:
    ///   - canvas: the image fitted to the model input (`geometry.makeCanvas`).
    ///   - textEmbeddings: K rows of the model's embedding width, L2-normalised.
    public init(
        model: CLIPModel, preprocessor: ImagePreprocessor, geometry: CanvasGeometry, canvas: RGBImage,
        prompt: VisualPrompt, textEmbeddings: [Float], workspace: Workspace, batch: Int
    ) throws {
        self.model = model
        self.preprocessor = preprocessor
        self.geometry = geometry
        self.renderer = try VisualPromptRenderer(prompt: prompt, canvas: canvas)
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
            let c = geometry.canvasPoint(fromImage: p)
            renderer.render(at: c, into: &scratch)
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
