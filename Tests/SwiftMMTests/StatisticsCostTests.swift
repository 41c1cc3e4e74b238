import Foundation
import Testing

/// The statistics' peak-in-use figure is sampled by walking every page descriptor of every heap. These tests
/// pin down that the walk is spaced by the heap's growth, so that what it costs per allocation does not grow
/// with the heap. Instructions are counted with callgrind, which gives the same count on every run.
@Suite("Statistics cost")
struct StatisticsCostTests {
    /// Instructions callgrind counts in `large_block_pairs` of smm-check-growth, run with libswiftmm.so preloaded.
    private func instructionsOfLargePairs(smallMiB: Int, pairs: Int) throws -> Double {
        let result = try ChildProcess.run(
            ["valgrind", "--tool=callgrind", "--toggle-collect=large_block_pairs", "--callgrind-out-file=/dev/null",
             try BuildProducts.program("smm-check-growth"), String(smallMiB), String(pairs)],
            preload: false, environment: ["LD_PRELOAD": try BuildProducts.library])
        guard result.status == 0 else {
            throw TestFailure("callgrind of smm-check-growth failed (\(result.status)): \(result.standardError)")
        }
        let line = try #require(result.standardError.split(separator: "\n").first { $0.contains("Collected :") },
                                "no instruction count in callgrind's output: \(result.standardError)")
        return try #require(Double(line.split(separator: " ").last ?? ""), "unreadable count: \(line)")
    }

    @Test("a large malloc/free costs the same instructions with 256 MiB of small blocks live as with 32 MiB")
    func largeAllocationCostDoesNotGrowWithTheHeap() throws {
        let pairs = 2000
        let smallHeap = try instructionsOfLargePairs(smallMiB: 32, pairs: pairs) / Double(pairs)
        let bigHeap = try instructionsOfLargePairs(smallMiB: 256, pairs: pairs) / Double(pairs)
        // Sampled at every large allocation, the walk made the big heap's pairs 6.5 times as costly (76.8 k
        // instructions against 11.7 k); spaced, both cost about 3.1 k.
        #expect(bigHeap <= smallHeap * 1.25, "instructions per pair: \(Int(smallHeap)) with 32 MiB live, \(Int(bigHeap)) with 256 MiB")
    }
}
