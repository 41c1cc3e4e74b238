// Blocks registered as expected leaks (FastMM's RegisterExpectedMemoryLeak), left out of leak reports.
// An open-addressing set of block addresses in memory mapped for it; it grows, so there is no fixed limit.
import SwiftMMShim
import Synchronization

enum ExpectedLeaks {
    static let lock = SpinLock()
    nonisolated(unsafe) static var table: UnsafeMutablePointer<UInt>? = nil
    nonisolated(unsafe) static var capacity = 0
    nonisolated(unsafe) static var count = 0
    private static let tombstone = UInt.max

    @inline(__always)
    private static func slot(_ address: UInt) -> Int {
        Int(truncatingIfNeeded: ((address &>> 4) &* 0x9E37_79B9_7F4A_7C15) &>> 16) & (capacity &- 1)
    }

    /// The start of the live block holding `p`, or nil when SwiftMM does not own such a block.
    static func blockStart(_ p: RawPointer) -> UInt? {
        if DebugMode.isOn, let raw = DebugMode.rawBlock(p) { return blockStart(RawPointer(bitPattern: raw).unsafelyUnwrapped) }
        let address = UInt(bitPattern: p)
        if isInSegment(address) {
            let page = pageOf(address)
            guard page.pointee.owner != 0, let start = page.pointee.start else { return nil }
            let size = page.pointee.blockSize
            return address &- UInt(bitPattern: offsetInBlock(address, start: start, blockSize: size))
        }
        return LargeBlocks.entry(p) == nil ? nil : address
    }

    static func register(_ p: RawPointer) -> Bool {
        guard let block = blockStart(p) else { return false }
        lock.lock(); defer { lock.unlock() }
        if contains(block) { return true }
        if (count &+ 1) &* 2 > capacity && !grow() { return false }
        insert(block)
        return true
    }

    static func unregister(_ p: RawPointer) -> Bool {
        guard let block = blockStart(p) else { return false }
        lock.lock(); defer { lock.unlock() }
        guard let table, capacity > 0 else { return false }
        var i = slot(block)
        while table[i] != 0 {
            if table[i] == block { table[i] = tombstone; count &-= 1; return true }
            i = (i &+ 1) & (capacity &- 1)
        }
        return false
    }

    /// Whether `block` is registered; callers hold `lock`.
    static func contains(_ block: UInt) -> Bool {
        guard let table, capacity > 0 else { return false }
        var i = slot(block)
        while table[i] != 0 {
            if table[i] == block { return true }
            i = (i &+ 1) & (capacity &- 1)
        }
        return false
    }

    private static func insert(_ block: UInt) {
        let table = self.table.unsafelyUnwrapped
        var i = slot(block)
        while table[i] != 0 && table[i] != tombstone { i = (i &+ 1) & (capacity &- 1) }
        table[i] = block
        count &+= 1
    }

    private static func grow() -> Bool {
        let newCapacity = capacity == 0 ? 512 : capacity &* 2
        guard let raw = Platform.mapMemory(newCapacity &* MemoryLayout<UInt>.stride, name: .metadata) else { return false }
        let old = table, oldCapacity = capacity
        table = raw.assumingMemoryBound(to: UInt.self)
        capacity = newCapacity
        count = 0
        if let old {
            for i in 0..<oldCapacity where old[i] != 0 && old[i] != tombstone { insert(old[i]) }
            Platform.unmap(RawPointer(old), oldCapacity &* MemoryLayout<UInt>.stride, committed: oldCapacity &* MemoryLayout<UInt>.stride)
        }
        return true
    }
}

@c public func smm_register_expected_leak(_ p: UnsafeMutableRawPointer?) -> Int32 {
    guard let p else { return 0 }
    return ExpectedLeaks.register(p) ? 1 : 0
}

@c public func smm_unregister_expected_leak(_ p: UnsafeMutableRawPointer?) -> Int32 {
    guard let p else { return 0 }
    return ExpectedLeaks.unregister(p) ? 1 : 0
}
