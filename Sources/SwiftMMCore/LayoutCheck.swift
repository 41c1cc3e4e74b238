// One check that the fixed byte layouts defined across the core fit together: the parts of a heap's 4 KiB
// (Heap.swift, ForeignBlocks.swift, ReturnedRuns.swift, Extended/Threads.swift) and the slice table and page
// descriptors in a segment header.
// Every term is a constant, so at -O the check folds away; a change that breaks the layout makes the first
// allocation stop with a message instead of corrupting memory.
import SwiftMMShim

enum LayoutCheck {
    /// The first layout rule broken, or nil when all hold.
    static var brokenRule: StaticString? {
        let directEnd = (Geometry.directMax / 16 &+ 1) &* MemoryLayout<PagePointer>.stride
        if Heap.allocationCountOffset < directEnd { return "the heap's counters overlap its direct table" }
        if Heap.freeCountOffset &+ 8 > Heap.stateOffset { return "the heap's counters overlap its state" }
        if Heap.stateOffset &+ MemoryLayout<HeapState>.size > Heap.queuesOffset { return "the heap's state overlaps its page queues" }
        if Heap.queuesOffset &+ Geometry.classCount &* MemoryLayout<PageQueue>.stride > ForeignBlocks.offset {
            return "the heap's page queues overlap its kept-block lists"
        }
        if ForeignBlocks.offset &+ ForeignBlocks.classLimit &* MemoryLayout<ForeignList>.stride > ReturnedRuns.bitmapOffset {
            return "the heap's kept-block lists overlap its free-block bitmap"
        }
        if ReturnedRuns.bitmapOffset &+ ReturnedRuns.bitmapWords &* 8 > Heap.extendedOffset {
            return "the heap's free-block bitmap overlaps its extension record"
        }
        if ReturnedRuns.bitmapWords &* 64 &* 16 < Geometry.sliceSize { return "the free-block bitmap is too small for a page" }
        if Heap.extendedOffset &+ HeapExtension.end > Heap.byteSize { return "the heap's extension record runs past the heap" }
        if MemoryLayout<Page>.size > 1 &<< Geometry.pageStrideShift { return "a page descriptor is larger than its stride" }
        if MemoryLayout<SegmentHeader>.size > Geometry.sliceTableOffset { return "the segment header overlaps the slice table" }
        if Geometry.sliceTableOffset &+ Geometry.slicesPerSegment &* 8 > Geometry.pageTableOffset {
            return "the slice table overlaps the page descriptors"
        }
        if Geometry.pageTableOffset &+ Geometry.slicesPerSegment &<< Geometry.pageStrideShift > Geometry.sliceSize {
            return "the page descriptors do not fit in a segment's first slice"
        }
        return nil
    }

    /// Stops the process with the broken rule, if any (called once, at process start).
    static func verify() {
        guard let rule = brokenRule else { return }
        var out = Output(fd: 2)
        out.text("swiftmm: internal layout error: "); out.text(rule); out.text("\n")
        out.flush()
        Platform.abort()
    }
}
