import SwiftMM
import Foundation
import Testing
@testable import SMMAnalyzer

/// Memory of a made-up process: a few regions of bytes; anything else is unmapped. It can fail after some reads.
final class FakeMemory: MemorySource, @unchecked Sendable {
    var regions: [UInt64: [UInt8]] = [:]
    var readsBeforeFailure: Int?
    var failure = RemoteReadError.processGone
    var reads = 0

    func read(_ address: UInt64, count: Int) throws(RemoteReadError) -> [UInt8] {
        reads += 1
        if let limit = readsBeforeFailure, reads > limit { throw failure }
        for (start, bytes) in regions where address >= start && address + UInt64(count) <= start + UInt64(bytes.count) {
            let offset = Int(address - start)
            return Array(bytes[offset..<offset + count])
        }
        throw .unmapped(address: address)
    }

    func put(_ address: UInt64, _ value: UInt64, width: Int = 8) {
        for (start, bytes) in regions where address >= start && address + UInt64(width) <= start + UInt64(bytes.count) {
            var copy = bytes
            for i in 0..<width { copy[Int(address - start) + i] = UInt8(truncatingIfNeeded: value >> UInt64(8 * i)) }
            regions[start] = copy
            return
        }
        fatalError("no region at \(address)")
    }
}

/// A process image with SwiftMM's geometry: one heap, one segment with two small pages, a medium page and free
/// slices, and one large block. Offsets are those the core publishes in its anchor.
struct FakeProcess {
    static let library: UInt64 = 0x7F00_0000_0000
    static let anchor = library
    static let counters = library + 0x1000
    static let version = library + 0x1100
    static let heap: UInt64 = 0x7F00_0010_0000
    static let stateOffset: UInt64 = 0x240
    static let segment: UInt64 = 0x7F00_0040_0000
    static let table: UInt64 = 0x7F00_0020_0000
    static let slice: UInt64 = 65536
    static let largeBlock: UInt64 = 0x7F00_0100_0000
    /// Offset in the heap of the lists of blocks its thread freed from other heaps and keeps.
    static let keptLists: UInt64 = 2560

    static func blockSize(_ index: Int) -> UInt64 {
        if index < 16 { return UInt64(index + 1) * 16 }
        let g = (index - 16) >> 3, r = (index - 16) & 7
        return UInt64((256 << g) + (r + 1) * (32 << g))
    }

    let memory = FakeMemory()

    init(version: UInt64 = 2, published: Bool = true) {
        memory.regions[Self.library] = [UInt8](repeating: 0, count: 0x2000)
        memory.regions[Self.heap] = [UInt8](repeating: 0, count: 4096)
        memory.regions[Self.segment] = [UInt8](repeating: 0, count: 256 + 64 * 128)
        memory.regions[Self.table] = [UInt8](repeating: 0, count: 4 * 32)
        let words: [UInt64] = [
            LiveLayout.magic, version, UInt64(LiveLayout.byteSize), published ? 1 : 0, Self.version,
            4 << 20, Self.slice, 64, 256, 128, 8192, 4096, 96,
            Self.counters + 0x28, Self.stateOffset, 0x10, 0x38,
            0x5357_4946_544D_4D31, 0, 0x10, 0x18, 0x20,
            0x10, 0x08, 0x20, 0x38, 0x28, 0x58, 0x5C,
            Self.counters + 0x30, Self.counters + 0x38, 32, 0, 8, 16,
            Self.counters, Self.counters + 8, Self.counters + 0x10, Self.counters + 0x18,
            Self.keptLists, 16, 32, 0, 8, 12,
        ] + (0..<96).map(Self.blockSize)
        for (i, word) in words.enumerated() { memory.put(Self.anchor + UInt64(i * 8), word) }
        for (i, byte) in Array("0.1.0".utf8).enumerated() { memory.put(Self.version + UInt64(i), UInt64(byte), width: 1) }
        // reserved, committed, peak committed, peak in use; the heap list head; the large table and its capacity.
        for (i, word) in [UInt64(8 << 20), 2_000_000, 1 << 20, 2000, Self.heap, Self.table, 4].enumerated() {
            memory.put(Self.counters + UInt64([0, 8, 0x10, 0x18, 0x28, 0x30, 0x38][i]), word)
        }
        memory.put(Self.heap + Self.stateOffset + 0x10, Self.segment)
        // The heap's thread keeps 4 blocks of class 6 (5 added, 1 taken again); class 7's list is empty (stale counts).
        memory.put(Self.heap + Self.keptLists + 6 * 16, Self.segment + 2 * Self.slice - 112)
        memory.put(Self.heap + Self.keptLists + 6 * 16 + 8, 1, width: 4)
        memory.put(Self.heap + Self.keptLists + 6 * 16 + 12, 5, width: 4)
        memory.put(Self.heap + Self.keptLists + 7 * 16 + 12, 9, width: 4)
        // Segment: magic; slices 1, 2 in small pages, 3-5 in a medium page; 6-7 free and committed, the rest decommitted.
        memory.put(Self.segment, 0x5357_4946_544D_4D31)
        let free = ~UInt64(0) << 6
        memory.put(Self.segment + 0x18, free)
        memory.put(Self.segment + 0x20, UInt64(0b11) << 6)
        page(slice: 1, classIndex: 6, used: 10, slices: 1, touched: 1120)
        page(slice: 2, classIndex: 49, used: 3, slices: 1, touched: 3 * 5120)
        page(slice: 3, classIndex: 65, used: 2, slices: 3, touched: 2 * 20480)
        memory.put(Self.table + 32 * 2, Self.largeBlock)
        memory.put(Self.table + 32 * 2 + 8, 1 << 20)
        memory.put(Self.table + 32 * 2 + 16, 1_000_000)
    }

    func page(slice: Int, classIndex: Int, used: UInt64, slices: Int, touched: UInt64) {
        let d = Self.segment + 256 + UInt64(slice) * 128
        let start = Self.segment + UInt64(slice) * Self.slice
        memory.put(d + 0x10, Self.heap)
        memory.put(d + 0x08, used, width: 4)
        memory.put(d + 0x20, Self.blockSize(classIndex))
        memory.put(d + 0x38, start)
        memory.put(d + 0x28, start + touched)
        memory.put(d + 0x58, UInt64(classIndex), width: 4)
        memory.put(d + 0x5C, UInt64(slices), width: 4)
    }

    func read() throws -> LiveState {
        try LiveStateReader().read(memory: memory, anchorAddress: Self.anchor, pid: 42, library: "/x/libswiftmm.so")
    }
}

@Suite("Live state reader")
struct LiveStateReaderTests {
    @Test("figures from page descriptors, the large table and the counters, as the core computes them")
    func figures() throws {
        let live = try FakeProcess().read()
        #expect(live.consistent && live.attempts == 1 && live.heaps == 1 && live.segments == 1)
        #expect(live.libraryVersion == "0.1.0")
        let classes = live.state.classes
        #expect(classes.count == 96)
        // 10 blocks in use in the page, of which 4 are kept free by the thread that freed them.
        #expect(classes[6].blockSize == 112 && classes[6].blocksAllocated == 6 && classes[6].bytesAllocated == 672)
        #expect(classes[7].blocksAllocated == 0)
        #expect(classes[6].bytesReserved == 65536 && classes[6].bytesCommitted == 1120 && classes[6].tier == .small)
        #expect(classes[49].blockSize == 5120 && classes[49].blocksAllocated == 3)
        #expect(classes[65].tier == .medium && classes[65].blocksAllocated == 2 && classes[65].bytesReserved == 3 * 65536)
        #expect(live.state.smallTotal.blocksAllocated == 9 && live.state.mediumTotal.blocksAllocated == 2)
        #expect(live.state.largeTotal.blocksAllocated == 1 && live.state.largeTotal.bytesAllocated == 1 << 20)
        let allocated: UInt64 = 672 + 15360 + 40960 + (1 << 20)
        #expect(live.state.allocated == allocated && live.state.committed == 2_000_000)
        let overhead: UInt64 = 65536 + 4096 + 4 * 32
        #expect(live.heapStatus == HeapStatus(reserved: 8 << 20, committed: 2_000_000, allocated: allocated,
                                                  free: 2_000_000 - allocated - overhead, overhead: overhead,
                                                  currentUse: allocated, peakUse: allocated))
        // Segment header, three pages, committed free slices, decommitted ones, the large block.
        let map = live.memoryMap
        #expect(map.map(\.use) == [.metadata, .allocated, .allocated, .allocated, .free, .decommitted, .allocated])
        #expect(map[4].address == FakeProcess.segment + 6 * 65536 && map[4].size == 2 * 65536)
        #expect(map[5].size == 56 * 65536)
        #expect(map[6] == MemoryRegion(address: FakeProcess.largeBlock, size: 1 << 20, tier: .large, classIndex: nil,
                                           use: .allocated, blocksInUse: 1, blockSize: 1_000_000))
    }

    @Test("loops, torn descriptors and vanished memory are bounded and flagged, never a crash")
    func damagedData() throws {
        let process = FakeProcess()
        process.memory.put(FakeProcess.segment + 0x10, FakeProcess.segment)                      // the segment list loops
        process.memory.put(FakeProcess.heap + FakeProcess.stateOffset + 0x38, FakeProcess.heap)  // so does the heap list
        process.page(slice: 2, classIndex: 500, used: 3, slices: 1, touched: 100)              // no such class
        process.page(slice: 3, classIndex: 65, used: 99_999, slices: 1000, touched: 1 << 40)  // impossible counts
        process.memory.put(FakeProcess.counters + 0x30, 0x7F00_DEAD_0000)                        // the table is gone
        let live = try process.read()
        #expect(!live.consistent)
        #expect(live.attempts == LiveStateReader().maxAttempts)
        #expect(live.heaps == 1 && live.segments == 1)
        #expect(live.state.classes[6].blocksAllocated == 6, "what could be read is still there")
        #expect(live.state.largeTotal.blocksAllocated == 0)
    }

    @Test("a segment list pointing at unmapped or foreign memory ends the walk there")
    func foreignSegment() throws {
        let process = FakeProcess()
        process.memory.put(FakeProcess.segment + 0x10, 0x7F00_0080_0000)   // aligned, but not mapped
        let live = try process.read()
        #expect(!live.consistent && live.segments == 1)
        process.memory.put(FakeProcess.segment + 0x10, FakeProcess.segment + 8)   // not a segment address
        #expect(try !process.read().consistent)
    }

    @Test("another layout version, a damaged anchor, or one with impossible geometry")
    func layoutMismatch() throws {
        let reader = LiveStateReader()
        let newer = FakeProcess(version: 3)
        #expect(throws: LiveStateError.layoutMismatch(pid: 42, library: "/x/libswiftmm.so", reason: LiveLayout.Problem.version(3).reason)) {
            try newer.read()
        }
        #expect(LiveLayout.Problem.version(3).reason.contains("has live-state layout version 3; this smm reads version 2"))
        let damaged = FakeProcess()
        damaged.memory.put(FakeProcess.anchor, 0x1234)
        #expect(throws: LiveStateError.layoutMismatch(pid: 42, library: "/x/libswiftmm.so", reason: LiveLayout.Problem.badMagic.reason)) {
            try reader.read(memory: damaged.memory, anchorAddress: FakeProcess.anchor, pid: 42, library: "/x/libswiftmm.so")
        }
        let odd = FakeProcess()
        odd.memory.put(FakeProcess.anchor + 7 * 8, 65)   // 65 slices per segment
        do {
            _ = try odd.read()
            Issue.record("an impossible layout was accepted")
        } catch {
            #expect("\(error)".contains("cannot use (65 slices per segment)"))
        }
    }

    @Test("before the first heap the state is empty")
    func unpublished() throws {
        let live = try FakeProcess(published: false).read()
        #expect(live.state.classes.isEmpty && live.memoryMap.isEmpty && live.heapStatus.reserved == 0)
    }

    @Test("the process exits, or the kernel refuses, in the middle of the read")
    func failuresMidRead() throws {
        let process = FakeProcess()
        process.memory.readsBeforeFailure = 5
        #expect(throws: LiveStateError.processExited(pid: 42)) { try process.read() }
        process.memory.reads = 0
        process.memory.failure = .permissionDenied
        #expect(throws: LiveStateError.permissionDenied(pid: 42)) { try process.read() }
        #expect(LiveStateError.processExited(pid: 42).description == "process 42 exited while its heap was being read")
    }

    @Test("libswiftmm.so in a maps listing: the load address is its mapping at offset 0")
    func libraryInMaps() {
        let maps = """
            55d0c0000000-55d0c0001000 r--p 00000000 08:01 100 /usr/bin/sleep
            7f1000000000-7f1000004000 r--p 00000000 08:01 200 /opt/smm/lib/libswiftmm.so
            7f1000004000-7f1000020000 r-xp 00004000 08:01 200 /opt/smm/lib/libswiftmm.so
            7f1000020000-7f1000022000 rw-p 00020000 08:01 200 /opt/smm/lib/libswiftmm.so
            7f1000030000-7f1000031000 r--p 00000000 08:01 300 /usr/lib/libswiftmmx.txt
            """
        let libraries = LiveLibrary.find(in: MapsParser.parse(Array(maps.utf8)))
        #expect(libraries == [LiveLibrary(path: "/opt/smm/lib/libswiftmm.so",
                                          image: .init(base: 0x7F10_0000_0000, low: 0x7F10_0000_0000, high: 0x7F10_0002_2000))])
        #expect(LiveLibrary.find(in: MapsParser.parse(Array("7f1000000000-7f1000004000 r--p 00000000 08:01 9 /bin/sh\n".utf8))).isEmpty)
    }

    @Test("ELF lookup in a live process: the C library's malloc, found through its GNU hash table")
    func elfLookup() throws {
        let maps = MapsParser.parse(try ProcFile.readBytes("/proc/self/maps"))
        let libcMappings = maps.filter { $0.path.hasSuffix("/libc.so.6") }
        let base = try #require(libcMappings.filter { $0.offset == 0 }.map(\.start).min())
        let image = ElfSymbolLookup.Image(base: base, low: libcMappings.map(\.start).min()!, high: libcMappings.map(\.end).max()!)
        let memory = RemoteMemory(pid: getpid())
        let handle = try #require(dlopen("libc.so.6", RTLD_NOW | RTLD_NOLOAD))
        defer { dlclose(handle) }
        let expected = UInt64(UInt(bitPattern: dlsym(handle, "malloc")))
        #expect(try ElfSymbolLookup.address(of: "malloc", in: image, memory: memory) == expected)
        #expect(try ElfSymbolLookup.address(of: "smm_live_anchor", in: image, memory: memory) == nil)
    }
}
