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
