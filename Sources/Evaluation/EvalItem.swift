import Foundation
import Imaging

/// A keypoint to look for: its name and the texts CLIP scores against (no location); several
/// prompts are ensembled (`KeypointQuery`).
public struct EvalKeypoint: Codable, Sendable, Equatable {
    public var name: String
    public var prompts: [String]
    public init(name: String, prompt: String) {
        self.init(name: name, prompts: [prompt])
    }
    public init(name: String, prompts: [String]) {
        self.name = name
        self.prompts = prompts
    }
    /// The first prompt (the only one unless several are ensembled).
    public var prompt: String { prompts.first ?? "" }
}

/// An annotated (visible, named) keypoint of an evaluation item, in original image pixels.
public struct GroundTruthKeypoint: Sendable, Equatable {
    /// The dataset's own keypoint id (CUB part_id, SPair index, FaceSynthetics row, COCO index).
    public var id: Int
    public var name: String
    /// One prompt, or several ensembled.
    public var prompts: [String]
    public var x: Double
    public var y: Double

    public init(id: Int, name: String, prompt: String, x: Double, y: Double) {
        self.init(id: id, name: name, prompts: [prompt], x: x, y: y)
    }

    public init(id: Int, name: String, prompts: [String], x: Double, y: Double) {
        self.id = id
        self.name = name
        self.prompts = prompts
        self.x = x
        self.y = y
    }

    /// The first prompt (the only one unless several are ensembled).
    public var prompt: String { prompts.first ?? "" }

    public var query: EvalKeypoint { EvalKeypoint(name: name, prompts: prompts) }
    /// The annotated location (`x`, `y`).
    public var point: Point { Point(x: x, y: y) }
}

/// What the predictor is shown, per dataset (see `EvalItem.region`); the search region itself is
/// a `Box`.
public enum SearchScope: String, Codable, Sendable, CaseIterable {
    /// The whole image; the box only normalises PCK (CUB, as in the paper; FaceSynthetics).
    case image
    /// The whole image, with the box passed as the search region (COCO: one instance per box).
    case box
    /// The image cropped to the box; predictions are mapped back to original pixels (SPair-71k,
    /// as in the paper).
    case crop
}

/// One thing to evaluate: an image (or one annotated instance in it) with its keypoints.
public struct EvalItem: Sendable, Equatable {
    /// Unique and stable within the dataset (CUB image id, "dog/2009_001225", "000022", COCO
    /// annotation id); results are keyed by it.
    public var id: String
    /// Per-category PCK groups by this (CUB class name, SPair category, "face", COCO category).
    public var category: String
    /// The image path as the dataset names it, relative to the image root.
    public var imagePath: String
    /// The resolved image file.
    public var imageURL: URL
    /// PCK normaliser (and search region or crop), original pixels.
    public var box: Box
    public var region: SearchScope
    /// Visible, named keypoints, in the vocabulary's order.
    public var keypoints: [GroundTruthKeypoint]
    /// Annotated keypoints left out because the vocabulary has no name for them.
    public var unnamedKeypoints: Int
    /// Image size stated by the annotation, checked against the decoded image when present.
    public var expectedWidth: Int?
    public var expectedHeight: Int?

    public init(
        id: String, category: String, imagePath: String, imageURL: URL, box: Box,
        region: SearchScope, keypoints: [GroundTruthKeypoint], unnamedKeypoints: Int = 0,
        expectedWidth: Int? = nil, expectedHeight: Int? = nil
    ) {
        self.id = id
        self.category = category
        self.imagePath = imagePath
        self.imageURL = imageURL
        self.box = box
        self.region = region
        self.keypoints = keypoints
        self.unnamedKeypoints = unnamedKeypoints
        self.expectedWidth = expectedWidth
        self.expectedHeight = expectedHeight
    }
}
