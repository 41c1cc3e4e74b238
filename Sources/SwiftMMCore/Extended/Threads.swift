// The extended API's per-thread state: the heap's extension record (the last 256 bytes of the 4 KiB heap),
// the thread's own heap while its heap pointer is redirected by a custom memory manager, and the registry of
// TLS slots that `smm_set_memory_manager` redirects.
import SwiftMMShim
import Synchronization

/// Byte offsets inside the heap's extension record (at `Heap.extendedOffset`).
enum HeapExtension {
    /// The address of the owning thread's `swiftmm_tls_heap`, or nil (pooled heap). Guarded by `ExtendedThreads.lock`.
    static let tlsSlot = 0
    /// Per memory-block kind: head of the thread's free-block cache, then its count.
    static let blockHeads = 8
    static let blockCounts = 48
    /// Per kind: the thread's current chunk's unused part (bump allocation).
    static let blockBumpNext = 88
    static let blockBumpEnd = 128
    static let end = 168
}

extension Heap {
    @inline(__always) var extended: RawPointer { raw + Heap.extendedOffset }
}

enum ExtendedThreads {
    /// Guards the TLS-slot registry against `smm_set_memory_manager` redirecting threads.
    static let lock = SpinLock()
    /// Value of the own-heap TLS once the thread ran its exit hook.
    static let exitedMarker: UInt = 1

    /// The calling thread's own heap, whether or not its heap pointer is redirected.
    @inline(__always)
    static func ownHeap() -> Heap? {
        guard let raw = swiftmm_shim_own_heap(), UInt(bitPattern: raw) > exitedMarker else { return nil }
        return Heap(raw)
    }

    /// True once the calling thread ran its exit hook: it must not be given a heap again without need.
    @inline(__always)
    static var hasExited: Bool { UInt(bitPattern: swiftmm_shim_own_heap()) == exitedMarker }

    /// The calling thread's own heap, created if the thread has none yet.
    static func ensureOwnHeap() -> Heap? {
        if let own = ownHeap() { return own }
        let current = Heap.current
        if current.isInitialized { return current }
        return Heaps.startThread()
    }

    /// A thread with a heap that allocates through the slow path on the empty heap: give it its heap back,
    /// unless a custom memory manager is installed.
    static func resume(_ own: Heap) -> Heap {
        lock.lock()
        if !MemoryManagers.isActive { swiftmm_shim_set_heap(own.raw) }
        lock.unlock()
        return own
    }

    /// A thread got a heap: record it and its TLS slot; stay redirected while a custom manager is installed.
    static func attach(_ heap: Heap) {
        let exited = hasExited
        swiftmm_shim_set_own_heap(heap.raw)
        lock.lock()
        // A thread that allocates after its exit hook never runs it again: do not let anyone write to its TLS.
        heap.extended.storeBytes(of: exited ? nil : swiftmm_shim_tls_heap_slot(), toByteOffset: HeapExtension.tlsSlot,
                                 as: UnsafeMutablePointer<UnsafeMutableRawPointer?>?.self)
        let active = MemoryManagers.isActive
        if active { swiftmm_shim_set_heap(Heap.empty.raw) }
        lock.unlock()
        if active { MemoryManagers.threadStarted() }
    }

    /// The thread-exit hook: unregister the TLS slot, hand cached memory blocks back, tell the manager.
    static func detach(_ heap: Heap) {
        lock.lock()
        heap.extended.storeBytes(of: nil, toByteOffset: HeapExtension.tlsSlot, as: UnsafeMutablePointer<UnsafeMutableRawPointer?>?.self)
        lock.unlock()
        MemoryBlocks.flushCache(heap)
        if swiftmm_shim_own_heap() == heap.raw { swiftmm_shim_set_own_heap(RawPointer(bitPattern: exitedMarker)) }
        if MemoryManagers.isActive { MemoryManagers.threadEnded() }
    }

    /// Points every registered thread's heap pointer at the empty heap: its next allocation takes the slow path.
    /// Callers hold `lock`.
    static func redirectAll() {
        let empty = Heap.empty.raw
        Heaps.forEach { heap in
            if let slot = heap.extended.load(fromByteOffset: HeapExtension.tlsSlot, as: UnsafeMutablePointer<UnsafeMutableRawPointer?>?.self) {
                slot.pointee = empty
            }
        }
    }

    /// Runs `body` on the calling thread's own heap (SwiftMM's allocator proper), even while its heap pointer is
    /// redirected to a custom manager. The default manager's functions run here.
    @inline(__always)
    static func direct<T>(_ failure: T, _ body: () -> T) -> T {
        guard let own = ensureOwnHeap() else { return failure }
        swiftmm_shim_set_heap(own.raw)
        let result = body()
        if MemoryManagers.isActive {
            swiftmm_shim_set_heap(Heap.empty.raw)
        } else {
            swiftmm_shim_set_heap(own.raw)
            // An install that ran meanwhile may have redirected the slot before the store above: look again.
            atomicMemoryFence(ordering: .sequentiallyConsistent)
            if MemoryManagers.isActive { swiftmm_shim_set_heap(Heap.empty.raw) }
        }
        return result
    }
}

/// The extended API's locks around fork, in order: a locked memory manager's calls may reach the core's locks
/// (so its lock comes first); debug mode's registry and report locks are never held while another is taken; the
/// region registry is a leaf.
enum ExtendedLocks {
    static func lockBeforeCore() { MemoryManagers.callLock.lock(); ExtendedThreads.lock.lock(); DebugRegistry.lock.lock(); DebugReport.lock.lock() }
    static func lockAfterCore() { Regions.lock.lock() }
    static func unlockAfterCore() { Regions.lock.unlock() }
    static func unlockBeforeCore() {
        DebugReport.lock.unlock(); DebugRegistry.lock.unlock(); ExtendedThreads.lock.unlock(); MemoryManagers.callLock.unlock()
    }
    static func reset() {
        Regions.lock.reset(); DebugReport.lock.reset(); DebugRegistry.lock.reset(); ExtendedThreads.lock.reset(); MemoryManagers.callLock.reset()
    }
}
