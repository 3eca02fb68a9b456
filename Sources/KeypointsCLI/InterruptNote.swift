import Dispatch
import Foundation
import KeypointsSupport

/// Ctrl-C during `eval --out` or `localize --out`: says how many images (photos) the results
/// file holds and that rerunning the same command resumes, then exits 130 (the shell's code for SIGINT). Every image record is
/// appended and fsync'ed on its own, so stopping between or during images loses at most the
/// image in progress (a torn last line is redone on resume).
final class InterruptNote: @unchecked Sendable {
    private let source: DispatchSourceSignal

    /// - Parameter items: how the message names what the file holds ("image", "photo").
    ///
    /// Returns once the handler is live (or after `registrationWait`, when libdispatch never
    /// registers it: Ctrl-C then keeps its default action): a Ctrl-C from then on is reported,
    /// one before it ends the process as usual. None is ignored in between. (On Linux, libdispatch installs its own
    /// `sigaction` when it registers the source, on its manager thread, some time after `resume()`;
    /// setting SIG_IGN first, as kqueue-based sources need, made a Ctrl-C in that gap vanish and
    /// the run go on to its end: seen in 2 of 50 runs interrupted 1-3 ms after the handler was
    /// created on 2 busy cores.)
    init(resultsFile: String, items: String = "image") {
        #if !os(Linux)
            signal(SIGINT, SIG_IGN)
        #endif
        source = DispatchSource.makeSignalSource(signal: SIGINT, queue: .global())
        let registered = DispatchSemaphore(value: 0)
        source.setRegistrationHandler { registered.signal() }
        source.setEventHandler {
            // An image record being appended now is finished first and no other starts, so the
            // count is what the file holds at exit (counting first and exiting after let a record
            // land between the two: "holds 0" of a file that held 1).
            // If the append does not end (a hung file system), the count is a lower bound.
            let halted = DurableLineFile.haltAppends()
            let saved = Self.countRecords(in: DataFiles.fileURL(resultsFile))
            let text = Self.message(resultsFile, saved: saved, exact: halted, items: items)
            FileHandle.standardError.write(Data(text.utf8))
            exit(130)
        }
        source.resume()
        // Bounded: a source libdispatch fails to register (no file descriptor left for its
        // signalfd) never calls the handler, and the run must not hang on it; Ctrl-C then keeps
        // its default action.
        _ = registered.wait(timeout: .now() + Self.registrationWait)
    }

    /// What Ctrl-C prints: the results file, how many records it holds ("at least" when an append
    /// was still under way after `DurableLineFile.haltWait`), and that rerunning resumes.
    static func message(_ resultsFile: String, saved: Int, exact: Bool, items: String) -> String {
        "\ninterrupted: \(resultsFile.displaySafe) holds \(exact ? "" : "at least ")\(saved) finished \(items)(s); "
            + "run the same command again to resume\n"
    }

    /// Seconds `init` waits for the signal source's registration (milliseconds, normally).
    static let registrationWait = 10.0

    /// The complete image and skipped lines of a results file, read 1 MiB at a time (a results
    /// file may hold gigabytes; only the line being scanned is kept).
    static func countRecords(in url: URL) -> Int {
        guard let handle = try? FileHandle(forReadingFrom: url) else { return 0 }
        defer { try? handle.close() }
        let markers = [Array(#""type":"image""#.utf8), Array(#""type":"skipped""#.utf8)]
        var count = 0
        var line: [UInt8] = []
        while let chunk = try? handle.read(upToCount: 1 << 20), !chunk.isEmpty {
            for byte in chunk {
                guard byte == 0x0A else {
                    line.append(byte)
                    continue
                }
                if markers.contains(where: { line.firstRange(of: $0) != nil }) { count += 1 }
                line.removeAll(keepingCapacity: true)
            }
        }
        return count
    }

    /// Restores the default Ctrl-C behaviour.
    func cancel() {
        source.cancel()
        signal(SIGINT, SIG_DFL)
    }
}
