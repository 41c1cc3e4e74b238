// Queries about pointers (smm_memory_options, smm_owns = DidAlloc) and smm_heap_minimize.
import SwiftMMShim
import Synchronization

enum Queries {
    /// Fills `info` for `p`; returns the tier.
    static func describe(_ p: UInt, _ info: inout smm_memory_info) -> Int32 {
        info = smm_memory_info(tier: Int32(SMM_TIER_NONE), rights: -1, base: nil, size: 0, alignment: 0, thread_id: 0)
        if p == 0 { return info.tier }
        info.alignment = Int(min(p & (0 &- p), UInt(1) &<< 20))
        if isInSegment(p) {
            let page = pageOf(p)
            let owner = page.pointee.owner
            guard owner != 0, let start = page.pointee.start, let end = page.pointee.bumpEnd,
                  p >= UInt(bitPattern: start), p < UInt(bitPattern: end) else { return finish(p, &info) }
            let size = page.pointee.blockSize
            info.base = RawPointer(bitPattern: p &- UInt(bitPattern: offsetInBlock(p, start: start, blockSize: size)))
            info.size = size
            info.tier = Int32(size <= Geometry.smallMax ? SMM_TIER_SMALL : SMM_TIER_MEDIUM)
            info.thread_id = Heap(RawPointer(bitPattern: owner & ~PageFlag.mask).unsafelyUnwrapped).state.pointee.threadID
            debugBlock(p, &info)
            return finish(p, &info)
        }
        if let entry = largeContaining(p) {
            info.tier = Int32(SMM_TIER_LARGE)
            info.base = RawPointer(bitPattern: entry.address)
            info.size = entry.mapSize
            debugBlock(p, &info)
            return finish(p, &info)
        }
        if let region = Regions.containing(p) {
            switch region.kind {
            case RegionKind.pages:
                info.tier = Int32(SMM_TIER_PAGES)
                info.base = RawPointer(bitPattern: region.address)
                info.size = region.size
            case RegionKind.blockChunk:
                if p &- region.address >= UInt(region.extra) {      // slot 0 is the chunk header
                    info.tier = Int32(SMM_TIER_BLOCK)
                    info.base = RawPointer(bitPattern: p & ~UInt(region.extra &- 1))
                    info.size = region.extra
                }
            default:
                info.tier = Int32(SMM_TIER_JIT)
                info.base = RawPointer(bitPattern: region.address)
                info.size = region.size
            }
        }
        return finish(p, &info)
    }

    /// Debug mode: a pointer into a live debug block describes that block (the pointer handed out, the size asked for).
    private static func debugBlock(_ p: UInt, _ info: inout smm_memory_info) {
        guard DebugMode.isOn, let base = info.base, let h = DebugLookup.containing(p, blockStart: UInt(bitPattern: base), blockSize: info.size),
              h.pointee.state == DebugState.live else { return }
        info.base = RawPointer(bitPattern: h.pointee.user)
        info.size = h.pointee.size
    }

    /// Debug mode: whether `p` lies in the data of a live debug block; nil when it is in no debug block.
    private static func ownsDebug(_ p: UInt) -> Bool? {
        guard DebugMode.isOn else { return nil }
        var info = smm_memory_info()
        if isInSegment(p) {
            let page = pageOf(p)
            guard page.pointee.owner != 0, let start = page.pointee.start else { return nil }
            let size = page.pointee.blockSize
            info.base = RawPointer(bitPattern: p &- UInt(bitPattern: offsetInBlock(p, start: start, blockSize: size)))
            info.size = size
        } else if let entry = largeContaining(p) {
            info.base = RawPointer(bitPattern: entry.address)
            info.size = entry.mapSize
        }
        guard let base = info.base, let h = DebugLookup.containing(p, blockStart: UInt(bitPattern: base), blockSize: info.size) else { return nil }
        return h.pointee.state == DebugState.live && p >= h.pointee.user && p <= h.pointee.user &+ UInt(h.pointee.size)
    }

    private static func finish(_ p: UInt, _ info: inout smm_memory_info) -> Int32 {
        info.rights = MapsReader.rights(p)
        return info.tier
    }

    static func largeContaining(_ p: UInt) -> LargeEntry? {
        Locks.large.lock()
        defer { Locks.large.unlock() }
        if let exact = LargeRegistry.find(p) { return exact }
        var found: LargeEntry? = nil
        LargeRegistry.forEach { entry in
            if p &- entry.address < UInt(entry.mapSize) { found = entry }
        }
        return found
    }

    static func owns(_ p: UInt) -> Bool {
        if p == 0 { return false }
        if let live = ownsDebug(p) { return live }
        if isInSegment(p) {
            let page = pageOf(p)
            guard page.pointee.owner != 0, let start = page.pointee.start, let next = page.pointee.bumpNext else { return false }
            return p >= UInt(bitPattern: start) && p < UInt(bitPattern: next)
        }
        if largeContaining(p) != nil { return true }
        guard let region = Regions.containing(p) else { return false }
        return region.kind != RegionKind.blockChunk || p &- region.address >= UInt(region.extra)
    }

    static func minimize() -> Int {
        let before = OSCounters.committed.load(ordering: .relaxed)
        DebugMode.emptyQuarantine()
        if let heap = ExtendedThreads.ownHeap() ?? (Heap.current.isInitialized ? Heap.current : nil) {
            ForeignBlocks.flush(heap)          // other heaps' blocks this thread kept go back to their owners
            SlowPath.collectRemoteFrees(heap)
            Segments.purge(heap, now: Platform.nowNanoseconds(), force: true)
            MemoryBlocks.flushCache(heap, discard: true)
        }
        LargeBlocks.flushCache()
        return max(0, before &- OSCounters.committed.load(ordering: .relaxed))
    }
}

@c public func smm_memory_options(_ p: UnsafeRawPointer?, _ out: UnsafeMutablePointer<smm_memory_info>?) -> Int32 {
    var info = smm_memory_info()
    let tier = Queries.describe(UInt(bitPattern: p), &info)
    out?.pointee = info
    return tier
}

@c public func smm_owns(_ p: UnsafeRawPointer?) -> Int32 {
    Queries.owns(UInt(bitPattern: p)) ? 1 : 0
}

@c public func smm_heap_minimize() -> Int {
    Queries.minimize()
}
