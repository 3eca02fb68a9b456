// Port of PyTorch 2.13's CPU `upsample_bicubic2d` (aten/src/ATen/native/UpSample.h:
// area_pixel_compute_source_index, guard_index_and_lambda, get_cubic_upsample_coefficients;
// UpSampleKernel.cpp: HelperInterpCubic) for align_corners=False with an output size and no scale
// factor, the call transformers 5.24.0 makes in `ViTEmbeddings.interpolate_pos_encoding`. Own code.

/// Bicubic resampling of a position-embedding grid, exactly as
/// `torch.nn.functional.interpolate(x, size=(rows, cols), mode="bicubic", align_corners=False)`:
/// Keys kernel with a = -0.75, source coordinate scale (dst + 0.5) - 0.5 with scale = in / out,
/// taps clamped to the border, no antialiasing (also when shrinking).
public enum PositionInterpolation {
    static let cubicA: Float = -0.75

    /// The 4 taps and weights along one axis: out index i reads in[index[k]] with weight[k].
    static func taps(inSize: Int, outSize: Int) -> (index: [[Int]], weight: [[Float]]) {
        let scale = Float(inSize) / Float(outSize)
        var indices: [[Int]] = []
        var weights: [[Float]] = []
        for i in 0..<outSize {
            let real = scale * (Float(i) + 0.5) - 0.5
            let base = min(Int(real.rounded(.down)), inSize - 1)
            let t = min(max(real - Float(base), 0), 1)
            let a = cubicA
            func near(_ x: Float) -> Float { ((a + 2) * x - (a + 3)) * x * x + 1 }
            func far(_ x: Float) -> Float { ((a * x - 5 * a) * x + 8 * a) * x - 4 * a }
            weights.append([far(t + 1), near(t), near(1 - t), far(2 - t)])
            indices.append((0..<4).map { min(max(base - 1 + $0, 0), inSize - 1) })
        }
        return (indices, weights)
    }

    /// grid: (gh, gw, C) row-major -> (rows, cols, C).
    public static func bicubic(
        _ grid: [Float], height gh: Int, width gw: Int, channels c: Int,
        rows: Int, cols: Int
    ) -> [Float] {
        precondition(grid.count == gh * gw * c && rows > 0 && cols > 0, "PositionInterpolation: shapes")
        if gh == rows && gw == cols { return grid }
        let ty = taps(inSize: gh, outSize: rows)
        let tx = taps(inSize: gw, outSize: cols)
        var out = [Float](repeating: 0, count: rows * cols * c)
        var acc = [Double](repeating: 0, count: c)
        for y in 0..<rows {
            for x in 0..<cols {
                for j in 0..<c { acc[j] = 0 }
                for ky in 0..<4 {
                    let wy = Double(ty.weight[y][ky])
                    for kx in 0..<4 {
                        let w = wy * Double(tx.weight[x][kx])
                        let src = (ty.index[y][ky] * gw + tx.index[x][kx]) * c
                        for j in 0..<c { acc[j] += w * Double(grid[src + j]) }
                    }
                }
                let dst = (y * cols + x) * c
                for j in 0..<c { out[dst + j] = Float(acc[j]) }
            }
        }
        return out
    }
}
