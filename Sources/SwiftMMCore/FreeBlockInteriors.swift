// Free blocks of 8 KiB and more give the OS pages inside them back. A size class's pages stay resident as far
// as the class ever used them, so a class whose blocks in use swing (a few large blocks in flight at a time,
// across many classes) holds its high-water mark in every page it keeps. At each purge the free blocks of
// such classes return the whole OS pages they span, except the first, which holds the free-list link. The
// block is marked in its second word so that later purges skip it; a block taken into use again faults its
// pages back in as the program writes them (they read as zero, and block contents are undefined anyway).
// The returned pages leave the committed figure until the block is taken into use again, or its page is freed
// and its slices are counted whole.
//
// Allocation clears the mark (`unmarked`). Frees push blocks at the head of their page's free list, so a list is
// always blocks freed since the last purge followed by blocks that purge marked: each purge reads a page's list
// only up to its first marked block. (Reading whole lists, with 200,000 free blocks of 16 KiB, took 18 % of a
// program's time in purges.)
extension Page {
    /// Bytes of the OS pages that the page's marked blocks returned, in pages of FreeBlockInteriors' classes. It
    /// shares `scanUsed`'s storage: ReturnedRuns, which uses that, never reads pages of these classes.
    var interiorBytesReturned: UInt32 {
        get { scanUsed }
        set { scanUsed = newValue }
    }
}

enum FreeBlockInteriors {
    /// Classes whose blocks span at least one whole OS page past their first.
    static let minimumBlockSize = 2 &* Geometry.osPageSize

    /// The second-word mark of a block whose interior is already returned (tied to its address, so that
    /// program data is unlikely to match it by chance; a match only skips a decommit).
    @inline(__always)
    static func mark(_ block: RawPointer) -> UInt { UInt(bitPattern: block) ^ 0x5357_4D4D_4652_4545 }

    /// `block`, a block of `page` taken into use, with its mark cleared, so that it is not taken for marked when it
    /// is freed again; a block that was marked counts as committed again. (Written so that the fast path needs no
    /// stack frame: the rare marked block leaves through a tail call.)
    @inline(__always)
    static func unmarked(_ block: RawPointer, of page: PagePointer) -> RawPointer {
        let size = page.pointee.blockSize
        guard size >= minimumBlockSize else { return block }
        if block.load(fromByteOffset: 8, as: UInt.self) == mark(block) { return takenBack(block, of: page) }
        block.storeBytes(of: 0, toByteOffset: 8, as: UInt.self)
        return block
    }

    /// (A mark that program data forged, by a write after free, counts no more than the page returned.)
    @inline(never)
    private static func takenBack(_ block: RawPointer, of page: PagePointer) -> RawPointer {
        let bytes = min(interior(block, size: page.pointee.blockSize)?.length ?? 0, Int(page.pointee.interiorBytesReturned))
        page.pointee.interiorBytesReturned &-= UInt32(truncatingIfNeeded: bytes)
        Platform.recommit(bytes)
        block.storeBytes(of: 0, toByteOffset: 8, as: UInt.self)
        return block
    }

    /// Clears the mark word of blocks never handed out, which an earlier page of the same class may have left
    /// there (a page cut from free slices still committed): only a purge of this page marks its blocks.
    static func clearStaleMarks(_ first: RawPointer, count: Int, size: Int) {
        guard size >= minimumBlockSize else { return }
        for i in 0..<count { (first + i &* size).storeBytes(of: 0, toByteOffset: 8, as: UInt.self) }
    }

    /// The whole OS pages of a block past the one that holds its link and mark.
    @inline(__always)
    private static func interior(_ block: RawPointer, size: Int) -> (start: RawPointer, length: Int)? {
        let start = UInt(bitPattern: block)
        return Geometry.wholeOSPages(from: start &+ 16, to: start &+ UInt(size))
    }

    /// Returns the interiors of the free blocks in the pages of `heap`'s large classes.
    static func decommit(_ heap: Heap) {
        for classIndex in SizeClass.index(minimumBlockSize)..<Geometry.classCount {
            var candidate = heap.queue(classIndex).pointee.first
            while let p = candidate {
                candidate = p.pointee.next
                let size = p.pointee.blockSize
                var block = p.pointee.free
                var steps: UInt32 = 0
                while let b = block, steps < p.pointee.capacity {
                    block = b.load(as: RawPointer?.self)
                    steps &+= 1
                    let marker = mark(b)
                    if b.load(fromByteOffset: 8, as: UInt.self) == marker { break }    // marked, as all after it
                    if let inside = interior(b, size: size) {
                        Platform.decommit(inside.start, inside.length)
                        p.pointee.interiorBytesReturned &+= UInt32(truncatingIfNeeded: inside.length)
                    }
                    b.storeBytes(of: marker, toByteOffset: 8, as: UInt.self)
                }
            }
        }
    }
}
