// Reget (BrainMM's RegetMem): resize a block without keeping its contents. It is realloc without the copy
// (Allocator.reallocate with keepContents false): in place when the block fits; otherwise a fresh block with
// the old one's alignment, and the old one freed. Large blocks grow with mremap, which moves page-table
// entries rather than data; over-aligned large blocks, which realloc must copy, take a fresh aligned mapping.
import SwiftMMShim

@c public func smm_reget(_ p: UnsafeMutableRawPointer?, _ size: Int) -> UnsafeMutableRawPointer? {
    if DebugMode.isOn { return DebugMode.reallocate(p, size, keep: false) }
    // A block of an installed memory manager: a fresh block, then free it (nothing to keep).
    if MemoryManagers.isActive, let p, !MemoryManagers.ownsBlock(p) {
        if size == 0 { Allocator.free(p); return nil }
        guard let q = Allocator.allocate(size) else { return nil }
        Allocator.free(p)
        return q
    }
    return Allocator.reallocate(p, size, keepContents: false)
}
