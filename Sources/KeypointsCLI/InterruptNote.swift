import Dispatch
import Foundation

/// Ctrl-C during `eval --out` or `localize --out`: says how many images (photos) the results file holds and that rerunning
/// the same command resumes, then exits 130 (the shell's code for SIGINT). Every image record is
/// appended and fsync'ed on its own, so stopping between or during images loses at most the
/// image in progress (a torn last line is redone on resume).
final class InterruptNote: @unchecked Sendable {
    private let source: DispatchSourceSignal

    /// - Parameter items: how the message names what the file holds ("image", "photo").
    init(resultsFile: String, items: String = "image") {
        signal(SIGINT, SIG_IGN)
        source = DispatchSource.makeSignalSource(signal: SIGINT, queue: .global())
        source.setEventHandler {
            let url = DataFiles.fileURL(resultsFile)
            let text = (try? String(contentsOf: url, encoding: .utf8)) ?? ""
            let saved = text.split(separator: "\n").filter {
                $0.contains("\"type\":\"image\"") || $0.contains("\"type\":\"skipped\"")
            }.count
            FileHandle.standardError.write(
                Data(
                    "\ninterrupted: \(resultsFile) holds \(saved) finished \(items)(s); run the same command again to resume\n"
                        .utf8))
            exit(130)
        }
        source.resume()
    }

    /// Restores the default Ctrl-C behaviour.
    func cancel() {
        source.cancel()
        signal(SIGINT, SIG_DFL)
    }
}
