import Foundation

/// `--shard i/n`: the items whose index in the dataset order satisfies `index % n == i`.
public struct Shard: Sendable, Equatable, CustomStringConvertible {
    public let index: Int
    public let count: Int

    public init(index: Int, count: Int) throws {
        guard count >= 1, index >= 0, index < count else {
            throw EvaluationError.invalidSelection("shard \(index)/\(count): expected i/n with n >= 1 and 0 <= i < n")
        }
        guard count <= EvaluationLimits.shards else {
            throw EvaluationError.invalidSelection(
                "shard \(index)/\(count): n is over the limit EvaluationLimits.shards = \(EvaluationLimits.shards)")
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

// MARK: - --shard auto

extension Shard {
    /// The variables `--shard auto` reads, for messages and documentation.
    public static let slurmIndexVariable = "SLURM_ARRAY_TASK_ID"
    public static let slurmCountVariable = "SLURM_ARRAY_TASK_COUNT"
    public static let slurmMinimumVariable = "SLURM_ARRAY_TASK_MIN"
    public static let slurmStepVariable = "SLURM_ARRAY_TASK_STEP"
    public static let kubernetesIndexVariable = "JOB_COMPLETION_INDEX"

    /// The shard of this job-array task (`--shard auto`).
    ///
    /// - Slurm job arrays: without `count`, shard (ID - MIN) / STEP of SLURM_ARRAY_TASK_COUNT
    ///   (`--array=0-7`, `--array=1-8` and `--array=0-14:2` all give shards 0/8 ... 7/8). With
    ///   `count` (`--shards N`), the task id is the shard index itself, so a subset of the shards
    ///   can be rerun (`--array=2,5` with `--shards 8`).
    /// - Kubernetes Indexed Jobs: JOB_COMPLETION_INDEX of `count`, which is required (the Job's
    ///   `completions`).
    /// - Throws: `invalidSelection` naming the variables looked for when none is set, or the
    ///   variable whose value is not a valid index.
    public static func automatic(environment: [String: String], count: Int?) throws -> Shard {
        func integer(_ name: String) throws -> Int? {
            guard let text = environment[name], !text.isEmpty else { return nil }
            guard let v = Int(text.trimmingCharacters(in: .whitespaces)), v >= 0 else {
                throw EvaluationError.invalidSelection(
                    "--shard auto: \(name)=\"\(text)\" is not a non-negative integer")
            }
            return v
        }
        if let id = try integer(slurmIndexVariable) {
            if let count {
                guard id < count else {
                    throw EvaluationError.invalidSelection(
                        "--shard auto: \(slurmIndexVariable)=\(id) is not a shard of --shards \(count) (with --shards, array task ids are shard indices 0..\(count - 1))"
                    )
                }
                return try Shard(index: id, count: count)
            }
            guard let n = try integer(slurmCountVariable), n >= 1 else {
                throw EvaluationError.invalidSelection(
                    "--shard auto: \(slurmIndexVariable) is set but \(slurmCountVariable) is not; give --shards N")
            }
            let minimum = try integer(slurmMinimumVariable) ?? 0
            let step = max(1, try integer(slurmStepVariable) ?? 1)
            let offset = id - minimum
            guard offset >= 0, offset % step == 0, offset / step < n else {
                throw EvaluationError.invalidSelection(
                    "--shard auto: array task \(id) (min \(minimum), step \(step), \(n) tasks) is not one of an evenly spaced array; "
                        + "give --shards N and use task ids 0..N-1")
            }
            return try Shard(index: offset / step, count: n)
        }
        if let index = try integer(kubernetesIndexVariable) {
            guard let count else {
                throw EvaluationError.invalidSelection(
                    "--shard auto: \(kubernetesIndexVariable) is set; give the Job's completions as --shards N")
            }
            guard index < count else {
                throw EvaluationError.invalidSelection(
                    "--shard auto: \(kubernetesIndexVariable)=\(index) is not below --shards \(count)")
            }
            return try Shard(index: index, count: count)
        }
        throw EvaluationError.invalidSelection(
            "--shard auto: neither \(slurmIndexVariable) (Slurm job array, with \(slurmCountVariable)) nor \(kubernetesIndexVariable) "
                + "(Kubernetes Indexed Job, with --shards N) is set; give --shard i/n outside a job array")
    }

    /// The placeholder `--out` may hold, replaced by the shard index.
    public static let outputPlaceholder = "{shard}"

    /// `path` with `{shard}` replaced by this shard's index.
    public func substituted(in path: String) -> String {
        path.replacingOccurrences(of: Self.outputPlaceholder, with: String(index))
    }
}

extension Shard {
    /// What merging files of these `shards` (each file's recorded shard, "all" when unsharded)
    /// leaves out: a shard that is not i/n (completeness not checked), or the shards of an n-way
    /// split that were not given ("shards 1/4, 3/4 not given: `partial`").
    static func coverageNotes(files: [String], shards: [String], partial: String) -> [String] {
        var notes: [String] = []
        // Shard(parsing:) refuses n over EvaluationLimits.shards, so `missing` stays bounded.
        let parsed = shards.compactMap { try? Shard(parsing: $0) }
        if let i = shards.indices.first(where: { shards[$0] != "all" && (try? Shard(parsing: shards[$0])) == nil }) {
            notes.append(
                "\(files[i]): shard is not i/n with 1 <= n <= EvaluationLimits.shards = \(EvaluationLimits.shards): completeness not checked"
            )
        }
        if parsed.count == shards.count, let n = parsed.first?.count, parsed.allSatisfy({ $0.count == n }) {
            let missing = (0..<n).filter { i in !parsed.contains { $0.index == i } }
            if !missing.isEmpty {
                notes.append("shards \(missing.map { "\($0)/\(n)" }.joined(separator: ", ")) not given: \(partial)")
            }
        }
        return notes
    }
}
