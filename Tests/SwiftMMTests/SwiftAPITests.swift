import Testing
import Foundation
import SMMAnalyzer
import SwiftMM

/// Tests that use SwiftMM's heap inside this test process. Its statistics are process-wide, so these run one
/// at a time; the other suites use child processes and run beside them.
@Suite(.serialized)
enum InProcess {}

extension InProcess {
/// The SwiftMM module's API, in this test process: it loads libswiftmm.so beside the test binary and uses
/// its smm_* functions, which keep their own heap beside the system malloc.
@Suite("Swift API")
struct SwiftAPITests {
    let memory: Memory

    init() throws {
        setenv("SWIFTMM_LIBRARY", try BuildProducts.library, 1)
        memory = try Memory()
    }

    /// Sizes at the tier and page boundaries (small ≤ 8 KiB, medium ≤ 256 KiB, large beyond).
    static let sizes = [0, 1, 15, 16, 17, 128, 129, 256, 257, 1024, 1025, 4096, 8191, 8192, 8193,
                        65536, 262_143, 262_144, 262_145, 1 << 20, 4 << 20, 32 << 20]

    @Test("allocate gives 16-byte aligned blocks with at least the usable size asked for", arguments: sizes)
    func allocate(size: Int) throws {
        let p = try memory.allocate(byteCount: size)
        defer { memory.free(p) }
        #expect(UInt(bitPattern: p) % 16 == 0)
        #expect(memory.usableSize(p) >= size)
        p.initializeMemory(as: UInt8.self, repeating: 0xA5, count: size)
        #expect((0..<size).allSatisfy { p.load(fromByteOffset: $0, as: UInt8.self) == 0xA5 })
    }

    @Test("an impossible size throws out-of-memory instead of returning a bad pointer")
    func impossibleSize() {
        #expect(throws: AllocationError.outOfMemory(byteCount: Int.max)) { try memory.allocate(byteCount: Int.max) }
        #expect(throws: AllocationError.self) { try memory.allocateZeroed(count: Int.max / 2, stride: 3) }
    }

    @Test("every power-of-two alignment up to 1 MiB", arguments: (4...20).map { 1 << $0 })
    func alignment(alignment: Int) throws {
        for size in [1, 100, alignment, 3 * alignment] {
            let p = try memory.allocate(byteCount: size, alignment: alignment)
            #expect(UInt(bitPattern: p) % UInt(alignment) == 0, "alignment \(alignment) size \(size)")
            #expect(memory.usableSize(p) >= size)
            memory.free(p)
        }
    }

    @Test("reallocate keeps the contents while growing through every tier and shrinking back")
    func reallocateAcrossTiers() throws {
        let steps = [8, 100, 2000, 9000, 70000, 300_000, 5 << 20, 48 << 20, 1 << 20, 200_000, 5000, 300, 16]
        var p = try memory.allocate(byteCount: 1)
        p.storeBytes(of: 0x42, as: UInt8.self)
        var filled = 1
        for size in steps {
            p = try memory.reallocate(p, byteCount: size)
            let kept = min(filled, size)
            #expect((0..<kept).allSatisfy { p.load(fromByteOffset: $0, as: UInt8.self) == UInt8(truncatingIfNeeded: $0 &* 31 &+ 0x42) || $0 == 0 }, "lost data at size \(size)")
            for i in 0..<size { p.storeBytes(of: UInt8(truncatingIfNeeded: i &* 31 &+ 0x42), toByteOffset: i, as: UInt8.self) }
            filled = size
        }
        memory.free(p)
    }

    @Test("zeroed allocations read as zero even where a block was used before")
    func zeroed() throws {
        for size in [24, 5000, 100_000, 1 << 20] {
            let dirty = try memory.allocate(byteCount: size)
            dirty.initializeMemory(as: UInt8.self, repeating: 0xFF, count: size)
            memory.free(dirty)
            let p = try memory.allocateZeroed(count: size, stride: 1)
            #expect((0..<size).allSatisfy { p.load(fromByteOffset: $0, as: UInt8.self) == 0 })
            memory.free(p)
        }
    }

    @Test("statistics count allocations and frees and the bytes in use")
    func statistics() throws {
        let before = memory.statistics
        let blocks = try (0..<1000).map { _ in try memory.allocate(byteCount: 48) }
        let during = memory.statistics
        #expect(during.allocations - before.allocations == 1000)
        #expect(during.bytesInUse - before.bytesInUse == 48_000)
        #expect(during.peakBytesInUse >= during.bytesInUse)
        blocks.forEach { memory.free($0) }
        let after = memory.statistics
        #expect(after.frees - during.frees == 1000)
        #expect(after.bytesInUse == before.bytesInUse)
        #expect(after.reserved >= after.committed)
    }

    @Test("large blocks come from mmap and go back to it; realloc moves them with mremap")
    func largeBlocks() throws {
        let before = memory.statistics
        var p = try memory.allocate(byteCount: 10 << 20)
        #expect(memory.statistics.largeBlocksInUse == before.largeBlocksInUse + 1)
        p = try memory.reallocate(p, byteCount: 200 << 20)
        #expect(memory.statistics.mremapCalls > before.mremapCalls)
        memory.free(p)
        memory.collect()
        #expect(memory.statistics.largeBlocksInUse == before.largeBlocksInUse)
    }

    @Test("a freed large mapping is used again: split for smaller blocks, grown with mremap for a bigger one")
    func largeCacheReuse() throws {
        memory.collect()                                        // start with an empty cache
        let freed = try memory.allocate(byteCount: 8 << 20)
        memory.free(freed)
        let before = memory.statistics
        let first = try memory.allocate(byteCount: 1 << 20)
        let second = try memory.allocate(byteCount: 1 << 20)
        #expect(first == freed, "the head of the cached mapping")
        #expect(second == freed + (1 << 20), "the next megabyte of it")
        #expect(memory.statistics.mmapCalls == before.mmapCalls)
        memory.free(first)
        memory.free(second)
        memory.collect()

        let small = try memory.allocate(byteCount: 1 << 20)
        memory.free(small)
        let beforeGrowth = memory.statistics
        let grown = try memory.allocate(byteCount: 4 << 20)
        defer { memory.free(grown) }
        #expect(memory.statistics.mmapCalls == beforeGrowth.mmapCalls, "no new mapping")
        #expect(memory.statistics.mremapCalls == beforeGrowth.mremapCalls + 1, "the cached megabyte grown")
        grown.initializeMemory(as: UInt8.self, repeating: 0xA5, count: 4 << 20)
        #expect(grown.load(fromByteOffset: (4 << 20) - 1, as: UInt8.self) == 0xA5)
    }

    @Test("a block freed into a full page is handed out again before a page is extended into untouched memory")
    func freedBlocksBeforeFreshMemory() throws {
        // 3000-byte blocks (class 3072): 21 to a 64 KiB page, threaded onto its free list one at a time.
        var blocks: [UnsafeMutableRawPointer] = []
        defer { blocks.forEach { memory.free($0) } }
        func page(_ p: UnsafeMutableRawPointer) -> UInt { UInt(bitPattern: p) >> 16 }
        blocks.append(try memory.allocate(byteCount: 3000))
        repeat { blocks.append(try memory.allocate(byteCount: 3000)) }
        while page(blocks[blocks.count - 1]) == page(blocks[blocks.count - 2]) && blocks.count < 100
        // The last block opened a new page, which has room left; the one before it is in a page now full.
        let freed = blocks.remove(at: blocks.count - 2)
        memory.free(freed)
        let next = try memory.allocate(byteCount: 3000)
        blocks.append(next)
        #expect(next == freed)
    }

    @Test("large blocks of 2 MiB and more ask for huge pages; calloc'd ones and smaller ones do not")
    func hugePages() throws {
        memory.collect()            // an empty cache: each block below gets a mapping of its own
        let buffer = try memory.allocate(byteCount: 4 << 20)
        let table = try memory.allocateZeroed(count: 4 << 20, stride: 1)
        let smaller = try memory.allocate(byteCount: 1 << 20)
        defer { memory.free(buffer); memory.free(table); memory.free(smaller) }
        #expect(try vmFlags(containing: buffer).contains("hg"))
        #expect(try !vmFlags(containing: table).contains("hg"))
        #expect(try !vmFlags(containing: smaller).contains("hg"))
    }

    @Test("a purge returns the OS pages inside free blocks of 8 KiB and more, all but the one holding the link")
    func freeBlockInteriors() throws {
        // 16,000-byte blocks (class 16384), four to a 64 KiB slice. Every other one stays in use: a slice that
        // holds one of those belongs to a page that stays, so only the new purge step can return its free blocks' pages.
        let size = 16_000
        let blocks = try (0..<8).map { _ in try memory.allocate(byteCount: size) }
        for block in blocks { block.initializeMemory(as: UInt8.self, repeating: 0xA5, count: size) }
        let live = blocks.enumerated().filter { $0.offset % 2 == 0 }.map(\.element)
        let freed = blocks.enumerated().filter { $0.offset % 2 == 1 }.map(\.element)
        defer { live.forEach { memory.free($0) } }
        func slice(_ p: UnsafeMutableRawPointer) -> UInt { UInt(bitPattern: p) >> 16 }
        let besideLive = freed.filter { block in live.contains { slice($0) == slice(block) } }
        #expect(!besideLive.isEmpty, "some freed block shares a slice with a live one")
        freed.forEach { memory.free($0) }
        memory.collect()
        let pageSize = Int(sysconf(Int32(_SC_PAGESIZE)))
        for block in besideLive {
            let interior = UnsafeMutableRawPointer(bitPattern: (UInt(bitPattern: block) & ~UInt(pageSize - 1)) + UInt(pageSize))!
            let end = UnsafeMutableRawPointer(bitPattern: (UInt(bitPattern: block) + UInt(size)) & ~UInt(pageSize - 1))!
            #expect(try residency(block, 1).resident == 1, "the page with the free-list link stays")
            #expect(try residency(interior, end - interior).resident == 0, "the pages inside the free block are returned")
        }
        for block in live {
            let (resident, spanned) = try residency(block, size)
            #expect(resident == spanned, "the live block keeps its pages")
            #expect(block.load(fromByteOffset: size - 1, as: UInt8.self) == 0xA5, "live blocks keep their contents")
        }
    }

    @Test("a purge returns the OS pages inside runs of free small blocks in a page that stays in use, and reuses the blocks")
    func returnedRuns() throws {
        // 1,000-byte blocks (class 1024), 64 to a 64 KiB page. In each page, the first and last blocks stay in use
        // (so the page stays) and a run of 40 between them is freed: it covers at least eight whole OS pages past
        // its first.
        let size = 1000
        let blocks = try (0..<256).map { _ in try memory.allocate(byteCount: size) }.sorted { UInt(bitPattern: $0) < UInt(bitPattern: $1) }
        for (i, block) in blocks.enumerated() { block.initializeMemory(as: UInt8.self, repeating: UInt8(truncatingIfNeeded: i), count: size) }
        // Grouping keeps the address order within each page.
        let pages = Dictionary(grouping: blocks) { UInt(bitPattern: $0) >> 16 }.values.filter { $0.count == 64 }
        try #require(!pages.isEmpty, "some page holds only blocks of this test")
        let runs = pages.map { $0[12..<52] }
        let freed = runs.flatMap { $0 }
        let freedSet = Set(freed)
        let live = blocks.filter { !freedSet.contains($0) }
        defer { live.forEach { memory.free($0) } }
        let devNull = open("/dev/null", O_WRONLY)
        defer { close(devNull) }
        let leaksBefore = memory.reportLeaks(to: devNull)
        freed.forEach { memory.free($0) }
        memory.collect()

        let pageSize = UInt(sysconf(Int32(_SC_PAGESIZE)))
        for run in runs {
            let first = UInt(bitPattern: run.first!), end = UInt(bitPattern: run.last!) + UInt(size)
            let inner = UnsafeMutableRawPointer(bitPattern: (first + 16 + pageSize - 1) & ~(pageSize - 1))!
            let innerEnd = UnsafeMutableRawPointer(bitPattern: end & ~(pageSize - 1))!
            #expect(innerEnd - inner >= 8 * Int(pageSize))
            #expect(try residency(inner, innerEnd - inner).resident == 0, "the OS pages inside the run are returned")
            #expect(try residency(run.first!, 16).resident == 1, "the page holding the run's record stays")
        }
        #expect(memory.reportLeaks(to: devNull) == leaksBefore - freed.count, "blocks in returned runs are free, not leaks")
        for (i, block) in blocks.enumerated() where !freedSet.contains(block) {
            #expect(block.load(fromByteOffset: size - 1, as: UInt8.self) == UInt8(truncatingIfNeeded: i), "live blocks keep their contents")
        }

        // The runs' blocks come back before the class takes new memory: every freed address is handed out again.
        var again: [UnsafeMutableRawPointer] = []
        defer { again.forEach { memory.free($0) } }
        var missing = freedSet
        while !missing.isEmpty && again.count < 4096 {
            let p = try memory.allocate(byteCount: size)
            p.initializeMemory(as: UInt8.self, repeating: 0x5A, count: size)
            again.append(p)
            missing.remove(p)
        }
        #expect(missing.isEmpty, "\(missing.count) blocks of the returned runs were never handed out again")
        #expect(Set(again).count == again.count, "no block is handed out twice")
        for (i, block) in blocks.enumerated() where !freedSet.contains(block) {
            #expect(block.load(fromByteOffset: 0, as: UInt8.self) == UInt8(truncatingIfNeeded: i), "reusing the runs leaves live blocks alone")
        }
    }

    @Test("a trim returns a run of free small blocks that one free completed after the previous trim")
    func returnedRunCompletedByOneFree() throws {
        // 16-byte blocks: find two OS pages filled by blocks of this test alone, free all their blocks but the first
        // of the second page, trim (neither run covers a whole OS page past its first block), then free that one
        // block and trim again: the run now covers the second page. A timed purge may pass over a page it read
        // recently; a trim may not.
        let size = 16
        let pageSize = Int(sysconf(Int32(_SC_PAGESIZE)))
        let perPage = pageSize / size
        let blocks = try (0..<(16 * perPage)).map { _ in try memory.allocate(byteCount: size) }.sorted { UInt(bitPattern: $0) < UInt(bitPattern: $1) }
        var firstIndex: Int? = nil
        for i in 0..<(blocks.count - 2 * perPage) where UInt(bitPattern: blocks[i]) % UInt(pageSize) == 0 {
            if blocks[i + 2 * perPage - 1] - blocks[i] == (2 * perPage - 1) * size { firstIndex = i; break }
        }
        let first = try #require(firstIndex, "two OS pages hold only blocks of this test")
        let region = Array(blocks[first..<(first + 2 * perPage)])
        let joint = region[perPage]
        let regionSet = Set(region)
        let live = blocks.filter { !regionSet.contains($0) }
        defer { live.forEach { memory.free($0) } }
        for block in region { block.initializeMemory(as: UInt8.self, repeating: 0xC3, count: size) }
        region.filter { $0 != joint }.forEach { memory.free($0) }
        memory.collect()
        let secondPage = region[0] + pageSize
        #expect(try residency(secondPage, pageSize).resident == 1, "no run covers the second page yet")
        memory.free(joint)
        memory.collect()
        #expect(try residency(secondPage, pageSize).resident == 0, "the run the last free completed is returned")
    }

    /// The OS pages that the `length` bytes at `p` touch, and how many of them are resident (mincore).
    private func residency(_ p: UnsafeMutableRawPointer, _ length: Int) throws -> (resident: Int, spanned: Int) {
        let pageSize = UInt(sysconf(Int32(_SC_PAGESIZE)))
        let start = UInt(bitPattern: p) & ~(pageSize - 1)
        let end = (UInt(bitPattern: p) + UInt(length) + pageSize - 1) & ~(pageSize - 1)
        let spanned = Int((end - start) / pageSize)
        var vector = [UInt8](repeating: 0, count: max(spanned, 1))
        try #require(mincore(UnsafeMutableRawPointer(bitPattern: start), Int(end - start), &vector) == 0, "mincore: errno \(errno)")
        return (vector.prefix(spanned).filter { $0 & 1 != 0 }.count, spanned)
    }

    /// The `VmFlags` of the mapping in /proc/self/smaps that holds `p`.
    private func vmFlags(containing p: UnsafeMutableRawPointer) throws -> [Substring] {
        let address = UInt(bitPattern: p)
        var inside = false
        for line in try ProcFile.readText("/proc/self/smaps").split(separator: "\n") {
            let fields = line.split(separator: " ")
            if let range = fields.first, range.contains("-"), !range.hasSuffix(":") {
                let bounds = range.split(separator: "-").compactMap { UInt($0, radix: 16) }
                inside = bounds.count == 2 && bounds[0] <= address && address < bounds[1]
            } else if inside && fields.first == "VmFlags:" {
                return Array(fields.dropFirst())
            }
        }
        Issue.record("no mapping in /proc/self/smaps holds \(p)")
        return []
    }
}
}
