// Heap status (Free Pascal's TFPCHeapStatus) and the state per size class (FastMM's GetMemoryManagerState).
import SwiftMMShim
import Synchronization

enum HeapReport {
    static func tier(ofClass index: Int) -> UInt32 {
        SizeClass.blockSize(index) <= Geometry.smallMax ? UInt32(SMM_TIER_SMALL) : UInt32(SMM_TIER_MEDIUM)
    }

    static func state() -> smm_state_t {
        var s = smm_state_t()
        withUnsafeMutableBytes(of: &s.classes) { raw in
            let classes = raw.bindMemory(to: smm_class_state_t.self)
            for i in 0..<Geometry.classCount {
                let size = UInt64(SizeClass.blockSize(i))
                classes[i] = smm_class_state_t(tier: tier(ofClass: i), class_index: Int32(i), block_size: size,
                                             usable_size: size, blocks_allocated: 0, bytes_allocated: 0,
                                             bytes_reserved: 0, bytes_committed: 0)
            }
            HeapWalk.forEachPage({ page in
                classes[page.classIndex].blocks_allocated &+= UInt64(page.used)
                classes[page.classIndex].bytes_allocated &+= UInt64(page.used &* page.blockSize)
                classes[page.classIndex].bytes_reserved &+= UInt64(page.bytes)
                classes[page.classIndex].bytes_committed &+= UInt64(page.touched)
            })
            // Blocks that a thread freed and keeps for its own next allocations are free, though their pages count them.
            Heaps.forEach { heap in
                for i in 0..<ForeignBlocks.classLimit {
                    let cached = UInt64(ForeignBlocks.cachedBlocks(heap, i))
                    classes[i].blocks_allocated &-= min(cached, classes[i].blocks_allocated)
                    classes[i].bytes_allocated = classes[i].blocks_allocated &* classes[i].block_size
                }
            }
            var small = total(UInt32(SMM_TIER_SMALL))
            var medium = total(UInt32(SMM_TIER_MEDIUM))
            for i in 0..<Geometry.classCount {
                if classes[i].tier == UInt32(SMM_TIER_SMALL) { add(&small, classes[i]) } else { add(&medium, classes[i]) }
            }
            s.small_total = small
            s.medium_total = medium
        }
        var large = total(UInt32(SMM_TIER_LARGE))
        Locks.large.lock()
        LargeRegistry.forEach { entry in
            large.blocks_allocated &+= 1
            large.bytes_allocated &+= UInt64(entry.mapSize)
            large.bytes_reserved &+= UInt64(entry.mapSize)
            large.bytes_committed &+= UInt64(entry.mapSize)
        }
        Locks.large.unlock()
        s.large_total = large
        s.allocated = s.small_total.bytes_allocated &+ s.medium_total.bytes_allocated &+ large.bytes_allocated
        s.committed = UInt64(max(0, OSCounters.committed.load(ordering: .relaxed)))
        s.efficiency = s.committed == 0 ? 0 : Double(s.allocated) / Double(s.committed)
        return s
    }

    private static func total(_ tier: UInt32) -> smm_class_state_t {
        smm_class_state_t(tier: tier, class_index: -1, block_size: 0, usable_size: 0, blocks_allocated: 0,
                        bytes_allocated: 0, bytes_reserved: 0, bytes_committed: 0)
    }

    private static func add(_ sum: inout smm_class_state_t, _ c: smm_class_state_t) {
        sum.blocks_allocated &+= c.blocks_allocated
        sum.bytes_allocated &+= c.bytes_allocated
        sum.bytes_reserved &+= c.bytes_reserved
        sum.bytes_committed &+= c.bytes_committed
    }

    static func status() -> smm_heap_status_t {
        let s = state()
        let overhead = UInt64(HeapWalk.metadataBytes())
        let committed = s.committed
        Statistics.notePeak(Int(s.allocated))
        let used = s.allocated &+ overhead
        return smm_heap_status_t(
            reserved: UInt64(max(0, OSCounters.reserved.load(ordering: .relaxed))),
            committed: committed, allocated: s.allocated,
            free: committed > used ? committed &- used : 0, overhead: overhead,
            current_use: s.allocated, peak_use: UInt64(Statistics.peakInUse.load(ordering: .relaxed)))
    }

    static func printState(_ fd: Int32) {
        var s = state()
        var out = Output(fd: fd)
        out.text("swiftmm: state per size class (pid "); out.int(Platform.processID()); out.text(")\n")
        out.text("  tier    class  block size   blocks in use    allocated     reserved    committed\n")
        withUnsafeBytes(of: &s.classes) { raw in
            let classes = raw.bindMemory(to: smm_class_state_t.self)
            for c in classes where c.bytes_reserved > 0 { row(&out, c) }
        }
        row(&out, s.small_total); row(&out, s.medium_total); row(&out, s.large_total)
        out.text("  efficiency (allocated / committed): "); out.uint(UInt64(s.efficiency * 1000) / 10); out.byte(0x2E)
        out.uint(UInt64(s.efficiency * 1000) % 10); out.text(" %\n")
        out.flush()
    }

    private static func row(_ out: inout Output, _ c: smm_class_state_t) {
        switch Int(c.tier) {
        case SMM_TIER_SMALL: out.text("  small ")
        case SMM_TIER_MEDIUM: out.text("  medium")
        default: out.text("  large ")
        }
        if c.class_index >= 0 { out.padded(UInt64(c.class_index), width: 7); out.padded(c.block_size, width: 12) } else { out.text("  total            ") }
        out.padded(c.blocks_allocated, width: 16)
        out.text("  "); pad(&out, Int(c.bytes_allocated)); pad(&out, Int(c.bytes_reserved)); pad(&out, Int(c.bytes_committed))
        out.text("\n")
    }

    /// A byte figure in a 13-column field.
    private static func pad(_ out: inout Output, _ bytes: Int) {
        var probe = Output(fd: -1)
        probe.bytes(bytes)
        var width = probe.pendingCount
        while width < 12 { out.byte(0x20); width &+= 1 }
        out.bytes(bytes); out.byte(0x20)
    }
}

@c public func smm_heap_status(_ out: UnsafeMutablePointer<smm_heap_status_t>?) {
    guard let out else { return }
    out.pointee = HeapReport.status()
}

@c public func smm_state(_ out: UnsafeMutablePointer<smm_state_t>?) {
    guard let out else { return }
    out.pointee = HeapReport.state()
}

@c public func smm_print_state(_ fd: Int32) { HeapReport.printState(fd) }
