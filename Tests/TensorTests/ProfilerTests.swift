import Testing

@testable import Tensor

/// The bookkeeping of `Profiler` and `OperationProfile` (no timing is asserted: recorded
/// seconds are given, not measured).
@Suite struct ProfilerTests {
    @Test func recordsOutsideACompositeAsGiven() {
        let profiler = Profiler()
        profiler.record(.layerNorm, seconds: 2)
        profiler.record(.linearProducts, seconds: 3, flops: 6e9)
        profiler.record(.linearProducts, seconds: 1, flops: 2e9)
        let totals = profiler.totals
        #expect(totals.seconds[.layerNorm] == 2)
        #expect(totals.seconds[.linearProducts] == 4)
        #expect(totals.flops[.linearProducts] == 8e9)
        profiler.reset()
        #expect(profiler.totals.seconds.isEmpty)
    }

    /// Parts report thread time; when they add up to more than the composite's wall time (here
    /// 3000 s reported inside a call that takes microseconds), they are scaled down to share it,
    /// in proportion, and nothing is left for the remainder.
    @Test func compositeSharesItsWallTimeAmongItsParts() {
        let profiler = Profiler()
        profiler.measureComposite(remainder: .attentionProducts) {
            profiler.record(.softmax, seconds: 1000)
            profiler.record(.attentionProducts, seconds: 2000, flops: 5)
            // A nested composite is part of the outer one.
            profiler.measureComposite(remainder: .other) { profiler.record(.conversions, seconds: 0) }
        }
        let totals = profiler.totals
        let softmax = totals.seconds[.softmax] ?? 0
        let products = totals.seconds[.attentionProducts] ?? 0
        #expect(softmax > 0 && softmax < 1, "scaled to the wall time: \(softmax)")
        #expect(abs(products / softmax - 2) < 1e-9)
        #expect(totals.seconds[.other] == nil)
        #expect(totals.flops[.attentionProducts] == 5)
    }

    @Test func profileSharesSumToOneWithTheRestAsOther() {
        var totals = Profiler.Totals()
        totals.seconds = [.linearProducts: 6, .softmax: 1, .layerNorm: 1]
        totals.flops = [.linearProducts: 12e9]
        let profile = OperationProfile(totals: totals, totalSeconds: 10, items: 5)
        #expect(profile.operations.map(\.operation) == Profiler.Operation.allCases)
        #expect(profile.secondsPerItem == 2)
        #expect(abs(profile.operations.reduce(0) { $0 + $1.share } - 1) < 1e-12)
        let byOperation = Dictionary(uniqueKeysWithValues: profile.operations.map { ($0.operation, $0) })
        #expect(byOperation[.other]?.share == 0.2)
        #expect(byOperation[.linearProducts]?.gflops == 2)
        #expect(byOperation[.softmax]?.gflops == nil)
        #expect(byOperation[.activation]?.secondsPerItem == 0)
    }
}
