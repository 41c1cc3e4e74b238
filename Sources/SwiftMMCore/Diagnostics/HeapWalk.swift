// Walking SwiftMM's memory for the reports: every heap's segments and their page descriptors (never the
// blocks themselves), under the segment lock so that no segment goes away meanwhile.

/// What one page descriptor says, for the reports.
struct PageFacts {
    var start: UInt
    var bytes: Int           // the page's slices
    var classIndex: Int
    var blockSize: Int
    var used: Int
    var touched: Int         // bytes handed out at least once (up to the bump pointer)
}

enum HeapWalk {
    /// Calls `page` for every page in use and `freeRun` for every run of free slices (with whether they are
    /// still committed), in every heap. The caller must not allocate from inside the closures.
    static func forEachPage(_ page: (PageFacts) -> Void, freeRun: (UInt, Int, Bool) -> Void = { _, _, _ in }) {
        forEachDescriptor({ d, slices in
            guard let start = d.pointee.start, let bump = d.pointee.bumpNext else { return }
            page(PageFacts(start: UInt(bitPattern: start), bytes: slices &<< Geometry.sliceShift,
                           classIndex: Int(d.pointee.classIndex), blockSize: d.pointee.blockSize,
                           used: Int(d.pointee.used), touched: bump - start))
        }, freeRun: freeRun)
    }

    /// Calls `page` with the descriptor and slice count of every page in use (for reports that need the free
    /// lists too), and `freeRun` as `forEachPage` does, under the segment lock.
    static func forEachDescriptor(_ page: (PagePointer, Int) -> Void, freeRun: (UInt, Int, Bool) -> Void = { _, _, _ in }) {
        Locks.segments.lock()
        Heaps.forEach { heap in
            var segment = heap.state.pointee.segments
            while let seg = segment {
                walk(seg, page, freeRun)
                segment = seg.pointee.next
            }
        }
        Locks.segments.unlock()
    }

    private static func walk(_ segment: SegmentPointer, _ page: (PagePointer, Int) -> Void, _ freeRun: (UInt, Int, Bool) -> Void) {
        let base = UInt(bitPattern: segment)
        var slice = 1
        while slice < Geometry.slicesPerSegment {
            let d = descriptor(segment, slice: slice)
            let sliceBit = UInt64(1) &<< UInt64(slice)
            if segment.pointee.freeMask & sliceBit != 0 {
                let dirty = segment.pointee.dirtyMask & sliceBit != 0
                var count = 1
                while slice &+ count < Geometry.slicesPerSegment {
                    let bit = UInt64(1) &<< UInt64(slice &+ count)
                    if segment.pointee.freeMask & bit == 0 || (segment.pointee.dirtyMask & bit != 0) != dirty { break }
                    count &+= 1
                }
                freeRun(base &+ UInt(slice &<< Geometry.sliceShift), count &<< Geometry.sliceShift, dirty)
                slice &+= count
                continue
            }
            let slices = max(Int(d.pointee.sliceCount), 1)
            if d.pointee.owner != 0 { page(d, slices) }
            slice &+= slices
        }
    }

    /// Bytes of metadata: segment headers (slice 0 of each segment), heaps and the large-block tables.
    static func metadataBytes() -> Int {
        var segments = 0
        var heaps = 0
        Locks.segments.lock()
        Heaps.forEach { heap in
            heaps &+= 1
            var segment = heap.state.pointee.segments
            while let seg = segment { segments &+= 1; segment = seg.pointee.next }
        }
        Locks.segments.unlock()
        Locks.large.lock()
        let tables = LargeRegistry.capacity &* MemoryLayout<LargeEntry>.stride
        Locks.large.unlock()
        return segments &* Geometry.sliceSize &+ heaps &* Heap.byteSize &+ tables
    }
}
