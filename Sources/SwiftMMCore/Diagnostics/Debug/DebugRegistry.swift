// Debug mode: the registry of debug blocks. Live blocks sit in a doubly linked list (for smm_check_heap);
// freed blocks wait in the quarantine, a FIFO bounded by count (SMM_DEBUG_QUARANTINE_COUNT) and bytes
// (SMM_DEBUG_QUARANTINE). A block pushed out of the quarantine is checked (guards and the freed fill: a write
// after free changed it) and only then given back to the allocator.
//
// One spin lock guards both lists and every header's state and links. Nothing is called while it is held
// (no allocation, no stack capture, no output): checks that find damage copy the header and report after
// unlocking.
import SwiftMMShim
import Synchronization

enum DebugRegistry {
    static let lock = SpinLock()
    /// The allocation number of the last debug block.
    static let serial = Atomic<UInt64>(0)
    nonisolated(unsafe) static var liveHead: UInt = 0
    nonisolated(unsafe) static var liveCount = 0
    /// Oldest first.
    nonisolated(unsafe) static var quarantineHead: UInt = 0
    nonisolated(unsafe) static var quarantineTail: UInt = 0
    nonisolated(unsafe) static var quarantineCount = 0
    nonisolated(unsafe) static var quarantineBytes = 0

    // MARK: lists (callers hold `lock`)

    static func link(_ h: DebugHeaderPointer) {
        h.pointee.prev = 0
        h.pointee.next = liveHead
        if let head = DebugHeaderPointer(bitPattern: liveHead) { head.pointee.prev = UInt(bitPattern: h) }
        liveHead = UInt(bitPattern: h)
        liveCount &+= 1
    }

    static func unlink(_ h: DebugHeaderPointer) {
        if let prev = DebugHeaderPointer(bitPattern: h.pointee.prev) { prev.pointee.next = h.pointee.next } else { liveHead = h.pointee.next }
        if let next = DebugHeaderPointer(bitPattern: h.pointee.next) { next.pointee.prev = h.pointee.prev }
        h.pointee.prev = 0
        h.pointee.next = 0
        liveCount &-= 1
    }

    private static func enqueue(_ h: DebugHeaderPointer) {
        h.pointee.next = 0
        h.pointee.prev = quarantineTail
        if let tail = DebugHeaderPointer(bitPattern: quarantineTail) { tail.pointee.next = UInt(bitPattern: h) } else { quarantineHead = UInt(bitPattern: h) }
        quarantineTail = UInt(bitPattern: h)
        quarantineCount &+= 1
        quarantineBytes &+= DebugLayout.footprint(h)
    }

    private static func dequeue() -> DebugHeaderPointer? {
        guard let h = DebugHeaderPointer(bitPattern: quarantineHead) else { return nil }
        quarantineHead = h.pointee.next
        if let next = DebugHeaderPointer(bitPattern: quarantineHead) { next.pointee.prev = 0 } else { quarantineTail = 0 }
        h.pointee.next = 0
        quarantineCount &-= 1
        quarantineBytes &-= DebugLayout.footprint(h)
        return h
    }

    private static var overLimit: Bool {
        quarantineCount > Options.debugQuarantineCount || quarantineBytes > Options.debugQuarantineBytes
    }

    // MARK: quarantine

    /// Holds a freed block (state `freeing`, data filled) in the quarantine; the blocks that pushes out are
    /// checked and released. A block bigger than the whole quarantine is released at once.
    static func quarantine(_ h: DebugHeaderPointer) {
        if DebugLayout.footprint(h) > Options.debugQuarantineBytes || Options.debugQuarantineCount <= 0 {
            h.pointee.state = DebugState.released
            return DebugMode.releaseRaw(h.pointee.rawBlock)
        }
        lock.lock()
        h.pointee.state = DebugState.quarantined
        enqueue(h)
        let full = overLimit
        lock.unlock()
        if full { evict(all: false, label: "found leaving the quarantine by") }
    }

    /// Takes blocks out of the quarantine (while it is over its bounds, or all of them), checks and releases them.
    static func evict(all: Bool, label: StaticString) {
        while true {
            var batch: (UInt, UInt, UInt, UInt, UInt, UInt, UInt, UInt, UInt, UInt, UInt, UInt, UInt, UInt, UInt, UInt)
                = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
            let taken = withUnsafeMutableBytes(of: &batch) { slots -> Int in
                var n = 0
                lock.lock()
                while n < 16 && (all || overLimit), let h = dequeue() {
                    h.pointee.state = DebugState.freeing
                    slots.storeBytes(of: UInt(bitPattern: h), toByteOffset: n &* 8, as: UInt.self)
                    n &+= 1
                }
                lock.unlock()
                return n
            }
            withUnsafeBytes(of: &batch) { slots in
                for i in 0..<taken {
                    let h = DebugHeaderPointer(bitPattern: slots.load(fromByteOffset: i &* 8, as: UInt.self)).unsafelyUnwrapped
                    checkAndRelease(h, label: label)
                }
            }
            if taken < 16 { return }
        }
    }

    /// A block leaving the quarantine: report damage (a write after free, or guards), then release it.
    private static func checkAndRelease(_ h: DebugHeaderPointer, label: StaticString) {
        if let damage = DebugCheck.damage(h, freed: true) {
            DebugReport.report(DebugEvent(title: DebugReport.title(damage), address: h.pointee.user, header: h.pointee,
                                          damage: damage, freeLabel: "freed by", current: DebugCurrentStack.capture(),
                                          currentLabel: label))
        }
        h.pointee.state = DebugState.released
        DebugMode.releaseRaw(h.pointee.rawBlock)
    }

    // MARK: smm_check_heap

    /// A corrupt block found by `checkHeap`, copied under the lock.
    private struct Corruption {
        var header: DebugHeader
        var damage: DebugDamage
        var freed: Bool
    }

    /// Checks the guards of every live block and the guards and fill of every quarantined block, reports each
    /// corrupt one (the first `maxReported` in full), and returns how many there are.
    static func checkHeap() -> Int {
        let maxReported = 64
        let scratchBytes = maxReported &* MemoryLayout<Corruption>.stride
        guard let scratch = Platform.mapMemory(scratchBytes, name: .metadata) else { return 0 }
        defer { Platform.unmap(scratch, scratchBytes, committed: scratchBytes) }
        let found = scratch.assumingMemoryBound(to: Corruption.self)
        var count = 0
        func note(_ h: DebugHeaderPointer, freed: Bool) {
            guard let damage = DebugCheck.damage(h, freed: freed) else { return }
            if count < maxReported { (found + count).initialize(to: Corruption(header: h.pointee, damage: damage, freed: freed)) }
            count &+= 1
            // Reported now (the copy keeps the evidence): repaired, so that it is not reported again.
            DebugLayout.repairGuards(h)
            if freed { memset(DebugLayout.user(h), Int32(DebugLayout.freedByte), h.pointee.size) }
        }
        lock.lock()
        var cursor = liveHead
        while let h = DebugHeaderPointer(bitPattern: cursor) { note(h, freed: false); cursor = h.pointee.next }
        cursor = quarantineHead
        while let h = DebugHeaderPointer(bitPattern: cursor) { note(h, freed: true); cursor = h.pointee.next }
        lock.unlock()
        guard count > 0 else { return 0 }
        let current = DebugCurrentStack.capture()
        for i in 0..<min(count, maxReported) {
            let c = found[i]
            DebugReport.report(DebugEvent(title: DebugReport.title(c.damage), address: c.header.user, header: c.header,
                                          damage: c.damage, freeLabel: c.freed ? "freed by" : nil, current: current,
                                          currentLabel: "found by smm_check_heap in"), deferAbort: true)
        }
        var out = Output(fd: 2)
        out.text("swiftmm: debug: smm_check_heap found "); out.int(count)
        out.text(count == 1 ? " corrupt block" : " corrupt blocks")
        if count > maxReported { out.text(" ("); out.int(count &- maxReported); out.text(" more not shown)") }
        out.text("\n")
        out.flush()
        DebugReport.finish()
        return count
    }
}

/// Checks every live debug block (guards) and every quarantined one (guards and fill), reporting each corrupt
/// block. Returns how many are corrupt; 0 outside debug mode.
@c public func smm_check_heap() -> Int32 {
    Heaps.startProcess()
    guard DebugMode.isOn else { return 0 }
    return Int32(clamping: DebugRegistry.checkHeap())
}
