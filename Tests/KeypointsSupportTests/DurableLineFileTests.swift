import Foundation
import KeypointsSupport
import Testing

@Suite struct DurableLineFileTests {
    private func temporaryFile() throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("durable-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir.appendingPathComponent("log.jsonl")
    }

    @Test func appendsWholeLinesAndCreatesTheFile() throws {
        let url = try temporaryFile()
        let file = try DurableLineFile.open(url)
        try file.append(line: Data("{\"a\":1}".utf8))
        try file.append(line: Data("{\"b\":2}".utf8))
        file.close()
        #expect(try String(contentsOf: url, encoding: .utf8) == "{\"a\":1}\n{\"b\":2}\n")
    }

    @Test func appendsAfterExistingContentAndTruncatesATornTail() throws {
        let url = try temporaryFile()
        try Data("first\nsecond\ntorn".utf8).write(to: url)
        let file = try DurableLineFile.open(url)
        try file.truncate(toLength: 13)  // "first\nsecond\n"
        try file.append(line: Data("third".utf8))
        file.close()
        #expect(try String(contentsOf: url, encoding: .utf8) == "first\nsecond\nthird\n")
    }

    @Test func lengthIsTheFilesBytesNow() throws {
        let url = try temporaryFile()
        let file = try DurableLineFile.open(url)
        #expect(try file.length() == 0)
        try file.append(line: Data("{\"a\":1}".utf8))
        #expect(try file.length() == 8)
        try Data("written by another process\n".utf8).write(to: url)
        #expect(try file.length() == 27)
        file.close()
    }

    @Test func aSecondOpenWhileLockedIsRefused() throws {
        let url = try temporaryFile()
        let first = try DurableLineFile.open(url)
        #expect(throws: DurableLineFile.Failure.locked) { _ = try DurableLineFile.open(url) }
        first.close()
        // Released on close: the next open takes the lock.
        let second = try DurableLineFile.open(url)
        second.close()
    }

    @Test func aLockReleasedWhileWaitingIsTaken() throws {
        let url = try temporaryFile()
        let first = try DurableLineFile.open(url)
        // Released 50 ms into the second open's wait, as a spawned child's borrowed copy of the
        // lock is (DurableLineFile.lockWait): the second open takes it instead of refusing.
        let release = DispatchWorkItem { first.close() }
        DispatchQueue.global().asyncAfter(deadline: .now() + 0.05, execute: release)
        let second = try DurableLineFile.open(url, lockWait: 30)
        release.wait()
        try second.append(line: Data("x".utf8))
        second.close()
        #expect(try String(contentsOf: url, encoding: .utf8) == "x\n")
    }

    @Test func aLockTakenByAChildBeingStartedDoesNotRefuseTheNextOpen() throws {
        // While another thread starts child processes, each child holds a copy of the lock until
        // it calls exec; closing and reopening must still succeed every time. The children are
        // started once the cycles have begun, and the cycles go on until the last child has
        // ended: a test held up before its first cycle once saw the 40 children come and go
        // without it and ran none ("cycles > 0" failed).
        let url = try temporaryFile()
        let cyclesBegun = DispatchSemaphore(value: 0)
        nonisolated(unsafe) var started = 0
        let spawning = DispatchGroup()
        DispatchQueue.global().async(group: spawning) {
            cyclesBegun.wait()
            for _ in 0..<40 {
                let p = Process()
                p.executableURL = URL(fileURLWithPath: "/bin/true")
                guard (try? p.run()) != nil else { return }
                started += 1
                p.waitUntilExit()
            }
        }
        var cycles = 0
        repeat {
            if cycles == 0 { cyclesBegun.signal() }
            let file = try DurableLineFile.open(url)
            file.close()
            cycles += 1
        } while spawning.wait(timeout: .now()) == .timedOut
        // The checks: no `open` above threw `.locked`, and every child started during the cycles.
        #expect(started == 40, "children started: \(started)")
    }

    @Test func aMissingFolderIsAFailureWithTheSystemsReason() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("no-such-\(UUID().uuidString)/x")
        do {
            _ = try DurableLineFile.open(url)
            Issue.record("opened a file in a missing folder")
        } catch {
            #expect(error == .failed("No such file or directory"))
            #expect(error.reason == "No such file or directory")
        }
    }

    /// Gates halted by the tests below stay locked for good: kept alive here, never destroyed
    /// while locked.
    nonisolated(unsafe) static var haltedGates: [DurableLineFile.AppendGate] = []

    /// Ctrl-C's `haltAppends`: it waits for the append in progress and then holds every later one
    /// back, but gives up after its timeout (an fsync that never returns must not keep Ctrl-C from
    /// ending the process) and says so. A gate of its own, so the process's appends are untouched.
    @Test func haltWaitsForTheAppendInProgressAndGivesUpAfterItsTimeout() throws {
        let gate = DurableLineFile.AppendGate()
        Self.haltedGates.append(gate)
        let entered = DispatchSemaphore(value: 0)
        let release = DispatchSemaphore(value: 0)
        let appended = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            gate.during {
                _ = entered.signal()
                release.wait()
            }
            appended.signal()
        }
        entered.wait()
        #expect(!gate.halt(timeout: 0.05), "halted while an append was under way")
        release.signal()
        appended.wait()
        #expect(gate.halt(timeout: 30))
        // A later append waits for good: it has not run after a second (it would, at once, on a
        // gate that was not taken).
        let late = DispatchSemaphore(value: 0)
        Thread.detachNewThread { gate.during { _ = late.signal() } }
        #expect(late.wait(timeout: .now() + 1) == .timedOut)
    }
}
