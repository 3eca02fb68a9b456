import Foundation
import KeypointsSupport
import Localization

/// The paper's random baseline (Table 4, "random location"): each keypoint is put at a uniform
/// random location of the search region (the whole image, the crop for SPair-71k, the box for
/// COCO).
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
        let predictions = request.keypoints.map { k -> Prediction in
            var rng = SplitMix64(seed: SplitMix64.mix(imageHash ^ FNV1a.hash64(k.name)))
            let x = rng.uniform(box.x, box.x + box.width)
            let y = rng.uniform(box.y, box.y + box.height)
            return Prediction(name: k.name, x: x, y: y, score: nil)
        }
        return PredictionOutput(predictions: predictions, passes: 0)
    }
}
