// The fast paths of malloc and free: a few instructions, one test each, no lock, no atomic, and no
// initialisation check (a thread on the empty heap simply finds no free block). Everything else is in
// SlowPath.swift.
import SwiftMMShim
import Synchronization

enum FastPath {
    @inline(__always)
    static func allocate(_ size: Int) -> RawPointer? {
        let heap = Heap.current
        if UInt(bitPattern: size) <= UInt(Geometry.directMax), let block = takeBlock(heap.direct((size &+ 15) &>> 4), heap) {
            return block
        }
        return allocateMediumOrSlow(size, heap)
    }

    /// Sizes above the direct table take their class queue's first page; anything else goes to the slow path.
    /// Out of line, so that the small path falls straight through to its block with no frame set up.
    @inline(never)
    static func allocateMediumOrSlow(_ size: Int, _ heap: Heap) -> RawPointer? {
        if UInt(bitPattern: size) > UInt(Geometry.directMax) && UInt(bitPattern: size) <= UInt(Geometry.mediumMax),
           let page = heap.queue(SizeClass.index(size)).pointee.first, let block = takeBlock(page, heap) {
            return FreeBlockInteriors.unmarked(block, of: page)
        }
        return SlowPath.allocate(size, heap)
    }

    /// Pops the first block of the page's free list, if it has one, and prefetches the block after it. A program
    /// that frees many blocks leaves lists whose blocks are out of cache by the time they are handed out again;
    /// reading the link of each popped block then stalled every malloc (most of `smm_malloc`'s time in perf of
    /// python and churn). With the prefetch, that miss overlaps the program's work until the next malloc.
    /// (The slow path pops its block with it too.)
    @inline(__always)
    static func takeBlock(_ page: PagePointer, _ heap: Heap) -> RawPointer? {
        guard let block = page.pointee.free else { return nil }
        let next = block.load(as: RawPointer?.self)
        page.pointee.free = next
        swiftmm_shim_prefetch(next)
        page.pointee.used &+= 1
        heap.allocationCount &+= 1
        return block
    }

    /// Frees the block at `address`; 0 (NULL) is ignored, off the fast path.
    @inline(__always)
    static func free(_ address: UInt) {
        free(address, large: { LargeBlocks.free($0) }, slow: { SlowPath.free($0, $1, $2) })
    }

    /// `free` whose slow paths also get the size (and alignment) the caller gave: debug mode checks them. The
    /// fast path is the same instructions.
    @inline(__always)
    static func freeSized(_ address: UInt, size: Int, alignment: Int) {
        free(address, large: { LargeBlocks.freeSized($0, size: size, alignment: alignment) },
             slow: { SlowPath.freeSized($0, size, $1, $2, alignment: alignment) })
    }

    @inline(__always)
    private static func free(_ address: UInt, large: (UInt) -> Void, slow: (RawPointer, PagePointer, Heap) -> Void) {
        guard isInSegment(address) else { return large(address) }
        let p = RawPointer(bitPattern: address).unsafelyUnwrapped      // not NULL: NULL lies in no segment
        let page = pageOf(address)
        let heap = Heap.current
        if page.pointee.owner == heap.address {
            p.storeBytes(of: page.pointee.free, as: RawPointer?.self)
            page.pointee.free = p
            heap.freeCount &+= 1
            let used = page.pointee.used &- 1
            page.pointee.used = used
            // An empty page goes back to its segment, unless it is its class's current small page.
            if used == 0 && (heap.queue(Int(page.pointee.classIndex)).pointee.first != page || page.pointee.sliceCount != 1) {
                SlowPath.pageEmptied(heap, page)
            }
            return
        }
        slow(p, page, heap)
    }
}
