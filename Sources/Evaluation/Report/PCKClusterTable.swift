import KeypointsSupport

/// Per-photo PCK counts of one run, or of two runs over the same records, laid out for
/// `PCKBootstrap`: photos grouped by category (the strata), each photo's keypoints as entries
/// (keypoint row, correct or not), so that one resample's figures are one pass over the photos.
///
/// The unit drawn is the photo: the records of one category with the same `path` (COCO's person
/// annotations in one picture) form one cluster and are drawn together. Where every record has a
/// photo of its own (CUB, SPair-71k, FaceSynthetics), a cluster is a record.
///
/// Figures, in order: overall (pooled), mean of the per-category figures (over categories with
/// keypoints), each category, each keypoint (over all categories).
struct PCKClusterTable {
    static let overallFigure = 0
    static let meanFigure = 1

    /// Category names in UTF-8 byte order (the strata's order).
    let categories: [String]
    /// Keypoint names in UTF-8 byte order.
    let keypoints: [String]
    /// The photos of each category: a range of photo (cluster) indices.
    let strata: [Range<Int>]
    /// One per run, over the same records.
    let runs: [Counts]

    /// One run's keypoints per photo.
    struct Counts {
        /// Photo i's keypoint entries (those of all its records) are `entryStart[i]..<entryStart[i + 1]`.
        var entryStart: [Int]
        /// Index into `keypoints` of each entry.
        var entryKeypoint: [Int]
        /// 1 when the entry's prediction is correct at the table's alpha, else 0.
        var entryCorrect: [Int]
    }

    /// Photos (clusters) in all categories.
    var imageCount: Int { strata.last?.upperBound ?? 0 }
    /// Overall, mean, categories, keypoints.
    var figureCount: Int { 2 + categories.count + keypoints.count }
    /// Summed counts per run: overall, categories, keypoints.
    var slotCount: Int { 1 + categories.count + keypoints.count }

    /// - Parameter runs: one array of records per run; `runs[r][i]` is record i in run r (the
    ///   same image: its category and photo are read from the first run).
    ///
    /// Order (it fixes which draw lands on which photo): categories in UTF-8 byte order, within
    /// one its photos by the UTF-8 byte order of their records' smallest id, a photo's records by
    /// id. With one record per photo that is the order of the records' ids.
    init(runs: [[ImageRecord]], alpha: Double) {
        let images = runs.first ?? []
        func bytes(_ s: String) -> [UInt8] { Array(s.utf8) }
        func precedes(_ a: String, _ b: String) -> Bool { bytes(a).lexicographicallyPrecedes(bytes(b)) }
        struct Photo: Hashable {
            let category: String
            let path: String
        }
        var recordsOfPhoto: [Photo: [Int]] = [:]
        for (i, r) in images.enumerated() {
            recordsOfPhoto[Photo(category: r.category, path: r.path), default: []].append(i)
        }
        let clusters = recordsOfPhoto.values
            .map { $0.sorted { precedes(images[$0].id, images[$1].id) } }
            .sorted { a, b in
                let (ca, cb) = (images[a[0]].category, images[b[0]].category)
                if ca != cb { return precedes(ca, cb) }
                return precedes(images[a[0]].id, images[b[0]].id)
            }
        var categories: [String] = []
        var strata: [Range<Int>] = []
        for (position, cluster) in clusters.enumerated() {
            let category = images[cluster[0]].category
            if categories.last != category {
                categories.append(category)
                strata.append(position..<position)
            }
            strata[strata.count - 1] = strata[strata.count - 1].lowerBound..<(position + 1)
        }
        let names = Set(runs.flatMap { $0.flatMap { $0.keypoints.map(\.name) } })
            .sorted { precedes($0, $1) }
        let keypointIndex = Dictionary(uniqueKeysWithValues: names.enumerated().map { ($1, $0) })
        self.categories = categories
        self.keypoints = names
        self.strata = strata
        self.runs = runs.map { records in
            var counts = Counts(entryStart: [0], entryKeypoint: [], entryCorrect: [])
            for cluster in clusters {
                for i in cluster {
                    let r = records[i]
                    let size = r.box.longerSide
                    for k in r.keypoints {
                        counts.entryKeypoint.append(keypointIndex[k.name] ?? 0)
                        counts.entryCorrect.append(
                            PCK.isCorrect(prediction: k.pred, truth: k.gt, boxSize: size, alpha: alpha) ? 1 : 0)
                    }
                }
                counts.entryStart.append(counts.entryKeypoint.count)
            }
            return counts
        }
    }

    /// A figure's estimate on the data and its interval; both nil when it has no keypoints.
    struct Figure {
        var point: Double?
        var interval: ConfidenceInterval?
        var estimate: PCKDifference.Estimate? { point.map { PCKDifference.Estimate(difference: $0, ci: interval) } }
    }

    /// Scratch of one resample, allocated once.
    struct Workspace {
        var weights: [Int]
        var counts: [Int]
        var corrects: [Int]
        var figures: [Double]

        init(table: PCKClusterTable) {
            weights = Array(repeating: 1, count: table.imageCount)
            counts = Array(repeating: 0, count: table.runs.count * table.slotCount)
            corrects = Array(repeating: 0, count: table.runs.count * table.slotCount)
            figures = Array(repeating: 0, count: table.runs.count * table.figureCount)
        }
    }

    /// Every figure (of the one run, or the second run's minus the first's when `paired`) on
    /// the data and over `settings.resamples` resamples.
    func resample(settings: BootstrapSettings, paired: Bool) throws(EvaluationError) -> [Figure] {
        let figureCount = self.figureCount
        let resamples = settings.resamples
        let maxResamples = BootstrapSettings.maxValues / figureCount
        guard resamples <= maxResamples else {
            throw .bootstrapSetting(
                setting: .resamples, value: "\(resamples)",
                expected:
                    "at most \(maxResamples) resamples for a report of \(figureCount) figures "
                    + "(figures x resamples <= \(BootstrapSettings.maxValues))")
        }
        // Stratified: each category's images drawn among themselves; else all images together.
        let draws = settings.stratified ? strata : [0..<imageCount]
        var workspace = Workspace(table: self)
        computeFigures(&workspace)
        let points = (0..<figureCount).map { statistic(workspace.figures, figure: $0, paired: paired) }

        // values[f * resamples + b]: figure f in resample b (NaN where it has no keypoints).
        var values = [Double](repeating: .nan, count: figureCount * resamples)
        var rng = SplitMix64(seed: settings.seed)
        for b in 0..<resamples {
            for i in workspace.weights.indices { workspace.weights[i] = 0 }
            for stratum in draws {
                let n = stratum.count
                for _ in 0..<n { workspace.weights[stratum.lowerBound + rng.index(below: n)] += 1 }
            }
            computeFigures(&workspace)
            for f in 0..<figureCount {
                values[f * resamples + b] = statistic(workspace.figures, figure: f, paired: paired)
            }
        }

        let tails = settings.tails
        return (0..<figureCount).map { f in
            let point = points[f].isNaN ? nil : points[f]
            let start = f * resamples
            var defined = start
            for b in start..<(start + resamples) where !values[b].isNaN {
                values[defined] = values[b]
                defined += 1
            }
            guard defined > start else { return Figure(point: point, interval: nil) }
            values[start..<defined].sort()
            let sorted = values[start..<defined]
            return Figure(
                point: point,
                interval: ConfidenceInterval(
                    low: PCKBootstrap.percentile(sorted: sorted, tails.low),
                    high: PCKBootstrap.percentile(sorted: sorted, tails.high)))
        }
    }

    /// Figure `f` of run 0, or run 1's minus run 0's; NaN when undefined in either.
    private func statistic(_ figures: [Double], figure f: Int, paired: Bool) -> Double {
        paired ? figures[figureCount + f] - figures[f] : figures[f]
    }

    /// Every run's figures for the image weights in `w.weights` (how many times each image is
    /// drawn; all 1 for the data itself), into `w.figures` (NaN for a figure without keypoints).
    private func computeFigures(_ w: inout Workspace) {
        let slots = slotCount
        let figureCount = self.figureCount
        let categoryCount = categories.count
        for (r, run) in runs.enumerated() {
            let base = r * slots
            for s in base..<(base + slots) {
                w.counts[s] = 0
                w.corrects[s] = 0
            }
            for (c, stratum) in strata.enumerated() {
                var count = 0
                var correct = 0
                for i in stratum {
                    let weight = w.weights[i]
                    guard weight > 0 else { continue }
                    for e in run.entryStart[i]..<run.entryStart[i + 1] {
                        let slot = base + 1 + categoryCount + run.entryKeypoint[e]
                        w.counts[slot] += weight
                        w.corrects[slot] += weight * run.entryCorrect[e]
                        count += weight
                        correct += weight * run.entryCorrect[e]
                    }
                }
                w.counts[base + 1 + c] = count
                w.corrects[base + 1 + c] = correct
                w.counts[base] += count
                w.corrects[base] += correct
            }
            func ratio(_ s: Int) -> Double {
                w.counts[s] > 0 ? Double(w.corrects[s]) / Double(w.counts[s]) : .nan
            }
            let out = r * figureCount
            w.figures[out + Self.overallFigure] = ratio(base)
            var sum = 0.0
            var defined = 0
            for c in 0..<categoryCount {
                let v = ratio(base + 1 + c)
                w.figures[out + 2 + c] = v
                if !v.isNaN {
                    sum += v
                    defined += 1
                }
            }
            w.figures[out + Self.meanFigure] = defined > 0 ? sum / Double(defined) : .nan
            for k in keypoints.indices { w.figures[out + 2 + categoryCount + k] = ratio(base + 1 + categoryCount + k) }
        }
    }

    /// The category figures by name.
    func byCategory(_ figures: [Figure]) -> [String: Figure] {
        Dictionary(uniqueKeysWithValues: categories.enumerated().map { ($1, figures[2 + $0]) })
    }

    /// The keypoint figures by name.
    func byKeypoint(_ figures: [Figure]) -> [String: Figure] {
        Dictionary(uniqueKeysWithValues: keypoints.enumerated().map { ($1, figures[2 + categories.count + $0]) })
    }
}
