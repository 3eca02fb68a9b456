import Tensor

/// Patch embedding as one matrix product: the image is cut into p x p patches (im2col) in the
/// Conv2d weight's (channel, ky, kx) order, so a (C, 3, p, p) conv with stride p becomes a
/// `Linear` (C, 3 p p). Shared by the CLIP and DINO ViTs.
enum PatchEmbedding {
    /// pixels: (B, 3, H, W) with H = rows p, W = cols p -> cols: (B rows cols, 3 p p), patches in
    /// row-major grid order.
    static func im2col(
        _ pixels: UnsafePointer<Float>, batch b: Int, rows: Int, cols gridCols: Int,
        patch p: Int, into out: UnsafeMutablePointer<Float>, workers: Int
    ) {
        let patches = rows * gridCols
        let k = 3 * p * p
        let height = rows * p
        let width = gridCols * p
        parallelRanges(b * patches, workers: workers, minimumPerWorker: 16) { _, range in
            for row in range {
                let bi = row / patches
                let pi = row % patches
                let py = pi / gridCols
                let px = pi % gridCols
                let dst = out + row * k
                for ch in 0..<3 {
                    for ky in 0..<p {
                        let src = pixels + ((bi * 3 + ch) * height + py * p + ky) * width + px * p
                        (dst + (ch * p + ky) * p).update(from: src, count: p)
                    }
                }
            }
        }
    }
}
