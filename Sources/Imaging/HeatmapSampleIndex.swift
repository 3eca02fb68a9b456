// Nearest-sample lookup for heatmap filling: a uniform bucket grid over the samples.

/// Finds the nearest score sample to a query point. Buckets are squares of side `cell`
/// (about one sample per bucket); a query scans rings of buckets outward and stops once the
/// next ring cannot hold anything closer. Ties go to the lower sample index.
struct HeatmapSampleIndex {
    let xs: [Double], ys: [Double]
    let originX: Double, originY: Double, cell: Double
    let cols: Int, rows: Int
    /// Sample indices sorted by bucket; bucket b holds `order[start[b] ..< start[b + 1]]`.
    let start: [Int]
    let order: [Int]

    /// - Parameter bounds: (minX, minY, maxX, maxY) to cover besides the samples (the image).
    init(xs: [Double], ys: [Double], bounds: (Double, Double, Double, Double)) {
        precondition(!xs.isEmpty && xs.count == ys.count, "HeatmapSampleIndex: \(xs.count) x, \(ys.count) y")
        self.xs = xs
        self.ys = ys
        let minX = xs.reduce(bounds.0, min)
        let minY = ys.reduce(bounds.1, min)
        let maxX = xs.reduce(bounds.2, max)
        let maxY = ys.reduce(bounds.3, max)
        let w = max(maxX - minX, 1)
        let h = max(maxY - minY, 1)
        let cell = max((w * h / Double(xs.count)).squareRoot(), 1e-3)
        let cols = min(max(1, Int((w / cell).rounded(.up))), 4096)
        let rows = min(max(1, Int((h / cell).rounded(.up))), 4096)
        self.originX = minX
        self.originY = minY
        let side = max(w / Double(cols), h / Double(rows))
        self.cell = side
        self.cols = cols
        self.rows = rows
        var counts = [Int](repeating: 0, count: cols * rows + 1)
        var bucketOf = [Int](repeating: 0, count: xs.count)
        for i in xs.indices {
            let b = Self.bucket(xs[i], ys[i], originX: minX, originY: minY, cell: side, cols: cols, rows: rows)
            bucketOf[i] = b
            counts[b + 1] += 1
        }
        for b in 0..<cols * rows { counts[b + 1] += counts[b] }
        var fill = counts
        var order = [Int](repeating: 0, count: xs.count)
        for i in xs.indices {  // ascending i within each bucket
            order[fill[bucketOf[i]]] = i
            fill[bucketOf[i]] += 1
        }
        self.start = counts
        self.order = order
    }

    static func bucket(
        _ x: Double, _ y: Double, originX: Double, originY: Double, cell: Double,
        cols: Int, rows: Int
    ) -> Int {
        let cx = min(max(Int(((x - originX) / cell).rounded(.down)), 0), cols - 1)
        let cy = min(max(Int(((y - originY) / cell).rounded(.down)), 0), rows - 1)
        return cy * cols + cx
    }

    /// Index and squared distance of the sample nearest to (x, y). With `excludingCoincident`,
    /// samples exactly at (x, y) are skipped (a sample's nearest OTHER location).
    /// Returns index -1 if no sample qualifies.
    func nearest(_ x: Double, _ y: Double, excludingCoincident: Bool = false) -> (index: Int, distance2: Double) {
        var best = -1
        var bestD2 = Double.infinity
        visitRings(x, y) { i, d2 in
            if excludingCoincident && d2 == 0 { return }
            if d2 < bestD2 || (d2 == bestD2 && i < best) {
                bestD2 = d2
                best = i
            }
        } done: { reach2 in
            best >= 0 && bestD2 < reach2
        }
        return (best, bestD2)
    }

    /// Squared distance from (x, y) to its k-th nearest sample (k >= 1), skipping samples
    /// exactly at (x, y); infinity if fewer than k samples qualify.
    func kthNearestDistance2(_ x: Double, _ y: Double, k: Int) -> Double {
        precondition(k >= 1, "kthNearestDistance2: k \(k)")
        var best = [Double](repeating: .infinity, count: k)  // ascending
        visitRings(x, y) { _, d2 in
            if d2 == 0 || d2 >= best[k - 1] { return }
            var j = k - 1
            while j > 0 && best[j - 1] > d2 {
                best[j] = best[j - 1]
                j -= 1
            }
            best[j] = d2
        } done: { reach2 in
            best[k - 1] < reach2
        }
        return best[k - 1]
    }

    /// Visits (index, squared distance) of the samples in square rings of buckets around the
    /// bucket of (x, y), ring 0 first, and stops after a ring when `done(reach²)` holds:
    /// everything in later rings is at least `reach` = ring x cell away (also for a query outside
    /// the grid, whose bucket was clamped).
    private func visitRings(_ x: Double, _ y: Double, _ visit: (Int, Double) -> Void, done: (Double) -> Bool) {
        let cx = min(max(Int(((x - originX) / cell).rounded(.down)), 0), cols - 1)
        let cy = min(max(Int(((y - originY) / cell).rounded(.down)), 0), rows - 1)
        var ring = 0
        let maxRing = max(cols, rows)
        while ring <= maxRing {
            for by in (cy - ring)...(cy + ring) where by >= 0 && by < rows {
                let edgeRow = by == cy - ring || by == cy + ring
                var bx = cx - ring
                while bx <= cx + ring {
                    if bx >= 0 && bx < cols {
                        let b = by * cols + bx
                        for q in start[b]..<start[b + 1] {
                            let i = order[q]
                            let dx = xs[i] - x
                            let dy = ys[i] - y
                            visit(i, dx * dx + dy * dy)
                        }
                    }
                    // Inner rows of the ring: only the two end buckets.
                    bx += edgeRow || ring == 0 ? 1 : 2 * ring
                }
            }
            let reach = Double(ring) * cell
            if done(reach * reach) { break }
            ring += 1
        }
    }
}
