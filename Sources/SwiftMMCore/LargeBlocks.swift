// Large blocks (above 256 KiB): each is its own mapping, found through a registry keyed by address,
// resized with mremap rather than copied, and kept a short while after free for reuse.
import SwiftMMShim
import Synchronization

/// One live large block.
struct LargeEntry {
    var address: UInt      // 0: empty slot
    var mapSize: Int
    var size: Int
    var alignment: Int
    /// The start of the kernel mapping the block is a piece of, as mmap made it or mremap last moved it
    /// (LargeCache.swift: a block grows into the cached piece of its own mapping that follows it).
    var mapping: UInt
}

/// An open-addressing table of the live large blocks (linear probing, backward-shift deletion),
/// in memory mapped for it. Guarded by `Locks.large`.
enum LargeRegistry {
    nonisolated(unsafe) static var table: UnsafeMutablePointer<LargeEntry>? = nil
    nonisolated(unsafe) static var capacity = 0
    nonisolated(unsafe) static var count = 0
    nonisolated(unsafe) static var bytes = 0

    @inline(__always)
    private static func slot(_ address: UInt) -> Int {
        Int(truncatingIfNeeded: ((address &>> 12) &* 0x9E37_79B9_7F4A_7C15) &>> 20) & (capacity &- 1)
    }

    static func find(_ address: UInt) -> LargeEntry? {
        guard let table, let i = index(address) else { return nil }
        return table[i]
    }

    /// The slot of the block at `address`, if it is registered.
    private static func index(_ address: UInt) -> Int? {
        guard let table else { return nil }
        var i = slot(address)
        while table[i].address != 0 {
            if table[i].address == address { return i }
            i = (i &+ 1) & (capacity &- 1)
        }
        return nil
    }

    /// Lets `change` update the entry of the block at `address` in its slot (its address and map size must stay);
    /// false when no block is registered there or `change` declines.
    static func resize(_ address: UInt, _ change: (inout LargeEntry) -> Bool) -> Bool {
        guard let table, let i = index(address) else { return false }
        return change(&table[i])
    }

    /// Replaces the entry of the block at `address` with `entry`, which may be at another address; returns the
    /// entry replaced. A block that stays where it is keeps its slot (a buffer that realloc grows within its mapping
    /// costs one lookup, not a removal and an insertion).
    static func replace(_ address: UInt, with entry: LargeEntry) -> LargeEntry? {
        guard entry.address == address, let table, let i = index(address) else {
            let removed = remove(address)
            _ = insert(entry)
            return removed
        }
        let replaced = table[i]
        table[i] = entry
        bytes &+= entry.mapSize &- replaced.mapSize
        return replaced
    }

    static func insert(_ entry: LargeEntry) -> Bool {
        if (count &+ 1) &* 2 > capacity && !grow() { return false }
        let table = self.table.unsafelyUnwrapped
        var i = slot(entry.address)
        while table[i].address != 0 { i = (i &+ 1) & (capacity &- 1) }
        table[i] = entry
        count &+= 1
        bytes &+= entry.mapSize
        return true
    }

    static func remove(_ address: UInt) -> LargeEntry? {
        guard let table else { return nil }
        let mask = capacity &- 1
        var i = slot(address)
        while table[i].address != address {
            if table[i].address == 0 { return nil }
            i = (i &+ 1) & mask
        }
        let removed = table[i]
        // Backward-shift: move later entries of the probe chain into the hole.
        var hole = i
        var j = (i &+ 1) & mask
        while table[j].address != 0 {
            let home = slot(table[j].address)
            let distanceToJ = (j &- home) & mask
            let distanceToHole = (hole &- home) & mask
            if distanceToHole < distanceToJ { table[hole] = table[j]; hole = j }
            j = (j &+ 1) & mask
        }
        table[hole] = LargeEntry(address: 0, mapSize: 0, size: 0, alignment: 0, mapping: 0)
        count &-= 1
        bytes &-= removed.mapSize
        return removed
    }

    private static func grow() -> Bool {
        let newCapacity = capacity == 0 ? 1024 : capacity &* 2
        guard let raw = Platform.mapMemory(newCapacity &* MemoryLayout<LargeEntry>.stride, name: .metadata) else { return false }
        let old = table
        let oldCapacity = capacity
        table = raw.assumingMemoryBound(to: LargeEntry.self)
        capacity = newCapacity
        count = 0
        bytes = 0
        if let old {
            for i in 0..<oldCapacity where old[i].address != 0 { _ = insert(old[i]) }
            Platform.unmap(RawPointer(old), oldCapacity &* MemoryLayout<LargeEntry>.stride, committed: oldCapacity &* MemoryLayout<LargeEntry>.stride)
        }
        return true
    }

    static func forEach(_ body: (LargeEntry) -> Void) {
        guard let table else { return }
        for i in 0..<capacity where table[i].address != 0 { body(table[i]) }
    }
}

enum LargeBlocks {
    static func pageRound(_ size: Int) -> Int? {
        let (s, overflow) = size.addingReportingOverflow(Geometry.osPageSize &- 1)
        if overflow || s < 0 { return nil }
        return s & ~(Geometry.osPageSize &- 1)
    }

    /// A large block of at least `size` bytes aligned to `alignment` (a power of two; every large block is page
    /// aligned, and the registry keeps `alignment` so that realloc keeps it: 16 for plain blocks).
    static func allocate(_ heap: Heap, _ size: Int, alignment: Int, zeroed: Bool) -> RawPointer? {
        guard size >= 0, size <= Int.max / 2, let mapSize = pageRound(max(size, 1)) else {
            Platform.setErrno(ENOMEM); return nil
        }
        var reused: LargeCachePiece? = nil
        if !zeroed {
            Locks.large.lock()
            reused = LargeCache.take(mapSize, alignment: alignment)
            Locks.large.unlock()
        }
        var actualMap = mapSize
        var p: RawPointer?
        var mapping: UInt = 0
        if let reused {
            p = reused.address
            actualMap = reused.mapSize
            mapping = reused.mapping
        } else {
            p = Platform.mapAligned(mapSize, alignment: alignment, name: .large, committed: mapSize)
            if let p, !zeroed { adviseHugePages(p, mapSize, previous: 0) }   // calloc'd tables are often sparse
            mapping = UInt(bitPattern: p)
        }
        guard let block = p else { Platform.setErrno(ENOMEM); return nil }
        Locks.large.lock()
        let registered = LargeRegistry.insert(LargeEntry(address: UInt(bitPattern: block), mapSize: actualMap, size: size,
                                                         alignment: alignment, mapping: mapping))
        Locks.large.unlock()
        if !registered {
            Platform.unmap(block, actualMap, committed: actualMap)
            Platform.setErrno(ENOMEM)
            return nil
        }
        if heap.isInitialized { heap.state.pointee.largeAllocations &+= 1 } else { Statistics.unownedLargeAllocations.add(1, ordering: .relaxed) }
        Statistics.noteGrowth(actualMap)
        return block
    }

    /// Frees a pointer outside the segments: a large block, NULL (ignored), or a pointer SwiftMM does not own.
    @inline(never)
    static func free(_ address: UInt) {
        guard let p = RawPointer(bitPattern: address) else { return }
        free(p)
    }

    static func free(_ p: RawPointer) {
        if MemoryManagers.isActive && !Heap.current.isInitialized { return MemoryManagers.freeOutsideSegments(p) }
        Locks.large.lock()
        guard let entry = LargeRegistry.remove(UInt(bitPattern: p)) else {
            Locks.large.unlock()
            if MemoryManagers.freeRetired(p) { return }     // a block of a memory manager installed earlier
            return Diagnostics.invalidFree(p, reason: "double free, or a pointer SwiftMM never handed out")
        }
        let notKept = LargeCache.put(entry)
        Locks.large.unlock()
        if let notKept { Platform.unmap(notKept.address, notKept.mapSize, committed: notKept.mapSize) }
        let heap = Heap.current
        if heap.isInitialized { heap.state.pointee.largeFrees &+= 1 } else { Statistics.unownedLargeFrees.add(1, ordering: .relaxed) }
    }

    /// `free` for free_sized and its kin: the size reaches debug mode's checks when it is on.
    @inline(never)
    static func freeSized(_ address: UInt, size: Int, alignment: Int) {
        guard let p = RawPointer(bitPattern: address) else { return }
        if DebugMode.takesSizedFree { return DebugMode.free(p, size: size, alignment: alignment) }
        free(p)
    }

    static func entry(_ p: RawPointer) -> LargeEntry? {
        Locks.large.lock()
        defer { Locks.large.unlock() }
        return LargeRegistry.find(UInt(bitPattern: p))
    }

    /// Resizes the large block at `p` in place when its mapping holds `size` bytes and is less than twice too big,
    /// with one lookup under the lock; false when it needs more (`reallocate`) or is not a large block. A buffer that
    /// realloc grows a little at a time mostly stays within its mapping (realloc from 256 KiB to 4 MB in 16-byte
    /// steps, 20 times: 372 M instructions with the lookup, the removal and the insertion `reallocate` makes, 256 M now).
    static func resizeWithinMapping(_ p: RawPointer, _ size: Int) -> Bool {
        guard let newMap = pageRound(max(size, 1)) else { return false }
        Locks.large.lock()
        defer { Locks.large.unlock() }
        return LargeRegistry.resize(UInt(bitPattern: p)) { entry in
            guard newMap <= entry.mapSize && newMap > entry.mapSize / 2 else { return false }
            entry.size = size
            return true
        }
    }

    /// Resizes a large block: in place when the new size fits the mapping or mremap can extend it, else
    /// mremap moves the pages (page-table entries, not data: the pages already touched are reused). A block
    /// that becomes small moves to the small or medium tier. Without `keepContents` (reget) nothing is copied.
    static func reallocate(_ p: RawPointer, _ entry: LargeEntry, _ size: Int, keepContents: Bool = true) -> RawPointer? {
        guard let newMap = pageRound(max(size, 1)), size <= Int.max / 2 else { Platform.setErrno(ENOMEM); return nil }
        if size <= Geometry.mediumMax && newMap <= entry.mapSize / 2 {
            guard let q = Allocator.allocate(size, alignment: entry.alignment) else { return nil }
            if keepContents { memcpy(q, p, size) }
            free(p)
            return q
        }
        if newMap <= entry.mapSize {
            var mapSize = entry.mapSize
            if newMap <= entry.mapSize / 2, Platform.remap(p, from: entry.mapSize, to: newMap, mayMove: false) != nil {
                mapSize = newMap
            }
            update(p, p, mapSize: mapSize, size: size, alignment: entry.alignment, mapping: entry.mapping)
            return p
        }
        // Grow by at least an eighth, so that a buffer grown step by step is not remapped at every step.
        let target = max(newMap, pageRound(entry.mapSize &+ entry.mapSize / 8) ?? newMap)
        // First into the cached rest of its own mapping, if that follows it: no system call, memory reused.
        let mapSize = entry.mapSize &+ takeFollowingCached(p, entry, wanted: target &- entry.mapSize)
        if mapSize > entry.mapSize {
            // The pieces may differ in huge-page advice, which splits a mapping in the kernel: advise the whole
            // block so that it is one mapping again (mremap moves or grows only within one).
            adviseHugePages(p, mapSize, previous: 0)
            if mapSize >= newMap {
                update(p, p, mapSize: mapSize, size: size, alignment: entry.alignment, mapping: entry.mapping)
                return p
            }
        }
        if let q = Platform.remap(p, from: mapSize, to: target, mayMove: false) {
            adviseHugePages(q, target, previous: mapSize)
            update(p, q, mapSize: target, size: size, alignment: entry.alignment, mapping: entry.mapping)
            return q
        }
        if entry.alignment <= Geometry.osPageSize, let q = Platform.remap(p, from: mapSize, to: target, mayMove: true) {
            adviseHugePages(q, target, previous: mapSize)
            update(p, q, mapSize: target, size: size, alignment: entry.alignment, mapping: q == p ? entry.mapping : UInt(bitPattern: q))
            return q
        }
        if mapSize > entry.mapSize { update(p, p, mapSize: mapSize, size: entry.size, alignment: entry.alignment, mapping: entry.mapping) }
        // Over-aligned blocks cannot let the kernel choose the address: allocate aligned (and copy).
        guard let q = allocate(Heap.current, keepContents ? size : target, alignment: entry.alignment, zeroed: false) else { return nil }
        if keepContents { memcpy(q, p, entry.size < size ? entry.size : size) }
        free(p)
        return q
    }

    /// A mapping that reaches `Options.hugePagesFrom` asks for huge pages once (the advice stays with the
    /// mapping as mremap grows or moves it).
    static func adviseHugePages(_ p: RawPointer, _ mapSize: Int, previous: Int) {
        let from = Options.hugePagesFrom
        if from > 0 && mapSize >= from && previous < from { Platform.adviseHugePages(p, mapSize) }
    }

    private static func update(_ old: RawPointer, _ new: RawPointer, mapSize: Int, size: Int, alignment: Int, mapping: UInt) {
        Locks.large.lock()
        let replaced = LargeRegistry.replace(UInt(bitPattern: old), with: LargeEntry(address: UInt(bitPattern: new), mapSize: mapSize, size: size,
                                                                                       alignment: alignment, mapping: mapping))
        Locks.large.unlock()
        let previousMapSize = replaced?.mapSize ?? mapSize
        if mapSize > previousMapSize { Statistics.noteGrowth(mapSize &- previousMapSize) }
    }

    private static func takeFollowingCached(_ p: RawPointer, _ entry: LargeEntry, wanted: Int) -> Int {
        Locks.large.lock()
        defer { Locks.large.unlock() }
        return LargeCache.takeFollowing(UInt(bitPattern: p) &+ UInt(entry.mapSize), mapping: entry.mapping, wanted: wanted)
    }

    /// Unmaps the cached mappings older than the purge delay. (A racy look first: most purges find the cache empty.)
    static func expireCache() {
        guard LargeCache.bytes > 0 else { return }
        Locks.large.lock()
        LargeCache.expireOld()
        Locks.large.unlock()
    }

    /// Unmaps every cached mapping now.
    static func flushCache() {
        Locks.large.lock()
        LargeCache.flush()
        Locks.large.unlock()
    }
}
