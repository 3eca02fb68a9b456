import Imaging

/// A validated preset turned into exact integer lattice geometry.
///
/// Stage `t` is the cell-centre grid of an `N_t x N_t` subdivision of the region:
/// `N_0 = stages[0].grid`, `N_t = N_{t-1} * ratio_t` with `ratio_t = grid_t / neighbourhood_t`.
/// Its spacing is `1 / N_t` of the region side. All stages are expressed in units of
/// `1 / (2 * finestResolution)` of the region side (`LatticePoint`), where
/// `finestResolution = N_last`: cell `n` of stage `t` sits at `(2n + 1) * step_t / 2` units with
/// `step_t = 2 * finestResolution / N_t` units per cell (an even integer).
public struct SearchPlan: Sendable, Equatable {
    /// One stage's lattice.
    public struct Stage: Sendable, Equatable {
        /// Candidates per side (the whole region for stage 0, each window later).
        public var grid: Int
        /// Cells per region side of this stage's lattice (`N_t`).
        public var resolution: Int
        /// Previous spacing / this spacing (1 for stage 0).
        public var refinementRatio: Int
        /// Survivors per keypoint carried to the next stage (0 for the last stage).
        public var topK: Int
        /// See `GridStage.margin`.
        public var margin: Double?
        /// See `GridStage.separation`.
        public var separation: Double?
        /// Lattice units per cell of this stage: `2 * finestResolution / resolution`.
        public var step: Int
    }

    public let stages: [Stage]
    /// Cells per region side of the last stage (its spacing is `1 / finestResolution`).
    public let finestResolution: Int
    /// See `GridPreset.budget`.
    public let budget: PassBudget?

    /// - Throws: `GridPresetError` if the preset breaks a rule of grids/README.md.
    public init(preset: GridPreset) throws {
        try preset.validate(file: "(preset \"\(preset.name)\")")
        var resolutions: [Int] = []
        var ratios: [Int] = []
        for (i, s) in preset.stages.enumerated() {
            // validate() guarantees a whole ratio for every later stage.
            let ratio = i == 0 ? 1 : (s.refinementRatio ?? 1)
            resolutions.append(i == 0 ? s.grid : resolutions[i - 1] * ratio)
            ratios.append(ratio)
        }
        let finest = resolutions[resolutions.count - 1]
        finestResolution = finest
        budget = preset.budget
        stages = preset.stages.enumerated().map { i, s in
            Stage(
                grid: s.grid, resolution: resolutions[i], refinementRatio: ratios[i],
                topK: i == preset.stages.count - 1 ? 0 : (s.topK ?? 1),
                margin: s.margin, separation: s.separation,
                step: 2 * finest / resolutions[i])
        }
    }

    // MARK: - Geometry

    /// Stage 0: all `grid x grid` cell centres of the region, row-major (y, then x).
    public func firstStagePoints() -> [LatticePoint] {
        let s = stages[0]
        var out: [LatticePoint] = []
        out.reserveCapacity(s.grid * s.grid)
        for j in 0..<s.grid {
            for i in 0..<s.grid {
                out.append(LatticePoint(a: (2 * i + 1) * s.step / 2, b: (2 * j + 1) * s.step / 2))
            }
        }
        return out
    }

    /// The window of stage `stage` (>= 1) around `survivor`: the `grid` consecutive lattice
    /// cells per axis whose span is centred on the survivor (exactly centred when the survivor
    /// is a cell centre and `grid` is odd, or a cell corner and `grid` is even; otherwise the
    /// extra cell goes to the higher side), minus cells outside the region. Row-major.
    public func window(stage: Int, around survivor: LatticePoint) -> [LatticePoint] {
        precondition(stage >= 1 && stage < stages.count, "window: stage \(stage) out of 1..<\(stages.count)")
        let s = stages[stage]
        let xs = windowCells(s, centre: survivor.a)
        let ys = windowCells(s, centre: survivor.b)
        var out: [LatticePoint] = []
        out.reserveCapacity(xs.count * ys.count)
        for n in ys {
            for m in xs {
                out.append(LatticePoint(a: (2 * m + 1) * s.step / 2, b: (2 * n + 1) * s.step / 2))
            }
        }
        return out
    }

    /// Cell indices of one axis: `n_start = floor((c - (grid - 1) * step / 2) / step)` is the
    /// first cell whose centre is within the centred span, i.e. `round(f - (grid - 1) / 2)` with
    /// `f = c / step - 1/2` the survivor's fractional cell index, ties rounded up.
    private func windowCells(_ s: Stage, centre c: Int) -> [Int] {
        let half = s.step / 2
        let start = floorDiv(c - (s.grid - 1) * half, s.step)
        return (start..<(start + s.grid)).filter { $0 >= 0 && $0 < s.resolution }
    }

    /// Converts a lattice point to original-image pixels inside `region`.
    public func pixel(_ p: LatticePoint, in region: Box) -> Point {
        let units = Double(2 * finestResolution)
        return Point(
            x: region.x + Double(p.a) * region.width / units,
            y: region.y + Double(p.b) * region.height / units)
    }

    /// Spacing of stage `stage` in lattice units.
    public func step(_ stage: Int) -> Int { stages[stage].step }
}

/// Floor division for a positive divisor.
@inline(__always)
func floorDiv(_ a: Int, _ b: Int) -> Int {
    let q = a / b
    return (a % b != 0 && a < 0) ? q - 1 : q
}
