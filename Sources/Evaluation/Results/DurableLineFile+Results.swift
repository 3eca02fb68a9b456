import Foundation
import KeypointsSupport

/// `DurableLineFile` for the results files (`eval --out`, `localize --out`), failing with
/// `EvaluationError`s that name the file.
extension DurableLineFile {
    /// Opens and locks a results file (created if missing).
    static func openResults(_ url: URL) throws -> DurableLineFile {
        do throws(Failure) {
            return try DurableLineFile.open(url)
        } catch .locked {
            throw EvaluationError.locked(file: url.path)
        } catch .failed(let reason) {
            throw EvaluationError.writeFailed(file: url.path, reason: reason)
        }
    }

    /// Opens and locks a results file (created if missing), reads it with `read` once the lock
    /// is held, and cuts a torn last line away (`parsed.tornTail` says what it was).
    static func openResults<Parsed: ParsedResultsFile>(
        _ url: URL, read: (URL) throws -> Parsed
    ) throws -> (file: DurableLineFile, parsed: Parsed) {
        let file = try openResults(url)
        let parsed = try read(url)
        if parsed.tornTail != nil { try file.removeTornTail(keeping: parsed.validLength) }
        return (file, parsed)
    }

    /// Cuts a torn last line away: the file keeps its first `length` bytes.
    func removeTornTail(keeping length: Int) throws {
        do throws(Failure) {
            try truncate(toLength: length)
        } catch {
            throw EvaluationError.writeFailed(file: url.path, reason: "truncating a torn last line: \(error.reason)")
        }
    }

    /// Appends one record, encoded by `encode` as one line of JSON.
    func appendRecord(_ encode: () throws -> Data) throws {
        let data: Data
        do {
            data = try encode()
        } catch {
            throw EvaluationError.writeFailed(file: url.path, reason: "cannot encode record: \(error)")
        }
        do throws(Failure) {
            try append(line: data)
        } catch {
            throw EvaluationError.writeFailed(file: url.path, reason: error.reason)
        }
    }
}

/// A results file opened in two steps, so that a run reads it once, under its lock, before it
/// knows its own settings (they name the model's precision and backend, known once the model is
/// loaded): `open` locks and reads an existing file and cuts a torn last line away; `start`
/// then compares the run's settings with its header, or writes the header of a new file.
struct ResultsFileOpening<Parsed: ParsedResultsFile> {
    let url: URL
    /// What the file held when it was opened; nil when it did not exist.
    let parsed: Parsed?
    /// The locked file; nil until `start` for a file that did not exist.
    private var file: DurableLineFile?

    /// Opens, locks and reads `url` if it exists (`DurableLineFile.openResults(_:read:)`); a
    /// missing file is neither created nor locked yet, so a run that fails before it starts
    /// leaves none behind.
    static func open(_ url: URL, read: (URL) throws -> Parsed) throws -> ResultsFileOpening {
        guard FileManager.default.fileExists(atPath: url.path) else {
            return ResultsFileOpening(url: url, parsed: nil, file: nil)
        }
        let (file, parsed) = try DurableLineFile.openResults(url, read: read)
        return ResultsFileOpening(url: url, parsed: parsed, file: file)
    }

    /// Starts a run with `settings`: a file whose header holds the same settings but for
    /// `ignoring` is resumed (`resumed` is what it held); a file without a header gets the line
    /// `header` encodes. A file that did not exist when opened is created and locked now; one
    /// that another run created and wrote in between is refused as `locked` (this run has not
    /// read it).
    /// - Throws: `settingsMismatch` naming every difference; `locked`, `writeFailed`.
    mutating func start(
        settings: [String: String], ignoring: Set<String>, header: () throws -> Data
    ) throws -> (file: DurableLineFile, resumed: Parsed?) {
        let file = try lockedFile()
        if let parsed, let recorded = parsed.header {
            try recorded.requireResumable(by: settings, ignoring: ignoring, file: url.path)
            return (file, parsed)
        }
        try file.appendRecord(header)
        return (file, nil)
    }

    /// The locked file: the one opened, or for a file that did not exist then, created now.
    private mutating func lockedFile() throws -> DurableLineFile {
        if let file { return file }
        let created = try DurableLineFile.openResults(url)
        let length: Int
        do throws(DurableLineFile.Failure) {
            length = try created.length()
        } catch {
            throw EvaluationError.writeFailed(file: url.path, reason: error.reason)
        }
        guard length == 0 else { throw EvaluationError.locked(file: url.path) }
        file = created
        return created
    }

    /// Releases the lock and closes the file.
    mutating func close() {
        file?.close()
        file = nil
    }
}
