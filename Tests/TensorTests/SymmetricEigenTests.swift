import Foundation
import Testing

@testable import Tensor

/// dsygvd and Jacobi both reach ~1e-13 relative accuracy on these well-conditioned problems;
/// eigenvalues are compared relative to the largest magnitude.
let eigenvalueTolerance = 1e-9
/// Eigenvectors (unit B-norm, sign-free): |cos| to the reference, for simple eigenvalues.
let eigenvectorCosineTolerance = 1e-9

@Suite struct SymmetricEigenTests {
    /// A random symmetric A and an SPD B = Mᵀ M + N I, from the SplitMix64 test data.
    func problem(_ n: Int, seed: UInt64) -> (a: [Double], b: [Double]) {
        let r = testData(n * n, seed: seed).map(Double.init)
        let m = testData(n * n, seed: seed &+ 1).map(Double.init)
        var a = [Double](repeating: 0, count: n * n)
        var b = a
        for i in 0..<n {
            for j in 0..<n {
                a[i * n + j] = r[i * n + j] + r[j * n + i]
                var s = 0.0
                for k in 0..<n { s += m[k * n + i] * m[k * n + j] }
                b[i * n + j] = s + (i == j ? Double(n) : 0)
            }
        }
        return (a, b)
    }

    @Test(arguments: [1, 2, 7, 33, 65])
    func dsygvdMatchesJacobi(n: Int) throws {
        let (a, b) = problem(n, seed: UInt64(n) * 7919)
        let fast = try SymmetricEigen.generalized(a: a, b: b, order: n)
        let slow = JacobiEigen.generalized(a: a, b: b, order: n)
        let scale = fast.values.map(abs).max() ?? 1
        for j in 0..<n {
            #expect(abs(fast.values[j] - slow.values[j]) <= eigenvalueTolerance * scale, "value \(j)")
            let x = Array(fast.vectors[j * n..<(j + 1) * n])
            let y = Array(slow.vectors[j * n..<(j + 1) * n])
            let dot = zip(x, y).map { $0 * $1 }.reduce(0, +)
            let cos = abs(dot) / ((x.map { $0 * $0 }.reduce(0, +) * y.map { $0 * $0 }.reduce(0, +)).squareRoot())
            #expect(1 - cos <= eigenvectorCosineTolerance, "vector \(j): |cos| \(cos)")
            // A x = λ B x directly, independent of the reference.
            for i in 0..<n {
                var ax = 0.0
                var bx = 0.0
                for k in 0..<n {
                    ax += a[i * n + k] * x[k]
                    bx += b[i * n + k] * x[k]
                }
                #expect(abs(ax - fast.values[j] * bx) <= 1e-8 * scale * Double(n), "residual \(i), \(j)")
            }
        }
    }

    @Test func notPositiveDefiniteIsAnError() throws {
        // B = diag(1, -1) is not positive definite: info n + 2 (leading minor of order 2).
        #expect(throws: TensorError.self) {
            _ = try SymmetricEigen.generalized(a: [1, 0, 0, 1], b: [1, 0, 0, -1], order: 2)
        }
        do {
            _ = try SymmetricEigen.generalized(a: [1, 0, 0, 1], b: [1, 0, 0, -1], order: 2)
        } catch {
            #expect(error.description.contains("leading minor of order 2"))
        }
    }
}
