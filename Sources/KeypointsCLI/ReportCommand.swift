import ArgumentParser
import Evaluation
import Foundation
import Imaging
import KeypointsSupport

struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract:
            "Merge results files: PCK of `keypoints eval` runs at any alpha and its curves, or the predictions of `keypoints localize --out`.",
        discussion: """
            Files of one run (its shards) are merged; an image found in two files is an error, and \
            files from different runs are refused unless --compare is given, which reports each \
            run on its own (and draws one curve per run). A run is identified by content (model, \
            grid, vocabulary and dataset digests, method, visual prompt, seed, precision), not by \
            paths, so shards run on different machines merge. Shards that differ only in \
            precision (fp32 / bf16) or fp32 library (--backend) merge only with \
            --allow-mixed-precision.

            --ci adds confidence intervals: a percentile bootstrap over images (an image's \
            keypoints move together), stratified by category, seeded (--ci-seed) so a seed gives \
            the same intervals everywhere. A figure that is a count over images (each holds at \
            most one of its keypoints: a keypoint's, or a category x keypoint), or of 0% or 100% \
            (which no resample moves), gets the exact binomial (Clopper-Pearson) interval over \
            the images holding its keypoints instead, marked ^. With --compare also each run's difference to the first in \
            percentage points, paired over the images both scored, marked * when its interval \
            excludes 0; an interval marked = had the same value in every resample (e.g. both \
            runs score every image alike): no spread, not certainty. With --curve a shaded band \
            around each curve: at each alpha the interval of its PCK, from the same resamples.

            Files of `keypoints localize --out` (told by their header line; not mixed with eval \
            files in one call) are merged the same way (settings must agree but for paths, \
            software and shard; a photo in two files is an error) and their predictions printed, \
            sorted by photo: a table (photo, keypoint, x, y, score), --csv (image,keypoint,x,y,\
            score,passes,seconds) or --json ({"settings", "files", "images"}).

            Examples:
              keypoints report spair-0.jsonl spair-1.jsonl spair-2.jsonl spair-3.jsonl
              keypoints report --compare random.jsonl redcircle.jsonl --curve pck.png
              keypoints report --compare random.jsonl redcircle.jsonl --curve pck.svg
              keypoints report --compare random.jsonl redcircle.jsonl --ci --ci-level 0.9
              keypoints report photos-*.jsonl --csv > predictions.csv
            """
    )

    @Argument(
        help: ArgumentHelp(
            "Results files written by keypoints eval --out, or by keypoints localize --out.", valueName: "file"))
    var files: [String]
    // `.unconditional` (as --threads): "--alpha -0.1" reaches validate() and its range error.
    @Option(
        parsing: .unconditional,
        help: ArgumentHelp(
            "PCK threshold factor: correct if distance <= alpha * max(box width, box height) (default \(Self.defaultAlpha)).",
            valueName: "alpha"))
    var alpha: Double?
    @Flag(help: "Report files from different runs (methods, models, grids) side by side instead of refusing.")
    var compare = false
    @Flag(
        name: .customLong("allow-mixed-precision"),
        help:
            "Merge shards that differ only in precision or fp32 library (fp32 and bf16 agree on most argmaxes, not all); the report says so."
    )
    var allowMixedPrecision = false
    @Option(
        help: ArgumentHelp(
            "Plot PCK against alpha from 0 to 0.2 (further when --alpha is larger), one line per run (with --ci over a shaded band of pointwise intervals): PNG or SVG, chosen by the extension.",
            valueName: "file.png|file.svg"))
    var curve: String?
    @Flag(
        help: "Print exactly one JSON document (the PCK report; with --compare the comparison table and the reports).")
    var json = false
    @Flag(
        help:
            "With --compare: print the comparison table as CSV (rows overall, categories, keypoints; one column per run); with localize files: one row per photo and keypoint."
    )
    var csv = false
    @OptionGroup(title: "Confidence intervals") var confidence: ConfidenceOptions<ReportCommand>

    func validate() throws {
        if files.isEmpty { throw ValidationError("give at least one results file") }
        if let alpha, !(alpha.isFinite && alpha > 0 && alpha <= 1) {
            throw ValidationError("--alpha must be in (0, 1], got \(alpha)")
        }
        if csv && json { throw ValidationError("give --json or --csv, not both") }
        if let curve, CurveFormat(path: curve) == nil {
            throw ValidationError(
                "--curve \(curve.displaySafe): give a file ending in .png or .svg (the extension picks the format)")
        }
        try confidence.check()
    }

    /// The plot formats of --curve, by file extension.
    enum CurveFormat {
        case png, svg
        init?(path: String) {
            switch (path as NSString).pathExtension.lowercased() {
            case "png": self = .png
            case "svg": self = .svg
            default: return nil
            }
        }
    }

    /// The PCK threshold factor when --alpha is not given.
    static let defaultAlpha = 0.1

    func run() throws {
        if let curve { try OutputPath.checkFile(curve, option: "--curve") }
        let input: ReportFiles
        do {
            input = try ReportFiles.read(files.map(DataFiles.fileURL))
        } catch let error as EvaluationError {
            throw CLIError(error.description)
        }
        switch input {
        case .eval(let parsed): try reportPCK(parsed)
        case .localize(let parsed): try reportPredictions(parsed)
        }
    }

    /// Localize results files: merged, their predictions printed (a table, --csv or --json).
    func reportPredictions(_ parsed: [LocalizationResultsFile]) throws {
        let pckOptions = [
            (alpha != nil, "--alpha"), (compare, "--compare"), (curve != nil, "--curve"),
            (allowMixedPrecision, "--allow-mixed-precision"), (confidence.enabled, "--ci"),
        ].filter(\.0).map(\.1)
        if let file = parsed.first?.file, !pckOptions.isEmpty {
            throw CLIError(
                "\(pckOptions.joined(separator: ", ")) \(pckOptions.count == 1 ? "applies" : "apply") to eval results "
                    + "(PCK needs ground truth); \(file) holds localize predictions: report prints them as a table, "
                    + "or with --csv or --json")
        }
        let set: LocalizationResultSet
        do {
            set = try LocalizationResultSet.merge(parsed)
        } catch let error as EvaluationError {
            throw CLIError(error.description)
        }
        for note in set.notes { Console.note("note: \(note)") }
        if json {
            try Console.printJSON(set)
        } else if csv {
            print(LocalizationPredictions.csv(set.images), terminator: "")
        } else {
            if set.files.count > 1 { Console.result("files: \(set.files.joined(separator: ", "))") }
            print(LocalizationPredictions.table(set.images), terminator: "")
        }
    }

    /// Eval results files: the PCK report, comparison and curve.
    func reportPCK(_ parsed: [ResultFile]) throws {
        if csv && !compare { throw CLIError("--csv applies to --compare (or to localize results files)") }
        let alpha = self.alpha ?? Self.defaultAlpha
        let runs: [ResultSet]
        do {
            runs =
                compare
                ? try ResultSet.mergeByRun(parsed, allowMixedPrecision: allowMixedPrecision)
                : [try ResultSet.merge(parsed, allowMixedPrecision: allowMixedPrecision)]
        } catch let error as EvaluationError {
            throw CLIError(error.description)
        }
        for run in runs { for note in run.notes { Console.note("note: \(note)") } }
        let reports = runs.map { $0.report(alpha: alpha) }
        // The intervals before anything is written: a refused --ci-resamples leaves no curve.
        var comparison: PCKComparison? = nil
        var shown = reports
        let alphas = PCKCurvePlot.alphas(reaching: alpha)
        var bands: [CurveBand]? = nil
        try confidence.computing { bootstrap throws(EvaluationError) in
            if compare {
                let labels = Self.labels(runs, alpha: nil)
                comparison =
                    try bootstrap.map { settings throws(EvaluationError) in
                        try PCKComparison.bootstrapped(
                            alpha: alpha, labels: labels, files: runs.map(\.files), reports: reports,
                            records: runs.map(\.images), settings: settings)
                    }
                    ?? PCKComparison(alpha: alpha, labels: labels, files: runs.map(\.files), reports: reports)
            } else if let bootstrap {
                shown = try zip(runs, reports).map { run, report throws(EvaluationError) in
                    try report.addingIntervals(records: run.images, settings: bootstrap)
                }
            }
            // After the intervals, which may refuse the resample count.
            if curve != nil, let bootstrap {
                bands = runs.map { PCKBootstrap.curveBand(records: $0.images, alphas: alphas, settings: bootstrap) }
            }
        }
        confidence.noteFewImages(runs.map(\.images))

        if let curve {
            let labels = Self.labels(runs, alpha: alpha)
            let series = runs.indices.map { i in
                var series = CurveSeries(label: labels[i], records: runs[i].images, alphas: alphas)
                series.band = bands?[i]
                return series
            }
            let datasets = Set(reports.map(\.dataset)).sorted().joined(separator: ", ")
            let title = "PCK against alpha: \(datasets)"
            switch CurveFormat(path: curve) {
            case .svg:
                let svg = PCKCurvePlot.svg(series, title: title, markAlpha: alpha)
                try DataFiles.writeAtomically(Data(svg.utf8), to: DataFiles.fileURL(curve))
            case .png, nil:
                let image = PCKCurvePlot.render(series, title: title, markAlpha: alpha)
                do {
                    try FileManager.default.createDirectory(
                        at: DataFiles.fileURL(curve).deletingLastPathComponent(), withIntermediateDirectories: true)
                    try ImageCodec.writePNG(image, to: DataFiles.fileURL(curve))
                } catch {
                    throw CLIError("\(error)")
                }
            }
            Console.note("wrote \(curve)")
        }

        if let comparison {
            if json {
                try Console.printJSON(comparison)
            } else if csv {
                print(comparison.csv(), terminator: "")
            } else {
                print(comparison.table(), terminator: "")
            }
        } else if json {
            try Console.printJSON(shown[0])
        } else {
            for (i, (run, report)) in zip(runs, shown).enumerated() {
                if i > 0 { print("") }
                if runs.count > 1 || run.files.count > 1 {
                    Console.result("files: \(run.files.joined(separator: ", "))")
                }
                print(report.table(), terminator: "")
            }
        }
    }

    /// Legend labels: the method plus what tells runs apart, and PCK at the report's alpha.
    static func labels(_ runs: [ResultSet], alpha: Double?) -> [String] {
        let methods = runs.map { $0.settings["method"] ?? "?" }
        return runs.enumerated().map { i, run in
            var label = methods[i]
            // Runs are told apart among those of the same method only: a random run has no grid
            // or model, which says nothing about the red-circle runs beside it.
            let sameMethod = runs.indices.filter { methods[$0] == methods[i] }.map { runs[$0] }
            if sameMethod.count > 1 {
                var extra: [String] = []
                for key in [
                    "grid", "model", "mask", "fit", "visual_prompt", "template", "precision", "backend", "dataset",
                    "split",
                    "categories", "seed",
                ] {
                    let values = Set(sameMethod.map { $0.settings[key] ?? "" })
                    guard values.count > 1 else { continue }
                    // A setting left at its default is not written to the header: name it too, so
                    // `random` against `random --mask box` reads "mask none" / "mask box".
                    var v = run.settings[key] ?? (key == "mask" ? "none" : "default")
                    // An ensemble's full description names every member's marker (~330
                    // characters for the paper's three): its short label, unless that would
                    // no longer tell these runs apart (ensembles differing only in colour).
                    if key == "visual_prompt" {
                        let short = Set(
                            sameMethod.map { VisualPrompt.shortLabel(ofDescription: $0.settings[key] ?? "") })
                        if short.count == values.count { v = VisualPrompt.shortLabel(ofDescription: v) }
                    }
                    extra.append("\(key) \((v as NSString).lastPathComponent)")
                }
                label +=
                    extra.isEmpty
                    ? " (\((run.files[0] as NSString).lastPathComponent))" : " (" + extra.joined(separator: ", ") + ")"
            }
            guard let alpha else { return label }
            let r = run.report(alpha: alpha)
            if let p = r.pck { label += String(format: ": PCK@%g %.1f%%, %d keypoints", alpha, 100 * p, r.keypoints) }
            return label
        }
    }
}

extension ReportCommand: ConfidenceIntervalsScope {
    static var confidenceIntervalsCover: String {
        "every PCK figure (and, with --compare, on each run's paired difference to the first)"
    }
}
