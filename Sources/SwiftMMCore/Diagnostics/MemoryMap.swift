// A map of SwiftMM's own memory (FastMM's GetMemoryMap): every page with its size class and use, the free
// slice runs (still committed, or decommitted), segment headers and large blocks.
import SwiftMMShim
import Synchronization

enum MemoryMap {
    /// Writes up to `capacity` regions, after skipping the first `skip`, to `buffer`; returns how many
    /// regions there are in all.
    static func regions(_ buffer: UnsafeMutablePointer<smm_region_t>?, capacity: Int, skip: Int = 0) -> Int {
        var count = 0
        func emit(_ r: smm_region_t) {
            if let buffer, count >= skip, count &- skip < capacity { buffer[count &- skip] = r }
            count &+= 1
        }
        Locks.segments.lock()
        Heaps.forEach { heap in
            var segment = heap.state.pointee.segments
            while let seg = segment {
                emit(smm_region_t(address: UInt64(UInt(bitPattern: seg)), size: UInt64(Geometry.sliceSize), tier: UInt32(SMM_REGION_METADATA),
                                  class_index: -1, use: UInt32(SMM_USE_METADATA), blocks_in_use: 0, block_size: 0))
                segment = seg.pointee.next
            }
        }
        Locks.segments.unlock()
        HeapWalk.forEachPage({ page in
            emit(smm_region_t(address: UInt64(page.start), size: UInt64(page.bytes), tier: HeapReport.tier(ofClass: page.classIndex),
                              class_index: Int32(page.classIndex), use: UInt32(SMM_USE_ALLOCATED),
                              blocks_in_use: UInt32(page.used), block_size: UInt64(page.blockSize)))
        }, freeRun: { start, bytes, committed in
            emit(smm_region_t(address: UInt64(start), size: UInt64(bytes), tier: UInt32(SMM_REGION_METADATA), class_index: -1,
                              use: committed ? UInt32(SMM_USE_FREE) : UInt32(SMM_USE_DECOMMITTED), blocks_in_use: 0, block_size: 0))
        })
        Locks.large.lock()
        LargeRegistry.forEach { entry in
            emit(smm_region_t(address: UInt64(entry.address), size: UInt64(entry.mapSize), tier: UInt32(SMM_TIER_LARGE), class_index: -1,
                              use: UInt32(SMM_USE_ALLOCATED), blocks_in_use: 1, block_size: UInt64(entry.size)))
        }
        Locks.large.unlock()
        return count
    }

    static func print(_ fd: Int32) {
        var out = Output(fd: fd)
        out.text("swiftmm: memory map (pid "); out.int(Platform.processID()); out.text(")\n")
        out.text("  address             size        tier      class  block size  blocks  use\n")
        out.flush()
        // Regions are printed in batches of 8 through a stack buffer, so printing allocates nothing.
        var batch: (smm_region_t, smm_region_t, smm_region_t, smm_region_t, smm_region_t, smm_region_t, smm_region_t, smm_region_t)
            = (smm_region_t(), smm_region_t(), smm_region_t(), smm_region_t(), smm_region_t(), smm_region_t(), smm_region_t(), smm_region_t())
        var printed = 0
        while true {
            let more = withUnsafeMutableBytes(of: &batch) { raw -> Int in
                let slots = raw.bindMemory(to: smm_region_t.self)
                let total = regions(slots.baseAddress, capacity: 8, skip: printed)
                let here = max(0, min(8, total &- printed))
                for i in 0..<here { line(&out, slots[i]) }
                return here
            }
            if more == 0 { break }
            printed &+= more
        }
        out.flush()
    }

    private static func line(_ out: inout Output, _ r: smm_region_t) {
        out.text("  "); out.hex(UInt(r.address)); out.text("  "); out.bytes(Int(r.size)); out.text("  ")
        switch Int(r.tier) {
        case SMM_TIER_SMALL: out.text("small ")
        case SMM_TIER_MEDIUM: out.text("medium")
        case SMM_TIER_LARGE: out.text("large ")
        default: out.text("-     ")
        }
        out.text("  ")
        if r.class_index >= 0 { out.padded(UInt64(r.class_index), width: 5) } else { out.text("    -") }
        out.padded(r.block_size, width: 12); out.padded(UInt64(r.blocks_in_use), width: 8); out.text("  ")
        switch Int(r.use) {
        case SMM_USE_ALLOCATED: out.text("allocated")
        case SMM_USE_FREE: out.text("free")
        case SMM_USE_DECOMMITTED: out.text("decommitted")
        default: out.text("metadata")
        }
        out.text("\n")
    }
}

@c public func smm_memory_map(_ buffer: UnsafeMutablePointer<smm_region_t>?, _ capacity: Int) -> Int {
    MemoryMap.regions(buffer, capacity: max(0, capacity))
}

@c public func smm_print_memory_map(_ fd: Int32) { MemoryMap.print(fd) }
