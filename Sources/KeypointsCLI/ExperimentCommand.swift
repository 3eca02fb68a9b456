import ArgumentParser
import Foundation
import Localization

struct ExperimentCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "experiment",
        abstract: "Compare a coarse-to-fine preset with a dense reference on synthetic score landscapes.",
        discussion: """
            Landscapes are shaped like CLIP heatmaps (smooth bumps plus noise, sometimes a near-tie \
            far away); with --keypoints 15 they cluster like CUB's parts. Success: the preset's \
            answer lies within --tolerance reference cells of the reference grid's argmax.

            Example:
              keypoints experiment --grid fast --reference dense30 --trials 1000 \\
                --keypoints 15
            """
    )

    @Option(help: ArgumentHelp("The preset to test (file or name in grids/).", valueName: "file"))
    var grid = "fast"
    @Option(help: ArgumentHelp("The reference preset (file or name in grids/).", valueName: "file"))
    var reference = "dense30"
    @Option(parsing: .unconditional, help: "Number of random landscapes.")
    var trials = 1000
    @Option(parsing: .unconditional, help: "Keypoints per landscape (15: CUB-like clusters).")
    var keypoints = 1
    @Option(parsing: .unconditional, help: "Seed of the landscapes.")
    var seed: UInt64 = 2024
    // `.unconditional` (as --threads): "--tolerance -1" reaches validate() and its range error
    // instead of being read as an unknown option and reported as a missing value.
    @Option(parsing: .unconditional, help: "Success radius in reference-grid cells.")
    var tolerance = 1.0
    @Flag(help: "Print exactly one JSON document.")
    var json = false

    func validate() throws {
        if trials < 1 { throw ValidationError("--trials must be at least 1, got \(trials)") }
        if keypoints < 1 { throw ValidationError("--keypoints must be at least 1, got \(keypoints)") }
        if !(tolerance >= 0) { throw ValidationError("--tolerance must be non-negative, got \(tolerance)") }
    }

    func run() throws {
        let preset = try GridPreset.load(from: try DataFiles.resolve(grid, folder: "grids", option: "--grid"))
        let ref = try GridPreset.load(from: try DataFiles.resolve(reference, folder: "grids"))
        let report = try SearchExperiment.run(
            preset: preset, reference: ref, trials: trials, seed: seed,
            keypoints: keypoints, toleranceCells: tolerance, keepTrials: false)
        if json { try Console.printJSON(report) } else { print(report.summary) }
    }
}
