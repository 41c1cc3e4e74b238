// Debug mode (SMM_DEBUG=1), as FastMM5's debug mode: a layer that wraps the allocator proper.
//
// It is a memory manager (Extended/MemoryManagerRecord.swift) installed when the process starts (Heaps.startProcess),
// before any block exists, and chained to the allocator proper: so every thread's fast paths fail and its
// allocations and frees reach this layer through the slow paths, while the fast paths of a normal run stay as
// they are. What the record cannot carry goes through checks on slow paths: aligned allocations
// (Allocator.allocateAligned), free_sized / free_aligned_sized / C++ sized delete (FastPath.freeSized passes the
// size into the slow path only), malloc_usable_size and smm_reget.
//
// Each block gets a header with its size, allocation number, threads and call stacks, guard bytes on both
// sides, and fill patterns (DebugLayout.swift). Frees are checked (double free, a pointer never handed out,
// wrong size, damaged guards) and freed blocks wait in a quarantine (DebugRegistry.swift), where writes after
// free are found. Reports: DebugReport.swift.
import SwiftMMShim
import Synchronization

enum DebugMode {
    /// Set once, before any thread allocates (Heaps.startProcess), when SMM_DEBUG=1.
    nonisolated(unsafe) static var isOn = false
    /// The debug layer's published manager record.
    nonisolated(unsafe) static var record: UInt = 0

    static var managerRecord: smm_memory_manager {
        smm_memory_manager(needs_lock: 0, getmem: debugGetmem, freemem: debugFreemem, freemem_size: debugFreememSize,
                           allocmem: debugAllocmem, reallocmem: debugReallocmem, memsize: debugMemsize,
                           init_thread: nil, done_thread: nil, heap_status: nil)
    }

    /// Installs the layer: called by the first thread that starts the process, with the options loaded.
    static func install() {
        guard DebugLayout.layoutMatches else { return warn("the debug header has an unexpected layout") }
        DebugStacks.prepare()
        ExtendedThreads.lock.lock()
        guard let r = MemoryManagers.publish(managerRecord) else {
            ExtendedThreads.lock.unlock()
            return warn("no memory for the debug layer")
        }
        record = UInt(bitPattern: r)
        isOn = true
        MemoryManagers.retired.store(record, ordering: .releasing)
        activateLocked()
        ExtendedThreads.lock.unlock()
    }

    /// Makes the debug layer the installed manager again (smm_set_memory_manager restoring SwiftMM's own).
    /// Callers hold `ExtendedThreads.lock`.
    static func activateLocked() {
        MemoryManagers.layered.store(1, ordering: .relaxed)      // it calls the allocator proper: it sees every free
        MemoryManagers.installed.store(record, ordering: .sequentiallyConsistent)
        ExtendedThreads.redirectAll()
    }

    private static func warn(_ why: StaticString) {
        var out = Output(fd: 2)
        out.text("swiftmm: warning: SMM_DEBUG=1 ignored: "); out.text(why); out.text("\n")
        out.flush()
    }

    /// True when a sized free on this thread belongs to the debug layer (it is the installed manager and the
    /// thread is redirected to it).
    static var takesSizedFree: Bool {
        guard isOn, !Heap.current.isInitialized, let r = MemoryManagers.record, let getmem = r.pointee.getmem else { return false }
        return unsafeBitCast(getmem, to: UInt.self) == unsafeBitCast(debugGetmem, to: UInt.self)
    }

    // MARK: the allocator proper, on the thread's own heap

    static func releaseRaw(_ raw: UInt) {
        guard let p = RawPointer(bitPattern: raw) else { return }
        ExtendedThreads.direct(()) { Allocator.free(p) }
    }

    // MARK: operations

    /// A debug block of `size` bytes aligned to `alignment` (zeroed, or filled with 0xCD), tracked as live.
    static func allocate(_ size: Int, alignment: Int, zeroed: Bool) -> RawPointer? {
        let alignment = max(alignment, Geometry.minAlignment)
        guard let total = DebugLayout.rawSize(size, alignment: alignment) else { Platform.setErrno(ENOMEM); return nil }
        let block: RawPointer? = ExtendedThreads.direct(nil) {
            if alignment > Geometry.minAlignment { return Allocator.allocateAligned(alignment, total) }
            return zeroed ? Allocator.allocateZeroed(1, total) : Allocator.allocate(total)
        }
        guard let raw = block else { return nil }
        if zeroed && alignment > Geometry.minAlignment { memset(raw, 0, total) }
        let h = DebugLayout.format(raw, size, alignment: alignment, fill: !zeroed)
        h.pointee.allocFrameCount = UInt16(truncatingIfNeeded: DebugStacks.capture(DebugLayout.frames(h, free: false)))
        h.pointee.allocThread = DebugThreads.current()
        h.pointee.serial = DebugRegistry.serial.add(1, ordering: .relaxed).newValue
        DebugRegistry.lock.lock()
        DebugRegistry.link(h)
        DebugRegistry.lock.unlock()
        return DebugLayout.user(h)
    }

    /// free, free_sized (`size` ≥ 0) and free_aligned_sized (`alignment` > 0 too).
    static func free(_ p: RawPointer, size: Int, alignment: Int) {
        switch DebugLookup.find(p) {
        case .debug(let h): release(h, p, size: size, alignment: alignment)
        case .plain(let raw): releaseRaw(UInt(bitPattern: raw))
        case .inside(let h): reportInvalid(p, h, title: "free of a pointer inside a block, not its start", label: "freed by")
        case .invalid:
            if freeForeign(p) { return }
            reportInvalid(p, nil, title: "free of a pointer SwiftMM never handed out", label: "freed by")
        }
    }

    /// A pointer SwiftMM does not own, freed after a custom manager that was installed over debug mode was
    /// replaced: it goes back to that manager (as it does outside debug mode). False when there is none, or when
    /// that manager passed the pointer on to debug mode in the first place.
    private static func freeForeign(_ p: RawPointer) -> Bool {
        let retired = MemoryManagers.retired.load(ordering: .acquiring)
        guard retired != record, retired != MemoryManagers.installed.load(ordering: .acquiring), let r = ManagerRecord(bitPattern: retired),
              let freemem = r.pointee.freemem, let getmem = r.pointee.getmem,
              unsafeBitCast(getmem, to: UInt.self) != unsafeBitCast(debugGetmem, to: UInt.self),
              swiftmm_shim_debug_busy() & DebugBusy.forwarding == 0 else { return false }
        swiftmm_shim_set_debug_busy(swiftmm_shim_debug_busy() | DebugBusy.forwarding)
        MemoryManagers.call(r) { freemem(p) }
        swiftmm_shim_set_debug_busy(swiftmm_shim_debug_busy() & ~DebugBusy.forwarding)
        return true
    }

    /// The checks of a free, then the fill and the quarantine.
    private static func release(_ h: DebugHeaderPointer, _ p: RawPointer, size: Int, alignment: Int) {
        let current = DebugCurrentStack.capture()
        guard lockIfLive(h, p, current, .free, size: size, alignment: alignment) else { return }
        DebugRegistry.unlink(h)
        h.pointee.state = DebugState.freeing
        h.pointee.freeThread = current.thread
        h.pointee.freeFrames = current.frames
        h.pointee.freeFrameCount = UInt16(truncatingIfNeeded: current.count)
        DebugRegistry.lock.unlock()
        memset(p, Int32(DebugLayout.freedByte), h.pointee.size)
        DebugRegistry.quarantine(h)
    }

    /// What the program does with a block that is checked.
    enum Operation {
        case free, realloc, reget
        var label: StaticString {
            switch self {
            case .free: return "freed by"
            case .realloc: return "reallocated by"
            case .reget: return "regot (smm_reget) by"
            }
        }
    }

    /// Checks a block about to be freed or reallocated: it must be live, of the size and alignment given, with
    /// its guards intact. Reports what is wrong. Returns true, holding the registry's lock, when the operation
    /// goes on (the block is live); false when it must not (the block was freed already).
    private static func lockIfLive(_ h: DebugHeaderPointer, _ p: RawPointer, _ current: DebugCurrentStack, _ operation: Operation,
                                   size: Int, alignment: Int) -> Bool {
        DebugRegistry.lock.lock()
        let state = h.pointee.state
        if state != DebugState.live {
            let copy = h.pointee
            DebugRegistry.lock.unlock()
            let title: StaticString = operation == .realloc ? "realloc of a freed block"
                : operation == .reget ? "smm_reget of a freed block"
                : state == DebugState.released ? "double free (the block had already left the quarantine)" : "double free"
            DebugReport.report(DebugEvent(title: title, address: UInt(bitPattern: p), header: copy,
                                          freeLabel: operation == .free ? "first freed by" : "freed by", current: current,
                                          currentLabel: operation == .free ? "freed again by" : operation.label))
            return false
        }
        let wrongSize = size >= 0 && size != h.pointee.size
        let wrongAlignment = alignment > 0 && max(alignment, Geometry.minAlignment) != Int(h.pointee.alignment)
        let damage = DebugCheck.damage(h, freed: false)
        if !wrongSize && !wrongAlignment && damage == nil { return true }
        let copy = h.pointee
        DebugRegistry.lock.unlock()
        let address = UInt(bitPattern: p)
        if let damage {
            DebugReport.report(DebugEvent(title: DebugReport.title(damage), address: address, header: copy, damage: damage,
                                          current: current, currentLabel: operation.label), deferAbort: true)
        }
        if wrongSize {
            DebugReport.report(DebugEvent(title: "wrong size in free_sized (or C++ sized delete)", address: address,
                                          header: copy, givenSize: size, current: current, currentLabel: operation.label), deferAbort: true)
        }
        if wrongAlignment {
            DebugReport.report(DebugEvent(title: "wrong alignment in free_aligned_sized (or C++ aligned sized delete)",
                                          address: address, header: copy, givenAlignment: alignment,
                                          current: current, currentLabel: operation.label), deferAbort: true)
        }
        DebugReport.finish()
        // SMM_DEBUG_CONTINUE=1: repair the guards, so that the damage is reported once, and go on.
        DebugRegistry.lock.lock()
        if h.pointee.state != DebugState.live { DebugRegistry.lock.unlock(); return false }
        if damage != nil { DebugLayout.repairGuards(h) }
        return true
    }

    private static func reportInvalid(_ p: RawPointer, _ h: DebugHeaderPointer?, title: StaticString, label: StaticString) {
        let current = DebugCurrentStack.capture()
        var copy: DebugHeader? = nil
        if let h {
            DebugRegistry.lock.lock()
            copy = h.pointee
            DebugRegistry.lock.unlock()
        }
        DebugReport.report(DebugEvent(title: title, address: UInt(bitPattern: p), header: copy, current: current, currentLabel: label))
    }

    /// realloc (`keep`) and smm_reget (not `keep`): a new debug block, the old one freed (and quarantined), so
    /// that stale pointers to the old block are caught. A block that shrinks by at most half stays in place, as
    /// the allocator proper keeps it (its back guard moves).
    static func reallocate(_ p: RawPointer?, _ size: Int, keep: Bool) -> RawPointer? {
        guard let p else { return allocate(size, alignment: Geometry.minAlignment, zeroed: false) }
        if size == 0 { free(p, size: -1, alignment: 0); return nil }
        let operation: Operation = keep ? .realloc : .reget
        switch DebugLookup.find(p) {
        case .debug(let h):
            let current = DebugCurrentStack.capture()
            guard lockIfLive(h, p, current, operation, size: -1, alignment: 0) else { Platform.setErrno(EINVAL); return nil }
            let oldSize = h.pointee.size
            let alignment = Int(h.pointee.alignment)
            if size <= oldSize && size >= oldSize / 2 {
                h.pointee.size = size
                memset(p + size, Int32(DebugLayout.guardByte), DebugLayout.backGuardSize)
                DebugRegistry.lock.unlock()
                return p
            }
            DebugRegistry.lock.unlock()
            guard let q = allocate(size, alignment: alignment, zeroed: false) else { return nil }
            if keep { memcpy(q, p, min(oldSize, size)) }
            free(p, size: -1, alignment: 0)
            return q
        case .plain(let raw):
            guard let q = allocate(size, alignment: Geometry.minAlignment, zeroed: false) else { return nil }
            if keep { memcpy(q, raw, min(Allocator.usableSize(raw), size)) }
            releaseRaw(UInt(bitPattern: raw))
            return q
        case .inside(let h):
            reportInvalid(p, h, title: keep ? "realloc of a pointer inside a block, not its start" : "smm_reget of a pointer inside a block, not its start", label: operation.label)
        case .invalid:
            reportInvalid(p, nil, title: keep ? "realloc of a pointer SwiftMM never handed out" : "smm_reget of a pointer SwiftMM never handed out", label: operation.label)
        }
        Platform.setErrno(ENOMEM)
        return nil
    }

    /// malloc_usable_size: the size asked for (the data between the guards); nil when SwiftMM does not own `p`.
    static func usableSize(_ p: RawPointer) -> Int? {
        switch DebugLookup.find(p) {
        case .debug(let h): return h.pointee.state == DebugState.live ? h.pointee.size : 0
        case .plain(let raw): return Allocator.usableSize(raw)
        case .inside, .invalid: return nil
        }
    }

    /// The raw block holding the debug block at `p` (expected leaks are registered by raw block).
    static func rawBlock(_ p: RawPointer) -> UInt? {
        if case .debug(let h) = DebugLookup.find(p) { return h.pointee.rawBlock }
        return nil
    }

    /// At exit: every block still in the quarantine is checked (and released).
    static func atExit() {
        if isOn { DebugRegistry.evict(all: true, label: "found at exit by") }
    }

    /// smm_heap_minimize: the quarantine is emptied (each block checked) so that its memory can go back to the OS.
    static func emptyQuarantine() {
        if isOn { DebugRegistry.evict(all: true, label: "found by smm_heap_minimize in") }
    }
}

// The debug layer's memory-manager record. Like SwiftMM's own, its functions note that a manager installed over
// it calls it (a layer): that manager then sees every free.
private let debugGetmem: @convention(c) (Int) -> UnsafeMutableRawPointer? = { size in
    MemoryManagers.noteLayer()       // a manager installed over debug mode that calls it is a layer
    return DebugMode.allocate(size, alignment: Geometry.minAlignment, zeroed: false)
}
private let debugFreemem: @convention(c) (UnsafeMutableRawPointer?) -> Void = { p in
    MemoryManagers.noteLayer()       // a manager installed over debug mode that calls it is a layer
    guard let p else { return }
    DebugMode.free(p, size: -1, alignment: 0)
}
private let debugFreememSize: @convention(c) (UnsafeMutableRawPointer?, Int) -> Int = { p, size in
    MemoryManagers.noteLayer()       // a manager installed over debug mode that calls it is a layer
    guard let p, let usable = DebugMode.usableSize(p), usable > 0 || size == 0, size >= 0, size <= usable else { return 0 }
    DebugMode.free(p, size: -1, alignment: 0)
    return usable
}
private let debugAllocmem: @convention(c) (Int) -> UnsafeMutableRawPointer? = { size in
    MemoryManagers.noteLayer()       // a manager installed over debug mode that calls it is a layer
    return DebugMode.allocate(size, alignment: Geometry.minAlignment, zeroed: true)
}
private let debugReallocmem: @convention(c) (UnsafeMutableRawPointer?, Int) -> UnsafeMutableRawPointer? = { p, size in
    MemoryManagers.noteLayer()       // a manager installed over debug mode that calls it is a layer
    return DebugMode.reallocate(p, size, keep: true)
}
private let debugMemsize: @convention(c) (UnsafeMutableRawPointer?) -> Int = { p in
    guard let p else { return 0 }
    return DebugMode.usableSize(p) ?? 0
}
