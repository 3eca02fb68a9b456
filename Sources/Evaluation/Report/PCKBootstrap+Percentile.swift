extension PCKBootstrap {
    /// Where the `q` quantile (0...1) of `count` ascending values lies, numpy's default
    /// `percentile`: position (count - 1) x q, between order statistics `below` and `above`
    /// (0-based, `above` = `below` + 1 except at the top), at `fraction` of the way from one to
    /// the other.
    static func percentilePosition(count: Int, _ q: Double) -> (below: Int, above: Int, fraction: Double) {
        let position = Double(count - 1) * q
        let below = min(Int(position.rounded(.down)), count - 1)
        return (below, min(below + 1, count - 1), position - Double(below))
    }

    /// The `q` quantile (0...1) of `sorted` (ascending, not empty), interpolating linearly
    /// between order statistics (`percentilePosition`). The reference for
    /// `interval(selecting:tails:)`.
    static func percentile(sorted: ArraySlice<Double>, _ q: Double) -> Double {
        let (below, above, fraction) = percentilePosition(count: sorted.count, q)
        let a = sorted[sorted.startIndex + below]
        let b = sorted[sorted.startIndex + above]
        return a + fraction * (b - a)
    }

    /// The interval from the `tails.low` to the `tails.high` quantile (`tails.low <=
    /// tails.high`) of `values` (not empty, no NaN; reordered): bit for bit `percentile(sorted:)`
    /// of the sorted values at both tails, from the four order statistics they need, selected
    /// (expected time linear in the count) instead of sorting them all.
    static func interval(selecting values: UnsafeMutableBufferPointer<Double>, tails: (low: Double, high: Double))
        -> ConfidenceInterval
    {
        let n = values.count
        let low = percentilePosition(count: n, tails.low)
        let high = percentilePosition(count: n, tails.high)
        // After selecting order statistic k, the values after index k are the order statistics
        // above it, in some order: the next one is their minimum, and a higher k is selected
        // among them alone.
        func minimum(from start: Int) -> Double {
            var m = values[start]
            for i in (start + 1)..<n where values[i] < m { m = values[i] }
            return m
        }
        select(values, low.below, from: 0)
        let lowA = values[low.below]
        let lowB = low.above == low.below ? lowA : minimum(from: low.above)
        if high.below > low.below { select(values, high.below, from: low.below + 1) }
        let highA = values[high.below]
        let highB = high.above == high.below ? highA : minimum(from: high.above)
        return ConfidenceInterval(
            low: lowA + low.fraction * (lowB - lowA), high: highA + high.fraction * (highB - highA))
    }

    /// Below this many values a range is finished by insertion sort.
    static let selectionCutoff = 16

    /// Reorders `values[start...]` so that index `k` holds the value it would hold sorted, those
    /// before it none greater, those after none smaller (quickselect with a three-way partition
    /// around a median of three: many equal values, as resampled PCKs have, are settled in one
    /// step). Ranges that shrink too slowly (an adversarial order) are sorted instead, so the
    /// worst case stays n log n.
    static func select(_ values: UnsafeMutableBufferPointer<Double>, _ k: Int, from start: Int) {
        var lo = start
        var hi = values.count
        var rounds = 2 * (Int.bitWidth - (hi - lo).leadingZeroBitCount) + 4
        while hi - lo > selectionCutoff {
            guard rounds > 0 else {
                var rest = UnsafeMutableBufferPointer(rebasing: values[lo..<hi])
                rest.sort()
                return
            }
            rounds -= 1
            let (x, y, z) = (values[lo], values[lo + (hi - lo) / 2], values[hi - 1])
            let pivot = max(min(x, y), min(max(x, y), z))
            // [lo, less) < pivot, [less, i) == pivot, [greater, hi) > pivot.
            var less = lo
            var i = lo
            var greater = hi
            while i < greater {
                let v = values[i]
                if v < pivot {
                    values.swapAt(less, i)
                    less += 1
                    i += 1
                } else if v > pivot {
                    greater -= 1
                    values.swapAt(i, greater)
                } else {
                    i += 1
                }
            }
            if k < less {
                hi = less
            } else if k >= greater {
                lo = greater
            } else {
                return
            }
        }
        // Insertion sort of the short rest.
        var i = lo + 1
        while i < hi {
            let v = values[i]
            var j = i
            while j > lo && values[j - 1] > v {
                values[j] = values[j - 1]
                j -= 1
            }
            values[j] = v
            i += 1
        }
    }
}
