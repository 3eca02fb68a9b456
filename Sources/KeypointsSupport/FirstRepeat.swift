extension Sequence where Element: Hashable {
    /// The 0-based places of the first element met a second time: `second` is the smallest index
    /// whose element came before, `first` where it came first; nil when all elements differ. One
    /// pass, a hash lookup per element (keypoint names, photo paths, shard keys).
    public func firstRepeat() -> (first: Int, second: Int)? {
        var firstIndex: [Element: Int] = [:]
        for (index, element) in enumerated() {
            if let first = firstIndex[element] { return (first, index) }
            firstIndex[element] = index
        }
        return nil
    }
}
