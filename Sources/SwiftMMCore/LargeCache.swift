// Freed large mappings kept for reuse, so that programs that free and allocate big buffers in a loop do not
// pay mmap, munmap and page faults each time. Entries older than the purge delay are unmapped: at the next use
// of the cache or the next timed purge.
//
// Each entry remembers the mapping it is a piece of (`LargeEntry.mapping`): a cached mapping bigger than a
// request is split, and a block that later grows into the piece that follows it, cut from the same mapping,
// takes that piece over without a system call (`takeFollowing`).
import SwiftMMShim

struct LargeCacheSlot {
    var address: UInt
    var mapSize: Int
    /// The start of the mapping (as the kernel made or last moved it) this piece belongs to.
    var mapping: UInt
    var freedAt: UInt64
}
typealias LargeCacheSlots = UnsafeMutablePointer<LargeCacheSlot>

/// A piece of memory the cache hands out: where it is, its size, and the mapping it belongs to.
struct LargeCachePiece {
    var address: RawPointer
    var mapSize: Int
    var mapping: UInt
}

/// The cache of freed large mappings. Every function expects `Locks.large` held.
enum LargeCache {
    static let slotCount = 16
    nonisolated(unsafe) static var entries: LargeCacheSlots? = nil
    nonisolated(unsafe) static var bytes = 0

    private static func cacheSlots() -> LargeCacheSlots? {
        if let slots = entries { return slots }
        guard let raw = Platform.mapMemory(Geometry.osPageSize, name: .metadata) else { return nil }
        let slots = raw.assumingMemoryBound(to: LargeCacheSlot.self)
        entries = slots
        return slots
    }

    /// Serves a request from the cache. The smallest mapping that fits is taken, split when it is bigger by a
    /// large block or more (the tail stays cached for later requests). Failing that, the biggest mapping is
    /// grown with mremap: its pages are resident already, and only the new part will fault.
    static func take(_ mapSize: Int, alignment: Int) -> LargeCachePiece? {
        guard bytes > 0, let slots = cacheSlots() else { return nil }
        expire(slots)
        var best = -1
        var biggest = -1
        for i in 0..<slotCount where slots[i].address != 0 && slots[i].address & UInt(alignment &- 1) == 0 {
            let size = slots[i].mapSize
            if size >= mapSize {
                if best < 0 || size < slots[best].mapSize { best = i }
            } else if biggest < 0 || size > slots[biggest].mapSize {
                biggest = i
            }
        }
        if best >= 0, let p = RawPointer(bitPattern: slots[best].address) {
            let mapping = slots[best].mapping
            let rest = slots[best].mapSize &- mapSize
            if rest > mapSize && rest > Geometry.mediumMax {
                slots[best].address &+= UInt(mapSize)
                slots[best].mapSize = rest
                bytes &-= mapSize
                return LargeCachePiece(address: p, mapSize: mapSize, mapping: mapping)
            }
            slots[best].address = 0
            bytes &-= mapSize &+ rest
            return LargeCachePiece(address: p, mapSize: mapSize &+ rest, mapping: mapping)
        }
        guard biggest >= 0, alignment <= Geometry.osPageSize, let p = RawPointer(bitPattern: slots[biggest].address) else { return nil }
        let size = slots[biggest].mapSize
        let mapping = slots[biggest].mapping
        slots[biggest].address = 0
        bytes &-= size
        guard let q = Platform.remap(p, from: size, to: mapSize, mayMove: true) else {
            Platform.unmap(p, size, committed: size)
            return nil
        }
        LargeBlocks.adviseHugePages(q, mapSize, previous: size)
        return LargeCachePiece(address: q, mapSize: mapSize, mapping: q == p ? mapping : UInt(bitPattern: q))
    }

    /// The bytes a block ending at `end`, a piece of `mapping`, may take over from the cached piece of the same
    /// mapping that starts right there: `wanted` bytes, or the whole piece when no more than a medium block's worth
    /// (`Geometry.mediumMax`) would be left, or what the piece has when it is smaller. 0 when no such piece is cached.
    ///
    /// Without this, a buffer that a split served and that then grows step by step cannot grow in place (the
    /// cached rest of its mapping is in the way), so it moves on, and the rest, resident, stays in the cache
    /// while the buffer faults in new memory elsewhere.
    static func takeFollowing(_ end: UInt, mapping: UInt, wanted: Int) -> Int {
        guard bytes > 0, let slots = cacheSlots() else { return 0 }
        for i in 0..<slotCount where slots[i].address == end && slots[i].mapping == mapping {
            let available = slots[i].mapSize
            let taken = available &- wanted > Geometry.mediumMax ? wanted : available
            if taken == available { slots[i].address = 0 } else {
                slots[i].address &+= UInt(taken)
                slots[i].mapSize = available &- taken
            }
            bytes &-= taken
            return taken
        }
        return 0
    }

    /// Keeps a freed block's mapping for reuse, or gives back what the caller must unmap (outside the lock). A piece
    /// that borders a cached piece of the same mapping joins it, so that a mapping split to serve smaller requests
    /// is whole again once they are all freed. Mappings of up to a quarter of `Options.largeCache` are kept, evicting
    /// the oldest entries to stay within it. A bigger one, up to `oversizedLimit` times the cap, is kept alone (the
    /// other entries are evicted) until the delay expires or the next free: a program that builds a big buffer,
    /// frees it and builds the next one then grows into memory already resident instead of faulting it in afresh
    /// each round (the `large` benchmark's buffers of up to 64 MiB: 246 k page faults a run before, 60 k now).
    static func put(_ freed: LargeEntry) -> LargeCachePiece? {
        var piece = LargeCacheSlot(address: freed.address, mapSize: freed.mapSize, mapping: freed.mapping,
                                   freedAt: Platform.nowNanoseconds())
        guard let slots = cacheSlots() else { return unmapping(piece) }
        expire(slots)
        joinNeighbours(&piece, slots)
        guard piece.mapSize <= Options.largeCache &* oversizedLimit else { return unmapping(piece) }
        let room = piece.mapSize > Options.largeCache / 4 ? piece.mapSize : Options.largeCache   // alone, or in the cap
        var free = -1
        var oldest = 0
        for i in 0..<slotCount {
            if slots[i].address == 0 { free = i; break }
            if slots[i].freedAt < slots[oldest].freedAt { oldest = i }
        }
        if free < 0 { evict(slots, oldest); free = oldest }
        while bytes &+ piece.mapSize > room {
            var victim = -1
            for i in 0..<slotCount where slots[i].address != 0 && (victim < 0 || slots[i].freedAt < slots[victim].freedAt) { victim = i }
            if victim < 0 { return unmapping(piece) }
            evict(slots, victim)
        }
        slots[free] = piece
        bytes &+= piece.mapSize
        return nil
    }

    private static func unmapping(_ piece: LargeCacheSlot) -> LargeCachePiece? {
        RawPointer(bitPattern: piece.address).map { LargeCachePiece(address: $0, mapSize: piece.mapSize, mapping: piece.mapping) }
    }

    /// How many times `Options.largeCache` a single cached mapping may reach.
    static let oversizedLimit = 4

    /// Takes out of the cache the pieces of `piece`'s mapping that lie right before and after it, and makes
    /// `piece` cover them too.
    private static func joinNeighbours(_ piece: inout LargeCacheSlot, _ slots: LargeCacheSlots) {
        var joined = true
        while joined {
            joined = false
            for i in 0..<slotCount where slots[i].address != 0 && slots[i].mapping == piece.mapping {
                let before = slots[i].address &+ UInt(slots[i].mapSize) == piece.address
                guard before || piece.address &+ UInt(piece.mapSize) == slots[i].address else { continue }
                if before { piece.address = slots[i].address }
                piece.mapSize &+= slots[i].mapSize
                bytes &-= slots[i].mapSize
                slots[i].address = 0
                joined = true
            }
        }
    }

    /// Unmaps the cached mappings that have waited out the purge delay (the timed purges call this, so that a
    /// program that stops using large blocks still gets their memory back).
    static func expireOld() {
        guard let slots = entries else { return }
        expire(slots)
    }

    private static func expire(_ slots: LargeCacheSlots) {
        let now = Platform.nowNanoseconds()
        let delay = Options.purgeDelayMilliseconds &* 1_000_000
        for i in 0..<slotCount where slots[i].address != 0 && now &- slots[i].freedAt >= delay { evict(slots, i) }
    }

    private static func evict(_ slots: LargeCacheSlots, _ i: Int) {
        guard let p = RawPointer(bitPattern: slots[i].address) else { return }
        Platform.unmap(p, slots[i].mapSize, committed: slots[i].mapSize)
        bytes &-= slots[i].mapSize
        slots[i].address = 0
    }

    /// Unmaps every cached mapping now.
    static func flush() {
        if let slots = entries { for i in 0..<slotCount { evict(slots, i) } }
    }
}
