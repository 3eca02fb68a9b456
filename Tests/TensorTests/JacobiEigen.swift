import Foundation

/// Naive reference for `SymmetricEigen.generalized`, for tests only: Cholesky B = L Lᵀ, then the
/// cyclic Jacobi method on C = L⁻¹ A L⁻ᵀ, then x = L⁻ᵀ y. Plain loops in Double.
/// a, b: (N, N) -> values (N) ascending, vectors (N, N) with row j the eigenvector of values[j].
enum JacobiEigen {
    static func generalized(a: [Double], b: [Double], order n: Int) -> (values: [Double], vectors: [Double]) {
        // L: lower-triangular Cholesky factor of B.
        var l = [Double](repeating: 0, count: n * n)
        for i in 0..<n {
            for j in 0...i {
                var s = b[i * n + j]
                for k in 0..<j { s -= l[i * n + k] * l[j * n + k] }
                l[i * n + j] = i == j ? s.squareRoot() : s / l[j * n + j]
            }
        }
        // Solves L z = r (forward substitution).
        func forward(_ r: [Double]) -> [Double] {
            var z = r
            for i in 0..<n {
                for k in 0..<i { z[i] -= l[i * n + k] * z[k] }
                z[i] /= l[i * n + i]
            }
            return z
        }
        // C = L⁻¹ A L⁻ᵀ: columns of L⁻¹ A, then the same on the rows.
        var m = [Double](repeating: 0, count: n * n)  // M = L⁻¹ A
        for j in 0..<n {
            let col = forward((0..<n).map { a[$0 * n + j] })
            for i in 0..<n { m[i * n + j] = col[i] }
        }
        var c = [Double](repeating: 0, count: n * n)  // C = L⁻¹ Mᵀ = (L⁻¹ A L⁻ᵀ)ᵀ = C (symmetric)
        for j in 0..<n {
            let col = forward((0..<n).map { m[j * n + $0] })
            for i in 0..<n { c[i * n + j] = col[i] }
        }
        // Cyclic Jacobi: V accumulates the rotations (columns are eigenvectors of C).
        var v = [Double](repeating: 0, count: n * n)
        for i in 0..<n { v[i * n + i] = 1 }
        for _ in 0..<100 {
            var off = 0.0
            for p in 0..<n { for q in (p + 1)..<max(p + 1, n) { off += c[p * n + q] * c[p * n + q] } }
            if off < 1e-30 { break }
            for p in 0..<n {
                for q in (p + 1)..<max(p + 1, n) where c[p * n + q] != 0 {
                    let theta = (c[q * n + q] - c[p * n + p]) / (2 * c[p * n + q])
                    let t = (theta >= 0 ? 1.0 : -1.0) / (abs(theta) + (theta * theta + 1).squareRoot())
                    let cs = 1 / (t * t + 1).squareRoot()
                    let sn = t * cs
                    for k in 0..<n {  // rows p, q
                        let cp = c[p * n + k]
                        let cq = c[q * n + k]
                        c[p * n + k] = cs * cp - sn * cq
                        c[q * n + k] = sn * cp + cs * cq
                    }
                    for k in 0..<n {  // columns p, q
                        let cp = c[k * n + p]
                        let cq = c[k * n + q]
                        c[k * n + p] = cs * cp - sn * cq
                        c[k * n + q] = sn * cp + cs * cq
                        let vp = v[k * n + p]
                        let vq = v[k * n + q]
                        v[k * n + p] = cs * vp - sn * vq
                        v[k * n + q] = sn * vp + cs * vq
                    }
                }
            }
        }
        let order = (0..<n).sorted { c[$0 * n + $0] < c[$1 * n + $1] }
        var values: [Double] = []
        var vectors: [Double] = []
        for j in order {
            values.append(c[j * n + j])
            // x = L⁻ᵀ y (backward substitution with Lᵀ).
            var x = (0..<n).map { v[$0 * n + j] }
            for i in stride(from: n - 1, through: 0, by: -1) {
                for k in (i + 1)..<max(i + 1, n) { x[i] -= l[k * n + i] * x[k] }
                x[i] /= l[i * n + i]
            }
            vectors += x
        }
        return (values, vectors)
    }
}
