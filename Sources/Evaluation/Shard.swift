/// `--shard i/n`: the items whose index in the dataset order satisfies `index % n == i`.
public struct Shard: Sendable, Equatable, CustomStringConvertible {
    public let index: Int
    public let count: Int

    public init(index: Int, count: Int) throws {
        guard count >= 1, index >= 0, index < count else {
            throw EvaluationError.invalidSelection("shard \(index)/\(count): expected i/n with n >= 1 and 0 <= i < n")
        }
        guard count <= EvaluationLimits.shards else {
            throw EvaluationError.invalidSelection("shard \(index)/\(count): n is over the limit EvaluationLimits.shards = \(EvaluationLimits.shards)")
        }
        self.index = index
        self.count = count
    }

    /// Parses `i/n`.
    public init(parsing text: String) throws {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let i = Int(parts[0]), let n = Int(parts[1]) else {
            throw EvaluationError.invalidSelection("--shard \"\(text)\": expected i/n, e.g. 0/4")
        }
        try self.init(index: i, count: n)
    }

    public var description: String { "\(index)/\(count)" }

    public func contains(position: Int) -> Bool { position % count == index }
}
