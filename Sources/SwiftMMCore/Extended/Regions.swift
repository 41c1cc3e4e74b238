// The registry of the extended API's mappings: page runs (smm_pages_*), memory-block chunks and JIT chunks.
// An open-addressing table keyed by start address (linear probing, backward-shift deletion) in mapped memory;
// containment queries scan it (they serve smm_memory_options and smm_owns, not hot paths).
import SwiftMMShim

struct Region {
    var address: UInt      // 0: empty slot
    var size: Int
    var kind: Int
    var extra: Int         // blocks: the block size; JIT: the address of the other view
}

enum RegionKind {
    static let pages = 1
    static let blockChunk = 2
    static let jitWritable = 3
    static let jitExecutable = 4
}

enum Regions {
    static let lock = SpinLock()
    nonisolated(unsafe) static var table: UnsafeMutablePointer<Region>? = nil
    nonisolated(unsafe) static var capacity = 0
    nonisolated(unsafe) static var count = 0

    @inline(__always)
    private static func slot(_ address: UInt) -> Int {
        Int(truncatingIfNeeded: ((address &>> 12) &* 0x9E37_79B9_7F4A_7C15) &>> 24) & (capacity &- 1)
    }

    static func insert(_ region: Region) -> Bool {
        lock.lock()
        defer { lock.unlock() }
        return insertLocked(region)
    }

    private static func insertLocked(_ region: Region) -> Bool {
        if (count &+ 1) &* 2 > capacity && !grow() { return false }
        let table = self.table.unsafelyUnwrapped
        var i = slot(region.address)
        while table[i].address != 0 { i = (i &+ 1) & (capacity &- 1) }
        table[i] = region
        count &+= 1
        return true
    }

    /// The region that starts at `address`.
    static func find(_ address: UInt) -> Region? {
        lock.lock()
        defer { lock.unlock() }
        guard let table else { return nil }
        var i = slot(address)
        while table[i].address != 0 {
            if table[i].address == address { return table[i] }
            i = (i &+ 1) & (capacity &- 1)
        }
        return nil
    }

    /// The region that holds `address`.
    static func containing(_ address: UInt) -> Region? {
        lock.lock()
        defer { lock.unlock() }
        guard let table else { return nil }
        for i in 0..<capacity where table[i].address != 0 && address &- table[i].address < UInt(table[i].size) {
            return table[i]
        }
        return nil
    }

    @discardableResult
    static func remove(_ address: UInt) -> Region? {
        lock.lock()
        defer { lock.unlock() }
        guard let table else { return nil }
        let mask = capacity &- 1
        var i = slot(address)
        while table[i].address != address {
            if table[i].address == 0 { return nil }
            i = (i &+ 1) & mask
        }
        let removed = table[i]
        var hole = i
        var j = (i &+ 1) & mask
        while table[j].address != 0 {
            let home = slot(table[j].address)
            if (hole &- home) & mask < (j &- home) & mask { table[hole] = table[j]; hole = j }
            j = (j &+ 1) & mask
        }
        table[hole] = Region(address: 0, size: 0, kind: 0, extra: 0)
        count &-= 1
        return removed
    }

    private static func grow() -> Bool {
        let newCapacity = capacity == 0 ? 256 : capacity &* 2
        let bytes = newCapacity &* MemoryLayout<Region>.stride
        guard let raw = Platform.mapMemory(bytes, name: .metadata) else { return false }
        let old = table
        let oldCapacity = capacity
        table = raw.assumingMemoryBound(to: Region.self)
        capacity = newCapacity
        count = 0
        if let old {
            for i in 0..<oldCapacity where old[i].address != 0 { _ = insertLocked(old[i]) }
            let oldBytes = oldCapacity &* MemoryLayout<Region>.stride
            Platform.unmap(RawPointer(old), oldBytes, committed: oldBytes)
        }
        return true
    }
}
