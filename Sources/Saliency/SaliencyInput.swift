import CLIP
import Imaging

/// TokenCut's image preprocessing: photo -> longer side `size` (Pillow-exact bicubic; no resize
/// when it already is) -> /255 -> mean/std -> zero padding, after normalisation, at the right and
/// bottom up to a multiple of the patch size.
public struct SaliencyInput: Sendable {
    /// (3, rows patch, cols patch) normalised CHW.
    public let pixels: [Float]
    /// Token grid of the padded image.
    public let rows: Int
    public let cols: Int
    /// Size of the resized photo inside the padded canvas.
    public let resizedWidth: Int
    public let resizedHeight: Int

    /// Largest `--size` accepted (a 4096 px side at patch 8 is 262 144 tokens, far above what the
    /// eigensolver takes: TokenCut's own limit applies first).
    public static let maximumSize = 4096

    /// Output size of the resize: the longer side becomes `size`, the shorter one
    /// `Int(short * size / long + 0.5)` (at least 1); unchanged when the longer side already is `size`.
    public static func resizedSize(width: Int, height: Int, size: Int) -> (width: Int, height: Int) {
        if max(width, height) == size { return (width, height) }
        if width >= height {
            return (size, max(1, Int(Double(height) * Double(size) / Double(width) + 0.5)))
        }
        return (max(1, Int(Double(width) * Double(size) / Double(height) + 0.5)), size)
    }

    /// What `--size` must be: "expected 16...4096 (one patch of the model, 16 px, up to 4096)"; with
    /// `patch` nil (no model loaded yet) the patch sizes of the known DINO ViTs.
    public static func sizeRange(patch: Int?) -> String {
        guard let patch else {
            return "expected the model's patch...\(maximumSize) (one patch: 16 px for dino-vits16 and "
                + "dino-vitb16, 8 px for dino-vits8, up to \(maximumSize))"
        }
        return "expected \(patch)...\(maximumSize) (one patch of the model: \(patch) px, up to \(maximumSize))"
    }

    /// - Throws: when the photo is smaller than one patch or `size` is out of range.
    public init(image: RGBImage, size: Int, patch p: Int, mean: [Float], std: [Float]) throws(SaliencyError) {
        guard image.width >= p, image.height >= p else {
            throw .badInput("image \(image.width)x\(image.height) is smaller than one \(p)x\(p) px patch")
        }
        guard size >= p, size <= Self.maximumSize else {
            throw .badInput("--size \(size): \(Self.sizeRange(patch: p))")
        }
        let (w, h) = Self.resizedSize(width: image.width, height: image.height, size: size)
        rows = (h + p - 1) / p
        cols = (w + p - 1) / p
        let tokens = rows * cols + 1
        let limit = TransformerLimits.standard.tokens
        guard tokens <= limit else {
            throw .badInput(
                "--size \(size): a \(rows)x\(cols) grid of \(p) px patches is \(tokens) tokens, over the limit tokens = \(limit)"
            )
        }
        let resized = (w, h) == (image.width, image.height) ? image : Resample.bicubic(image, width: w, height: h)
        resizedWidth = w
        resizedHeight = h
        let paddedW = cols * p
        let paddedH = rows * p
        var normalized = [Float](repeating: 0, count: 3 * w * h)
        normalized.withUnsafeMutableBufferPointer {
            ImagePreprocessor.normalize(resized, mean: mean, std: std, into: $0)
        }
        var out = [Float](repeating: 0, count: 3 * paddedW * paddedH)
        for ch in 0..<3 {
            for y in 0..<h {
                let src = (ch * h + y) * w
                let dst = (ch * paddedH + y) * paddedW
                out.replaceSubrange(dst..<dst + w, with: normalized[src..<src + w])
            }
        }
        pixels = out
    }
}
