// The live-state anchor (smm_live_anchor in the C shim): what `smm state PID` needs to read this process's
// heaps from outside with process_vm_readv. Filled in once, when the first heap is created (a slow path), with
// offsets the compiler chose (measured on real memory, never written) and the addresses of the counters.
import SwiftMMShim
import Synchronization

enum LiveAnchor {
    static func publish() {
        let anchor = swiftmm_shim_live_anchor().unsafelyUnwrapped
        if anchor.pointee.published != 0 { return }
        anchor.pointee.version_address = address(smm_version())
        anchor.pointee.segment_size = UInt64(Geometry.segmentSize)
        anchor.pointee.slice_size = UInt64(Geometry.sliceSize)
        anchor.pointee.slices_per_segment = UInt64(Geometry.slicesPerSegment)
        anchor.pointee.page_table_offset = UInt64(Geometry.pageTableOffset)
        anchor.pointee.page_stride = UInt64(1 &<< Geometry.pageStrideShift)
        anchor.pointee.small_max = UInt64(Geometry.smallMax)
        anchor.pointee.heap_bytes = UInt64(Heap.byteSize)
        anchor.pointee.class_count = UInt64(Geometry.classCount)
        withUnsafeMutableBytes(of: &anchor.pointee.class_block_size) { raw in
            let sizes = raw.bindMemory(to: UInt64.self)
            for i in 0..<min(Geometry.classCount, sizes.count) { sizes[i] = UInt64(SizeClass.blockSize(i)) }
        }

        anchor.pointee.heaps_address = withUnsafePointer(to: Heaps.all) { address($0) }
        let state = Heap.empty.state
        anchor.pointee.heap_state_offset = UInt64(Heap.stateOffset)
        anchor.pointee.state_segments = withUnsafeMutablePointer(to: &state.pointee.segments) { offset(state, $0) }
        anchor.pointee.state_all_next = withUnsafeMutablePointer(to: &state.pointee.allNext) { offset(state, $0) }

        // The empty page's memory stands in for a segment header: only field addresses are taken, nothing is read or written.
        let segment = UnsafeMutableRawPointer(Heap.emptyPage).assumingMemoryBound(to: SegmentHeader.self)
        anchor.pointee.segment_magic = UInt64(SegmentMagic.value)
        anchor.pointee.segment_magic_offset = withUnsafeMutablePointer(to: &segment.pointee.magic) { offset(segment, $0) }
        anchor.pointee.segment_next = withUnsafeMutablePointer(to: &segment.pointee.next) { offset(segment, $0) }
        anchor.pointee.segment_free_mask = withUnsafeMutablePointer(to: &segment.pointee.freeMask) { offset(segment, $0) }
        anchor.pointee.segment_dirty_mask = withUnsafeMutablePointer(to: &segment.pointee.dirtyMask) { offset(segment, $0) }

        let page = Heap.emptyPage
        anchor.pointee.page_owner = withUnsafeMutablePointer(to: &page.pointee.owner) { offset(page, $0) }
        anchor.pointee.page_used = withUnsafeMutablePointer(to: &page.pointee.used) { offset(page, $0) }
        anchor.pointee.page_block_size = withUnsafeMutablePointer(to: &page.pointee.blockSize) { offset(page, $0) }
        anchor.pointee.page_start = withUnsafeMutablePointer(to: &page.pointee.start) { offset(page, $0) }
        anchor.pointee.page_bump_next = withUnsafeMutablePointer(to: &page.pointee.bumpNext) { offset(page, $0) }
        anchor.pointee.page_class_index = withUnsafeMutablePointer(to: &page.pointee.classIndex) { offset(page, $0) }
        anchor.pointee.page_slice_count = withUnsafeMutablePointer(to: &page.pointee.sliceCount) { offset(page, $0) }

        anchor.pointee.large_table_address = withUnsafeMutablePointer(to: &LargeRegistry.table) { address($0) }
        anchor.pointee.large_capacity_address = withUnsafeMutablePointer(to: &LargeRegistry.capacity) { address($0) }
        var entry = LargeEntry(address: 0, mapSize: 0, size: 0, alignment: 0, mapping: 0)
        anchor.pointee.large_entry_stride = UInt64(MemoryLayout<LargeEntry>.stride)
        withUnsafeMutablePointer(to: &entry) { e in
            anchor.pointee.large_entry_address = withUnsafeMutablePointer(to: &e.pointee.address) { offset(e, $0) }
            anchor.pointee.large_entry_map_size = withUnsafeMutablePointer(to: &e.pointee.mapSize) { offset(e, $0) }
            anchor.pointee.large_entry_size = withUnsafeMutablePointer(to: &e.pointee.size) { offset(e, $0) }
        }

        anchor.pointee.reserved_address = withUnsafePointer(to: OSCounters.reserved) { address($0) }
        anchor.pointee.committed_address = withUnsafePointer(to: OSCounters.committed) { address($0) }
        anchor.pointee.peak_committed_address = withUnsafePointer(to: OSCounters.peakCommitted) { address($0) }
        anchor.pointee.peak_in_use_address = withUnsafePointer(to: Statistics.peakInUse) { address($0) }

        anchor.pointee.foreign_lists_offset = UInt64(ForeignBlocks.offset)
        anchor.pointee.foreign_list_stride = UInt64(MemoryLayout<ForeignList>.stride)
        anchor.pointee.foreign_list_classes = UInt64(ForeignBlocks.classLimit)
        let list = ForeignBlocks.list(Heap.empty, 0)     // only field addresses are taken
        anchor.pointee.foreign_list_free = withUnsafeMutablePointer(to: &list.pointee.free) { offset(list, $0) }
        anchor.pointee.foreign_list_taken = withUnsafeMutablePointer(to: &list.pointee.taken) { offset(list, $0) }
        anchor.pointee.foreign_list_added = withUnsafeMutablePointer(to: &list.pointee.added) { offset(list, $0) }

        // Last, so that a reader that sees 1 sees every field above.
        UnsafeMutableRawPointer(withUnsafeMutablePointer(to: &anchor.pointee.published) { $0 })
            .assumingMemoryBound(to: Atomic<UInt64>.self).pointee.store(1, ordering: .releasing)
    }

    @inline(__always)
    private static func address<T: ~Copyable>(_ p: UnsafePointer<T>?) -> UInt64 { UInt64(UInt(bitPattern: p)) }

    @inline(__always)
    private static func address<T: ~Copyable>(_ p: UnsafeMutablePointer<T>) -> UInt64 { UInt64(UInt(bitPattern: p)) }

    @inline(__always)
    private static func offset<Root: ~Copyable, Field: ~Copyable>(_ root: UnsafeMutablePointer<Root>, _ field: UnsafeMutablePointer<Field>) -> UInt64 {
        UInt64(UInt(bitPattern: field) &- UInt(bitPattern: root))
    }
}
