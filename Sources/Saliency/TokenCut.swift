import KeypointsSupport
import Tensor

/// TokenCut (Wang et al., "Self-Supervised Transformers for Unsupervised Object Discovery using
/// Normalized Cut", CVPR 2022) on a token feature matrix: a normalised cut of the token graph.
///
/// Steps (each reproduced by the NumPy/SciPy reference in Tests/DINOTests/Fixtures):
/// 1. F (N x D): rows L2-normalised; A = F Fᵀ (cosine similarities), in Double.
/// 2. A_ij = 1 where A_ij > tau, else `weakAffinity` (keeps the graph connected).
/// 3. D = diag(row sums of A); x = the second smallest generalised eigenvector of
///    (D - A) x = λ D x (LAPACK dsygvd).
/// 4. Foreground = x > mean(x); seed = argmax |x|; if the seed is background, negate x and the
///    partition.
/// 5. Keep the 4-connected component of the token grid that holds the seed.
public enum TokenCut {
    /// The paper's affinity threshold.
    public static let defaultTau: Float = 0.2
    /// Affinity of token pairs below the threshold (the paper's eps).
    public static let weakAffinity = 1e-5

    public struct Partition: Sendable, Equatable {
        public let rows: Int
        public let cols: Int
        /// (rows cols) in grid order, after the sign flip: the seed is positive, xᵀ D x = 1.
        public let eigenvector: [Double]
        /// The 2nd and 3rd smallest generalised eigenvalues (their gap says how stable x is).
        public let eigenvalues: (second: Double, third: Double?)
        /// (rows cols), 1 = foreground (the seed's 4-connected component), 0 = background.
        public let mask: [UInt8]
        /// Grid index (row cols + col) of argmax |x|.
        public let seed: Int

        public var foregroundCount: Int { mask.reduce(0) { $0 + Int($1) } }

        public static func == (l: Partition, r: Partition) -> Bool {
            l.rows == r.rows && l.cols == r.cols && l.eigenvector == r.eigenvector && l.mask == r.mask
                && l.seed == r.seed && l.eigenvalues.second == r.eigenvalues.second
                && l.eigenvalues.third == r.eigenvalues.third
        }
    }

    /// features: (rows cols, D) row-major, tokens in grid order -> the kept foreground component.
    public static func partition(
        features: [Float], rows: Int, cols: Int, dimension d: Int,
        tau: Float = defaultTau
    ) throws(SaliencyError) -> Partition {
        let n = rows * cols
        guard rows > 0, cols > 0, d > 0, features.count == n * d else {
            throw .badInput("TokenCut: \(features.count) features for a \(rows)x\(cols) grid of dimension \(d)")
        }
        guard n >= 2 else { throw .badInput("TokenCut: a \(rows)x\(cols) grid has fewer than 2 tokens to separate") }
        guard n <= SymmetricEigen.maximumOrder else {
            throw .badInput(
                "TokenCut: \(n) tokens exceed the limit of \(SymmetricEigen.maximumOrder); use a smaller --size")
        }
        // 1. Rows of F normalised in Double.
        var f = [Double](repeating: 0, count: n * d)
        for i in 0..<n {
            var norm = 0.0
            for j in 0..<d {
                let v = Double(features[i * d + j])
                f[i * d + j] = v
                norm += v * v
            }
            let inv = norm > 0 ? 1 / norm.squareRoot() : 0
            for j in 0..<d { f[i * d + j] *= inv }
        }
        // 1-3. Laplacian L = D - A and degree matrix D (both N x N, only the upper triangle is read).
        var laplacian = [Double](repeating: 0, count: n * n)
        var degree = [Double](repeating: 0, count: n)
        let threshold = Double(tau)
        f.withUnsafeBufferPointer { fp in
            laplacian.withUnsafeMutableBufferPointer { lp in
                for i in 0..<n {
                    let fi = fp.baseAddress! + i * d
                    for j in i..<n {
                        let fj = fp.baseAddress! + j * d
                        var dot = 0.0
                        for k in 0..<d { dot += fi[k] * fj[k] }
                        let a = dot > threshold ? 1.0 : weakAffinity
                        lp[i * n + j] = -a
                        lp[j * n + i] = -a
                        degree[i] += a
                        if j != i { degree[j] += a }
                    }
                }
            }
        }
        var dMatrix = [Double](repeating: 0, count: n * n)
        for i in 0..<n {
            laplacian[i * n + i] += degree[i]
            dMatrix[i * n + i] = degree[i]
        }
        let solution: (values: [Double], vectors: [Double])
        do { solution = try SymmetricEigen.generalized(a: laplacian, b: dMatrix, order: n) } catch {
            throw .eigensolver(rawMessage(of: error))
        }
        // 4. Bipartition by the mean, seed, sign.
        var x = Array(solution.vectors[n..<2 * n])
        let mean = x.reduce(0, +) / Double(n)
        var foreground = x.map { $0 > mean }
        var seed = 0
        for i in 1..<n where abs(x[i]) > abs(x[seed]) { seed = i }
        if !foreground[seed] {
            x = x.map { -$0 }
            foreground = foreground.map { !$0 }
        }
        // 5. The seed's 4-connected component.
        let mask = connectedComponent(foreground, rows: rows, cols: cols, seed: seed)
        return Partition(
            rows: rows, cols: cols, eigenvector: x,
            eigenvalues: (solution.values[1], n > 2 ? solution.values[2] : nil), mask: mask, seed: seed)
    }

    /// cells: (rows cols) -> (rows cols) with 1 on the 4-connected set of true cells holding `seed`.
    static func connectedComponent(_ cells: [Bool], rows: Int, cols: Int, seed: Int) -> [UInt8] {
        var mask = [UInt8](repeating: 0, count: rows * cols)
        guard cells[seed] else { return mask }
        var stack = [seed]
        mask[seed] = 1
        while let i = stack.popLast() {
            let r = i / cols
            let c = i % cols
            for (nr, nc) in [(r - 1, c), (r + 1, c), (r, c - 1), (r, c + 1)]
            where nr >= 0 && nr < rows && nc >= 0 && nc < cols {
                let j = nr * cols + nc
                if cells[j] && mask[j] == 0 {
                    mask[j] = 1
                    stack.append(j)
                }
            }
        }
        return mask
    }
}
