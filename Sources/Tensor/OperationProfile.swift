/// Time per item by operation class, from a `Profiler` and the caller's total: what
/// `keypoints bench --profile` prints and writes as JSON.
public struct OperationProfile: Codable, Sendable, Equatable {
    /// One operation class.
    public struct Entry: Codable, Sendable, Equatable {
        public let operation: Profiler.Operation
        public let secondsPerItem: Double
        /// Of the total; the shares of all classes sum to 1.
        public let share: Double
        /// Achieved GFLOP/s of the products of this class (nil for classes without FLOPs counted).
        public let gflops: Double?

        enum CodingKeys: String, CodingKey {
            case operation, share, gflops
            case secondsPerItem = "seconds_per_item"
        }
    }

    public let items: Int
    public let secondsPerItem: Double
    /// Every class of `Profiler.Operation`, in its order, "other" last.
    public let operations: [Entry]

    enum CodingKeys: String, CodingKey {
        case items, operations
        case secondsPerItem = "seconds_per_item"
    }

    /// - Parameters:
    ///   - totals: what the profiler measured over the run.
    ///   - totalSeconds: the run's wall time, measured by the caller around the same work.
    ///   - items: items (images) the run processed.
    ///   Time the profiler did not see is `other`; should the classes add up to more than the
    ///   total (clock granularity), the shares are of their sum instead.
    public init(totals: Profiler.Totals, totalSeconds: Double, items: Int) {
        let measured = Profiler.Operation.allCases.filter { $0 != .other }
        let seen = measured.reduce(0) { $0 + (totals.seconds[$1] ?? 0) }
        let whole = max(totalSeconds, seen)
        let perItem = 1 / Double(max(1, items))
        var entries: [Entry] = measured.map { operation in
            let seconds = totals.seconds[operation] ?? 0
            let flops = totals.flops[operation] ?? 0
            return Entry(
                operation: operation, secondsPerItem: seconds * perItem, share: whole > 0 ? seconds / whole : 0,
                gflops: flops > 0 && seconds > 0 ? flops / seconds / 1e9 : nil)
        }
        let other = whole - seen
        entries.append(
            Entry(
                operation: .other, secondsPerItem: other * perItem, share: whole > 0 ? other / whole : 0,
                gflops: nil))
        self.items = items
        self.secondsPerItem = whole * perItem
        self.operations = entries
    }
}
