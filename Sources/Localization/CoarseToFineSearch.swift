import Imaging

/// Coarse-to-fine candidate search over one image for K keypoints at once.
///
/// Stage 0 scores the preset's `M x M` grid over the region (shared by all keypoints). Each
/// later stage takes, per keypoint, the survivors of the previous stage (its `top_k` best among
/// the locations that stage asked for on its behalf, subject to `margin` and `separation`; beyond
/// each keypoint's best, only while the preset's pass `budget` allows) and asks for the window of
/// finer cells around each. All requests of a stage are merged, locations
/// already scored for this image are taken from the cache, and the new ones are scored in
/// row-major order in chunks of `batchSize`. Each keypoint's answer is the argmax over every
/// location scored for the image, whichever stage or keypoint asked for it.
///
/// One `run` is one image: the score cache lives inside it, so no location is scored twice.
public struct CoarseToFineSearch: Sendable {
    public let preset: GridPreset
    public let plan: SearchPlan
    public let region: Box
    public let keypointCount: Int
    public let batchSize: Int

    /// - Parameters:
    ///   - preset: validated again here (`GridPresetError` if invalid).
    ///   - region: the searched rectangle in original-image pixels: the whole image, a bounding
    ///     box, or a salient region; candidates never leave it (`SearchError` if empty or not
    ///     finite).
    ///   - keypointCount: K, the number of scores per point the scorer returns (>= 1).
    ///   - batchSize: points per scorer call; `nil` uses the preset's `batch` (or its default).
    public init(preset: GridPreset, region: Box, keypointCount: Int, batchSize: Int? = nil) throws {
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
    }

    /// Stage 0's candidates in original-image pixels, row-major.
    public func firstStagePoints() -> [Point] {
        plan.firstStagePoints().map { plan.pixel($0, in: region) }
    }

    /// Runs the search for one image.
    /// - Parameters:
    ///   - scorer: scores batches of points for all K keypoints.
    ///   - progress: called after every scorer call.
    /// - Returns: per-keypoint answers, every scored location and the passes spent.
    /// - Throws: the scorer's errors, or `SearchError` if it breaks the `CandidateScorer` contract.
    public func run<S: CandidateScorer>(
        _ scorer: inout S, progress: ((SearchProgress) -> Void)? = nil
    ) throws -> SearchResult {
        let K = keypointCount
        var points: [ScoredPoint] = []
        var index: [LatticePoint: Int] = [:]  // lattice point -> position in `points`
        var survivors = [[[Point]]](repeating: [], count: K)
        // requests[k]: indices into `points` of the locations the current stage asked for on
        // behalf of keypoint k (the candidates for its next survivors).
        var requests = [[Int]](repeating: [], count: K)

        for t in 0..<plan.stages.count {
            // 1. What does this stage ask for, per keypoint?
            var asked: [[LatticePoint]]
            if t == 0 {
                asked = [[LatticePoint]](repeating: plan.firstStagePoints(), count: K)
            } else {
                asked = askAround(survivorsOf: requests, stage: t, points: points, index: index,
                                  survivors: &survivors)
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
                progress?(SearchProgress(stage: t, stageCount: plan.stages.count, stageScored: done,
                                         stageTotal: ordered.count, passes: points.count))
            }
            // Every asked location is now in the cache.
            requests = asked.map { list in list.compactMap { index[$0] } }
        }

        // 3. Answers: first maximum in scoring order = lowest stage, then lowest y, then lowest x.
        var results: [KeypointResult] = []
        results.reserveCapacity(K)
        for k in 0..<K {
            var best = 0
            for i in 1..<points.count where points[i].scores[k] > points[best].scores[k] {
                best = i
            }
            results.append(KeypointResult(keypoint: k, point: points[best].point, score: points[best].scores[k],
                                          stage: points[best].stage, survivors: survivors[k]))
        }
        var perStage = [Int](repeating: 0, count: plan.stages.count)
        for p in points { perStage[p.stage] += 1 }
        return SearchResult(presetName: preset.name, region: region, finestResolution: plan.finestResolution,
                            points: points, keypoints: results, passesPerStage: perStage)
    }

    // MARK: - Survivors

    /// A survivor candidate of one keypoint: its rank among that keypoint's candidates (0 =
    /// best) and its normalised gap to the best, `(best - score) / (best - median)`.
    struct Candidate {
        var point: Int
        var rank: Int
        var gap: Double
    }

    /// Chooses the survivors of stage `stage - 1` for every keypoint and returns, per keypoint,
    /// the sorted union of the stage-`stage` windows around them.
    ///
    /// Each keypoint's best candidate always survives. Its further candidates (`rankCandidates`)
    /// survive unconditionally without a budget; with a `budget` they are admitted across all
    /// keypoints in order of increasing gap (ties: keypoint, then rank), each only if the passes
    /// spent so far plus the new locations already requested by this stage plus those its window
    /// would add stay within the budget.
    func askAround(survivorsOf requests: [[Int]], stage t: Int, points: [ScoredPoint],
                   index: [LatticePoint: Int], survivors: inout [[[Point]]]) -> [[LatticePoint]] {
        let K = requests.count
        let ranked = (0..<K).map { rankCandidates(requests[$0], keypoint: $0, stage: t - 1, points: points) }
        var admitted = [[Candidate]](repeating: [], count: K)
        var pending = Set<LatticePoint>()  // new locations this stage will score
        var windows: [Int: [LatticePoint]] = [:]
        func window(_ i: Int) -> [LatticePoint] {
            if let w = windows[i] { return w }
            let w = plan.window(stage: t, around: points[i].lattice)
            windows[i] = w
            return w
        }
        func admit(_ c: Candidate, keypoint k: Int) {
            admitted[k].append(c)
            for p in window(c.point) where index[p] == nil { pending.insert(p) }
        }
        for k in 0..<K {
            if let first = ranked[k].first { admit(first, keypoint: k) }
        }
        var extras: [(k: Int, c: Candidate)] = []
        for k in 0..<K { extras += ranked[k].dropFirst().map { (k, $0) } }
        if let budget = plan.budget?.passes(keypoints: K) {
            extras.sort { l, r in
                if l.c.gap != r.c.gap { return l.c.gap < r.c.gap }
                return l.k != r.k ? l.k < r.k : l.c.rank < r.c.rank
            }
            for (k, c) in extras {
                let added = window(c.point).reduce(0) { n, p in
                    n + ((index[p] == nil && !pending.contains(p)) ? 1 : 0)
                }
                if points.count + pending.count + added <= budget { admit(c, keypoint: k) }
            }
        } else {
            for (k, c) in extras { admit(c, keypoint: k) }
        }
        var asked: [[LatticePoint]] = []
        asked.reserveCapacity(K)
        for k in 0..<K {
            let chosen = admitted[k].sorted { $0.rank < $1.rank }
            survivors[k].append(chosen.map { points[$0.point].point })
            var union = Set<LatticePoint>()
            for c in chosen { union.formUnion(window(c.point)) }
            asked.append(union.sorted())
        }
        return asked
    }

    /// The survivor candidates of stage `stage` for keypoint `k` among `candidates` (indices into
    /// `points`), best first: greedily by score (ties: scoring order), at most `top_k`; after the
    /// first, a candidate needs a score >= `best - margin * (best - median)` and must be more
    /// than `separation` stage spacings (Chebyshev) from every earlier one.
    func rankCandidates(_ candidates: [Int], keypoint k: Int, stage: Int, points: [ScoredPoint]) -> [Candidate] {
        let s = plan.stages[stage]
        guard !candidates.isEmpty, s.topK > 0 else { return [] }
        let order = candidates.sorted { l, r in
            let sl = points[l].scores[k], sr = points[r].scores[k]
            return sl != sr ? sl > sr : l < r
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
