/// OpenAI's normalisation of 8-bit pixels (N, 3, S, S) in float32, op for op as torchvision
/// does it: ToTensor (x / 255) then Normalize ((x - mean) / std). The reference input of the
/// CLIP tests and the oneDNN CLIP tests.
public func normalizePixels(_ u8: [Float], size s: Int) -> [Float] {
    let mean: [Float] = [0.48145466, 0.4578275, 0.40821073]
    let std: [Float] = [0.26862954, 0.26130258, 0.27577711]
    return u8.enumerated().map { i, v in
        let c = (i / (s * s)) % 3
        return (v / 255 - mean[c]) / std[c]
    }
}
