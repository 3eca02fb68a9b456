import Foundation
import Imaging

@testable import Localization

/// Paths of the repository's data folders, found from this file (grids/ and keypoints/ sit
/// outside the targets, so they cannot be SwiftPM resources).
enum Repo {
    static let root: URL = URL(fileURLWithPath: #filePath).resolvingSymlinksInPath()
        .deletingLastPathComponent()  // LocalizationTests
        .deletingLastPathComponent()  // Tests
        .deletingLastPathComponent()

    static func grid(_ name: String) -> URL { root.appendingPathComponent("grids/\(name).json") }
    static func vocabulary(_ name: String) -> URL { root.appendingPathComponent("keypoints/\(name).json") }

    static func preset(_ name: String) throws -> GridPreset { try GridPreset.load(from: grid(name)) }
}

/// A scorer computing K functions of the pixel position and recording every call.
struct RecordingScorer: CandidateScorer {
    var functions: [(Double, Double) -> Float]
    private(set) var calls: [[Point]] = []

    init(_ functions: [(Double, Double) -> Float]) {
        self.functions = functions
    }

    mutating func score(_ points: [Point]) throws -> [[Float]] {
        calls.append(points)
        return points.map { p in functions.map { $0(p.x, p.y) } }
    }

    var allPoints: [Point] { calls.flatMap { $0 } }
}

/// A preset with the paper's marker, for geometry and search tests.
func makePreset(
    _ stages: [GridStage], budget: PassBudget? = nil, batch: Int? = nil,
    name: String = "test"
) -> GridPreset {
    GridPreset(name: name, description: "", stages: stages, marker: .paper, fit: .pad, batch: batch, budget: budget)
}

/// exp(-d^2 / (2 sigma^2)) * amplitude, in pixels.
func gaussian(cx: Double, cy: Double, sigma: Double, amplitude: Double = 1) -> (Double, Double) -> Double {
    { x, y in amplitude * exp(-((x - cx) * (x - cx) + (y - cy) * (y - cy)) / (2 * sigma * sigma)) }
}

/// The dense M x M answer computed independently of the search code: cell centres
/// `(x0 + (i + 0.5) W / M, y0 + (j + 0.5) H / M)`, first maximum in row-major order.
func bruteForceArgmax(_ f: (Double, Double) -> Float, region r: Box, grid m: Int) -> Point {
    var best = Point(x: .nan, y: .nan)
    var bestValue = -Float.infinity
    for j in 0..<m {
        for i in 0..<m {
            let x = r.x + (Double(i) + 0.5) * r.width / Double(m)
            let y = r.y + (Double(j) + 0.5) * r.height / Double(m)
            let v = f(x, y)
            if v > bestValue {
                bestValue = v
                best = Point(x: x, y: y)
            }
        }
    }
    return best
}

/// Pixel coordinates computed along different routes agree to a few ulps of the coordinate.
let pixelTolerance = 1e-9

func close(_ a: Point, _ b: Point, tolerance: Double = pixelTolerance) -> Bool {
    abs(a.x - b.x) <= tolerance * max(1, abs(a.x)) && abs(a.y - b.y) <= tolerance * max(1, abs(a.y))
}
