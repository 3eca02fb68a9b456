import Testing

@testable import KeypointsSupport

@Suite struct FNV1aTests {
    /// Reference values of the FNV specification (draft-eastlake-fnv, test vectors for FNV-1a 64).
    @Test func knownValues() {
        // FNV-1a 64 of "a" is 0xaf63dc4c8601ec8c (moved from EvaluationTests.RunnerTests).
        #expect(FNV1a.hash64("a") == 0xaf63_dc4c_8601_ec8c)
        #expect(FNV1a.hash64("") == 0xcbf2_9ce4_8422_2325)
        #expect(FNV1a.hash64("foobar") == 0x8594_4171_f739_67e8)
    }
}
