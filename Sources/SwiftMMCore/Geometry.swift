// The allocator's fixed geometry: segments, slices, tiers and size classes.
//
// Memory comes from the OS in 4 MiB segments aligned to 4 MiB. A segment is cut into 64 slices of 64 KiB;
// slice 0 holds the segment header, the slice table (the page that holds each slice) and one page descriptor per
// slice. A page is a run of slices that holds blocks of a single size class, with no header per block: small
// pages are one slice (blocks up to 8 KiB), medium pages span several slices (blocks up to 256 KiB). Larger
// blocks come straight from mmap.

enum Geometry {
    static let segmentShift = 22
    static let segmentSize = 1 &<< segmentShift
    static let segmentMask = UInt(segmentSize &- 1)
    static let sliceShift = 16
    static let sliceSize = 1 &<< sliceShift
    static let slicesPerSegment = 64
    /// Offset of the slice table inside a segment (one page pointer per slice, after the header).
    static let sliceTableOffset = 64
    /// Offset of the page descriptors inside a segment (after the slice table), and the stride between them.
    static let pageTableOffset = 640
    static let pageStrideShift = 7
    /// Highest user address bit (47-bit user space): the segment map covers 2^(47-22) segments.
    static let addressBits = 47
    static let segmentIndexLimit = UInt(1) &<< UInt(addressBits - segmentShift)

    /// Small blocks live in one-slice pages; medium blocks in pages of several slices; large ones in mmap.
    static let smallMax = 8192
    static let mediumMax = 262_144
    /// Sizes up to `directMax` find their page through the heap's direct table in one load.
    static let directMax = 1024
    static let classCount = 96
    static let osPageSize = 4096
    static let minAlignment = 16

    /// The whole OS pages inside the bytes from `start` up to `end`: the first one's address and their length in
    /// bytes, or nil when the range holds none. (What the purges may give back without touching bytes in use.)
    @inline(__always)
    static func wholeOSPages(from start: UInt, to end: UInt) -> (start: RawPointer, length: Int)? {
        let mask = UInt(osPageSize &- 1)
        let first = (start &+ mask) & ~mask
        let last = end & ~mask
        guard last > first, let p = RawPointer(bitPattern: first) else { return nil }
        return (p, Int(last &- first))
    }
}

/// Size classes: 16-byte steps up to 256 B, then 8 classes per doubling up to 256 KiB (at most 12.5% waste).
enum SizeClass {
    /// The class index for a request of `size` bytes (`size` ≤ `Geometry.mediumMax`).
    @inline(__always)
    static func index(_ size: Int) -> Int {
        let s = UInt(bitPattern: size)
        if s <= 256 {
            let c = (s &+ 15) &>> 4
            return c == 0 ? 0 : Int(c &- 1)
        }
        let w = s &- 1
        let b = UInt(UInt.bitWidth &- 1 &- w.leadingZeroBitCount)   // ≥ 8
        let step = (w &>> (b &- 3)) & 7
        return Int(16 &+ (b &- 8) &* 8 &+ step)
    }

    /// The block size of class `index`.
    @inline(__always)
    static func blockSize(_ index: Int) -> Int {
        if index < 16 { return (index &+ 1) &* 16 }
        let g = (index &- 16) &>> 3
        let r = (index &- 16) & 7
        return (256 &<< g) &+ (r &+ 1) &* (32 &<< g)
    }

    /// Slices in a page of class `index`: one for small blocks; for medium blocks enough for at least
    /// four blocks (two above 64 KiB, where a page of four would hold a megabyte for a class that may see a
    /// few blocks), widened while that leaves more than 1/8 of the page unused. (Eight blocks a page held more
    /// free blocks resident in classes that see a few blocks each: `prodcons` peaked 3–5 % higher.)
    static func pageSlices(_ index: Int) -> Int {
        let size = blockSize(index)
        if size <= Geometry.smallMax { return 1 }
        let blocks = size > 65_536 ? 2 : 4
        var slices = (size &* blocks &+ Geometry.sliceSize &- 1) &>> Geometry.sliceShift
        while slices < 32 {
            let bytes = slices &<< Geometry.sliceShift
            if (bytes % size) &* 8 <= bytes { break }
            slices &+= 1
        }
        return slices
    }
}
