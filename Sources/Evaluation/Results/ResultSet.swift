import Foundation

/// Results of one run, possibly merged from the files of its shards.
public struct ResultSet: Sendable {
    /// The files merged, in the order given.
    public var files: [String]
    /// The first file's settings (with "shard" describing what was merged).
    public var settings: [String: String]
    public var images: [ImageRecord]
    /// Skipped items without an image record in any of the files.
    public var skipped: [SkippedRecord]
    /// Things to tell the user (torn tails ignored, missing shards).
    public var notes: [String]

    /// Whether two headers belong to one run (`RunIdentity`): same format version, and equal
    /// settings but for the shard and the information-only paths (and the precision when
    /// `allowMixedPrecision`).
    static func differences(_ a: ResultHeader, _ b: ResultHeader, allowMixedPrecision: Bool) -> [SettingDifference] {
        guard a.version == b.version else {
            return [SettingDifference(key: "format version", old: String(a.version), new: String(b.version))]
        }
        return SettingDifference.between(
            a.settings, b.settings,
            ignoring: RunIdentity.mergeIgnoredKeys(version: a.version, allowMixedPrecision: allowMixedPrecision))
    }

    static let version1MergeAdvice =
        "it identifies the model and grid by path and merges only with other format-1 files; "
        + "rerun its shard with this version to merge it with format-2 files"

    /// Merges the results files of one run (typically its shards), wherever they ran: paths may
    /// differ, content digests may not (see `RunIdentity`).
    /// - Parameter allowMixedPrecision: merge shards that differ only in precision (fp32 / bf16)
    ///   or backend (fp32 on OpenBLAS / oneDNN), saying so in `notes` and recording every
    ///   precision and backend in `settings`.
    /// - Throws: `mergeMismatch` naming the differing settings, `mixedPrecision` when only the
    ///   precision or backend differs, `duplicateImage` when an image is in two files,
    ///   `badResultsFile` for a file without a header.
    public static func merge(_ files: [ResultFile], allowMixedPrecision: Bool = false) throws -> ResultSet {
        guard let first = files.first else { throw EvaluationError.invalidSelection("no results files given") }
        var names = Set<String>()
        for f in files where !names.insert(URL(fileURLWithPath: f.file).standardizedFileURL.path).inserted {
            throw EvaluationError.invalidSelection("\(f.file) is given twice")
        }
        var notes: [String] = []
        var images: [ImageRecord] = []
        var seen: [String: (file: String, line: Int)] = [:]
        var shards: [String] = []
        var firstHeader: ResultHeader? = nil
        var filesByPrecision: [String: [String]] = [:]
        var filesByBackend: [String: [String]] = [:]
        for f in files {
            guard let h = f.header else {
                throw Self.noHeader(f)
            }
            if let base = firstHeader {
                if base.version != h.version {
                    let (old, version) = base.version < h.version ? (first.file, base.version) : (f.file, h.version)
                    throw EvaluationError.oldResultsFormat(
                        file: old, version: version, reason: Self.version1MergeAdvice)
                }
                let d = differences(base, h, allowMixedPrecision: allowMixedPrecision)
                guard d.isEmpty else {
                    if d.allSatisfy({ RunIdentity.precisionKeys.contains($0.key) }),
                        let p = d.first(where: { $0.key == "precision" }) ?? d.first
                    {
                        throw EvaluationError.mixedPrecision(
                            first: first.file, second: f.file, setting: p.key, firstValue: p.old, secondValue: p.new)
                    }
                    throw EvaluationError.mergeMismatch(first: first.file, second: f.file, differences: d)
                }
            } else {
                firstHeader = h
            }
            if let p = h.settings["precision"] { filesByPrecision[p, default: []].append(f.file) }
            if let b = h.settings["backend"] { filesByBackend[b, default: []].append(f.file) }
            if let torn = f.tornTail { notes.append("\(f.file): \(torn); ignored") }
            shards.append(h.settings["shard"] ?? "all")
            for r in f.images {
                if let prior = seen[r.value.id] {
                    throw EvaluationError.duplicateImage(
                        id: r.value.id, first: prior.file, firstLine: prior.line,
                        second: f.file, secondLine: r.line)
                }
                seen[r.value.id] = (f.file, r.line)
                images.append(r.value)
            }
        }
        var settings = firstHeader?.settings ?? [:]
        // Shards merged across precisions, or across fp32 libraries (one precision, two backends),
        // record every one in the settings: the first file's alone would misname the run.
        if filesByPrecision.count > 1 || filesByBackend.count > 1 {
            let (what, byValue) =
                filesByPrecision.count > 1 ? ("precisions", filesByPrecision) : ("backends", filesByBackend)
            if filesByPrecision.count > 1 {
                settings["precision"] = filesByPrecision.keys.sorted().joined(separator: "+")
            }
            if !filesByBackend.isEmpty { settings["backend"] = filesByBackend.keys.sorted().joined(separator: "+") }
            notes.append(
                "merged shards computed in different \(what) (--allow-mixed-precision): "
                    + byValue.keys.sorted().map { "\($0): \(byValue[$0, default: []].joined(separator: ", "))" }
                    .joined(separator: "; "))
        }
        if files.count > 1 {
            settings["shard"] = shards.joined(separator: "+")
            notes += Shard.coverageNotes(files: files.map(\.file), shards: shards, partial: "the summary is partial")
        }
        let done = Set(images.map(\.id))
        var skipped: [SkippedRecord] = []
        var skippedSeen = Set<String>()
        for f in files {
            for s in f.unresolvedSkipped where !done.contains(s.id) && skippedSeen.insert(s.id).inserted {
                skipped.append(s)
            }
        }
        if let expected = settings["dataset_items"].flatMap(Int.init), files.count > 1 || settings["shard"] == "all" {
            let covered = images.count + skipped.count
            if covered < expected { notes.append("\(covered) of the dataset's \(expected) items are in these results") }
        }
        return ResultSet(files: files.map(\.file), settings: settings, images: images, skipped: skipped, notes: notes)
    }

    /// A file without a header: empty, or its only line is not one (another file, or an eval
    /// stopped while writing it).
    static func noHeader(_ f: ResultFile) -> EvaluationError {
        let message =
            f.tornTail == nil
            ? "no header line (empty file?)"
            : "not a keypoints eval results file (its first line is no header: written by something else, or by an eval stopped while writing it)"
        return .badResultsFile(file: f.file, line: 1, message: message)
    }

    /// Groups files by run (`RunIdentity`), in order of first appearance, and merges each group:
    /// for comparing methods side by side.
    public static func mergeByRun(_ files: [ResultFile], allowMixedPrecision: Bool = false) throws -> [ResultSet] {
        var groups: [[ResultFile]] = []
        for f in files {
            guard let h = f.header else {
                throw Self.noHeader(f)
            }
            if let i = groups.firstIndex(where: { g in
                g[0].header.map { differences($0, h, allowMixedPrecision: allowMixedPrecision).isEmpty } ?? false
            }) {
                groups[i].append(f)
            } else {
                groups.append([f])
            }
        }
        return try groups.map { try merge($0, allowMixedPrecision: allowMixedPrecision) }
    }

    /// The summary at `alpha`.
    public func report(alpha: Double) -> PCKReport {
        PCKReport.compute(records: images, skipped: skipped, settings: settings, alpha: alpha)
    }
}
