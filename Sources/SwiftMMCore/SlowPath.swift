// The slow paths behind FastPath: a thread's first allocation, refilling a size class, frees from other
// threads, pages that fill up or empty, and the periodic return of free memory to the OS.
import SwiftMMShim
import Synchronization

enum SlowPath {
    /// (The size comes first and the heap last: the fast path then calls with the size still in its register.)
    @inline(never)
    static func allocate(_ size: Int, _ current: Heap) -> RawPointer? {
        var heap = current
        if !heap.isInitialized {
            if MemoryManagers.isActive { return MemoryManagers.allocate(size) }   // a custom memory manager
            guard let started = Heaps.startThread() else { Platform.setErrno(ENOMEM); return nil }
            // A manager installed meanwhile (SMM_DEBUG's, when the process just started) takes the first block too.
            if MemoryManagers.isActive { return MemoryManagers.allocate(size) }
            heap = started
        }
        if UInt(bitPattern: size) > UInt(Geometry.mediumMax) {
            return LargeBlocks.allocate(heap, size, alignment: Geometry.minAlignment, zeroed: false)
        }
        return allocate(heap, classIndex: SizeClass.index(size), mayBorrow: true)
    }

    /// A block of size class `classIndex` from the calling thread's (initialised) heap. With `mayBorrow`, the
    /// block may be of a slightly larger class (see `pageToBorrowFrom`); aligned allocations need the class itself.
    static func allocate(_ heap: Heap, classIndex: Int, mayBorrow: Bool = false) -> RawPointer? {
        housekeeping(heap)
        guard let page = pageWithFreeBlock(heap, classIndex, mayBorrow: mayBorrow), let block = FastPath.takeBlock(page, heap) else {
            Platform.setErrno(ENOMEM)
            return nil
        }
        return FreeBlockInteriors.unmarked(block, of: page)
    }

    /// Collects frees from other threads, and now and then returns free memory to the OS.
    private static func housekeeping(_ heap: Heap) {
        if heap.state.pointee.remoteReady.load(ordering: .relaxed) != 0 { collectRemoteFrees(heap) }
        heap.state.pointee.slowTicks &+= 1
        if heap.state.pointee.slowTicks & 255 == 0 || heap.state.pointee.dirtyBytes > Options.purgeThreshold {
            purgeIfDue(heap)
        }
    }

    /// Decommits free pages that waited out the purge delay, or all of them past the threshold, the interiors
    /// of free blocks of 8 KiB and more (FreeBlockInteriors), runs of smaller free blocks (ReturnedRuns) and the
    /// untouched tails of pages cut from committed slices, and unmaps the cached large mappings that waited out the
    /// delay too (LargeCache.swift); runs at most every half delay unless the threshold is
    /// crossed, and, in a heap so large that a purge takes long, at most once per `purgeCostFactor` times the last
    /// purge's duration: a purge reads every segment and every page with free blocks of 8 KiB and more, and timed
    /// purges then take at most about 1/`purgeCostFactor` of the thread's time. (With 100,000 pages of 16 KiB
    /// blocks that had free blocks, purges every 50 ms took 13 % of a program's time.)
    static func purgeIfDue(_ heap: Heap) {
        let now = Platform.nowNanoseconds()
        let spacing = max(Options.purgeDelayMilliseconds &* 500_000, heap.state.pointee.lastPurgeCost &* purgeCostFactor)
        if heap.state.pointee.dirtyBytes > Options.purgeThreshold || now &- heap.state.pointee.lastPurge >= spacing {
            Segments.purge(heap, now: now, force: false)
            LargeBlocks.expireCache()
            heap.state.pointee.lastPurgeCost = Platform.nowNanoseconds() &- now
        }
    }

    /// Timed purges are spaced by at least this many times the last purge's duration.
    static let purgeCostFactor: UInt64 = 20

    /// A page of the class queue with a free block. Freed blocks come first: a page that has some (often
    /// blocks other threads freed, just collected) is taken before any page is extended into memory not used
    /// yet. Pages passed on the way that have no block left to give (none free, none returned, none past the
    /// bump pointer) leave the queue marked full, so that later searches do not walk them again; their next
    /// free brings them back (`returnToQueue`). With `mayBorrow`, a page of a slightly larger class with a free
    /// block comes next (`pageToBorrowFrom`; it stays in its own queue). Then the first page passed that can be
    /// extended. A new page is taken when none is left.
    private static func pageWithFreeBlock(_ heap: Heap, _ classIndex: Int, mayBorrow: Bool) -> PagePointer? {
        let queue = heap.queue(classIndex)
        var candidate = queue.pointee.first
        /// Puts `page` (in the queue) first, where the fast path takes blocks from.
        func makeCurrent(_ page: PagePointer) -> PagePointer {
            if queue.pointee.first != page { PageQueues.remove(queue, page); PageQueues.pushFront(queue, page) }
            PageQueues.syncDirect(heap, classIndex)
            return page
        }
        var extendable: PagePointer? = nil
        while let page = candidate {
            if page.pointee.free != nil { return makeCurrent(page) }
            candidate = page.pointee.next
            if isExhausted(page) { retire(queue, page) } else if extendable == nil { extendable = page }
        }
        if mayBorrow, let page = pageToBorrowFrom(heap, classIndex) {
            PageQueues.syncDirect(heap, classIndex)     // the first page may have been retired
            return page
        }
        if let page = extendable, extend(page) { return makeCurrent(page) }     // no page has a free block
        guard let page = Segments.allocatePage(heap, classIndex: classIndex) else {
            PageQueues.syncDirect(heap, classIndex)
            return nil
        }
        _ = extend(page)
        PageQueues.pushFront(queue, page)
        PageQueues.syncDirect(heap, classIndex)
        return page
    }

    /// Classes of blocks this large and larger borrow. A 4 KiB extension holds at most four such blocks, so
    /// borrowing (one slow path per block) costs little; smaller classes extend instead (borrowing from 128 B
    /// made larson 8 % slower for 2.5 % less RSS).
    static let borrowFromSize = 1024
    /// How many classes up a request may borrow from (each step wastes at most 12.5 % of the block).
    static let borrowReach = 2
    /// Pages looked at in each larger class's queue.
    static let borrowPagesLooked = 4

    /// A page of a slightly larger class (at most `borrowReach` classes up) with a free block, which the request
    /// takes instead of making its own class grow into memory it has not touched yet. Free blocks of neighbouring
    /// classes are memory in use already: classes whose numbers of live blocks swing (a server's buffers of
    /// varied sizes) then grow only as far as they need together, not each as far as its own peak. The block
    /// goes back to its own page when freed.
    private static func pageToBorrowFrom(_ heap: Heap, _ classIndex: Int) -> PagePointer? {
        guard SizeClass.blockSize(classIndex) >= borrowFromSize else { return nil }
        let last = min(classIndex &+ borrowReach, Geometry.classCount &- 1)
        var lender = classIndex &+ 1
        while lender <= last {
            var candidate = heap.queue(lender).pointee.first
            var looked = 0
            while let page = candidate, looked < borrowPagesLooked {
                if page.pointee.free != nil { return page }
                candidate = page.pointee.next
                looked &+= 1
            }
            lender &+= 1
        }
        return nil
    }

    /// No free block, no returned run and no block past the bump pointer: nothing to give until a block is freed.
    @inline(__always)
    private static func isExhausted(_ page: PagePointer) -> Bool {
        guard page.pointee.free == nil, page.pointee.returnedRuns == nil else { return false }
        guard let next = page.pointee.bumpNext, let end = page.pointee.bumpEnd else { return true }
        return next >= end
    }

    /// Takes a page with nothing to give out of its class queue, marked full: its next free puts it back.
    @inline(__always)
    private static func retire(_ queue: UnsafeMutablePointer<PageQueue>, _ page: PagePointer) {
        PageQueues.remove(queue, page)
        page.pointee.owner |= PageFlag.full
    }

    /// Threads up to 4 KiB of blocks (at least one) onto the page's empty free list: blocks of a returned run
    /// first (ReturnedRuns.swift), else blocks never used.
    private static func extend(_ page: PagePointer) -> Bool {
        if ReturnedRuns.take(page) { return true }
        guard let next = page.pointee.bumpNext, let end = page.pointee.bumpEnd, next < end else { return false }
        let size = page.pointee.blockSize
        let available = (end - next) / size
        let count = min(available, max(1, Geometry.osPageSize / size))
        thread(next, count: count, size: size)
        FreeBlockInteriors.clearStaleMarks(next, count: count, size: size)
        page.pointee.free = next
        page.pointee.bumpNext = next + count &* size
        return true
    }

    /// Links the `count` (≥ 1) consecutive blocks of `size` bytes at `first` into a list, the last one ending it.
    static func thread(_ first: RawPointer, count: Int, size: Int) {
        var block = first
        for _ in 1..<max(count, 1) where count > 1 {
            let following = block + size
            block.storeBytes(of: following, as: RawPointer?.self)
            block = following
        }
        block.storeBytes(of: nil, as: RawPointer?.self)
    }

    /// A local free left the page with no block in use: give it back to its segment, unless it is the
    /// current small page of its class (kept to avoid churn).
    @inline(never)
    static func pageEmptied(_ heap: Heap, _ page: PagePointer) {
        let classIndex = Int(page.pointee.classIndex)
        let queue = heap.queue(classIndex)
        if page.pointee.sliceCount == 1 && queue.pointee.first == page { return }
        release(heap, page, from: queue, classIndex: classIndex)
        // A program that frees much and then allocates little still gets its memory back.
        purgeIfDue(heap)
    }

    /// Gives back to their segments the pages that `pageEmptied` kept because they were their class's current page:
    /// for a thread that exits. Its heap may wait in the pool for long, and each such page held an OS page or more
    /// resident (500 threads that each used 10 classes left 29 MB resident after they exited).
    static func releaseKeptEmptyPages(_ heap: Heap) {
        for classIndex in 0..<Geometry.classCount {
            let queue = heap.queue(classIndex)
            guard let page = queue.pointee.first, page.pointee.used == 0 else { continue }
            release(heap, page, from: queue, classIndex: classIndex)
        }
    }

    /// Takes an empty page out of its class queue (the direct table follows) and gives it back to its segment.
    private static func release(_ heap: Heap, _ page: PagePointer, from queue: UnsafeMutablePointer<PageQueue>, classIndex: Int) {
        PageQueues.remove(queue, page)
        PageQueues.syncDirect(heap, classIndex)
        Segments.freePage(heap, page)
    }

    /// Frees that FastPath could not finish: another thread's block, a page marked full or aligned,
    /// or a pointer that is not a live block. (The pointer comes first: the fast path calls with it still in its
    /// register.)
    @inline(never)
    static func free(_ p: RawPointer, _ page: PagePointer, _ current: Heap) {
        var heap = current
        if !heap.isInitialized {
            if MemoryManagers.isActive { return MemoryManagers.freeOwned(p) }   // a custom memory manager
            // A thread that only frees (a consumer) gets a heap too: its frees are then counted in its own heap,
            // not in a process-wide atomic that every such thread would contend on. Not after its exit hook ran.
            // It adopts the heap that owns the block if an exited thread left it in the pool.
            if !ExtendedThreads.hasExited, let started = Heaps.startThread(preferring: page.pointee.owner & ~PageFlag.mask) {
                heap = started
            }
        }
        let owner = page.pointee.owner
        guard owner != 0, let start = page.pointee.start, p >= start, let bumpNext = page.pointee.bumpNext, p < bumpNext else {
            return Diagnostics.invalidFree(p, reason: "double free, or a pointer SwiftMM never handed out")
        }
        let size = page.pointee.blockSize
        let misalignment = offsetInBlock(UInt(bitPattern: p), start: start, blockSize: size)
        var block = p
        if owner & PageFlag.aligned != 0 {
            block = p - misalignment
        } else if misalignment != 0 {
            return Diagnostics.invalidFree(p, reason: "a pointer inside a block, not its start")
        }
        if owner & ~PageFlag.mask == heap.address {
            block.storeBytes(of: page.pointee.free, as: RawPointer?.self)
            page.pointee.free = block
            page.pointee.used &-= 1
            heap.freeCount &+= 1
            if owner & PageFlag.full != 0 { returnToQueue(heap, page) }
            if page.pointee.used == 0 { pageEmptied(heap, page) }
            return
        }
        if heap.isInitialized && owner & PageFlag.aligned == 0
            && ForeignBlocks.keep(heap, block, classIndex: Int(page.pointee.classIndex), blockSize: size) {
            heap.freeCount &+= 1
            return
        }
        pushRemote(page, block, owner: owner)
        if heap.isInitialized { heap.freeCount &+= 1 } else { Statistics.unownedFrees.add(1, ordering: .relaxed) }
    }

    /// `free` for free_sized and its kin: the size reaches debug mode's checks when it is on. (The parameter order
    /// keeps the pointer and the size in the registers they arrive in: no move on the fast path.)
    @inline(never)
    static func freeSized(_ p: RawPointer, _ size: Int, _ page: PagePointer, _ heap: Heap, alignment: Int) {
        if DebugMode.takesSizedFree { return DebugMode.free(p, size: size, alignment: alignment) }
        free(p, page, heap)
    }

    /// Puts a page marked full, which a free has just given a block, back in its class queue. When the page in use
    /// has nothing left to give, the returned page replaces it (which leaves the queue marked full), and the
    /// class's next malloc takes the block on the fast path. Else it goes right behind the page in use: the most
    /// recently freed-into page comes first, so allocation keeps to pages nearly full, and pages that received
    /// frees longer ago have time to drain and go back to their segment. (In `churn`, where a free lands in a full
    /// page every fourth step, the replacement turned a quarter of the slow mallocs into fast ones: callgrind,
    /// 280 k → 210 k per million steps. Appending returned pages at the queue's end instead halved them, but spread
    /// allocation over every page and held 1.7 % more memory.)
    private static func returnToQueue(_ heap: Heap, _ page: PagePointer) {
        page.pointee.owner &= ~PageFlag.full
        let classIndex = Int(page.pointee.classIndex)
        let queue = heap.queue(classIndex)
        if let first = queue.pointee.first, isExhausted(first) {
            retire(queue, first)
            PageQueues.pushFront(queue, page)
            PageQueues.syncDirect(heap, classIndex)
            return
        }
        PageQueues.insertSecond(queue, page)
        if queue.pointee.first == page { PageQueues.syncDirect(heap, classIndex) }
    }

    /// A free from a thread that does not own the page: push the block (or the chain of `count` blocks from
    /// `block` to `last`) onto the page's atomic list; the push that finds the list empty records its last block
    /// as the list's tail and then queues the page on the owner heap's atomic list.
    static func pushRemote(_ page: PagePointer, _ block: RawPointer, last: RawPointer? = nil, count: UInt = 1, owner: UInt) {
        let tail = last ?? block
        var head = page.pointee.threadFree.load(ordering: .relaxed)
        while true {
            tail.storeBytes(of: RemoteList.first(head), as: UInt.self)
            let desired = UInt(bitPattern: block) | ((head &>> RemoteList.countShift) &+ count) &<< RemoteList.countShift
            let (done, seen) = page.pointee.threadFree.compareExchange(
                expected: head, desired: desired, ordering: .releasing)
            if done { break }
            head = seen
        }
        guard head == 0 else { return }
        page.pointee.remoteTail = tail
        let ownerHeap = Heap(RawPointer(bitPattern: owner & ~PageFlag.mask).unsafelyUnwrapped)
        var top = ownerHeap.state.pointee.remoteReady.load(ordering: .relaxed)
        while true {
            page.pointee.remoteNext = PagePointer(bitPattern: top)
            let (done, seen) = ownerHeap.state.pointee.remoteReady.compareExchange(
                expected: top, desired: UInt(bitPattern: page), ordering: .releasing)
            if done { return }
            top = seen
        }
    }

    /// Takes the frees other threads made into this heap's pages back onto the pages' free lists. Each list is
    /// spliced whole, through its recorded tail and count, without touching its blocks.
    static func collectRemoteFrees(_ heap: Heap) {
        var next = heap.state.pointee.remoteReady.exchange(0, ordering: .acquiring)
        while let page = PagePointer(bitPattern: next) {
            next = UInt(bitPattern: page.pointee.remoteNext)      // read before the list can be re-pushed
            // The tail is read before the exchange: until the list is emptied, no push can record another one.
            let tail = page.pointee.remoteTail
            let word = page.pointee.threadFree.exchange(0, ordering: .acquiring)
            guard let first = RawPointer(bitPattern: RemoteList.first(word)), let last = tail else { continue }
            last.storeBytes(of: page.pointee.free, as: RawPointer?.self)
            page.pointee.free = first
            page.pointee.used &-= RemoteList.count(word)
            if page.pointee.owner & PageFlag.full != 0 { returnToQueue(heap, page) }
            if page.pointee.used == 0 { pageEmptied(heap, page) }
        }
    }
}

/// The doubly linked queue of pages per size class, and the direct table that mirrors its first page.
enum PageQueues {
    static func pushFront(_ queue: UnsafeMutablePointer<PageQueue>, _ page: PagePointer) {
        page.pointee.prev = nil
        page.pointee.next = queue.pointee.first
        if let first = queue.pointee.first { first.pointee.prev = page } else { queue.pointee.last = page }
        queue.pointee.first = page
    }

    /// Puts `page` right after the queue's first page (the one the fast path takes blocks from), or first in an
    /// empty queue: the next search for a free block finds it.
    static func insertSecond(_ queue: UnsafeMutablePointer<PageQueue>, _ page: PagePointer) {
        guard let first = queue.pointee.first else { return pushFront(queue, page) }
        page.pointee.prev = first
        page.pointee.next = first.pointee.next
        if let next = first.pointee.next { next.pointee.prev = page } else { queue.pointee.last = page }
        first.pointee.next = page
    }

    static func remove(_ queue: UnsafeMutablePointer<PageQueue>, _ page: PagePointer) {
        if let prev = page.pointee.prev { prev.pointee.next = page.pointee.next } else { queue.pointee.first = page.pointee.next }
        if let next = page.pointee.next { next.pointee.prev = page.pointee.prev } else { queue.pointee.last = page.pointee.prev }
        page.pointee.next = nil
        page.pointee.prev = nil
    }

    /// Points the direct-table entries of `classIndex` at its queue's first page (or the empty page).
    static func syncDirect(_ heap: Heap, _ classIndex: Int) {
        let size = SizeClass.blockSize(classIndex)
        guard size <= Geometry.directMax else { return }
        let low = classIndex == 0 ? 0 : (SizeClass.blockSize(classIndex &- 1) &+ 16) &>> 4
        let high = size &>> 4
        let page = ForeignBlocks.asPage(heap, classIndex) ?? heap.queue(classIndex).pointee.first ?? Heap.emptyPage
        for i in low...high { heap.setDirect(i, page) }
    }
}
