// Pluggable memory manager, Free Pascal style: a record of function pointers the standard names route through.
//
// Zero cost while none is installed: the fast paths are untouched. Installing a manager sets a flag that only
// slow paths read and points every thread's heap pointer (its TLS slot, registered when the thread got its heap)
// at the static empty heap, so each thread's next malloc fails its fast path; the slow path then sees the flag
// and calls the manager. Frees of SwiftMM blocks on a redirected thread land in SlowPath.free (the page's owner
// is not the empty heap) or LargeBlocks.free, which route them. calloc, realloc and malloc_usable_size read the
// flag on entry. Removing the manager clears the flag; each thread takes its own heap back at its next slow path.
//
// SwiftMM's own record (smm_get_memory_manager before any install) runs on the thread's own heap whatever the
// TLS says, so an installed manager can chain to it. A manager that does so is a layer: from its first call
// into SwiftMM's record on, it also receives the frees of blocks SwiftMM owns (and passes on those it did not
// allocate); a manager that never calls SwiftMM only receives the frees of pointers SwiftMM does not own.
//
// Debug mode (SMM_DEBUG=1, Diagnostics/Debug) is such a layer, installed when the process starts; while it is on,
// it stands for SwiftMM's own record (smm_set_memory_manager restoring SwiftMM reinstalls it).
import SwiftMMShim
import Synchronization

typealias ManagerRecord = UnsafeMutablePointer<smm_memory_manager>

enum MemoryManagers {
    /// Address of the installed custom record (immutable once published, never freed); 0: SwiftMM's own.
    static let installed = Atomic<UInt>(0)
    /// The last custom record installed, kept after it is replaced: frees of pointers SwiftMM does not own go
    /// to it, so that blocks a manager handed out can still be freed after SwiftMM's own is back.
    static let retired = Atomic<UInt>(0)
    /// 1 once the installed manager called into SwiftMM's record.
    static let layered = Atomic<UInt32>(0)
    /// Serialises calls into managers that set `needs_lock`.
    static let callLock = SpinLock()
    nonisolated(unsafe) static var recordsNext: RawPointer? = nil
    nonisolated(unsafe) static var recordsEnd: RawPointer? = nil

    @inline(__always) static var isActive: Bool { installed.load(ordering: .acquiring) != 0 }

    @inline(__always) static var record: ManagerRecord? { ManagerRecord(bitPattern: installed.load(ordering: .acquiring)) }

    static var defaultRecord: smm_memory_manager {
        smm_memory_manager(needs_lock: 0, getmem: defaultGetmem, freemem: defaultFreemem, freemem_size: defaultFreememSize,
                           allocmem: defaultAllocmem, reallocmem: defaultReallocmem, memsize: defaultMemsize,
                           init_thread: nil, done_thread: nil, heap_status: defaultHeapStatus)
    }

    @inline(__always)
    static func call<T>(_ r: ManagerRecord, _ body: () -> T) -> T {
        if r.pointee.needs_lock == 0 { return body() }
        callLock.lock()
        let result = body()
        callLock.unlock()
        return result
    }

    static func noteLayer() {
        if isActive && layered.load(ordering: .relaxed) == 0 { layered.store(1, ordering: .relaxed) }
    }

    /// True when `p` lies in a block of SwiftMM's three tiers (a large block: its start, or a debug block in it).
    static func ownsBlock(_ p: RawPointer) -> Bool {
        let address = UInt(bitPattern: p)
        if isInSegment(address) { return pageOf(address).pointee.owner != 0 }
        return LargeBlocks.entry(p) != nil || (DebugMode.isOn && DebugMode.rawBlock(p) != nil)
    }

    // MARK: routing (slow paths only)

    /// malloc on a redirected thread.
    @inline(never)
    static func allocate(_ size: Int) -> RawPointer? {
        if ExtendedThreads.ownHeap() == nil { _ = ExtendedThreads.ensureOwnHeap() }   // registers it; init_thread
        guard let r = record, let getmem = r.pointee.getmem else {
            return ExtendedThreads.direct(nil) { Allocator.allocate(size) }
        }
        return call(r) { getmem(size) }
    }

    /// free, on a redirected thread, of a block SwiftMM owns.
    @inline(never)
    static func freeOwned(_ p: RawPointer) {
        if layered.load(ordering: .relaxed) != 0, let r = record, let freemem = r.pointee.freemem {
            return call(r) { freemem(p) }
        }
        if DebugMode.isOn { return DebugMode.free(p, size: -1, alignment: 0) }   // a manager over debug mode's
        ExtendedThreads.direct(()) { Allocator.free(p) }
    }

    /// free, on a redirected thread, of a pointer outside the segments.
    @inline(never)
    static func freeOutsideSegments(_ p: RawPointer) {
        if ownsBlock(p) { return freeOwned(p) }
        guard let r = record, let freemem = r.pointee.freemem else {
            return ExtendedThreads.direct(()) { Allocator.free(p) }
        }
        call(r) { freemem(p) }
    }

    static func allocateZeroed(_ count: Int, _ size: Int) -> RawPointer? {
        let (total, overflow) = count.multipliedReportingOverflow(by: size)
        if overflow || count < 0 || size < 0 { Platform.setErrno(ENOMEM); return nil }
        guard let r = record else { return ExtendedThreads.direct(nil) { Allocator.allocateZeroed(count, size) } }
        if let allocmem = r.pointee.allocmem { return call(r) { allocmem(total) } }
        guard let getmem = r.pointee.getmem, let p = call(r, { getmem(total) }) else { return nil }
        memset(p, 0, total)
        return p
    }

    static func reallocate(_ p: RawPointer?, _ size: Int) -> RawPointer? {
        guard let p else { return Allocator.allocate(size) }
        if size == 0 { Allocator.free(p); return nil }
        guard let r = record else { return ExtendedThreads.direct(nil) { Allocator.reallocate(p, size) } }
        if ownsBlock(p) && (layered.load(ordering: .relaxed) == 0 || r.pointee.reallocmem == nil) {
            if DebugMode.isOn { return DebugMode.reallocate(p, size, keep: true) }       // a debug block
            return ExtendedThreads.direct(nil) { Allocator.reallocate(p, size) }
        }
        if let reallocmem = r.pointee.reallocmem { return call(r) { reallocmem(p, size) } }
        // A manager without reallocmem: allocate, copy what its memsize says, free.
        guard let getmem = r.pointee.getmem, let q = call(r, { getmem(size) }) else { return nil }
        let old = r.pointee.memsize.map { memsize in call(r) { memsize(p) } } ?? 0
        memcpy(q, p, min(old, size))
        Allocator.free(p)
        return q
    }

    static func usableSize(_ p: RawPointer) -> Int {
        if DebugMode.isOn, let size = DebugMode.usableSize(p) { return size }
        if ownsBlock(p) { return Allocator.usableSize(p) }
        guard let r = record, let memsize = r.pointee.memsize else { return 0 }
        return call(r) { memsize(p) }
    }

    /// free of a pointer SwiftMM does not own while no manager is installed: the last one installed takes it.
    static func freeRetired(_ p: RawPointer) -> Bool {
        guard let r = ManagerRecord(bitPattern: retired.load(ordering: .acquiring)), let freemem = r.pointee.freemem else { return false }
        call(r) { freemem(p) }
        return true
    }

    static func threadStarted() {
        if let r = record, let initThread = r.pointee.init_thread { call(r) { initThread() } }
    }

    static func threadEnded() {
        if let r = record, let doneThread = r.pointee.done_thread { call(r) { doneThread() } }
    }

    /// A copy of `m` in metadata memory that is never freed (readers may still hold an old record).
    static func publish(_ m: smm_memory_manager) -> ManagerRecord? {
        let stride = MemoryLayout<smm_memory_manager>.stride
        if recordsNext == nil || recordsEnd.unsafelyUnwrapped - recordsNext.unsafelyUnwrapped < stride {
            guard let page = Platform.mapMemory(Geometry.osPageSize, name: .metadata) else { return nil }
            recordsNext = page
            recordsEnd = page + Geometry.osPageSize
        }
        let r = recordsNext.unsafelyUnwrapped.assumingMemoryBound(to: smm_memory_manager.self)
        recordsNext = recordsNext.unsafelyUnwrapped + stride
        r.initialize(to: m)
        return r
    }
}

// SwiftMM's own record: the allocator proper, on the calling thread's own heap.
private let defaultGetmem: @convention(c) (Int) -> UnsafeMutableRawPointer? = { size in
    MemoryManagers.noteLayer()
    return ExtendedThreads.direct(nil) { Allocator.allocate(size) }
}
private let defaultFreemem: @convention(c) (UnsafeMutableRawPointer?) -> Void = { p in
    MemoryManagers.noteLayer()
    ExtendedThreads.direct(()) { Allocator.free(p) }
}
private let defaultFreememSize: @convention(c) (UnsafeMutableRawPointer?, Int) -> Int = { p, size in
    MemoryManagers.noteLayer()
    guard let p else { return 0 }
    let usable = Allocator.usableSize(p)
    if usable == 0 || size < 0 || size > usable { return 0 }
    ExtendedThreads.direct(()) { Allocator.free(p) }
    return usable
}
private let defaultAllocmem: @convention(c) (Int) -> UnsafeMutableRawPointer? = { size in
    MemoryManagers.noteLayer()
    return ExtendedThreads.direct(nil) { Allocator.allocateZeroed(1, size) }
}
private let defaultReallocmem: @convention(c) (UnsafeMutableRawPointer?, Int) -> UnsafeMutableRawPointer? = { p, size in
    MemoryManagers.noteLayer()
    return ExtendedThreads.direct(nil) { Allocator.reallocate(p, size) }
}
private let defaultMemsize: @convention(c) (UnsafeMutableRawPointer?) -> Int = { p in
    guard let p else { return 0 }
    return Allocator.usableSize(p)
}
private let defaultHeapStatus: @convention(c) (UnsafeMutablePointer<smm_heap_status_t>?) -> Void = { out in
    smm_heap_status(out)
}

@c public func smm_get_memory_manager(_ out: UnsafeMutablePointer<smm_memory_manager>?) {
    guard let out else { return }
    out.pointee = MemoryManagers.record?.pointee ?? MemoryManagers.defaultRecord
}

@c public func smm_set_memory_manager(_ manager: UnsafePointer<smm_memory_manager>?) -> Int32 {
    let isDefault = manager.map { m in
        m.pointee.getmem.map { unsafeBitCast($0, to: UInt.self) } == unsafeBitCast(defaultGetmem, to: UInt.self)
    } ?? true
    if isDefault {
        ExtendedThreads.lock.lock()
        // In debug mode, SwiftMM's own is the debug layer: every block SwiftMM holds is a debug block.
        if DebugMode.isOn { DebugMode.activateLocked(); ExtendedThreads.lock.unlock(); return 0 }
        MemoryManagers.installed.store(0, ordering: .sequentiallyConsistent)
        ExtendedThreads.lock.unlock()
        return 0
    }
    let m = manager.unsafelyUnwrapped.pointee
    if m.getmem == nil || m.freemem == nil { return EINVAL }
    ExtendedThreads.lock.lock()
    guard let r = MemoryManagers.publish(m) else { ExtendedThreads.lock.unlock(); return ENOMEM }
    MemoryManagers.layered.store(0, ordering: .relaxed)
    MemoryManagers.installed.store(UInt(bitPattern: r), ordering: .sequentiallyConsistent)
    MemoryManagers.retired.store(UInt(bitPattern: r), ordering: .releasing)
    ExtendedThreads.redirectAll()
    ExtendedThreads.lock.unlock()
    return 0
}

@c public func smm_get_heap_status(_ out: UnsafeMutablePointer<smm_heap_status_t>?) {
    guard let out else { return }
    if let r = MemoryManagers.record, let status = r.pointee.heap_status { return MemoryManagers.call(r) { status(out) } }
    defaultHeapStatus(out)
}
