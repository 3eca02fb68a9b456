import KeypointsSupport

/// Everything that can go wrong while reading a dataset, running an evaluation or reading results.
///
/// Messages name the file, the line (text files) or field path (JSON files), and what was
/// expected against what was found.
public enum EvaluationError: RawMessageError, Equatable, Sendable {
    /// A file could not be read (missing, unreadable, not UTF-8).
    case unreadable(file: String, reason: String)
    /// A row of a whitespace-separated text file is malformed (`line` is 1-based).
    case malformedRow(file: String, line: Int, message: String)
    /// A JSON field is missing or invalid (`field` is a path such as `annotations[3].bbox`).
    case malformedField(file: String, field: String, message: String)
    /// Two files that must describe the same images disagree on their number of rows or ids.
    case rowCountMismatch(file: String, count: Int, reference: String, expected: Int, detail: String)
    /// A category that the data or the user named does not exist; `known` lists (some of) the known ones.
    case unknownCategory(file: String, line: Int?, name: String, known: [String])
    /// A vocabulary (`file`, whose categories are `categories`) that names none of the dataset's
    /// categories (`needed`): its keypoint ids would name another dataset's parts.
    case vocabularyMismatch(file: String, categories: [String], dataset: String, needed: [String])
    /// A vocabulary whose `name` is another dataset's (keypoints/spair.json for CUB): its ids
    /// are that dataset's, even where a category name (bird) matches.
    case vocabularyOfAnotherDataset(file: String, name: String, dataset: String, defaultVocabulary: String?)
    /// An image path that is absolute or climbs out of the dataset root with `..`.
    case pathEscapesRoot(file: String, line: Int?, path: String)
    /// A dataset, split or option combination that cannot be evaluated.
    case invalidSelection(String)
    /// A results file (JSON lines) is not one this tool wrote, or is corrupt before its last line.
    case badResultsFile(file: String, line: Int, message: String)
    /// Resuming into a results file written with other settings.
    case settingsMismatch(file: String, differences: [SettingDifference])
    /// Results files that cannot be merged (different settings).
    case mergeMismatch(first: String, second: String, differences: [SettingDifference])
    /// `localize --out` files that are not shards of one run (settings other than
    /// `LocalizationResults.informationKeys` differ).
    case localizationMergeMismatch(first: String, second: String, differences: [SettingDifference])
    /// Results files of one run computed in different precisions, or in fp32 on different
    /// libraries (`setting` "precision" or "backend"), merged without being allowed to.
    case mixedPrecision(first: String, second: String, setting: String, firstValue: String, secondValue: String)
    /// A results file in a format this version reads but does not resume.
    case oldResultsFormat(file: String, version: Int, reason: String)
    /// The same image appears twice among the merged results.
    case duplicateImage(id: String, first: String, firstLine: Int, second: String, secondLine: Int)
    /// A predictor returned something that breaks the `KeypointPredictor` contract.
    case predictorContract(method: String, imageID: String, message: String)
    /// Writing results failed.
    case writeFailed(file: String, reason: String)
    /// Another process holds the results file.
    case locked(file: String)
    /// A bootstrap setting out of its range (`BootstrapSettings`): `setting` is what the value
    /// sets, `expected` the range it must be in.
    case bootstrapSetting(setting: BootstrapSettings.Setting, value: String, expected: String)

    /// The message, its outside text (paths, keys, names) as it is (`RawMessageError`).
    public var rawMessage: String {
        switch self {
        case .unreadable(let file, let reason):
            return "\(file): cannot read: \(reason)"
        case .malformedRow(let file, let line, let message):
            return "\(file) line \(line): \(message)"
        case .malformedField(let file, let field, let message):
            return "\(file): \(field): \(message)"
        case .rowCountMismatch(let file, let count, let reference, let expected, let detail):
            return "\(file): \(count) rows, but \(reference) has \(expected): \(detail)"
        case .unknownCategory(let file, let line, let name, let known):
            let at = line.map { " line \($0)" } ?? ""
            let list =
                known.count > 12
                ? known.prefix(12).joined(separator: ", ") + ", ... (\(known.count) in all)"
                : known.joined(separator: ", ")
            return "\(file)\(at): unknown category \"\(name)\" (known: \(list.isEmpty ? "none" : list))"
        case .vocabularyMismatch(let file, let categories, let dataset, let needed):
            let wanted = needed.count == 1 ? "a \"\(needed[0])\" category" : "one of these categories"
            return "\(file): the vocabulary's categories (\(categories.joined(separator: ", "))) include none of "
                + "the \(dataset) dataset's (\(needed.joined(separator: ", "))), so its keypoint ids would name "
                + "other parts; give a vocabulary with \(wanted) (the default is keypoints/\(dataset).json)"
        case .vocabularyOfAnotherDataset(let file, let name, let dataset, let defaultVocabulary):
            return "\(file): this is the \(name) vocabulary (\"name\": \"\(name)\"), whose keypoint ids are "
                + "\(name)'s, not \(dataset)'s; give a \(dataset) vocabulary"
                + (defaultVocabulary.map { " (the default is keypoints/\($0))" } ?? " (or none: the file's own names)")
        case .pathEscapesRoot(let file, let line, let path):
            let at = line.map { " line \($0)" } ?? ""
            return "\(file)\(at): image path \"\(path)\" is absolute or leaves the dataset root with \"..\"; refused"
        case .invalidSelection(let message):
            return message
        case .badResultsFile(let file, let line, let message):
            return "\(file) line \(line): \(message)"
        case .settingsMismatch(let file, let differences):
            let list = differences.map { "\($0.key): the file has \($0.old), this run has \($0.new)" }
            return "\(file) was written with other settings (\(list.joined(separator: "; "))); "
                + "use another --out, or rerun with the file's settings to resume it"
        case .mergeMismatch(let first, let second, let differences):
            let list = differences.map { "\($0.key): \($0.old) vs \($0.new)" }
            return "\(first) and \(second) come from different runs (\(list.joined(separator: "; "))); "
                + "give --compare to report them side by side"
        case .localizationMergeMismatch(let first, let second, let differences):
            let list = differences.map { "\($0.key): \($0.old) vs \($0.new)" }
            return "\(first) and \(second) come from different localize runs (\(list.joined(separator: "; "))); "
                + "give the files of one run (its shards), or report each run on its own"
        case .mixedPrecision(let first, let second, let setting, let a, let b):
            let why =
                setting == "precision"
                ? "fp32 and bf16 agree on most argmaxes, not all"
                : "the libraries sum in different orders, so near-tie argmaxes may differ"
            return
                "\(first) and \(second) differ only in \(setting) (\(a) vs \(b)); \(why): "
                + "give --allow-mixed-precision to merge them anyway, or pin eval --\(setting)"
        case .oldResultsFormat(let file, let version, let reason):
            return "\(file) is results format \(version), written by an older keypoints: \(reason)"
        case .duplicateImage(let id, let first, let firstLine, let second, let secondLine):
            let message = "image \(id) appears twice: \(first) line \(firstLine) and \(second) line \(secondLine)"
            // Two files of one run (same settings) are merged as its shards.
            return first == second
                ? message
                : message
                    + " (same settings, so merged as shards of one run: give a run's shards or the whole run, not both)"
        case .predictorContract(let method, let imageID, let message):
            return "predictor \(method) on image \(imageID): \(message)"
        case .writeFailed(let file, let reason):
            return "\(file): cannot write: \(reason)"
        case .locked(let file):
            return "\(file) is being written by another keypoints process (eval or localize with this --out)"
        case .bootstrapSetting(let setting, let value, let expected):
            return "bootstrap \(setting.rawValue) \(value): expected \(expected)"
        }
    }
}

/// One setting that differs between two runs; "(absent)" stands for a missing key.
public struct SettingDifference: Sendable, Equatable {
    public var key: String
    public var old: String
    public var new: String
    public init(key: String, old: String, new: String) {
        self.key = key
        self.old = old
        self.new = new
    }

    /// Keys whose values differ between `a` and `b`, sorted, ignoring `ignoring`.
    public static func between(
        _ a: [String: String], _ b: [String: String],
        ignoring: Set<String> = []
    ) -> [SettingDifference] {
        let keys = Set(a.keys).union(b.keys).subtracting(ignoring).sorted()
        return keys.compactMap { k in
            let x = a[k]
            let y = b[k]
            return x == y ? nil : SettingDifference(key: k, old: x ?? "(absent)", new: y ?? "(absent)")
        }
    }
}
