import COpenBLAS

/// Symmetric eigenproblems through the LAPACK that ships inside OpenBLAS (loaded by `BLAS`).
public enum SymmetricEigen {
    /// Largest problem accepted: dsygvd needs about 2 N² doubles of workspace on top of the two
    /// N x N inputs (N = 10 000 is ~2.4 GB), and LAPACK's sizes are 32-bit.
    public static let maximumOrder = 10_000

    /// All eigenpairs of the symmetric-definite generalised problem A x = λ B x (LAPACK dsygvd,
    /// itype 1, divide and conquer), in Double.
    ///
    /// a: (N, N) symmetric, b: (N, N) symmetric positive definite
    ///   -> values: (N) ascending, vectors: (N, N) with row j the eigenvector of values[j],
    ///      normalised so that xᵀ B x = 1 (the sign is LAPACK's).
    /// Only the upper triangle of each input is read.
    public static func generalized(a: [Double], b: [Double], order n: Int) throws(TensorError)
        -> (values: [Double], vectors: [Double])
    {
        precondition(n >= 0 && a.count == n * n && b.count == n * n, "SymmetricEigen: inputs must be N x N")
        guard n <= maximumOrder else {
            throw .lapack(routine: "dsygvd", n: n, info: 0, meaning: "order above the limit of \(maximumOrder)")
        }
        guard n > 0 else { return ([], []) }
        try BLAS.load()
        guard kp_has_dsygvd() != 0 else {
            throw .lapack(
                routine: "dsygvd", n: n, info: -1000,
                meaning: "the loaded BLAS library has no LAPACK (install libopenblas0, which bundles it)")
        }
        var vectors = a
        var factor = b
        var values = [Double](repeating: 0, count: n)
        let info = vectors.withUnsafeMutableBufferPointer { v in
            factor.withUnsafeMutableBufferPointer { f in
                values.withUnsafeMutableBufferPointer { w in
                    kp_dsygvd(Int32(n), v.baseAddress!, f.baseAddress!, w.baseAddress!)
                }
            }
        }
        guard info == 0 else {
            let i = Int(info)
            let meaning: String
            switch i {
            case -1001: meaning = "out of memory for the workspace"
            case ..<0: meaning = "argument \(-i) is invalid"
            case 1...n: meaning = "the eigensolver did not converge"
            default: meaning = "the leading minor of order \(i - n) of B is not positive definite"
            }
            throw .lapack(routine: "dsygvd", n: n, info: i, meaning: meaning)
        }
        return (values, vectors)
    }
}
