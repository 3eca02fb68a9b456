/// Suggestions for mistyped names (commands, model names): the nearest known name by edit
/// distance, when it is close enough to be what was meant.
public enum Spelling {
    /// Levenshtein distance between `a` and `b`, ignoring case.
    public static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a.lowercased())
        let b = Array(b.lowercased())
        if a.isEmpty || b.isEmpty { return max(a.count, b.count) }
        var previous = Array(0...b.count)
        for i in 1...a.count {
            var current = [i] + [Int](repeating: 0, count: b.count)
            for j in 1...b.count {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            previous = current
        }
        return previous[b.count]
    }

    /// The candidate nearest to `typed`, or nil when even the nearest is more than
    /// max(2, a third of `typed`'s length) edits away (then it is no typo of any of them).
    public static func nearest(to typed: String, among candidates: [String]) -> String? {
        guard let best = candidates.min(by: { editDistance($0, typed) < editDistance($1, typed) }) else { return nil }
        return editDistance(best, typed) <= max(2, typed.count / 3) ? best : nil
    }
}
