import Foundation
import Testing

/// What an allocation costs must not grow with the heap: a server with gigabytes of live blocks pays the same per
/// malloc as a small program. Each test counts with callgrind, which gives the same count on every run, the
/// instructions of one part of smm-check-growth with 32 MiB and with 512 MiB of 16 KiB blocks live (8 and 128
/// full segments).
@Suite("Cost at any heap size")
struct HeapSizeCostTests {
    /// Instructions per allocation in `function` of `smm-check-growth mode heapMiB count`, with libswiftmm.so preloaded.
    private func instructionsPerAllocation(_ mode: String, in function: String, heapMiB: Int, count: Int) throws -> Double {
        let result = try ChildProcess.run(
            ["valgrind", "--tool=callgrind", "--toggle-collect=\(function)", "--callgrind-out-file=/dev/null",
             try BuildProducts.program("smm-check-growth"), mode, String(heapMiB), String(count)],
            preload: false, environment: ["LD_PRELOAD": try BuildProducts.library])
        guard result.status == 0 else {
            throw TestFailure("callgrind of smm-check-growth failed (\(result.status)): \(result.standardError)")
        }
        let line = try #require(result.standardError.split(separator: "\n").first { $0.contains("Collected :") },
                                "no instruction count in callgrind's output: \(result.standardError)")
        return try #require(Double(line.split(separator: " ").last ?? ""), "unreadable count: \(line)") / Double(count)
    }

    @Test("a large malloc/free costs the same with 512 MiB live as with 32 MiB")
    func largeAllocations() throws {
        let smallHeap = try instructionsPerAllocation("large", in: "large_block_pairs", heapMiB: 32, count: 2000)
        let bigHeap = try instructionsPerAllocation("large", in: "large_block_pairs", heapMiB: 512, count: 2000)
        // When the statistics sampled the peak in use (a walk of every page descriptor) at every large allocation,
        // the big heap's pairs took 151 k instructions against 11.7 k; now both take about 3.1 k.
        #expect(bigHeap <= smallHeap * 1.25, "instructions per pair: \(Int(smallHeap)) with 32 MiB live, \(Int(bigHeap)) with 512 MiB")
    }

    @Test("a new page costs the same with 512 MiB live as with 32 MiB")
    func newPages() throws {
        let smallHeap = try instructionsPerAllocation("medium", in: "medium_blocks", heapMiB: 32, count: 4000)
        let bigHeap = try instructionsPerAllocation("medium", in: "medium_blocks", heapMiB: 512, count: 4000)
        // Every fourth block takes a new page. When the search for free slices walked every segment, full ones
        // too, the big heap's blocks took 955 instructions each against 508; now about 460 in both.
        #expect(bigHeap <= smallHeap * 1.25, "instructions per block: \(Int(smallHeap)) with 32 MiB live, \(Int(bigHeap)) with 512 MiB")
    }
}
