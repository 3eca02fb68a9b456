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
/// keypoints), each category, each keypoint (over all categories). Cells, apart from the
/// figures: each category x keypoint with keypoints in some run (`per_category_keypoint`).
struct PCKClusterTable {
    static let overallFigure = 0
    static let meanFigure = 1

    /// Category names in UTF-8 byte order (the strata's order).
    let categories: [String]
    /// Keypoint names in UTF-8 byte order.
    let keypoints: [String]
    /// The photos of each category: a range of photo (cluster) indices.
    let strata: [Range<Int>]
    /// Category c's cells are `cellStart[c]..<cellStart[c + 1]`; the keypoint of cell j (an
    /// index into `keypoints`, ascending within a category) is `cellKeypoint[j]`.
    let cellStart: [Int]
    let cellKeypoint: [Int]
    /// One per run, over the same records.
    let runs: [Counts]

    /// One run's keypoints per photo.
    struct Counts {
        /// Photo i's keypoint entries (those of all its records) are `entryStart[i]..<entryStart[i + 1]`.
        var entryStart: [Int]
        /// Each entry's cell and correctness (side by side: a resample reads both).
        var entries: [Entry]
        /// The entry's prediction-to-truth distance over its box's longer side (the PCK curve's
        /// `PCK.normalizedDistances`).
        var entryDistance: [Double]
    }

    /// A keypoint of a photo: the index of its category x keypoint cell, and 1 when its
    /// prediction is correct at the table's alpha, else 0.
    struct Entry {
        var cell: Int
        var correct: Int
    }

    /// Keypoints and correct ones, of a cell in a resample (side by side: counted together).
    struct Tally {
        var count = 0
        var correct = 0
    }

    /// Photos (clusters) in all categories.
    var imageCount: Int { strata.last?.upperBound ?? 0 }
    /// Overall, mean, categories, keypoints.
    var figureCount: Int { 2 + categories.count + keypoints.count }
    /// Summed counts per run: overall, categories, keypoints.
    var slotCount: Int { 1 + categories.count + keypoints.count }
    /// Category x keypoint cells with keypoints.
    var cellCount: Int { cellKeypoint.count }

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
        var clusterCategory: [Int] = []
        for (position, cluster) in clusters.enumerated() {
            let category = images[cluster[0]].category
            if categories.last != category {
                categories.append(category)
                strata.append(position..<position)
            }
            strata[strata.count - 1] = strata[strata.count - 1].lowerBound..<(position + 1)
            clusterCategory.append(categories.count - 1)
        }
        let names = Set(runs.flatMap { $0.flatMap { $0.keypoints.map(\.name) } })
            .sorted { precedes($0, $1) }
        let keypointIndex = Dictionary(uniqueKeysWithValues: names.enumerated().map { ($1, $0) })
        // The cells: each category's keypoints (in any run), in keypoint order.
        var present = Array(repeating: Set<Int>(), count: categories.count)
        for records in runs {
            for (position, cluster) in clusters.enumerated() {
                for i in cluster {
                    for k in records[i].keypoints {
                        present[clusterCategory[position]].insert(keypointIndex[k.name] ?? 0)
                    }
                }
            }
        }
        var cellStart = [0]
        var cellKeypoint: [Int] = []
        var cellOf: [[Int: Int]] = []
        for keypointsOfCategory in present {
            var cell: [Int: Int] = [:]
            for k in keypointsOfCategory.sorted() {
                cell[k] = cellKeypoint.count
                cellKeypoint.append(k)
            }
            cellOf.append(cell)
            cellStart.append(cellKeypoint.count)
        }
        self.categories = categories
        self.keypoints = names
        self.strata = strata
        self.cellStart = cellStart
        self.cellKeypoint = cellKeypoint
        self.runs = runs.map { records in
            var counts = Counts(
                entryStart: [0], entries: [], entryDistance: [])
            for (position, cluster) in clusters.enumerated() {
                for i in cluster {
                    let r = records[i]
                    let size = r.box.longerSide
                    for k in r.keypoints {
                        let keypoint = keypointIndex[k.name] ?? 0
                        counts.entries.append(
                            Entry(
                                cell: cellOf[clusterCategory[position]][keypoint] ?? 0,
                                correct: PCK.isCorrect(prediction: k.pred, truth: k.gt, boxSize: size, alpha: alpha)
                                    ? 1 : 0))
                        counts.entryDistance.append(k.pred.distance(to: k.gt) / size)
                    }
                }
                counts.entryStart.append(counts.entries.count)
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
        /// Per run: overall, categories, keypoints (`slotCount`).
        var tallies: [Tally]
        var figures: [Double]
        var cellTallies: [Tally]
        var cellFigures: [Double]

        init(table: PCKClusterTable) {
            weights = Array(repeating: 1, count: table.imageCount)
            tallies = Array(repeating: Tally(), count: table.runs.count * table.slotCount)
            figures = Array(repeating: 0, count: table.runs.count * table.figureCount)
            cellTallies = Array(repeating: Tally(), count: table.runs.count * table.cellCount)
            cellFigures = Array(repeating: 0, count: table.runs.count * table.cellCount)
        }
    }

    /// Every figure (of the one run, or the second run's minus the first's when `paired`) on
    /// the data and over `settings.resamples` resamples; with `cells`, every cell's too (else
    /// `cells` is empty).
    ///
    /// The cells are computed in the same pass over the resamples as the figures, from the same
    /// image weights, as far as their resampled values fit beside the figures' in
    /// `BootstrapSettings.maxValues`; the remaining categories' cells (CUB's 3,000 at 100,000
    /// resamples) in further passes that draw the same resamples again from the seed, a chunk
    /// of categories at a time, each pass only over those categories' images.
    ///
    /// - Parameter valueBudget: resampled values held at once (tests lower it to split the cells
    ///   over passes).
    func resample(
        settings: BootstrapSettings, paired: Bool, cells: Bool = false,
        valueBudget: Int = BootstrapSettings.maxValues
    ) throws(EvaluationError) -> (figures: [Figure], cells: [Figure]) {
        let figureCount = self.figureCount
        let cellCount = self.cellCount
        let resamples = settings.resamples
        let maxResamples = valueBudget / figureCount
        guard resamples <= maxResamples else {
            throw .bootstrapSetting(
                setting: .resamples, value: "\(resamples)",
                expected:
                    "at most \(maxResamples) resamples for a report of \(figureCount) figures "
                    + "(figures x resamples <= \(valueBudget))")
        }
        // Stratified: each category's images drawn among themselves; else all images together.
        let draws = settings.stratified ? strata : [0..<imageCount]
        var workspace = Workspace(table: self)
        computeFigures(&workspace)
        let points = (0..<figureCount).map { statistic(workspace.figures, $0, stride: figureCount, paired: paired) }
        // The cells' estimates only when asked for (computeFigures counted them).
        var cellPoints: [Double] = []
        if cells {
            cellRatios(&workspace, cells: 0..<cellCount)
            cellPoints = (0..<cellCount).map { statistic(workspace.cellFigures, $0, stride: cellCount, paired: paired) }
        }

        let tails = settings.tails
        let passes = cells ? cellPasses(resamples: resamples, valueBudget: valueBudget) : [0..<0]
        // Slots of a pass: the figures in the first, then the chunk's cells.
        func slots(_ pass: Int) -> Int {
            (pass == 0 ? figureCount : 0) + cellStart[passes[pass].upperBound] - cellStart[passes[pass].lowerBound]
        }
        let widest = passes.indices.map(slots).max() ?? figureCount
        // One buffer for every pass (uninitialized: a pass writes each of its slots in every
        // resample): slot s's value in resample b at values[s * resamples + b] (NaN where it
        // has no keypoints). Each resample's values go to a row of `tile` first and reach
        // `values` a tile of resamples at a time, in runs of consecutive resamples: written one
        // by one, each would land resamples x 8 bytes from the last (a cache and TLB miss each).
        let values = UnsafeMutableBufferPointer<Double>.allocate(capacity: widest * resamples)
        defer { values.deallocate() }
        let tile = UnsafeMutableBufferPointer<Double>.allocate(capacity: widest * Self.tileResamples)
        defer { tile.deallocate() }
        var figures: [Figure] = []
        var cellFigures: [Figure] = []
        for (pass, chunk) in passes.enumerated() {
            let main = pass == 0 ? figureCount : 0
            let chunkCells = cellStart[chunk.lowerBound]..<cellStart[chunk.upperBound]
            let width = slots(pass)
            var rng = SplitMix64(seed: settings.seed)
            for b in 0..<resamples {
                drawWeights(&workspace.weights, strata: draws, &rng)
                // The figures' pass counts every cell; a further pass only its chunk's.
                if main > 0 { computeFigures(&workspace) } else { countCells(&workspace, categories: chunk) }
                cellRatios(&workspace, cells: chunkCells)
                let row = (b % Self.tileResamples) * width
                for f in 0..<main {
                    tile[row + f] = statistic(workspace.figures, f, stride: figureCount, paired: paired)
                }
                // Cell j in slot main + j - first (index arithmetic: a zip here cost more than the cells).
                for j in chunkCells {
                    tile[row + main + j - chunkCells.lowerBound] = statistic(
                        workspace.cellFigures, j, stride: cellCount, paired: paired)
                }
                guard b % Self.tileResamples == Self.tileResamples - 1 || b == resamples - 1 else { continue }
                let first = b - b % Self.tileResamples
                for s in 0..<width {
                    for t in 0...(b - first) { values[s * resamples + first + t] = tile[t * width + s] }
                }
            }
            func column(_ s: Int) -> UnsafeMutableBufferPointer<Double> {
                UnsafeMutableBufferPointer(rebasing: values[(s * resamples)..<((s + 1) * resamples)])
            }
            if main > 0 {
                figures = (0..<figureCount).map { f in Self.figure(column(f), point: points[f], tails: tails) }
            }
            for j in chunkCells {
                cellFigures.append(
                    Self.figure(column(main + j - chunkCells.lowerBound), point: cellPoints[j], tails: tails))
            }
        }
        guard !paired else { return (figures, cellFigures) }
        // A binomial count over photos, or a figure of 0 or 1: the exact binomial interval instead.
        let held = holdings()
        return (
            figures.indices.map { f in
                Self.exactWhereBinomial(
                    figures[f], held.figures[f], level: settings.level, countOverPhotos: f != Self.meanFigure)
            },
            zip(cellFigures, held.cells).map {
                Self.exactWhereBinomial($0, $1, level: settings.level, countOverPhotos: true)
            }
        )
    }

    /// A figure's keypoints on the data (the first run), the correct ones among them, and the
    /// photos that hold at least one of them: the n of its exact binomial interval.
    struct Holding: Equatable {
        var photos = 0
        var keypoints = 0
        var correct = 0

        /// Every photo holds at most one of the figure's keypoints (a keypoint's figure or a cell
        /// where each photo has each named keypoint once: CUB, SPair-71k, FaceSynthetics), so the
        /// figure is `correct` successes in `photos` independent trials, the photos being drawn
        /// independently.
        var onePerPhoto: Bool { keypoints == photos }
    }

    /// `figure` with the exact binomial interval (`PCKBootstrap.exactBinomial`) over the photos
    /// holding its keypoints where the figure is a count over them: everywhere when
    /// `countOverPhotos` and every photo holds at most one of its keypoints (x = its correct
    /// keypoints, n = its photos); else only when its estimate is exactly 0 or 1 (x = 0 or n),
    /// where the bootstrap has no spread to show. Unchanged otherwise. The mean of categories,
    /// an average of proportions, is no count: `countOverPhotos` false.
    static func exactWhereBinomial(_ figure: Figure, _ held: Holding, level: Double, countOverPhotos: Bool) -> Figure {
        guard let point = figure.point, held.photos > 0 else { return figure }
        let successes: Int
        if countOverPhotos && held.onePerPhoto {
            successes = held.correct
        } else if point == 0 || point == 1 {
            successes = point == 1 ? held.photos : 0
        } else {
            return figure
        }
        return Figure(
            point: point, interval: PCKBootstrap.exactBinomial(successes: successes, trials: held.photos, level: level))
    }

    /// Per figure (overall, mean, categories, keypoints) and per cell, its `Holding` in the first
    /// run: the photos that hold at least one of its keypoints, its keypoints and the correct
    /// ones. The mean of categories counts as the overall figure does.
    func holdings() -> (figures: [Holding], cells: [Holding]) {
        var figures = [Holding](repeating: Holding(), count: figureCount)
        var cells = [Holding](repeating: Holding(), count: cellCount)
        guard let run = runs.first else { return (figures, cells) }
        // The last photo counted for each cell and keypoint, so a photo counts once for each.
        var lastCell = [Int](repeating: -1, count: cellCount)
        var lastKeypoint = [Int](repeating: -1, count: keypoints.count)
        func add(_ h: inout Holding, _ e: Entry, photo newPhoto: Bool) {
            h.keypoints += 1
            h.correct += e.correct
            if newPhoto { h.photos += 1 }
        }
        for (c, stratum) in strata.enumerated() {
            for i in stratum where run.entryStart[i] < run.entryStart[i + 1] {
                for (n, e) in run.entries[run.entryStart[i]..<run.entryStart[i + 1]].enumerated() {
                    add(&figures[Self.overallFigure], e, photo: n == 0)
                    add(&figures[Self.meanFigure], e, photo: n == 0)
                    add(&figures[2 + c], e, photo: n == 0)
                    add(&cells[e.cell], e, photo: lastCell[e.cell] != i)
                    lastCell[e.cell] = i
                    let k = cellKeypoint[e.cell]
                    add(&figures[2 + categories.count + k], e, photo: lastKeypoint[k] != i)
                    lastKeypoint[k] = i
                }
            }
        }
        return (figures, cells)
    }

    /// Resamples whose values `resample` gathers before writing them out: 32 x 8 bytes, four
    /// cache lines per figure.
    static let tileResamples = 32

    /// The categories whose cells each pass of `resample` computes: in the first pass as many
    /// as fit beside the figures (figures and cells x resamples within `valueBudget`), then as
    /// many as fit alone. One pass (all categories) unless the cells are many and the resamples
    /// too. Expects the figures to fit (`resample` checks that first).
    func cellPasses(resamples: Int, valueBudget: Int = BootstrapSettings.maxValues) -> [Range<Int>] {
        let room = valueBudget / resamples
        var passes: [Range<Int>] = []
        var start = 0
        var capacity = room - figureCount
        while start < categories.count || passes.isEmpty {
            var end = start
            while end < categories.count && cellStart[end + 1] - cellStart[start] <= capacity { end += 1 }
            // A category's cells (at most its keypoints) fit in a pass of their own, since the
            // figures (more than the keypoints) fit in one: a later pass always advances.
            if end == start && !passes.isEmpty { end = start + 1 }
            passes.append(start..<end)
            start = end
            capacity = room
        }
        return passes
    }

    /// Sets `weights` to one resample's draw counts per photo: within each range of `draws`, as
    /// many draws as it has photos, uniformly with replacement, in order (the documented order
    /// of the seed's stream).
    func drawWeights(_ weights: inout [Int], strata draws: [Range<Int>], _ rng: inout SplitMix64) {
        for i in weights.indices { weights[i] = 0 }
        for stratum in draws {
            let n = stratum.count
            for _ in 0..<n { weights[stratum.lowerBound + rng.index(below: n)] += 1 }
        }
    }

    /// A figure from its point estimate (NaN: none) and its resampled values `column` (NaN
    /// where undefined; reordered): the percentile interval of the defined ones, marked
    /// `everyResampleEqual` when they are all the same value.
    static func figure(
        _ column: UnsafeMutableBufferPointer<Double>, point: Double, tails: (low: Double, high: Double)
    ) -> Figure {
        let point = point.isNaN ? nil : point
        var defined = 0
        var (smallest, largest) = (Double.infinity, -Double.infinity)
        for b in column.indices where !column[b].isNaN {
            let v = column[b]
            column[defined] = v
            defined += 1
            smallest = min(smallest, v)
            largest = max(largest, v)
        }
        guard defined > 0 else { return Figure(point: point, interval: nil) }
        var interval = PCKBootstrap.interval(
            selecting: UnsafeMutableBufferPointer(rebasing: column[0..<defined]), tails: tails)
        interval.everyResampleEqual = smallest == largest
        return Figure(point: point, interval: interval)
    }

    /// Value `i` of run 0 (of `stride` per run), or run 1's minus run 0's; NaN when undefined in either.
    private func statistic(_ values: [Double], _ i: Int, stride: Int, paired: Bool) -> Double {
        paired ? values[stride + i] - values[i] : values[i]
    }

    /// Every run's keypoints and correct ones per cell of the categories `chunk` for the image
    /// weights in `w.weights`, into `w.cellTallies`.
    private func countCells(_ w: inout Workspace, categories chunk: Range<Int>) {
        let cellCount = self.cellCount
        let chunkCells = cellStart[chunk.lowerBound]..<cellStart[chunk.upperBound]
        // The chunk's photos, consecutive (strata in category order).
        let photos =
            chunk.isEmpty ? 0..<0 : strata[chunk.lowerBound].lowerBound..<strata[chunk.upperBound - 1].upperBound
        for (r, run) in runs.enumerated() {
            let base = r * cellCount
            for j in chunkCells { w.cellTallies[base + j] = Tally() }
            // The hot loop of a resample, over buffers: no bounds or overflow checks (a count is
            // at most the entries times the images).
            w.weights.withUnsafeBufferPointer { weights in
                w.cellTallies.withUnsafeMutableBufferPointer { tallies in
                    run.entryStart.withUnsafeBufferPointer { entryStart in
                        run.entries.withUnsafeBufferPointer { entries in
                            for i in photos {
                                let weight = weights[i]
                                guard weight > 0 else { continue }
                                for e in entryStart[i]..<entryStart[i &+ 1] {
                                    let entry = entries[e]
                                    tallies[base &+ entry.cell].count &+= weight
                                    tallies[base &+ entry.cell].correct &+= weight &* entry.correct
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// Every run's PCK of the cells `cells` from `w.cellTallies`, into
    /// `w.cellFigures` (NaN for a cell without keypoints in the draw).
    private func cellRatios(_ w: inout Workspace, cells: Range<Int>) {
        let cellCount = self.cellCount
        w.cellTallies.withUnsafeBufferPointer { tallies in
            w.cellFigures.withUnsafeMutableBufferPointer { figures in
                for r in runs.indices {
                    for j in cells {
                        let s = r * cellCount + j
                        figures[s] = tallies[s].count > 0 ? Double(tallies[s].correct) / Double(tallies[s].count) : .nan
                    }
                }
            }
        }
    }

    /// Every run's figures for the image weights in `w.weights` (how many times each image is
    /// drawn; all 1 for the data itself), into `w.figures` (NaN for a figure without keypoints),
    /// and every cell's counts (`countCells`): one pass over the drawn images into the cells,
    /// whose sums are the categories, the keypoints and the whole.
    private func computeFigures(_ w: inout Workspace) {
        let slots = slotCount
        let figureCount = self.figureCount
        let categoryCount = categories.count
        let cellCount = self.cellCount
        countCells(&w, categories: 0..<categoryCount)
        // Sums of the cells (over buffers: a check on every array write cost more than the cells).
        w.cellTallies.withUnsafeBufferPointer { cellTallies in
            w.tallies.withUnsafeMutableBufferPointer { tallies in
                for r in runs.indices {
                    let base = r * slots
                    for s in base..<(base + slots) { tallies[s] = Tally() }
                    for c in 0..<categoryCount {
                        var category = Tally()
                        for j in cellStart[c]..<cellStart[c + 1] {
                            let cell = cellTallies[r * cellCount + j]
                            let slot = base + 1 + categoryCount + cellKeypoint[j]
                            tallies[slot].count &+= cell.count
                            tallies[slot].correct &+= cell.correct
                            category.count &+= cell.count
                            category.correct &+= cell.correct
                        }
                        tallies[base + 1 + c] = category
                        tallies[base].count &+= category.count
                        tallies[base].correct &+= category.correct
                    }
                }
            }
        }
        for r in runs.indices {
            let base = r * slots
            func ratio(_ s: Int) -> Double {
                w.tallies[s].count > 0 ? Double(w.tallies[s].correct) / Double(w.tallies[s].count) : .nan
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

    /// The cells by category and keypoint name (`cells` as `resample` returns them).
    func byCategoryKeypoint(_ cells: [Figure]) -> [String: [String: Figure]] {
        var out: [String: [String: Figure]] = [:]
        for (c, category) in categories.enumerated() {
            var row: [String: Figure] = [:]
            for j in cellStart[c]..<cellStart[c + 1] { row[keypoints[cellKeypoint[j]]] = cells[j] }
            out[category] = row
        }
        return out
    }

    /// The keypoint figures by name.
    func byKeypoint(_ figures: [Figure]) -> [String: Figure] {
        Dictionary(uniqueKeysWithValues: keypoints.enumerated().map { ($1, figures[2 + categories.count + $0]) })
    }
}
