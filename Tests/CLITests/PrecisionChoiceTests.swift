import Testing

@testable import KeypointsCLI

/// Which precision a command computes in, for every CPU kind (the bf16 CPUs cannot be simulated
/// through the executable, so the rule is tested as a function).
@Suite struct PrecisionChoiceTests {
    @Test func explicitPrecisionWins() {
        for units in [false, true] {
            for library in [nil, FP32Library.openblas, .onednn] {
                #expect(Precision.requested(.fp32, library: library, bf16Units: units) == .fp32)
                #expect(Precision.requested(.bf16, library: library, bf16Units: units) == .bf16)
            }
        }
    }

    /// Without --precision: bf16 where the CPU has bf16 units, fp32 elsewhere, except that
    /// --backend openblas (fp32 only) means fp32 everywhere rather than being ignored.
    @Test func defaultFollowsTheCPUUnlessOpenBLASIsAsked() {
        #expect(Precision.requested(nil, library: nil, bf16Units: true) == .bf16)
        #expect(Precision.requested(nil, library: .onednn, bf16Units: true) == .bf16)
        #expect(Precision.requested(nil, library: .openblas, bf16Units: true) == .fp32)
        for library in [nil, FP32Library.openblas, .onednn] {
            #expect(Precision.requested(nil, library: library, bf16Units: false) == .fp32)
        }
    }
}
