import Testing
import Foundation
import Synchronization
import SwiftMM

/// The extended API (issue 6) through the SwiftMM module, in this test process: libswiftmm.so is loaded beside
/// the test binary and serves the smm_* calls with its own heap. One test at a time: the JIT test checks that
/// nothing of SwiftMM's is registered at its code's address once its heap is cleared, and the page-range test or
/// another JIT case running meanwhile could be given that address again (a CI run saw read-write rights there).
@Suite("Extended API (Swift)", .serialized)
struct ExtendedAPITests {
    let memory: Memory

    init() throws {
        setenv("SWIFTMM_LIBRARY", try BuildProducts.library, 1)
        memory = try Memory()
    }

    @Test("aligned allocation for every power of two from 16 B to 1 MiB; reallocate and reget keep the alignment",
          arguments: (4...20).map { 1 << $0 })
    func alignedAllocation(alignment: Int) throws {
        var p = try memory.allocateAligned(byteCount: 100, alignment: alignment)
        #expect(Int(bitPattern: p) % alignment == 0)
        p.storeBytes(of: 0xABCD, as: UInt32.self)
        for size in [3000, 70_000, 400_000, 50, 9000] {
            p = try memory.reallocate(p, byteCount: size)
            #expect(Int(bitPattern: p) % alignment == 0, "reallocate to \(size)")
            #expect(p.load(as: UInt32.self) == 0xABCD, "contents kept at \(size)")
        }
        for size in [200_000, 10, 2 << 20, 5000] {
            p = try memory.reget(p, byteCount: size)
            #expect(Int(bitPattern: p) % alignment == 0, "reget to \(size)")
        }
        memory.free(p)
    }

    @Test("an alignment that is not a power of two in range is refused")
    func badAlignment() {
        #expect(throws: MemoryAPIError.invalidArgument) { try memory.allocateAligned(byteCount: 10, alignment: 48) }
        #expect(throws: MemoryAPIError.invalidArgument) { try memory.allocateAligned(byteCount: 10, alignment: 2 << 20) }
    }

    @Test("reget stays in place when the block fits and gives a usable block when it does not")
    func reget() throws {
        let p = try memory.allocate(byteCount: 1000)
        #expect(try memory.reget(p, byteCount: 900) == p)
        var q = try memory.reget(p, byteCount: 100_000)
        #expect(memory.usableSize(q) >= 100_000)
        q = try memory.reget(q, byteCount: 64 << 20)
        q.initializeMemory(as: UInt8.self, repeating: 1, count: 64 << 20)
        memory.free(q)
    }

    @Test("owns and info describe blocks of each tier, and minimize returns memory")
    func queries() throws {
        let small = try memory.allocate(byteCount: 64)
        let medium = try memory.allocate(byteCount: 50_000)
        let large = try memory.allocate(byteCount: 2 << 20)
        #expect(memory.owns(small) && memory.owns(medium + 100) && memory.owns(large + 4096))
        let info = memory.info(of: small + 8)
        #expect(info.tier == .small && info.base == UnsafeRawPointer(small) && info.size >= 64)
        #expect(info.rights == .readWrite)
        // The kernel thread id: /proc/thread-self links to PID/task/TID.
        let tid = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/thread-self").split(separator: "/").last.flatMap { Int($0) }
        #expect(info.threadID == tid)
        #expect(memory.info(of: medium).tier == .medium)
        #expect(memory.info(of: large).tier == .large)
        var local = 0
        withUnsafePointer(to: &local) { #expect(!memory.owns($0) && memory.info(of: $0).tier == .none) }
        memory.free(small); memory.free(medium); memory.free(large)
        let blocks = try (0..<500).map { _ in try memory.allocate(byteCount: 40_000) }
        blocks.forEach { $0.initializeMemory(as: UInt8.self, repeating: 7, count: 40_000) }
        blocks.forEach { memory.free($0) }
        #expect(memory.minimize() > 0)
    }

    @Test("memory pages: zeroed, rights per page, reallocate keeps contents, reget clears them")
    func pages() throws {
        var pages = try MemoryPages(count: 8)
        #expect(Int(bitPattern: pages.base) % MemoryPages.pageSize == 0)
        #expect(pages.base.load(fromByteOffset: pages.byteCount - 1, as: UInt8.self) == 0)
        pages.base.initializeMemory(as: UInt8.self, repeating: 3, count: pages.byteCount)
        try pages.protect(.read, pages: 2..<3)
        #expect(pages.rights(ofPage: 2) == .read && pages.rights(ofPage: 1) == .readWrite)
        #expect(memory.info(of: pages.base + 5000).tier == .pages)
        try pages.protect(.readWrite)
        try pages.reallocate(count: 512)
        #expect(pages.base.load(fromByteOffset: 8 * 4096 - 1, as: UInt8.self) == 3)
        try pages.reget(count: 600)
        #expect(pages.base.load(as: UInt8.self) == 0)
        #expect(memory.owns(pages.base))
        pages.free()
        #expect(!memory.owns(pages.base))
    }

    @Test("memory blocks of each kind are aligned to their size; a header is found by masking", arguments: MemoryBlock.Kind.allCases)
    func blocks(kind: MemoryBlock.Kind) throws {
        let blocks = try (0..<20).map { _ in try MemoryBlock(kind) }
        for (i, block) in blocks.enumerated() {
            #expect(Int(bitPattern: block.address) % kind.byteCount == 0)
            block.address.storeBytes(of: i, as: Int.self)
            let interior = block.address + kind.byteCount - 1
            #expect(MemoryBlock.start(of: interior, kind: kind).load(as: Int.self) == i)
            #expect(memory.info(of: interior).tier == .block)
        }
        #expect(Set(blocks.map(\.address)).count == blocks.count)
        // freed on another thread
        let done = DispatchSemaphore(value: 0)
        let worker = Thread { blocks.forEach { $0.free() }; done.signal() }
        worker.start()
        done.wait()
        let again = try MemoryBlock(kind)
        #expect(Int(bitPattern: again.address) % kind.byteCount == 0)
        again.free()
    }

    @Test("a JIT heap runs generated x86-64 code: mov eax, 42; ret", arguments: [JITHeap.Options(), .toggle, .synchronized])
    func jit(options: JITHeap.Options) throws {
        #if arch(x86_64)
        let heap = try JITHeap(options: options)
        let code: [UInt8] = [0xB8, 0x2A, 0x00, 0x00, 0x00, 0xC3]
        let entry = try heap.add(code: code)
        try heap.makeExecutable()
        let function = unsafeBitCast(entry, to: (@convention(c) () -> Int32).self)
        #expect(function() == 42)
        #expect(memory.info(of: entry).rights == .readExecute)
        #expect(memory.info(of: entry).tier == .jit)
        #expect(heap.usedBytes == 16)
        heap.clear()
        #expect(heap.usedBytes == 0)
        #expect(memory.info(of: entry).rights == nil)
        #endif
    }
}

/// A counting layer over SwiftMM's own manager, written in Swift. Other tests of this process may allocate
/// meanwhile (the layer passes everything on), so the counts are lower bounds.
enum CountingLayer {
    nonisolated(unsafe) static var next = MemoryManager()
    static let allocations = Atomic<Int>(0)
    static let frees = Atomic<Int>(0)

    static var manager: MemoryManager {
        var m = next
        m.getMemory = { size in
            CountingLayer.allocations.add(1, ordering: .relaxed)
            return CountingLayer.next.getMemory!(size)
        }
        m.freeMemory = { p in
            CountingLayer.frees.add(1, ordering: .relaxed)
            CountingLayer.next.freeMemory!(p)
        }
        return m
    }
}

@Suite("Extended API: memory manager (Swift)", .serialized)
struct ExtendedManagerTests {
    @Test("a counting layer written in Swift sees the allocations and frees, and SwiftMM's own comes back")
    func countingLayer() throws {
        setenv("SWIFTMM_LIBRARY", try BuildProducts.library, 1)
        let memory = try Memory()
        let swiftmm = try MemoryManager.current
        #expect(swiftmm.getMemory != nil && swiftmm.freeMemory != nil && !swiftmm.needsLock)
        let before = try memory.allocate(byteCount: 100)        // allocated before the switch
        CountingLayer.next = swiftmm
        try MemoryManager.install(CountingLayer.manager)
        let a0 = CountingLayer.allocations.load(ordering: .relaxed)
        let f0 = CountingLayer.frees.load(ordering: .relaxed)
        let blocks = try (0..<100).map { _ in try memory.allocate(byteCount: 48) }
        #expect(CountingLayer.allocations.load(ordering: .relaxed) - a0 >= 100)
        #expect(blocks.allSatisfy { memory.owns($0) })
        blocks.forEach { memory.free($0) }
        memory.free(before)
        #expect(CountingLayer.frees.load(ordering: .relaxed) - f0 >= 101)
        try MemoryManager.install(nil)
        let a1 = CountingLayer.allocations.load(ordering: .relaxed)
        let p = try memory.allocate(byteCount: 48)
        memory.free(p)
        #expect(CountingLayer.allocations.load(ordering: .relaxed) == a1)
        #expect(try MemoryManager.current.getMemory.map { unsafeBitCast($0, to: UInt.self) } == swiftmm.getMemory.map { unsafeBitCast($0, to: UInt.self) })
    }

    @Test("a manager without getMemory is refused")
    func refused() {
        #expect(throws: MemoryAPIError.invalidArgument) { try MemoryManager.install(MemoryManager()) }
    }
}
