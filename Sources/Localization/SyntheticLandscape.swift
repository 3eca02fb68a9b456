import Foundation
import Imaging
import KeypointsSupport

/// A seeded score landscape shaped like a CLIP marker heatmap, for testing searches without CLIP.
///
/// Coordinates are normalised to the region: `u = (x - region.x) / region.width`, `v` likewise.
/// The value is a sum of Gaussian bumps (the keypoint's peak, near-ties, distractors), a smooth
/// texture of a few plane waves, and per-location white noise (a hash of the position, so the
/// same location always gets the same value, as a deterministic scorer would).
public struct SyntheticLandscape: Codable, Sendable, Equatable {
    /// `amplitude * exp(-((u - cx)^2 + (v - cy)^2) / (2 sigma^2))`.
    public struct Bump: Codable, Sendable, Equatable {
        public var cx: Double
        public var cy: Double
        public var sigma: Double
        public var amplitude: Double

        public init(cx: Double, cy: Double, sigma: Double, amplitude: Double) {
            self.cx = cx
            self.cy = cy
            self.sigma = sigma
            self.amplitude = amplitude
        }
    }

    /// `amplitude * cos(2 pi (fu u + fv v) + phase)`.
    public struct Wave: Codable, Sendable, Equatable {
        public var fu: Double
        public var fv: Double
        public var phase: Double
        public var amplitude: Double

        public init(fu: Double, fv: Double, phase: Double, amplitude: Double) {
            self.fu = fu
            self.fv = fv
            self.phase = phase
            self.amplitude = amplitude
        }
    }

    public var bumps: [Bump]
    public var waves: [Wave]
    /// Per-location noise, uniform in [-whiteNoise, whiteNoise].
    public var whiteNoise: Double
    /// Seeds the per-location noise hash.
    public var noiseSeed: UInt64

    public init(bumps: [Bump], waves: [Wave] = [], whiteNoise: Double = 0, noiseSeed: UInt64 = 0) {
        self.bumps = bumps
        self.waves = waves
        self.whiteNoise = whiteNoise
        self.noiseSeed = noiseSeed
    }

    /// Positions are hashed after rounding to 2^-24 of the region side: far finer than any
    /// lattice, coarse enough that the same location computed twice (pixels and back) agrees.
    static let noiseQuantum = 16_777_216.0

    /// The landscape at normalised position (u, v).
    public func value(u: Double, v: Double) -> Double {
        var total = 0.0
        for b in bumps {
            let du = u - b.cx
            let dv = v - b.cy
            total += b.amplitude * exp(-(du * du + dv * dv) / (2 * b.sigma * b.sigma))
        }
        for w in waves {
            total += w.amplitude * cos(2 * Double.pi * (w.fu * u + w.fv * v) + w.phase)
        }
        if whiteNoise > 0 {
            let qu = UInt64(bitPattern: Int64((u * Self.noiseQuantum).rounded()))
            let qv = UInt64(bitPattern: Int64((v * Self.noiseQuantum).rounded()))
            let h = SplitMix64.mix(noiseSeed ^ SplitMix64.mix(qu &+ SplitMix64.mix(qv)))
            let unit = Double(h >> 11) * 0x1p-53
            total += whiteNoise * (2 * unit - 1)
        }
        return total
    }

    // MARK: - Random landscapes

    /// The distribution of `SearchExperiment`'s landscapes (documented in grids/README.md).
    /// Peak widths are standard deviations as fractions of the region side.
    public struct Parameters: Codable, Sendable, Equatable {
        /// The keypoint's peak: amplitude 1, sigma log-uniform in this range.
        public var peakSigma: ClosedRange<Double> = 0.035...0.15
        /// Probability of a second, near-tie peak far from the first.
        public var nearTieProbability = 0.25
        /// Its amplitude relative to the main peak.
        public var nearTieAmplitude: ClosedRange<Double> = 0.9...1.0
        /// Its minimum distance from the main peak (fraction of the side).
        public var nearTieMinimumDistance = 0.35
        /// Distractor bumps per landscape, their amplitudes and widths.
        public var distractorCount: ClosedRange<Int> = 2...5
        public var distractorAmplitude: ClosedRange<Double> = 0.15...0.6
        public var distractorSigma: ClosedRange<Double> = 0.05...0.3
        /// Texture: this many plane waves of wavelength in the range, each of this amplitude.
        public var waveCount = 4
        public var waveLength: ClosedRange<Double> = 0.08...0.25
        public var waveAmplitude = 0.015
        /// Per-location noise half-range.
        public var whiteNoise = 0.02
        /// Peaks are placed at least this far from the region border (fraction of the side).
        public var borderMargin = 0.02

        public init() {}
    }

    /// One keypoint's landscape: a peak at a uniform random position, maybe a near tie, distractors.
    public static func random(_ rng: inout SplitMix64, parameters p: Parameters = Parameters()) -> SyntheticLandscape {
        let lo = p.borderMargin
        let hi = 1 - p.borderMargin
        let peak = (rng.uniform(lo, hi), rng.uniform(lo, hi))
        return random(&rng, peak: peak, shared: [], parameters: p)
    }

    /// A landscape with its main peak at `peak` (normalised), plus `shared` bumps (parts of the
    /// same object that light up for every keypoint), a possible near tie, distractors, texture
    /// and noise.
    public static func random(
        _ rng: inout SplitMix64, peak: (Double, Double), shared: [Bump],
        parameters p: Parameters = Parameters()
    ) -> SyntheticLandscape {
        let lo = p.borderMargin
        let hi = 1 - p.borderMargin
        var bumps = [
            Bump(
                cx: peak.0, cy: peak.1, sigma: rng.logUniform(p.peakSigma.lowerBound, p.peakSigma.upperBound),
                amplitude: 1)
        ]
        if rng.chance(p.nearTieProbability) {
            var c = (rng.uniform(lo, hi), rng.uniform(lo, hi))
            // Rejection sampling; the region is large enough that this ends quickly.
            while hypot(c.0 - peak.0, c.1 - peak.1) < p.nearTieMinimumDistance {
                c = (rng.uniform(lo, hi), rng.uniform(lo, hi))
            }
            bumps.append(
                Bump(
                    cx: c.0, cy: c.1,
                    sigma: rng.logUniform(p.peakSigma.lowerBound, p.peakSigma.upperBound),
                    amplitude: rng.uniform(p.nearTieAmplitude.lowerBound, p.nearTieAmplitude.upperBound)))
        }
        for _ in 0..<rng.integer(in: p.distractorCount) {
            bumps.append(
                Bump(
                    cx: rng.uniform(0, 1), cy: rng.uniform(0, 1),
                    sigma: rng.logUniform(p.distractorSigma.lowerBound, p.distractorSigma.upperBound),
                    amplitude: rng.uniform(p.distractorAmplitude.lowerBound, p.distractorAmplitude.upperBound)))
        }
        bumps += shared
        var waves: [Wave] = []
        for _ in 0..<p.waveCount {
            let length = rng.uniform(p.waveLength.lowerBound, p.waveLength.upperBound)
            let angle = rng.uniform(0, 2 * Double.pi)
            waves.append(
                Wave(
                    fu: cos(angle) / length, fv: sin(angle) / length,
                    phase: rng.uniform(0, 2 * Double.pi), amplitude: p.waveAmplitude))
        }
        return SyntheticLandscape(bumps: bumps, waves: waves, whiteNoise: p.whiteNoise, noiseSeed: rng.next())
    }

    /// K landscapes of one bird-like object, clustered like CUB's 15 parts: the first
    /// `round(7 K / 15)` keypoints (CUB's beak, crown, forehead, eyes, nape, throat) peak within
    /// a few percent of one head position; the rest (back, belly, breast, legs, wings, tail)
    /// spread over the body. Every landscape also carries two shared bumps (head, body).
    public static func birdLike(
        _ rng: inout SplitMix64, keypoints K: Int,
        parameters p: Parameters = Parameters()
    ) -> [SyntheticLandscape] {
        func clamp(_ x: Double) -> Double { min(max(x, p.borderMargin), 1 - p.borderMargin) }
        let bodySize = rng.uniform(0.2, 0.35)
        let body = (rng.uniform(0.3, 0.7), rng.uniform(0.3, 0.7))
        let headAngle = rng.uniform(0, 2 * Double.pi)
        let head = (clamp(body.0 + 1.1 * bodySize * cos(headAngle)), clamp(body.1 + 1.1 * bodySize * sin(headAngle)))
        let headSize = 0.05
        let shared = [
            Bump(cx: head.0, cy: head.1, sigma: rng.uniform(0.05, 0.1), amplitude: rng.uniform(0.2, 0.5)),
            Bump(cx: body.0, cy: body.1, sigma: bodySize * 0.7, amplitude: rng.uniform(0.1, 0.35)),
        ]
        let headCount = Int((Double(7 * K) / 15).rounded())
        var out: [SyntheticLandscape] = []
        for k in 0..<K {
            let peak: (Double, Double)
            if k < headCount {
                peak = (
                    clamp(head.0 + rng.uniform(-headSize, headSize)), clamp(head.1 + rng.uniform(-headSize, headSize))
                )
            } else {
                let r = bodySize * rng.nextUnit().squareRoot()
                let a = rng.uniform(0, 2 * Double.pi)
                peak = (clamp(body.0 + r * cos(a)), clamp(body.1 + r * sin(a)))
            }
            out.append(random(&rng, peak: peak, shared: shared, parameters: p))
        }
        return out
    }
}

/// Scores points with K synthetic landscapes over a region (a `CandidateScorer` for tests and
/// experiments). Counts calls and points.
public struct LandscapeScorer: CandidateScorer, Sendable {
    public var landscapes: [SyntheticLandscape]
    public var region: Box
    public private(set) var calls = 0
    public private(set) var pointsScored = 0

    public init(landscapes: [SyntheticLandscape], region: Box) {
        self.landscapes = landscapes
        self.region = region
    }

    public mutating func score(_ points: [Point]) throws -> [[Float]] {
        calls += 1
        pointsScored += points.count
        return points.map { p in
            let u = (p.x - region.x) / region.width
            let v = (p.y - region.y) / region.height
            return landscapes.map { Float($0.value(u: u, v: v)) }
        }
    }
}
