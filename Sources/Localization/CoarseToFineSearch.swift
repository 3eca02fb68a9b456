import Imaging

/// Coarse-to-fine candidate search over one image for K keypoints at once.
///
/// Every keypoint runs its own search, exactly as if it were the only keypoint asked for:
/// stage 0 asks for the preset's `M x M` grid over the region; each later stage takes that
/// keypoint's survivors of the previous stage (its `top_k` best among the locations that stage
/// asked for on its behalf, subject to `margin` and `separation`; beyond its best, only while its
/// own pass `budget` allows, counting the locations it has asked for itself) and asks for the
/// window of finer cells around each. Its answer is the argmax over the locations it asked for.
/// So a keypoint's answer depends only on the image, its own scores and the preset.
///
/// The keypoints share the scoring: all requests of a stage are merged, locations already scored
/// for this image are taken from the cache, and the new ones are scored in row-major order in
/// chunks of `batchSize`. K keypoints therefore never cost more passes than K separate runs, and
/// usually far fewer (stage 0 is scored once).
///
/// One `run` is one image: the score cache lives inside it, so no location is scored twice.
public struct CoarseToFineSearch: Sendable {
    public let preset: GridPreset
    public let plan: SearchPlan
    public let region: Box
    public let keypointCount: Int
    public let batchSize: Int
    /// Where candidates may lie (a saliency mask, a box, a mask file): every stage drops the
    /// locations outside it before scoring. nil = the whole region.
    public let mask: PixelMask?

    /// - Parameters:
    ///   - preset: validated again here (`GridPresetError` if invalid).
    ///   - region: the searched rectangle in original-image pixels: the whole image, a bounding
    ///     box, or a salient region; candidates never leave it (`SearchError` if empty or not
    ///     finite).
    ///   - keypointCount: K, the number of scores per point the scorer returns (>= 1).
    ///   - batchSize: points per scorer call; `nil` uses the preset's `batch` (or its default).
    ///   - mask: candidates outside it are never scored, in any stage. It must hold at least one
    ///     first-stage location (`SearchError` otherwise; `Localizer` falls back to no mask then).
    public init(
        preset: GridPreset, region: Box, keypointCount: Int, batchSize: Int? = nil,
        mask: PixelMask? = nil
    ) throws {
        guard keypointCount >= 1 else {
            throw SearchError.invalidArgument("keypoint count must be >= 1, got \(keypointCount)")
        }
        guard region.isFiniteAndNonEmpty else {
            throw SearchError.invalidArgument("search region must be finite and non-empty, got \(region)")
        }
        let batch = batchSize ?? preset.effectiveBatch
        guard batch >= 1 else { throw SearchError.invalidArgument("batch size must be >= 1, got \(batch)") }
        self.preset = preset
        self.plan = try SearchPlan(preset: preset)
        self.region = region
        self.keypointCount = keypointCount
        self.batchSize = batch
        self.mask = mask
        if let mask, !plan.firstStagePoints().contains(where: { mask.contains(plan.pixel($0, in: region)) }) {
            throw SearchError.invalidArgument(
                "the mask holds none of the \(plan.firstStagePoints().count) first-stage locations")
        }
    }

    /// Stage 0's candidates in original-image pixels, row-major.
    public func firstStagePoints() -> [Point] {
        plan.firstStagePoints().map { plan.pixel($0, in: region) }
    }

    /// What one keypoint's own search has asked for so far, in the order a run for that keypoint
    /// alone would have scored it: by the stage that first asked (for this keypoint), then
    /// row-major.
    struct OwnLocations {
        /// Indices into the image's `points`.
        var points: [Int] = []
        /// `stages[i]`: the stage that first asked for `points[i]` on this keypoint's behalf.
        var stages: [Int] = []
        /// Index into `points` -> position in this keypoint's order.
        var position: [Int: Int] = [:]
        var lattice = Set<LatticePoint>()

        var count: Int { points.count }

        mutating func append(_ point: Int, lattice p: LatticePoint, stage: Int) {
            guard lattice.insert(p).inserted else { return }
            position[point] = points.count
            points.append(point)
            stages.append(stage)
        }
    }

    /// Runs the search for one image.
    /// - Parameters:
    ///   - scorer: scores batches of points for all K keypoints.
    ///   - progress: called after every scorer call.
    /// - Returns: per-keypoint answers, every scored location and the passes spent (locations
    ///   times `scorer.passesPerLocation`).
    /// - Throws: the scorer's errors, or `SearchError` if it breaks the `CandidateScorer` contract.
    public func run<S: CandidateScorer>(
        _ scorer: inout S, progress: ((SearchProgress) -> Void)? = nil
    ) throws -> SearchResult {
        let K = keypointCount
        var points: [ScoredPoint] = []
        var index: [LatticePoint: Int] = [:]  // lattice point -> position in `points`
        var own = [OwnLocations](repeating: OwnLocations(), count: K)
        var survivors = [[[Point]]](repeating: [], count: K)
        // requests[k]: indices into `points` of the locations the current stage asked for on
        // behalf of keypoint k (the candidates for its next survivors).
        var requests = [[Int]](repeating: [], count: K)

        for t in 0..<plan.stages.count {
            // 1. What does this stage ask for, per keypoint (each keypoint on its own)?
            var asked: [[LatticePoint]]
            if t == 0 {
                asked = [[LatticePoint]](repeating: plan.firstStagePoints(), count: K)
            } else {
                asked = (0..<K).map { k in
                    askAround(
                        requests[k], keypoint: k, stage: t, points: points, own: own[k],
                        survivors: &survivors[k])
                }
            }

            // Outside the mask nothing is a candidate, in any stage.
            if let mask {
                asked = asked.map { list in list.filter { mask.contains(plan.pixel($0, in: region)) } }
            }

            // 2. Merge, drop cached locations, score the rest row-major in chunks.
            var fresh = Set<LatticePoint>()
            for list in asked {
                for p in list where index[p] == nil { fresh.insert(p) }
            }
            let ordered = fresh.sorted()
            var done = 0
            while done < ordered.count {
                let chunk = Array(ordered[done..<min(done + batchSize, ordered.count)])
                let pixels = chunk.map { plan.pixel($0, in: region) }
                let rows = try scorer.score(pixels)
                try check(rows, for: pixels)
                for (i, p) in chunk.enumerated() {
                    index[p] = points.count
                    points.append(ScoredPoint(point: pixels[i], lattice: p, stage: t, scores: rows[i]))
                }
                done += chunk.count
                progress?(
                    SearchProgress(
                        stage: t, stageCount: plan.stages.count, stageScored: done,
                        stageTotal: ordered.count, passes: points.count * scorer.passesPerLocation))
            }
            // Every asked location is now in the cache. `asked[k]` is sorted row-major, so the
            // locations new to keypoint k join its own order as a run for k alone would score them.
            for k in 0..<K {
                requests[k] = asked[k].compactMap { index[$0] }
                for (p, i) in zip(asked[k], requests[k]) { own[k].append(i, lattice: p, stage: t) }
            }
        }

        // 3. Answers: each keypoint's first maximum over its own locations in its own order
        //    (lowest stage, then lowest y, then lowest x).
        var results: [KeypointResult] = []
        results.reserveCapacity(K)
        for k in 0..<K {
            let mine = own[k].points
            var best = 0
            for i in 1..<mine.count where points[mine[i]].scores[k] > points[mine[best]].scores[k] {
                best = i
            }
            let p = points[mine[best]]
            results.append(
                KeypointResult(
                    keypoint: k, point: p.point, score: p.scores[k],
                    stage: own[k].stages[best], survivors: survivors[k],
                    locations: mine, locationStages: own[k].stages))
        }
        var perStage = [Int](repeating: 0, count: plan.stages.count)
        for p in points { perStage[p.stage] += 1 }
        return SearchResult(
            presetName: preset.name, region: region, finestResolution: plan.finestResolution,
            points: points, keypoints: results, locationsPerStage: perStage,
            passesPerLocation: scorer.passesPerLocation)
    }

    // MARK: - Survivors

    /// A survivor candidate of one keypoint: its rank among that keypoint's candidates (0 =
    /// best) and its normalised gap to the best, `(best - score) / (best - median)`.
    struct Candidate {
        var point: Int
        var rank: Int
        var gap: Double
    }

    /// Chooses keypoint `k`'s survivors of stage `stage - 1` among `requests` and returns the
    /// sorted union of the stage-`stage` windows around them.
    ///
    /// The best candidate always survives. The further candidates (`rankCandidates`) survive
    /// unconditionally without a budget; with a `budget` they are admitted in order of increasing
    /// gap (ties: rank), each only if the locations this keypoint has asked for so far, plus the
    /// new ones (for this keypoint) already requested by this stage, plus those its window would
    /// add stay within the budget. Locations other keypoints had scored count like any other:
    /// the choice is the one a run for this keypoint alone would make.
    func askAround(
        _ requests: [Int], keypoint k: Int, stage t: Int, points: [ScoredPoint],
        own: OwnLocations, survivors: inout [[Point]]
    ) -> [LatticePoint] {
        let ranked = rankCandidates(requests, keypoint: k, stage: t - 1, points: points, order: own.position)
        var admitted: [Candidate] = []
        var pending = Set<LatticePoint>()  // locations new to this keypoint this stage will ask for
        var union = Set<LatticePoint>()
        func admit(_ c: Candidate, window: [LatticePoint]) {
            admitted.append(c)
            union.formUnion(window)
            for p in window where !own.lattice.contains(p) { pending.insert(p) }
        }
        if let first = ranked.first {
            admit(first, window: plan.window(stage: t, around: points[first.point].lattice))
        }
        var extras = Array(ranked.dropFirst())
        if let budget = plan.budget?.passes {
            extras.sort { l, r in l.gap != r.gap ? l.gap < r.gap : l.rank < r.rank }
            for c in extras {
                let window = plan.window(stage: t, around: points[c.point].lattice)
                let added = window.reduce(0) { n, p in
                    n + ((!own.lattice.contains(p) && !pending.contains(p)) ? 1 : 0)
                }
                if own.count + pending.count + added <= budget { admit(c, window: window) }
            }
        } else {
            for c in extras { admit(c, window: plan.window(stage: t, around: points[c.point].lattice)) }
        }
        survivors.append(admitted.sorted { $0.rank < $1.rank }.map { points[$0.point].point })
        return union.sorted()
    }

    /// The survivor candidates of stage `stage` for keypoint `k` among `candidates` (indices into
    /// `points`), best first: greedily by score (ties: the keypoint's own order `order`, index
    /// into `points` -> position), at most `top_k`; after the first, a candidate needs a score
    /// >= `best - margin * (best - median)` and must be more than `separation` stage spacings
    /// (Chebyshev) from every earlier one.
    func rankCandidates(
        _ candidates: [Int], keypoint k: Int, stage: Int, points: [ScoredPoint],
        order ownOrder: [Int: Int]
    ) -> [Candidate] {
        let s = plan.stages[stage]
        guard !candidates.isEmpty, s.topK > 0 else { return [] }
        let order = candidates.sorted { l, r in
            let sl = points[l].scores[k]
            let sr = points[r].scores[k]
            return sl != sr ? sl > sr : (ownOrder[l] ?? l) < (ownOrder[r] ?? r)
        }
        let best = Double(points[order[0]].scores[k])
        let median = Double(points[order[order.count / 2]].scores[k])  // upper median
        let spread = best - median
        let threshold = s.margin.map { best - $0 * spread } ?? -Double.infinity
        let minimumDistance = (s.separation ?? 0) * Double(s.step)
        var chosen: [Candidate] = []
        for i in order {
            if chosen.count == s.topK { break }
            let score = Double(points[i].scores[k])
            if !chosen.isEmpty {
                if score < threshold { break }
                let p = points[i].lattice
                let tooClose = chosen.contains { c in
                    let q = points[c.point].lattice
                    return Double(max(abs(p.a - q.a), abs(p.b - q.b))) <= minimumDistance
                }
                if tooClose { continue }
            }
            // A flat candidate set (best == median) makes every gap 0: all tie, rank decides.
            chosen.append(Candidate(point: i, rank: chosen.count, gap: spread > 0 ? (best - score) / spread : 0))
        }
        return chosen
    }

    // MARK: - Scorer contract

    private func check(_ rows: [[Float]], for pixels: [Point]) throws {
        guard rows.count == pixels.count else {
            throw SearchError.wrongRowCount(expected: pixels.count, got: rows.count)
        }
        for (i, row) in rows.enumerated() {
            guard row.count == keypointCount else {
                throw SearchError.wrongScoreCount(point: pixels[i], expected: keypointCount, got: row.count)
            }
            for (k, v) in row.enumerated() where !v.isFinite {
                throw SearchError.nonFiniteScore(point: pixels[i], keypoint: k, value: v)
            }
        }
    }
}
