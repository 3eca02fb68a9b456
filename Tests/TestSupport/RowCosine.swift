/// Cosine of row `row` of two (N, C) row-major matrices, accumulated in Double: the parity
/// measure of the CLIP, bf16 and DINO tests against their PyTorch references.
public func rowCosine(_ a: [Float], _ b: [Float], width c: Int, row: Int) -> Double {
    var dot = 0.0
    var na = 0.0
    var nb = 0.0
    for j in 0..<c {
        let x = Double(a[row * c + j])
        let y = Double(b[row * c + j])
        dot += x * y
        na += x * x
        nb += y * y
    }
    return dot / (na.squareRoot() * nb.squareRoot())
}
