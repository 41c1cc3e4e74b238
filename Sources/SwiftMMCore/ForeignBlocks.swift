// Blocks of other heaps that this thread freed, kept for its own next allocations of the same size class, as
// glibc's tcache does. Such a free costs no atomic operation, and the block, which the program has just used,
// comes back warm. In a program whose threads free each other's blocks (a server whose requests move between
// threads), each thread then recycles the memory it frees instead of taking fresh pages while the owner has
// not yet collected its blocks.
//
// Blocks that share cache lines with their neighbours go back to their owners at once (see `cacheLine`).
//
// Each small class up to 1 KiB has one list in the heap, laid out as the head of a `Page`: the direct table
// points at the list while it holds blocks, and the malloc fast path pops from it as from any page. A cached
// block stays in use in its owner's page. A list that reaches `byteLimit` bytes goes back to the owners in
// batches, one atomic push per run of blocks from one page; so does every list of a thread that exits.
import SwiftMMShim

/// One class's cached blocks. `free` and `taken` sit where a `Page` keeps `free` and `used`, so that the fast
/// path pops from it unchanged; `taken` counts its pops, `added` the pushes.
struct ForeignList {
    var free: RawPointer?
    var taken: UInt32
    var added: UInt32
}

enum ForeignBlocks {
    /// Offset of the lists inside the heap (after the class queues).
    static let offset = 2560
    /// Classes that have a list: those the direct table serves (blocks up to 1 KiB).
    static let classLimit = 32
    /// Bytes kept per class.
    static let byteLimit = 4096
    /// Only blocks whose size is a multiple of the cache line are kept: a page starts on a slice boundary, so
    /// those blocks fill whole lines. Any other block shares a line with its owner page's neighbours, which other
    /// threads may be writing: kept and reused here, it would make this thread's writes fight theirs for the
    /// line (false sharing). It goes back to its owner instead, and this thread takes blocks of its own.
    static let cacheLine = 64

    @inline(__always)
    static func list(_ heap: Heap, _ classIndex: Int) -> UnsafeMutablePointer<ForeignList> {
        (heap.raw + offset + classIndex &* MemoryLayout<ForeignList>.stride).assumingMemoryBound(to: ForeignList.self)
    }

    /// The list as the page the direct table points at, if it holds blocks.
    @inline(__always)
    static func asPage(_ heap: Heap, _ classIndex: Int) -> PagePointer? {
        guard classIndex < classLimit else { return nil }
        let l = list(heap, classIndex)
        guard l.pointee.free != nil else { return nil }
        return PagePointer(OpaquePointer(l))
    }

    /// Keeps `block` (of another heap's page of class `classIndex`) for this heap's allocations; false when the
    /// class has no list or its list is full. (Inlined into SlowPath.free, the path of every free from another
    /// thread: -Osize would otherwise call it, for 25 % more instructions on that path.)
    @inline(__always)
    static func keep(_ heap: Heap, _ block: RawPointer, classIndex: Int, blockSize: Int) -> Bool {
        // A thread that has never allocated (a pure consumer) would only strand the blocks: it gives them back.
        guard classIndex < classLimit, blockSize & (cacheLine &- 1) == 0, heap.allocationCount != 0 else { return false }
        let l = list(heap, classIndex)
        if l.pointee.free != nil && Int(l.pointee.added &- l.pointee.taken) &* blockSize >= byteLimit {
            giveBack(l)      // a thread that frees more than it allocates (a consumer) passes its blocks on in batches
        }
        let wasEmpty = l.pointee.free == nil
        if wasEmpty {
            l.pointee.taken = 0
            l.pointee.added = 0
        }
        block.storeBytes(of: l.pointee.free, as: RawPointer?.self)
        l.pointee.free = block
        l.pointee.added &+= 1
        if wasEmpty { PageQueues.syncDirect(heap, classIndex) }
        return true
    }

    /// Blocks of class `classIndex` held in the list of `heap`: the owners' pages count them as in use, the
    /// reports subtract them. (Read from other threads too: a racy but bounded figure.)
    static func cachedBlocks(_ heap: Heap, _ classIndex: Int) -> Int {
        guard classIndex < classLimit else { return 0 }
        let l = list(heap, classIndex)
        guard l.pointee.free != nil else { return 0 }
        return min(Int(l.pointee.added &- l.pointee.taken), byteLimit / SizeClass.blockSize(classIndex) &+ 1)
    }

    /// Bytes held in every list of `heap`.
    static func cachedBytes(_ heap: Heap) -> Int {
        var total = 0
        for c in 0..<classLimit { total &+= cachedBlocks(heap, c) &* SizeClass.blockSize(c) }
        return total
    }

    /// Gives every cached block back to its owner (the thread is exiting).
    static func flush(_ heap: Heap) {
        for c in 0..<classLimit where list(heap, c).pointee.free != nil {
            giveBack(list(heap, c))
            PageQueues.syncDirect(heap, c)
        }
    }

    /// Empties the list, returning its blocks to their owners' pages: each run of blocks from one page with a
    /// single atomic push. (The lists hold small blocks only, whose pages are one slice.)
    private static func giveBack(_ l: UnsafeMutablePointer<ForeignList>) {
        var block = l.pointee.free
        l.pointee.free = nil
        l.pointee.taken = 0
        l.pointee.added = 0
        while let first = block {
            let slice = UInt(bitPattern: first) &>> UInt(Geometry.sliceShift)
            var last = first
            var count: UInt = 1
            block = first.load(as: RawPointer?.self)
            while let next = block, UInt(bitPattern: next) &>> UInt(Geometry.sliceShift) == slice {
                last = next
                count &+= 1
                block = next.load(as: RawPointer?.self)
            }
            let page = pageOf(UInt(bitPattern: first))
            SlowPath.pushRemote(page, first, last: last, count: count, owner: page.pointee.owner)
        }
    }
}
