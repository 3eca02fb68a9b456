import Foundation
import Imaging
import KeypointsSupport
import Localization

/// The paper's random baseline (Table 4, "random location"): each keypoint is put at a uniform
/// random location of the search region (the whole image, the crop for SPair-71k, the box for
/// COCO), or, with a search mask (`--mask`, the paper's "mask: yes" row), at a uniform random
/// location inside the mask (the whole region when the mask holds none of it).
///
/// The generator is seeded per image and keypoint from `seed`, the image id and the keypoint name
/// (FNV-1a 64 hashes mixed by SplitMix64), so predictions do not depend on the order of images,
/// on sharding or on resuming.
public struct RandomPredictor: KeypointPredictor {
    public let seed: UInt64
    /// Sleep per image, in milliseconds: a testing aid that makes runs slow enough to be
    /// interrupted at a random moment (the CLI reads it from `KEYPOINTS_EVAL_DELAY_MS`). It does
    /// not change predictions and is not a setting.
    public let delayMilliseconds: Int

    /// The environment variable the CLI reads `delayMilliseconds` from.
    public static let delayEnvironmentVariable = "KEYPOINTS_EVAL_DELAY_MS"

    public init(seed: UInt64 = 0, delayMilliseconds: Int = 0) {
        self.seed = seed
        self.delayMilliseconds = max(0, delayMilliseconds)
    }

    public var method: String { "random" }
    public var settings: [String: String] { ["seed": String(seed)] }

    public func predict(_ request: PredictionRequest) throws -> PredictionOutput {
        if delayMilliseconds > 0 { usleep(useconds_t(min(delayMilliseconds, 60_000)) * 1000) }
        let box = request.searchBox
        let imageHash = FNV1a.hash64(request.imageID) ^ SplitMix64.mix(seed)
        let inside = request.mask.map { Self.maskPixels($0, in: box) } ?? []
        let predictions = request.keypoints.map { k -> Prediction in
            var rng = SplitMix64(seed: SplitMix64.mix(imageHash ^ FNV1a.hash64(k.name)))
            if !inside.isEmpty {
                // Uniform inside the mask: a set pixel uniformly, then a point uniformly inside it.
                let index = min(inside.count - 1, Int(rng.uniform(0, Double(inside.count))))
                let (px, py) = inside[index]
                return Prediction(
                    name: k.name, x: rng.uniform(Double(px), Double(px + 1)),
                    y: rng.uniform(Double(py), Double(py + 1)), score: nil)
            }
            let x = rng.uniform(box.x, box.x + box.width)
            let y = rng.uniform(box.y, box.y + box.height)
            return Prediction(name: k.name, x: x, y: y, score: nil)
        }
        return PredictionOutput(predictions: predictions, passes: 0)
    }

    /// The set pixels of `mask` whose centre lies in `box`, row-major (empty: no mask applies).
    static func maskPixels(_ mask: PixelMask, in box: Box) -> [(Int, Int)] {
        var out: [(Int, Int)] = []
        for y in 0..<mask.height where Double(y) + 0.5 >= box.y && Double(y) + 0.5 < box.maxY {
            for x in 0..<mask.width
            where mask.bits[y * mask.width + x] != 0
                && Double(x) + 0.5 >= box.x && Double(x) + 0.5 < box.maxX
            {
                out.append((x, y))
            }
        }
        return out
    }
}
