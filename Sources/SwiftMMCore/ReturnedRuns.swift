// Runs of free blocks inside small pages that stay in use give the OS pages they cover back.
//
// A size class's page stays resident as far as the class ever used it. In a program whose blocks in use swing
// (producers whose consumers free in bursts, threads that come and go), each class holds its high-water mark,
// though much of it is free blocks side by side. At each purge, the free list of a small page with enough free
// blocks is read into a bitmap. Each run of consecutive free blocks that covers a whole OS page past the first
// 16 bytes of its first block leaves the free list: that first block records the run (the next run, the block
// count), the page keeps the list of its runs, and the OS pages inside the run go back to the OS (and leave the
// committed figure until they are taken back, or the page is freed and its slices are counted whole). The blocks
// left on the free list are threaded again in address order. A page whose list a purge read is passed over by
// the next few timed purges until an OS page's worth of its blocks were freed since (`skipLimit`).
//
// When the page's free list runs dry, the slow path threads the blocks of a run again, an OS page's worth at a
// time, before any block never used: they fault back in as they are written (reading as zero; the contents of
// a free block are undefined anyway). Classes of 8 KiB and more have FreeBlockInteriors instead, which keeps
// every block on its list.
//
// Only the owning thread runs this (purges run on the caller's own heap), as only it touches its free lists.

extension Page {
    /// The page's first returned run, or nil. It shares `freedAt`'s storage: that is used only while the slices
    /// are free, this only while they form a page.
    var returnedRuns: RawPointer? {
        get { RawPointer(bitPattern: UInt(truncatingIfNeeded: freedAt)) }
        set { freedAt = UInt64(UInt(bitPattern: newValue)) }
    }
}

enum ReturnedRuns {
    /// Classes below this one have returned runs: blocks smaller than FreeBlockInteriors' (all in one-slice pages).
    static let classLimit = SizeClass.index(FreeBlockInteriors.minimumBlockSize)
    /// The heap's scratch bitmap of a page's free blocks: one bit per block of a 64 KiB page of 16-byte blocks.
    static let bitmapOffset = 3072
    static let bitmapWords = 64
    /// At most this many free-list links are read per purge; the next purge resumes at the next class.
    static let linksPerPurge = 32_768
    /// Run header: the next run (word 0), then the block count (word 1).
    static let countOffset = 8
    /// A page whose free list a purge read passes over the next purges, up to this many, until at least an OS
    /// page's worth of its blocks were freed since: the list is unlikely to hold a new run before then. Reading a
    /// long list of blocks out of cache took 1–2 % of the time of every stress workload when every purge did it.
    static let skipLimit: UInt32 = 4

    @inline(__always)
    private static func bitmap(_ heap: Heap) -> UnsafeMutablePointer<UInt64> {
        (heap.raw + bitmapOffset).assumingMemoryBound(to: UInt64.self)
    }

    /// Returns the runs of free blocks in `heap`'s small pages, class by class from where the last purge stopped.
    /// With `rereading` (a forced purge: a trim, a thread's exit), pages that a recent purge read are read too.
    static func collect(_ heap: Heap, rereading: Bool) {
        var budget = linksPerPurge
        var classIndex = heap.state.pointee.returnCursor < classLimit ? heap.state.pointee.returnCursor : 0
        for _ in 0..<classLimit {
            var candidate = heap.queue(classIndex).pointee.first
            while let page = candidate, budget > 0 {
                candidate = page.pointee.next
                if rereading { page.pointee.scanSkips = skipLimit }
                budget &-= scan(page, bitmap(heap))
            }
            classIndex = classIndex &+ 1 == classLimit ? 0 : classIndex &+ 1
            if budget <= 0 { break }
        }
        heap.state.pointee.returnCursor = classIndex
    }

    /// Reads the page's free list and returns its runs, if it has any; the cost in links and bitmap words read.
    private static func scan(_ page: PagePointer, _ bitmap: UnsafeMutablePointer<UInt64>) -> Int {
        guard let start = page.pointee.start, let bump = page.pointee.bumpNext, let end = page.pointee.bumpEnd else { return 1 }
        let size = page.pointee.blockSize
        let used = page.pointee.used
        if page.pointee.scanSkips < skipLimit && used &+ UInt32(truncatingIfNeeded: max(1, Geometry.osPageSize / size)) > page.pointee.scanUsed {
            page.pointee.scanSkips &+= 1
            return 1
        }
        let handedOut = (bump - start) / size
        let freeBlocks = Int(page.pointee.capacity) &- Int(used) &- (end - bump) / size &- returnedBlocks(page)
        // Too few free blocks to cover an OS page past a run's header.
        if freeBlocks &* size < Geometry.osPageSize &+ 16 || handedOut > bitmapWords &* 64 { return 1 }
        let words = (handedOut &+ 63) &>> 6
        for i in 0..<words { bitmap[i] = 0 }
        var block = page.pointee.free
        var links = 0
        while let b = block {
            let offset = b - start
            // A list that leaves the page, or loops, is damage: leave it as it is.
            guard offset >= 0, offset < handedOut &* size, offset % size == 0, links < handedOut else { return links &+ words }
            let index = offset / size
            bitmap[index &>> 6] |= UInt64(1) &<< UInt64(index & 63)
            block = b.load(as: RawPointer?.self)
            links &+= 1
        }
        page.pointee.scanUsed = used            // (returning runs leaves the blocks in use as they are)
        page.pointee.scanSkips = 0
        var found = false
        forEachRun(bitmap, blocks: handedOut) { first, count in
            if !found { found = interior(start + first &* size, count &* size) != nil }
        }
        if !found { return links &+ words }
        var head: RawPointer? = nil
        var tail: RawPointer? = nil
        forEachRun(bitmap, blocks: handedOut) { first, count in
            let runStart = start + first &* size
            if let inside = interior(runStart, count &* size) {
                runStart.storeBytes(of: page.pointee.returnedRuns, as: RawPointer?.self)
                runStart.storeBytes(of: count, toByteOffset: countOffset, as: Int.self)
                page.pointee.returnedRuns = runStart
                Platform.decommit(inside.start, inside.length)
                return
            }
            for i in 0..<count {                 // blocks that stay on the free list, in address order
                let b = runStart + i &* size
                if let t = tail { t.storeBytes(of: b, as: RawPointer?.self) } else { head = b }
                tail = b
            }
        }
        tail?.storeBytes(of: nil, as: RawPointer?.self)
        page.pointee.free = head
        return links &+ words &* 2
    }

    /// The whole OS pages inside the run of `length` bytes at `runStart` past its header, if there are any.
    @inline(__always)
    private static func interior(_ runStart: RawPointer, _ length: Int) -> (start: RawPointer, length: Int)? {
        let start = UInt(bitPattern: runStart)
        return Geometry.wholeOSPages(from: start &+ UInt(countOffset) &+ 8, to: start &+ UInt(length))
    }

    /// Calls `body(first, count)` for each run of set bits among the first `blocks` bits, in order.
    private static func forEachRun(_ bitmap: UnsafeMutablePointer<UInt64>, blocks: Int, _ body: (Int, Int) -> Void) {
        var i = 0
        while i < blocks {
            let set = bitmap[i &>> 6] & (~UInt64(0) &<< UInt64(i & 63))
            if set == 0 { i = (i &>> 6 &+ 1) &<< 6; continue }
            let first = (i & ~63) &+ set.trailingZeroBitCount
            var j = first
            while j < blocks {
                let clear = ~bitmap[j &>> 6] & (~UInt64(0) &<< UInt64(j & 63))
                if clear != 0 { j = (j & ~63) &+ clear.trailingZeroBitCount; break }
                j = (j &>> 6 &+ 1) &<< 6
            }
            j = min(j, blocks)
            body(first, j &- first)
            i = j
        }
    }

    /// Threads up to an OS page's worth of blocks of the page's first run onto its free list (which is empty).
    /// False when the page has no run.
    static func take(_ page: PagePointer) -> Bool {
        guard let run = page.pointee.returnedRuns, let bump = page.pointee.bumpNext else { return false }
        let size = page.pointee.blockSize
        let next = run.load(as: RawPointer?.self)
        // A count that a stray write damaged never reaches past the blocks handed out.
        let count = max(1, min(run.load(fromByteOffset: countOffset, as: Int.self), (bump - run) / size))
        let taken = min(count, max(1, Geometry.osPageSize / size))
        var stillReturned = 0                    // the OS pages inside what is left of the run
        if taken < count {
            let rest = run + taken &* size
            rest.storeBytes(of: next, as: RawPointer?.self)
            rest.storeBytes(of: count &- taken, toByteOffset: countOffset, as: Int.self)
            page.pointee.returnedRuns = rest
            stillReturned = interior(rest, (count &- taken) &* size)?.length ?? 0
        } else {
            page.pointee.returnedRuns = next
        }
        let takenBack = (interior(run, count &* size)?.length ?? 0) &- stillReturned
        if takenBack > 0 { Platform.recommit(takenBack) }
        SlowPath.thread(run, count: taken, size: size)
        page.pointee.free = run
        return true
    }

    /// Calls `body(first, count)` for each returned run of the page (for the leak report).
    static func forEach(_ page: PagePointer, _ body: (RawPointer, Int) -> Void) {
        var run = page.pointee.returnedRuns
        var steps = 0
        while let r = run, steps < bitmapWords {          // a page holds at most 16 runs; more is damage
            body(r, r.load(fromByteOffset: countOffset, as: Int.self))
            run = r.load(as: RawPointer?.self)
            steps &+= 1
        }
    }

    /// Blocks in the page's returned runs.
    static func returnedBlocks(_ page: PagePointer) -> Int {
        var total = 0
        forEach(page) { _, count in total &+= count }
        return total
    }

    /// Bytes of the OS pages the page's runs gave back (not counted as committed while they are returned).
    static func returnedBytes(_ page: PagePointer) -> Int {
        var total = 0
        forEach(page) { run, count in total &+= interior(run, count &* page.pointee.blockSize)?.length ?? 0 }
        return total
    }
}
