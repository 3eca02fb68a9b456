import Foundation

#if canImport(Glibc)
    import Glibc
#endif

extension KeypointsExecutable {
    /// A finished run with its resources: the child's own peak resident memory (the high-water
    /// mark of the executable's address space, polled from /proc; see `peakResident(of:)`),
    /// CPU time and wall time.
    public struct MeasuredResult: Sendable {
        public let status: Int32
        public let stdout: String
        public let stderr: String
        /// Peak resident set of the child, bytes.
        public let peakResidentBytes: Int
        public let seconds: Double
        /// User plus system CPU time of the child: unlike wall time, not stretched by other
        /// processes competing for the cores.
        public let cpuSeconds: Double
        /// True when the child was killed for running past the time limit.
        public let timedOut: Bool
        public var peakResidentMB: Double { Double(peakResidentBytes) / 1_048_576 }
    }

    /// Runs the executable with stdout and stderr sent to temporary files, killing it after
    /// `timeLimit` seconds (a hang is a result, not a stuck test).
    public static func runMeasured(_ arguments: [String], cwd: URL? = nil, timeLimit: Double = 20) throws
        -> MeasuredResult
    {
        let dir = try tempDirectory(prefix: "kp-measured")
        defer { try? FileManager.default.removeItem(at: dir) }
        let outPath = dir.appendingPathComponent("stdout").path
        let errPath = dir.appendingPathComponent("stderr").path
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, outPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_addopen(&actions, 2, errPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        // env -C changes directory and then execs the executable in the same process, so the
        // rusage is the executable's (Glibc's posix_spawn_file_actions_addchdir_np is not
        // visible to Swift).
        let argv = ["/usr/bin/env"] + (cwd.map { ["-C", $0.path] } ?? []) + [url.path] + arguments
        var cArgs: [UnsafeMutablePointer<CChar>?] = argv.map { strdup($0) } + [nil]
        defer { for p in cArgs { free(p) } }
        var pid: pid_t = 0
        // Monotonic: a wall-clock step (NTP) must neither end a healthy run early nor stretch it.
        let started = ContinuousClock.now
        let rc = posix_spawn(&pid, "/usr/bin/env", &actions, nil, &cArgs, environ)
        guard rc == 0 else { throw POSIXError(POSIXErrorCode(rawValue: rc) ?? .EIO) }
        var status: Int32 = 0
        var usage = rusage()
        var timedOut = false
        var peakResident = 0
        while true {
            peakResident = max(peakResident, Self.peakResident(of: pid))
            let r = wait4(pid, &status, WNOHANG, &usage)
            if r == pid { break }
            if r < 0 && errno != EINTR { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
            if !timedOut && Self.seconds(since: started) > timeLimit {
                kill(pid, SIGKILL)
                timedOut = true
            }
            usleep(5_000)
        }
        let seconds = Self.seconds(since: started)
        func value(_ t: timeval) -> Double { Double(t.tv_sec) + Double(t.tv_usec) / 1e6 }
        let cpuSeconds = value(usage.ru_utime) + value(usage.ru_stime)
        // WIFEXITED / WEXITSTATUS: exit code in bits 8-15 when the low 7 bits are zero.
        let exitStatus: Int32 = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
        func text(_ path: String) -> String {
            String(decoding: FileManager.default.contents(atPath: path) ?? Data(), as: UTF8.self)
        }
        return MeasuredResult(
            status: exitStatus, stdout: text(outPath), stderr: text(errPath),
            peakResidentBytes: peakResident, seconds: seconds,
            cpuSeconds: cpuSeconds, timedOut: timedOut)
    }

    /// Seconds elapsed on the monotonic clock since `start`.
    static func seconds(since start: ContinuousClock.Instant) -> Double {
        let elapsed = start.duration(to: .now).components
        return Double(elapsed.seconds) + Double(elapsed.attoseconds) / 1e18
    }

    /// VmHWM of a running process, bytes (0 once it has exited or if unreadable).
    ///
    /// Not wait4's ru_maxrss: posix_spawn starts the child with vfork semantics, sharing this
    /// test process's address space until exec, and Linux carries that address space's
    /// high-water mark into the child's maxrss at exec — so ru_maxrss reports the (large) test
    /// process instead of the executable. VmHWM belongs to the address space exec created.
    /// Polled every few milliseconds; being a high-water mark, it misses at most the growth of
    /// the child's last poll interval.
    static func peakResident(of pid: pid_t) -> Int {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return 0 }
        for line in status.split(separator: "\n") where line.hasPrefix("VmHWM:") {
            let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            if fields.count >= 2, let kB = Int(fields[1]) { return kB * 1024 }
        }
        return 0
    }
}
