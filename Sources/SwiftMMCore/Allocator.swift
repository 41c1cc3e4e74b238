// The allocation operations with their standard semantics, over the three tiers. The exported C names
// (API.swift) call these.
import SwiftMMShim
import Synchronization

enum Allocator {
    @inline(__always)
    static func allocate(_ size: Int) -> RawPointer? { FastPath.allocate(size) }

    @inline(__always)
    static func free(_ p: RawPointer?) {
        // An optional pointer is its address, NULL being 0, which lies in no segment: LargeBlocks.free ignores it.
        FastPath.free(unsafeBitCast(p, to: UInt.self))
    }

    /// free_sized, free_aligned_sized, C++ sized delete: `free`, with the size (and alignment, 0 when none) that
    /// the slow paths pass to debug mode's checks.
    @inline(__always)
    static func freeSized(_ p: RawPointer?, size: Int, alignment: Int) {
        FastPath.freeSized(unsafeBitCast(p, to: UInt.self), size: size, alignment: alignment)
    }

    static func allocateZeroed(_ count: Int, _ size: Int) -> RawPointer? {
        let (total, overflow) = count.multipliedReportingOverflow(by: size)
        if overflow || count < 0 || size < 0 { Platform.setErrno(ENOMEM); return nil }
        if UInt(bitPattern: total) > UInt(Geometry.mediumMax) {
            var heap = Heap.current
            if !heap.isInitialized {
                guard let started = Heaps.startThread() else { Platform.setErrno(ENOMEM); return nil }
                if MemoryManagers.isActive { return MemoryManagers.allocateZeroed(count, size) }   // installed at process start
                heap = started
            }
            return LargeBlocks.allocate(heap, total, alignment: Geometry.minAlignment, zeroed: true)
        }
        guard let p = allocate(total) else { return nil }
        memset(p, 0, total)
        return p
    }

    /// Bytes usable at `p`: the rest of its block from `p` on.
    static func usableSize(_ p: RawPointer) -> Int {
        let address = UInt(bitPattern: p)
        if isInSegment(address) {
            let page = pageOf(address)
            guard page.pointee.owner != 0, let start = page.pointee.start else { return 0 }
            let size = page.pointee.blockSize
            return size &- offsetInBlock(address, start: start, blockSize: size)     // the bytes from `p` to its block's end
        }
        guard let entry = LargeBlocks.entry(p) else { return 0 }
        return entry.mapSize
    }

    /// realloc, or with `keepContents` false reget (the block's contents need not survive, so nothing is
    /// copied). Both keep the block's alignment.
    static func reallocate(_ p: RawPointer?, _ size: Int, keepContents: Bool = true) -> RawPointer? {
        guard let p else { return allocate(size) }
        if size == 0 { free(p); return nil }          // glibc: realloc(p, 0) frees p and returns NULL
        if size < 0 || size > Int.max / 2 { Platform.setErrno(ENOMEM); return nil }
        let address = UInt(bitPattern: p)
        if isInSegment(address) {
            let usable = usableSize(p)
            if usable == 0 { notOwned(p, keepContents); return nil }
            // In place while the block holds the new size and is not more than twice too big.
            if size <= usable && (size >= usable / 2 || usable <= 64) { return p }
            guard let q = allocate(size, alignment: AlignedBlocks.required(p)) else { return nil }
            if keepContents { memcpy(q, p, min(size, usable)) }
            free(p)
            return q
        }
        if LargeBlocks.resizeWithinMapping(p, size) { return p }
        guard let entry = LargeBlocks.entry(p) else {
            notOwned(p, keepContents)
            Platform.setErrno(ENOMEM)
            return nil
        }
        return LargeBlocks.reallocate(p, entry, size, keepContents: keepContents)
    }

    private static func notOwned(_ p: RawPointer, _ keepContents: Bool) {
        Diagnostics.invalidFree(p, reason: keepContents ? "realloc of a pointer SwiftMM does not own" : "reget of a pointer SwiftMM does not own")
    }

    /// A block of `size` bytes at a multiple of `alignment` (a power of two).
    static func allocateAligned(_ alignment: Int, _ size: Int) -> RawPointer? {
        if alignment <= Geometry.minAlignment { return allocate(size) }
        if size < 0 || alignment < 0 || size > Int.max / 2 || alignment > Int.max / 4 { Platform.setErrno(ENOMEM); return nil }
        var heap = Heap.current
        if !heap.isInitialized {
            guard let started = Heaps.startThread() else { Platform.setErrno(ENOMEM); return nil }
            // Debug mode redirects every thread: its aligned blocks are debug blocks too.
            if DebugMode.isOn { return DebugMode.allocate(size, alignment: alignment, zeroed: false) }
            heap = started
        }
        let rounded = (max(size, 1) &+ alignment &- 1) & ~(alignment &- 1)
        if rounded <= Geometry.mediumMax && alignment <= Geometry.sliceSize {
            // Blocks of a class whose size is a multiple of the alignment are aligned already:
            // pages start on 64 KiB boundaries.
            let classIndex = SizeClass.index(rounded)
            if SizeClass.blockSize(classIndex) & (alignment &- 1) == 0 {
                guard let block = SlowPath.allocate(heap, classIndex: classIndex) else { return nil }
                AlignedBlocks.mark(block, alignment)    // so that realloc keeps the alignment
                return block
            }
            // Otherwise hand out an aligned pointer inside a bigger block, and flag the page.
            let padded = size &+ alignment &- Geometry.minAlignment
            if padded <= Geometry.mediumMax {
                guard let block = SlowPath.allocate(heap, classIndex: SizeClass.index(padded)) else { return nil }
                let aligned = RawPointer(bitPattern: (UInt(bitPattern: block) &+ UInt(alignment &- 1)) & ~UInt(alignment &- 1)).unsafelyUnwrapped
                AlignedBlocks.mark(block, alignment)
                return aligned
            }
        }
        return LargeBlocks.allocate(heap, size, alignment: alignment, zeroed: false)
    }

    /// `allocate`, or `allocateAligned` when `alignment` exceeds the 16 bytes every block has.
    static func allocate(_ size: Int, alignment: Int) -> RawPointer? {
        alignment > Geometry.minAlignment ? allocateAligned(alignment, size) : allocate(size)
    }

    static func isPowerOfTwo(_ x: Int) -> Bool { x > 0 && x & (x &- 1) == 0 }
}
