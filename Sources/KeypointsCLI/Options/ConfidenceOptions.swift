import ArgumentParser
import Evaluation

/// A command offering `--ci` (`ConfidenceOptions`).
protocol ConfidenceIntervalsScope {
    /// What `--ci` puts intervals on, completing "Confidence intervals on ...".
    static var confidenceIntervalsCover: String { get }
}

/// `--ci [--ci-level L] [--ci-resamples N] [--ci-seed S] [--ci-unstratified]`, shared by `report` and `eval`:
/// percentile bootstrap confidence intervals on the PCK figures, exact binomial ones where a
/// figure is a count over images or 0% or 100% (`PCKBootstrap`). The
/// sub-options carry the `--ci-` prefix, as `--visualize-threshold` carries `--visualize`'s,
/// and because `eval --seed` already seeds the random method. `Command` says what the intervals
/// cover there, so `--ci`'s help mentions --compare only where there is one (`report`).
struct ConfidenceOptions<Command: ConfidenceIntervalsScope>: ParsableArguments {
    @Flag(
        name: .customLong("ci"),
        help:
            "Confidence intervals on \(Command.confidenceIntervalsCover): percentile bootstrap over images, stratified by category; exact binomial where a figure is a count over images or 0% or 100%."
    )
    var enabled = false
    // `.unconditional` on numbers (as --alpha): "--ci-level -1" reaches the range error.
    @Option(
        name: .customLong("ci-level"), parsing: .unconditional,
        help: ArgumentHelp(
            "With --ci: the intervals' level, in (0, 1) (default \(BootstrapSettings.defaultLevel)).",
            valueName: "level"))
    var level: Double?
    @Option(
        name: .customLong("ci-resamples"), parsing: .unconditional,
        help: ArgumentHelp(
            "With --ci: bootstrap resamples, \(BootstrapSettings.resampleRange.lowerBound)...\(BootstrapSettings.resampleRange.upperBound) (default \(BootstrapSettings.defaultResamples)).",
            valueName: "n"))
    var resamples: Int?
    @Option(
        name: .customLong("ci-seed"), parsing: .unconditional,
        help: ArgumentHelp(
            "With --ci: seed of the resamples, 0...\(UInt64.max) (default \(Self.defaultSeed)); a seed gives the same intervals on every machine.",
            valueName: "seed"),
        transform: Self.parseSeed)
    var seed: UInt64?
    @Flag(
        name: .customLong("ci-unstratified"),
        help:
            "With --ci: draw images from all categories together instead of within each category (for categories of few images, whose resamples hardly vary)."
    )
    var unstratified = false

    /// The resamples' seed when --ci-seed is not given.
    static var defaultSeed: UInt64 { 0 }

    /// `--ci-seed`'s value: an integer in 0...UInt64.max; anything else (e.g. -1) is refused
    /// naming the option and the range, which ArgumentParser's own UInt64 parsing does not say.
    static func parseSeed(_ text: String) throws -> UInt64 {
        guard let seed = UInt64(text) else {
            throw ValidationError("expected an integer in 0...\(UInt64.max)")
        }
        return seed
    }

    /// Refuses a sub-option without --ci and values out of range, naming the option.
    func check() throws {
        let given = [
            (level != nil, "--ci-level"), (resamples != nil, "--ci-resamples"), (seed != nil, "--ci-seed"),
            (unstratified, "--ci-unstratified"),
        ].filter(\.0).map(\.1)
        if !enabled && !given.isEmpty {
            throw ValidationError(
                "\(given.joined(separator: ", ")) \(given.count == 1 ? "applies" : "apply") to --ci (confidence intervals); add --ci"
            )
        }
        do {
            _ = try settings()
        } catch {
            throw ValidationError(Self.message(error))
        }
    }

    /// The bootstrap settings with --ci, else nil.
    func settings() throws(EvaluationError) -> BootstrapSettings? {
        guard enabled else { return nil }
        return try BootstrapSettings(
            level: level ?? BootstrapSettings.defaultLevel, resamples: resamples ?? BootstrapSettings.defaultResamples,
            seed: seed ?? Self.defaultSeed, stratified: !unstratified)
    }

    /// Says on stderr where the intervals are too narrow (`PCKBootstrap.fewImagesNote`), once
    /// per distinct note over `runs` (the records of each run reported).
    func noteFewImages(_ runs: [[ImageRecord]]) {
        guard enabled && !unstratified else { return }
        var said = Set<String>()
        for records in runs {
            if let note = PCKBootstrap.fewImagesNote(records: records), said.insert(note).inserted {
                Console.note("note: \(note); --ci-unstratified draws images across categories")
            }
        }
    }

    /// `body` given the bootstrap settings (nil without --ci), its bootstrap errors thrown as
    /// one-line `CLIError`s naming the option (`message`): the one wrapper of the intervals'
    /// computation for `report` and `eval`.
    func computing<T>(_ body: (BootstrapSettings?) throws(EvaluationError) -> T) throws(CLIError) -> T {
        do {
            return try body(settings())
        } catch {
            throw CLIError(Self.message(error))
        }
    }

    /// `error` in the options' words: a bootstrap setting out of range names its option.
    static func message(_ error: EvaluationError) -> String {
        guard case .bootstrapSetting(let setting, let value, let expected) = error else { return error.description }
        let option =
            switch setting {
            case .level: "--ci-level"
            case .resamples: "--ci-resamples"
            }
        return "\(option) \(value): expected \(expected)"
    }
}
