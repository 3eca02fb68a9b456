import Foundation

#if canImport(Glibc)
    import Glibc
#endif

// libFuzzer entry points. Built with -sanitize=fuzzer,address (Fuzz/run.sh), libFuzzer's own
// main is replaced by `FuzzMain.main`, which hands control to libFuzzer's driver with the
// target chosen by KEYPOINTS_FUZZ_TARGET.

@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<CInt>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt
) -> CInt

/// The parser under test and its scratch folder (inputs that must be files are written there).
enum FuzzState {
    nonisolated(unsafe) static var target: FuzzTarget = .image
    nonisolated(unsafe) static var scratch = URL(fileURLWithPath: "/tmp")
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTestOneInput(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    let data = start.map { Data(bytes: $0, count: count) } ?? Data()
    FuzzState.target.run(data, scratch: FuzzState.scratch)
    return 0
}

@main struct FuzzMain {
    static func main() {
        let names = FuzzTarget.allCases.map(\.rawValue).joined(separator: ", ")
        guard let name = ProcessInfo.processInfo.environment["KEYPOINTS_FUZZ_TARGET"],
            let target = FuzzTarget(rawValue: name)
        else {
            FileHandle.standardError.write(Data("set KEYPOINTS_FUZZ_TARGET to one of: \(names)\n".utf8))
            exit(2)
        }
        FuzzState.target = target
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent(
            "keypoints-fuzz-\(name)-\(getpid())")
        try? FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        FuzzState.scratch = scratch
        var argc = CommandLine.argc
        var argv = CommandLine.unsafeArgv
        let status = LLVMFuzzerRunDriver(&argc, &argv, fuzzTestOneInput)
        try? FileManager.default.removeItem(at: scratch)
        exit(status)
    }
}
