import ArgumentParser
import Evaluation
import Foundation
import KeypointsSupport

/// `--shard i/n|auto` and `--shards N`, shared by `eval` and `localize`: which of a run's items
/// (dataset images, or the photos given to localize, in their order) this process takes, and
/// `{shard}` in `--out`.
struct ShardOptions: ParsableArguments {
    static let automatic = "auto"

    @Option(
        help: ArgumentHelp(
            "Take items i, i+n, i+2n, ... of the run (eval: the sorted dataset; localize: the photos in order); auto: this Slurm array task's or Kubernetes Indexed Job pod's shard.",
            valueName: "i/n|auto"))
    var shard: String?
    @Option(
        help: ArgumentHelp(
            "With --shard auto: the number of shards (required for Kubernetes; for Slurm, makes task ids the shard indices).",
            valueName: "n"))
    var shards: Int?

    /// Checks the syntax, and that `{shard}` in `out` has a `--shard` to take it from.
    func validate(out: String?) throws {
        if let shard, shard != Self.automatic {
            do { _ = try Shard(parsing: shard) } catch { throw ValidationError("\(error)") }
        }
        if let shards {
            guard shard == Self.automatic else { throw ValidationError("--shards applies to --shard auto only") }
            guard shards >= 1 else { throw ValidationError("--shards must be at least 1, got \(shards)") }
        }
        if shard == nil, let out, out.contains(Shard.outputPlaceholder) {
            throw ValidationError("--out \(out.displaySafe) holds \(Shard.outputPlaceholder) but no --shard is given")
        }
    }

    /// --shard i/n, or for --shard auto the job-array task's shard (`Shard.automatic`), noted
    /// on stderr.
    func resolved() throws -> Shard? {
        guard let shard else { return nil }
        guard shard == Self.automatic else { return try Shard(parsing: shard) }
        let resolved = try Shard.automatic(environment: ProcessInfo.processInfo.environment, count: shards)
        Console.note("shard \(resolved) (--shard auto)")
        return resolved
    }

    /// `out` with `{shard}` replaced by the shard's index.
    static func output(_ out: String?, shard: Shard?) -> String? {
        guard let shard else { return out }
        return out.map { shard.substituted(in: $0) }
    }
}
