// Thread heaps: creation, the pool of heaps handed over by exited threads, and process start-up.
//
// A heap is 4 KiB of raw memory. It starts with the direct table (one page pointer per 16-byte size step
// up to 1 KiB) and the two fast-path counters, so the fast paths reach everything at fixed offsets.
// Every thread starts on the static empty heap from the C shim; its first allocation falls into the slow
// path, which gives the thread a heap of its own. Heaps are never unmapped: a thread that exits hands its
// heap, with its pages and any frees still in flight, to the pool, and the next new thread adopts it.
import SwiftMMShim
import Synchronization

struct HeapState: ~Copyable {
    var initialized: UInt
    var threadID: Int
    var segments: SegmentPointer?
    /// The heap's segments that have free slices, linked through `SegmentHeader.nextWithRoom` (Segments.swift).
    var segmentsWithRoom: SegmentPointer?
    var slowTicks: UInt
    var lastPurge: UInt64
    /// How long the last purge through `SlowPath.purgeIfDue` took (ns).
    var lastPurgeCost: UInt64
    /// Bytes of free slices in this heap's segments that are still committed.
    var dirtyBytes: Int
    var poolNext: RawPointer?
    var allNext: RawPointer?
    var largeAllocations: UInt64
    var largeFrees: UInt64
    /// The size class where the next purge starts looking for runs of free blocks (ReturnedRuns).
    var returnCursor: Int
    /// Pages that received frees from other threads, pushed by those threads; the owner drains them.
    let remoteReady: Atomic<UInt>
}

/// Page queue of one size class: pages with free blocks (or room to extend), the first one current.
struct PageQueue {
    var first: PagePointer?
    var last: PagePointer?
}

/// A view of a heap's raw memory.
struct Heap {
    let raw: RawPointer

    static let allocationCountOffset = Geometry.directMax / 16 * 8 + 8   // 520
    static let freeCountOffset = allocationCountOffset + 8
    static let stateOffset = 576
    static let queuesOffset = 1024
    /// The extended API's per-thread record (HeapExtension, Extended/Threads.swift): the last 256 bytes.
    static let extendedOffset = 3840
    static let byteSize = Int(SMM_HEAP_BYTES)

    @inline(__always) init(_ raw: RawPointer) { self.raw = raw }

    @inline(__always) static var current: Heap { Heap(swiftmm_shim_heap().unsafelyUnwrapped) }
    @inline(__always) static var empty: Heap { Heap(swiftmm_shim_empty_heap().unsafelyUnwrapped) }
    @inline(__always) var address: UInt { UInt(bitPattern: raw) }

    @inline(__always) var state: UnsafeMutablePointer<HeapState> {
        (raw + Heap.stateOffset).assumingMemoryBound(to: HeapState.self)
    }

    @inline(__always) func direct(_ index: Int) -> PagePointer {
        raw.load(fromByteOffset: index &<< 3, as: PagePointer.self)
    }

    @inline(__always) func setDirect(_ index: Int, _ page: PagePointer) {
        raw.storeBytes(of: page, toByteOffset: index &<< 3, as: PagePointer.self)
    }

    @inline(__always) func queue(_ classIndex: Int) -> UnsafeMutablePointer<PageQueue> {
        (raw + Heap.queuesOffset + classIndex &* MemoryLayout<PageQueue>.stride).assumingMemoryBound(to: PageQueue.self)
    }

    @inline(__always) var allocationCount: UInt64 {
        get { raw.load(fromByteOffset: Heap.allocationCountOffset, as: UInt64.self) }
        nonmutating set { raw.storeBytes(of: newValue, toByteOffset: Heap.allocationCountOffset, as: UInt64.self) }
    }

    @inline(__always) var freeCount: UInt64 {
        get { raw.load(fromByteOffset: Heap.freeCountOffset, as: UInt64.self) }
        nonmutating set { raw.storeBytes(of: newValue, toByteOffset: Heap.freeCountOffset, as: UInt64.self) }
    }

    @inline(__always) var isInitialized: Bool { state.pointee.initialized != 0 }

    static var emptyPage: PagePointer { empty.direct(0) }
}

/// Process-wide heap bookkeeping.
enum Heaps {
    /// Every heap ever created, pushed once and never removed (statistics walk this list).
    static let all = Atomic<UInt>(0)
    nonisolated(unsafe) static var pool: RawPointer? = nil
    nonisolated(unsafe) static var metadataNext: RawPointer? = nil
    nonisolated(unsafe) static var metadataEnd: RawPointer? = nil
    static let created = Atomic<UInt64>(0)
    static let adopted = Atomic<UInt64>(0)
    /// 0: not started, 1: loading options, 2: ready.
    static let processState = Atomic<UInt32>(0)
    static let forkHandlersRegistered = Atomic<UInt32>(0)

    /// Gives the calling thread a heap: one from the pool if an exited thread left one, else a new one.
    /// `preferred` is a heap the thread would rather adopt if it is in the pool: the owner of the block that a
    /// thread's first free returns. A new thread that starts by freeing what an exited thread left (a worker
    /// that takes over a finished worker's data) then frees into its own heap, and reuses that memory at once.
    static func startThread(preferring preferred: UInt = 0) -> Heap? {
        // A thread whose heap pointer was redirected (custom memory manager) gets its own heap back.
        if let own = ExtendedThreads.ownHeap() { return ExtendedThreads.resume(own) }
        startProcess()
        Locks.heaps.lock()
        var heap: Heap
        if let pooled = takeFromPool(preferring: preferred) {
            heap = Heap(pooled)
            Locks.heaps.unlock()
            heap.state.pointee.poolNext = nil
            adopted.add(1, ordering: .relaxed)
        } else {
            guard let raw = carveHeap() else { Locks.heaps.unlock(); return nil }
            Locks.heaps.unlock()
            heap = Heap(raw)
            initialize(heap)
        }
        heap.state.pointee.threadID = Platform.threadID()
        swiftmm_shim_set_heap(heap.raw)
        Platform.registerThread(heap.raw)
        ExtendedThreads.attach(heap)
        if forkHandlersRegistered.compareExchange(expected: 0, desired: 1, ordering: .relaxed).exchanged {
            Platform.registerForkHandlers(prepare: forkPrepare, parent: forkParent, child: forkChild)
        }
        return heap
    }

    /// Unlinks `preferred` from the pool if it is among its first `poolSearchLimit` heaps, else the first one.
    /// Callers hold `Locks.heaps`.
    private static func takeFromPool(preferring preferred: UInt) -> RawPointer? {
        guard let first = pool else { return nil }
        if preferred != 0 && UInt(bitPattern: first) != preferred {
            var previous = Heap(first)
            var steps = 0
            while let next = previous.state.pointee.poolNext, steps < poolSearchLimit {
                if UInt(bitPattern: next) == preferred {
                    previous.state.pointee.poolNext = Heap(next).state.pointee.poolNext
                    return next
                }
                previous = Heap(next)
                steps &+= 1
            }
        }
        pool = Heap(first).state.pointee.poolNext
        return first
    }

    /// How far `takeFromPool` looks for a preferred heap.
    static let poolSearchLimit = 256

    /// Reads the options once. Nothing here allocates, so threads that arrive meanwhile simply wait.
    static func startProcess() {
        if processState.load(ordering: .acquiring) == 2 { return }
        if processState.compareExchange(expected: 0, desired: 1, ordering: .acquiring).exchanged {
            LayoutCheck.verify()
            Options.load()
            LiveAnchor.publish()
            if Options.debug { DebugMode.install() }        // before any block exists: every block is a debug block
            processState.store(2, ordering: .releasing)
            return
        }
        while processState.load(ordering: .acquiring) != 2 { Platform.yield() }
    }

    private static func carveHeap() -> RawPointer? {
        if metadataNext == nil || metadataNext == metadataEnd {
            let chunk = 64 &* Heap.byteSize
            guard let p = Platform.mapMemory(chunk, name: .metadata) else { return nil }
            metadataNext = p
            metadataEnd = p + chunk
        }
        let raw = metadataNext.unsafelyUnwrapped
        metadataNext = raw + Heap.byteSize
        return raw
    }

    private static func initialize(_ heap: Heap) {
        let emptyPage = Heap.emptyPage
        for i in 0..<Int(SMM_DIRECT_ENTRIES) { heap.setDirect(i, emptyPage) }
        heap.state.initialize(to: HeapState(
            initialized: 1, threadID: 0, segments: nil, segmentsWithRoom: nil, slowTicks: 0, lastPurge: 0, lastPurgeCost: 0, dirtyBytes: 0,
            poolNext: nil, allNext: nil, largeAllocations: 0, largeFrees: 0, returnCursor: 0, remoteReady: Atomic<UInt>(0)))
        for c in 0..<Geometry.classCount { heap.queue(c).initialize(to: PageQueue(first: nil, last: nil)) }
        created.add(1, ordering: .relaxed)
        var head = all.load(ordering: .relaxed)
        while true {
            heap.state.pointee.allNext = RawPointer(bitPattern: head)
            let (done, seen) = all.compareExchange(expected: head, desired: heap.address, ordering: .releasing)
            if done { break }
            head = seen
        }
    }

    /// The thread-exit hook: returns what the heap can to the OS and puts it in the pool.
    static func endThread(_ heap: Heap) {
        guard heap.isInitialized, heap.raw != Heap.empty.raw else { return }
        ExtendedThreads.detach(heap)
        ForeignBlocks.flush(heap)
        SlowPath.collectRemoteFrees(heap)
        SlowPath.releaseKeptEmptyPages(heap)
        Segments.purge(heap, now: Platform.nowNanoseconds(), force: true)
        if swiftmm_shim_heap() == heap.raw { swiftmm_shim_set_heap(Heap.empty.raw) }
        heap.state.pointee.threadID = 0
        Locks.heaps.lock()
        heap.state.pointee.poolNext = pool
        pool = heap.raw
        Locks.heaps.unlock()
    }

    /// Calls `body` for every heap ever created.
    static func forEach(_ body: (Heap) -> Void) {
        var p = RawPointer(bitPattern: all.load(ordering: .acquiring))
        while let raw = p {
            let heap = Heap(raw)
            body(heap)
            p = heap.state.pointee.allNext
        }
    }
}

// Fork: take every global lock so that the child never inherits one held by a thread that does not exist
// there, then release them in the parent and reset them in the child.
private let forkPrepare: @convention(c) () -> Void = {
    ExtendedLocks.lockBeforeCore()
    Locks.heaps.lock(); Locks.segments.lock(); Locks.large.lock()
    ExtendedLocks.lockAfterCore()
}
private let forkParent: @convention(c) () -> Void = {
    ExtendedLocks.unlockAfterCore()
    Locks.large.unlock(); Locks.segments.unlock(); Locks.heaps.unlock()
    ExtendedLocks.unlockBeforeCore()
}
private let forkChild: @convention(c) () -> Void = {
    Locks.large.reset(); Locks.segments.reset(); Locks.heaps.reset()
    ExtendedLocks.reset()
}

@c public func swiftmm_core_thread_exit(_ heap: UnsafeMutableRawPointer?) {
    guard let heap else { return }
    Heaps.endThread(Heap(heap))
}
