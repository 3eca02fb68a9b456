import Foundation
import KeypointsSupport
import Synchronization
import Testing

@testable import Tensor

/// OpenBLAS's thread count is process-wide: these tests set it, so they run one at a time.
@Suite(.serialized) struct BLASThreadTests {
    @Test func blasReportsACoreAndThreads() throws {
        let info = try BLAS.info()
        #expect(!info.core.isEmpty)
        #expect(info.threads >= 1)
        try BLAS.setThreads(1)
        #expect(BLAS.threads == 1)
        try BLAS.setThreads(2)
    }

    /// Threads entering and leaving `singleThreaded` at random moments, some nested: every body
    /// sees OpenBLAS on one thread, and the count set outside is what is left when all are done.
    @Test func concurrentSingleThreadedRegionsRestoreTheCount() throws {
        try BLAS.setThreads(2)
        // Other suites' attention may hold regions open meanwhile: read the count outside them.
        let before = BLAS.threadState().threadsOutsideRegions
        try #require(before == 2, "this OpenBLAS cannot run 2 threads, so the test cannot see a race")
        let threadCount = 8
        let iterations = 300
        let bodiesOnMoreThreads = Count()
        let finished = DispatchGroup()
        for seed in 0..<threadCount {
            finished.enter()
            let thread = Thread {
                var rng = SplitMix64(seed: UInt64(seed) + 1)
                for _ in 0..<iterations {
                    usleep(UInt32(rng.next() % 100))
                    BLAS.singleThreaded {
                        if BLAS.threads != 1 { bodiesOnMoreThreads.value.add(1, ordering: .relaxed) }
                        usleep(UInt32(rng.next() % 200))
                        if BLAS.threads != 1 { bodiesOnMoreThreads.value.add(1, ordering: .relaxed) }
                        if rng.next() % 4 == 0 {
                            BLAS.singleThreaded {
                                if BLAS.threads != 1 { bodiesOnMoreThreads.value.add(1, ordering: .relaxed) }
                            }
                        }
                    }
                }
                finished.leave()
            }
            thread.start()
        }
        finished.wait()
        #expect(bodiesOnMoreThreads.value.load(ordering: .relaxed) == 0, "bodies that ran with OpenBLAS multi-threaded")
        try Self.expectCountOutsideRegions(before)
    }

    /// `setThreads` inside a region leaves the region on one thread and is what the region's
    /// end restores (not the count the region saved when it opened).
    @Test func setThreadsInsideARegionTakesEffectWhenTheLastCloses() throws {
        try BLAS.setThreads(2)
        try BLAS.singleThreaded {
            try BLAS.singleThreaded {
                try BLAS.setThreads(3)
                #expect(BLAS.threads == 1)
            }
            #expect(BLAS.threads == 1)
        }
        try Self.expectCountOutsideRegions(3)
        try BLAS.setThreads(2)
        try Self.expectCountOutsideRegions(2)
    }

    /// OpenBLAS runs `count` threads outside regions, and 1 inside any still open (other
    /// suites' attention).
    static func expectCountOutsideRegions(_ count: Int) throws {
        let state = BLAS.threadState()
        #expect(state.threadsOutsideRegions == count)
        #expect(state.threads == (state.openRegions > 0 ? 1 : count), "\(state)")
    }
}

/// A counter shared by threads.
private final class Count: Sendable {
    let value = Atomic<Int>(0)
}
