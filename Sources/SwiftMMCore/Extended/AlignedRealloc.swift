// Aligned allocation that survives realloc and reget (BrainMM's GetMemAligned).
//
// Small and medium blocks have no header, so the alignment asked of a block is kept per page: an aligned
// allocation sets `PageFlag.aligned` on its page and raises `Page.alignment` to what was asked. A moving realloc
// of a block on such a page asks for min(recorded alignment, lowest set bit of the pointer): every block that was
// asked for alignment A sits at a multiple of A, so it keeps at least A. (Frees on flagged pages take the slow
// path, which handles interior pointers.) Large blocks keep the alignment asked in their registry entry.
import SwiftMMShim

enum AlignedBlocks {
    /// Notes that `block` (in a segment page) was handed out for an `alignment`-aligned request.
    static func mark(_ block: RawPointer, _ alignment: Int) {
        let page = pageOf(UInt(bitPattern: block))
        if page.pointee.owner & PageFlag.aligned == 0 {
            page.pointee.alignment = 0                 // stale from the page's previous use
            page.pointee.owner |= PageFlag.aligned
        }
        if UInt(alignment) > page.pointee.alignment { page.pointee.alignment = UInt(alignment) }
    }

    /// The alignment a moved copy of the segment block at `p` must keep (16 for ordinary blocks).
    static func required(_ p: RawPointer) -> Int {
        let address = UInt(bitPattern: p)
        let page = pageOf(address)
        guard page.pointee.owner & PageFlag.aligned != 0 else { return Geometry.minAlignment }
        let lowest = address & (0 &- address)
        return Int(max(UInt(Geometry.minAlignment), min(page.pointee.alignment, lowest)))
    }

    /// The alignment any SwiftMM block at `p` must keep when it moves; nil when SwiftMM does not own `p`.
    static func requiredAny(_ p: RawPointer) -> Int? {
        let address = UInt(bitPattern: p)
        if isInSegment(address) {
            return pageOf(address).pointee.owner == 0 ? nil : required(p)
        }
        return LargeBlocks.entry(p).map { $0.alignment }
    }
}

@c public func smm_malloc_aligned(_ alignment: Int, _ size: Int) -> UnsafeMutableRawPointer? {
    if !Allocator.isPowerOfTwo(alignment) || alignment < Geometry.minAlignment || alignment > 1 &<< 20 {
        Platform.setErrno(EINVAL)
        return nil
    }
    if alignment == Geometry.minAlignment { return Allocator.allocate(size) }
    return Allocator.allocateAligned(alignment, size)
}
