import Testing

@testable import KeypointsSupport

@Suite struct SplitMix64Tests {
    /// Reference outputs from a Python transcription of Vigna's splitmix64.c:
    /// ```
    /// M = (1 << 64) - 1
    /// def sm(seed, n):
    ///     s = seed; out = []
    ///     for _ in range(n):
    ///         s = (s + 0x9E3779B97F4A7C15) & M; z = s
    ///         z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M
    ///         z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M
    ///         out.append(z ^ (z >> 31))
    ///     return out
    /// sm(1234567, 5); sm(0, 3)
    /// ```
    @Test func splitMix64MatchesTheReference() {
        var a = SplitMix64(seed: 1_234_567)
        #expect(
            (0..<5).map { _ in a.next() } == [
                6_457_827_717_110_365_317, 3_203_168_211_198_807_973, 9_817_491_932_198_370_423,
                4_593_380_528_125_082_431, 16_408_922_859_458_223_821,
            ])
        var b = SplitMix64(seed: 0)
        #expect((0..<3).map { _ in b.next() } == [0xE220_A839_7B1D_CDAF, 0x6E78_9E6A_A1B9_65F4, 0x06C4_5D18_8009_454F])
    }

    @Test func unitDoublesAreInRange() {
        var r = SplitMix64(seed: 42)
        for _ in 0..<1000 {
            let u = r.nextUnit()
            #expect(u >= 0 && u < 1)
            let l = r.logUniform(0.04, 0.15)
            #expect(l >= 0.04 && l < 0.15 + 1e-15)
        }
    }

    /// `mix` is the output function alone: the first output for seed s is mix(s + increment).
    @Test func mixIsTheOutputFunction() {
        var r = SplitMix64(seed: 77)
        #expect(r.next() == SplitMix64.mix(77 &+ SplitMix64.increment))
        #expect(r.state == 77 &+ SplitMix64.increment)
    }

    /// Two generators with the same seed give the same stream; integers stay in their range.
    @Test func sameSeedSameStream() {
        var a = SplitMix64(seed: 9)
        var b = SplitMix64(seed: 9)
        for _ in 0..<100 {
            let i = a.integer(in: -3...4)
            #expect(i == b.integer(in: -3...4))
            #expect((-3...4).contains(i))
        }
    }
}
