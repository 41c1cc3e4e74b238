// Free blocks of 8 KiB and more give the OS pages inside them back. A size class's pages stay resident as far
// as the class ever used them, so a class whose blocks in use swing (a few large blocks in flight at a time,
// across many classes) holds its high-water mark in every page it keeps. At each purge the free blocks of
// such classes return the whole OS pages they span, except the first, which holds the free-list link. The
// block is marked in its second word so that later purges skip it; a block taken into use again faults its
// pages back in as the program writes them (they read as zero, and block contents are undefined anyway).
//
// Allocation clears the mark (`unmark`). Frees push blocks at the head of their page's free list, so a list is
// always blocks freed since the last purge followed by blocks that purge marked: each purge reads a page's list
// only up to its first marked block. (Reading whole lists, with 200,000 free blocks of 16 KiB, took 18 % of a
// program's time in purges.)
enum FreeBlockInteriors {
    /// Classes whose blocks span at least one whole OS page past their first.
    static let minimumBlockSize = 2 &* Geometry.osPageSize

    /// The second-word mark of a block whose interior is already returned (tied to its address, so that
    /// program data is unlikely to match it by chance; a match only skips a decommit).
    @inline(__always)
    static func mark(_ block: RawPointer) -> UInt { UInt(bitPattern: block) ^ 0x5357_4D4D_4652_4545 }

    /// Clears the mark of a block of `page` that is taken into use, so that it is not taken for marked when it is
    /// freed again.
    @inline(__always)
    static func unmark(_ block: RawPointer, of page: PagePointer) {
        if page.pointee.blockSize >= minimumBlockSize { block.storeBytes(of: 0, toByteOffset: 8, as: UInt.self) }
    }

    /// Returns the interiors of the free blocks in the pages of `heap`'s large classes.
    static func decommit(_ heap: Heap) {
        for classIndex in SizeClass.index(minimumBlockSize)..<Geometry.classCount {
            var candidate = heap.queue(classIndex).pointee.first
            while let p = candidate {
                candidate = p.pointee.next
                let size = UInt(p.pointee.blockSize)
                var block = p.pointee.free
                var steps: UInt32 = 0
                while let b = block, steps < p.pointee.capacity {
                    block = b.load(as: RawPointer?.self)
                    steps &+= 1
                    let marker = mark(b)
                    if b.load(fromByteOffset: 8, as: UInt.self) == marker { break }    // marked, as all after it
                    let start = UInt(bitPattern: b)            // past the OS page that holds the link and the mark
                    if let interior = Geometry.wholeOSPages(from: start &+ 16, to: start &+ size) {
                        Platform.discard(interior.start, interior.length)
                    }
                    b.storeBytes(of: marker, toByteOffset: 8, as: UInt.self)
                }
            }
        }
    }
}
