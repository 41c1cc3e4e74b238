// Segments and the pages cut from them: taking a run of slices for a page, giving it back, and returning
// free slices to the OS after a delay (decommit) or past a threshold.
import SwiftMMShim
import Synchronization

enum Segments {
    static let allSlices: UInt64 = ~UInt64(1)   // slice 0 holds the header

    /// Maps a new segment for `heap` and links it first in the heap's list.
    static func create(for heap: Heap) -> SegmentPointer? {
        guard let raw = Platform.mapAligned(Geometry.segmentSize, alignment: Geometry.segmentSize,
                                            name: .segment, committed: Geometry.sliceSize) else { return nil }
        let segment = raw.assumingMemoryBound(to: SegmentHeader.self)
        segment.initialize(to: SegmentHeader(magic: SegmentMagic.value, heap: heap.raw, next: heap.state.pointee.segments,
                                             freeMask: allSlices, dirtyMask: 0, usedSlices: 0, warmTails: 0,
                                             nextWithRoom: heap.state.pointee.segmentsWithRoom))
        heap.state.pointee.segmentsWithRoom = segment
        for slice in 0..<Geometry.slicesPerSegment {      // every slice its own page until pages are cut
            sliceTableEntry(segment, slice: slice).pointee = descriptor(segment, slice: slice)
        }
        Locks.segments.lock()
        heap.state.pointee.segments = segment
        Locks.segments.unlock()
        setSegmentMapBit(UInt(bitPattern: raw), true)
        Statistics.noteGrowth(Geometry.segmentSize)
        return segment
    }

    /// Finds `count` consecutive set bits in `mask`; returns the first slice index or -1.
    @inline(__always)
    static func findRun(_ mask: UInt64, _ count: Int) -> Int {
        var runs = mask
        var i = 1
        while i < count && runs != 0 { runs &= mask &>> UInt64(i); i &+= 1 }
        return runs == 0 ? -1 : runs.trailingZeroBitCount
    }

    /// Takes a page for size class `classIndex` from the heap's segments, mapping a new segment if needed.
    /// Free slices still committed (dirty) come first, in any segment: reusing them costs no page faults and
    /// no new resident memory. Only segments with free slices are searched (`segmentsWithRoom`): walking the
    /// full ones too made each new page cost time in proportion to the heap (4 KB blocks took 6.5 µs each to
    /// allocate in a 4 GB heap, glibc 2.2 µs).
    static func allocatePage(_ heap: Heap, classIndex: Int) -> PagePointer? {
        let slices = SizeClass.pageSlices(classIndex)
        for pass in 0..<2 {
            let warmOnly = pass == 0
            var previous: SegmentPointer? = nil
            var s = heap.state.pointee.segmentsWithRoom
            while let segment = s {
                let free = segment.pointee.freeMask
                let first = findRun(warmOnly ? free & segment.pointee.dirtyMask : free, slices)
                if first >= 0 {
                    return makePage(heap, segment, first: first, slices: slices, classIndex: classIndex, previousWithRoom: previous)
                }
                previous = segment
                s = segment.pointee.nextWithRoom
            }
        }
        guard let segment = create(for: heap) else { return nil }      // now first in the list with room
        return makePage(heap, segment, first: findRun(segment.pointee.freeMask, slices), slices: slices, classIndex: classIndex,
                        previousWithRoom: nil)
    }

    /// Cuts a page from the segment's free slices; `previousWithRoom` is the segment before it in the heap's list
    /// of segments with room (nil: it is first), which it leaves when no free slice is left.
    private static func makePage(_ heap: Heap, _ segment: SegmentPointer, first: Int, slices: Int, classIndex: Int,
                                 previousWithRoom: SegmentPointer?) -> PagePointer {
        let bits = ((slices == 64 ? ~UInt64(0) : (UInt64(1) &<< UInt64(slices)) &- 1)) &<< UInt64(first)
        let warm = segment.pointee.dirtyMask & bits
        let warmBytes = warm.nonzeroBitCount &<< Geometry.sliceShift
        heap.state.pointee.dirtyBytes &-= warmBytes
        Platform.recommit((slices &<< Geometry.sliceShift) &- warmBytes)
        segment.pointee.freeMask &= ~bits
        if segment.pointee.freeMask == 0 { leaveRoomList(heap, segment, after: previousWithRoom) }
        segment.pointee.dirtyMask &= ~bits
        segment.pointee.usedSlices &+= slices
        if warm != 0 { segment.pointee.warmTails |= UInt64(1) &<< UInt64(first) }
        let page = descriptor(segment, slice: first)
        for i in 0..<slices { sliceTableEntry(segment, slice: first &+ i).pointee = page }
        let size = SizeClass.blockSize(classIndex)
        let start = RawPointer(segment) + (first &<< Geometry.sliceShift)
        let count = (slices &<< Geometry.sliceShift) / size
        page.pointee.free = nil
        page.pointee.used = 0
        page.pointee.capacity = UInt32(count)
        page.pointee.owner = heap.address
        page.pointee.blockSize = size
        page.pointee.start = start
        page.pointee.bumpNext = start
        page.pointee.bumpEnd = start + count &* size
        page.pointee.next = nil
        page.pointee.prev = nil
        page.pointee.remoteNext = nil
        page.pointee.classIndex = Int32(classIndex)
        page.pointee.sliceCount = Int32(slices)
        page.pointee.threadFree.store(0, ordering: .relaxed)
        page.pointee.remoteTail = nil
        page.pointee.returnedRuns = nil
        page.pointee.scanUsed = 0
        page.pointee.scanSkips = ReturnedRuns.skipLimit       // never read: the first purge reads it
        return page
    }

    /// Gives an empty page's slices back to its segment; they stay committed until the next purge.
    static func freePage(_ heap: Heap, _ page: PagePointer) {
        let segment = segmentOf(UInt(bitPattern: page))
        let slices = Int(page.pointee.sliceCount)
        let first = (Int(bitPattern: UInt(bitPattern: page)) &- Int(bitPattern: UInt(bitPattern: segment)) &- Geometry.pageTableOffset) &>> Geometry.pageStrideShift
        let bits = ((UInt64(1) &<< UInt64(slices)) &- 1) &<< UInt64(first)
        // Its slices now count as committed whole until a purge decommits them: the OS pages its free blocks gave
        // back (read before `freedAt` overwrites the page's list of runs) count again.
        let returned = page.pointee.blockSize >= FreeBlockInteriors.minimumBlockSize
            ? Int(page.pointee.interiorBytesReturned) : ReturnedRuns.returnedBytes(page)
        if returned > 0 { Platform.recommit(returned) }
        let now = Platform.nowNanoseconds()
        for i in 0..<slices {
            let d = descriptor(segment, slice: first &+ i)
            d.pointee.owner = 0
            sliceTableEntry(segment, slice: first &+ i).pointee = d
            d.pointee.sliceCount = 1
            d.pointee.freedAt = now
        }
        page.pointee.free = nil
        page.pointee.used = 0
        if segment.pointee.freeMask == 0 {           // full until now: it has room again
            segment.pointee.nextWithRoom = heap.state.pointee.segmentsWithRoom
            heap.state.pointee.segmentsWithRoom = segment
        }
        segment.pointee.freeMask |= bits
        segment.pointee.dirtyMask |= bits
        segment.pointee.warmTails &= ~bits
        segment.pointee.usedSlices &-= slices
        heap.state.pointee.dirtyBytes &+= slices &<< Geometry.sliceShift
    }

    /// Decommits free slices that have stayed free longer than the purge delay (all of them when `force`
    /// is set or the heap holds more than the threshold), the interiors of free blocks of 8 KiB and more, runs
    /// of smaller free blocks (ReturnedRuns) and the memory past the bump pointer of pages cut from committed
    /// slices (`returnWarmTails`), and unmaps segments left entirely free, keeping one spare.
    static func purge(_ heap: Heap, now: UInt64, force: Bool) {
        heap.state.pointee.lastPurge = now
        let all = force || heap.state.pointee.dirtyBytes > Options.purgeThreshold
        let delay = Options.purgeDelayMilliseconds &* 1_000_000
        FreeBlockInteriors.decommit(heap)
        ReturnedRuns.collect(heap, rereading: force)
        var spareKept = false
        var previous: SegmentPointer? = nil
        var s = heap.state.pointee.segments
        while let segment = s {
            let next = segment.pointee.next
            returnWarmTails(segment)
            var dirty = segment.pointee.dirtyMask
            while dirty != 0 {
                let run = lowestRun(dirty)
                dirty &= ~run
                var expired = run
                if !all {
                    var bits = run
                    while bits != 0 {
                        let i = bits.trailingZeroBitCount
                        bits &= bits &- 1
                        if now &- descriptor(segment, slice: i).pointee.freedAt < delay { expired &= ~(UInt64(1) &<< UInt64(i)) }
                    }
                }
                decommitSlices(heap, segment, expired)
            }
            if segment.pointee.usedSlices == 0 && segment.pointee.dirtyMask == 0 && spareKept {
                release(segment, of: heap, after: previous)
            } else {
                if segment.pointee.usedSlices == 0 { spareKept = true }
                previous = segment
            }
            s = next
        }
    }

    /// Returns the memory past the bump pointer of pages cut from committed free slices: an earlier page may have
    /// written it, and the new page may not reach it for a long time (or ever). Whole OS pages only.
    private static func returnWarmTails(_ segment: SegmentPointer) {
        var pages = segment.pointee.warmTails
        segment.pointee.warmTails = 0
        while pages != 0 {
            let slice = pages.trailingZeroBitCount
            pages &= pages &- 1
            let page = descriptor(segment, slice: slice)
            guard let bumpNext = page.pointee.bumpNext else { continue }
            let end = UInt(bitPattern: segment) &+ UInt((slice &+ Int(page.pointee.sliceCount)) &<< Geometry.sliceShift)
            if let tail = Geometry.wholeOSPages(from: UInt(bitPattern: bumpNext), to: end) { Platform.discard(tail.start, tail.length) }
        }
    }

    /// The lowest run of consecutive set bits in `mask` (non-zero), as a mask.
    @inline(__always)
    static func lowestRun(_ mask: UInt64) -> UInt64 {
        let low = mask & (0 &- mask)            // lowest set bit
        let carried = mask &+ low                // clears the run and sets the bit above it
        return mask & ~carried
    }

    private static func decommitSlices(_ heap: Heap, _ segment: SegmentPointer, _ bits: UInt64) {
        var rest = bits
        while rest != 0 {
            let runBits = lowestRun(rest)
            let first = runBits.trailingZeroBitCount
            let count = runBits.nonzeroBitCount
            Platform.decommit(RawPointer(segment) + (first &<< Geometry.sliceShift), count &<< Geometry.sliceShift)
            rest &= ~runBits
            segment.pointee.dirtyMask &= ~runBits
            heap.state.pointee.dirtyBytes &-= count &<< Geometry.sliceShift
        }
    }

    /// Takes `segment` out of the heap's list of segments with room; `previous` is the segment before it there (nil:
    /// it is first).
    private static func leaveRoomList(_ heap: Heap, _ segment: SegmentPointer, after previous: SegmentPointer?) {
        let next = segment.pointee.nextWithRoom
        if let previous { previous.pointee.nextWithRoom = next } else { heap.state.pointee.segmentsWithRoom = next }
        segment.pointee.nextWithRoom = nil
    }

    /// Unlinks an empty, clean segment from its heap's list and unmaps it. Statistics walk the lists under
    /// the same lock, so they never read a segment that is going away.
    private static func release(_ segment: SegmentPointer, of heap: Heap, after previous: SegmentPointer?) {
        // An empty segment has room: it leaves that list too (releases are rare, the walk for the one before it short).
        var before: SegmentPointer? = nil
        var s = heap.state.pointee.segmentsWithRoom
        while let withRoom = s, withRoom != segment {
            before = withRoom
            s = withRoom.pointee.nextWithRoom
        }
        leaveRoomList(heap, segment, after: before)
        Locks.segments.lock()
        if let previous { previous.pointee.next = segment.pointee.next } else { heap.state.pointee.segments = segment.pointee.next }
        setSegmentMapBit(UInt(bitPattern: segment), false)
        Platform.unmap(RawPointer(segment), Geometry.segmentSize, committed: Geometry.sliceSize)
        Locks.segments.unlock()
    }
}
