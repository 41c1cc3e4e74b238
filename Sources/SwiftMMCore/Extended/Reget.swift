// Reget (BrainMM's RegetMem): resize a block without keeping its contents. In place when the block fits;
// otherwise a fresh block (with the old one's alignment) and the old one freed, so nothing is copied. Large
// blocks grow with mremap (in place when the address space after them is free, else moved: page tables move,
// no data is copied); over-aligned large blocks, which realloc must copy, take a fresh aligned mapping instead.
import SwiftMMShim

enum Reget {
    static func reget(_ p: RawPointer?, _ size: Int) -> RawPointer? {
        guard let p else { return Allocator.allocate(size) }
        if size == 0 { Allocator.free(p); return nil }
        if size < 0 || size > Int.max / 2 { Platform.setErrno(ENOMEM); return nil }
        let address = UInt(bitPattern: p)
        if isInSegment(address) {
            let usable = Allocator.usableSize(p)
            if usable == 0 { Diagnostics.invalidFree(p, reason: "reget of a pointer SwiftMM does not own"); return nil }
            if size <= usable && (size >= usable / 2 || usable <= 64) { return p }
            guard let q = Allocator.allocate(size, alignment: AlignedBlocks.required(p)) else { return nil }
            Allocator.free(p)
            return q
        }
        guard let entry = LargeBlocks.entry(p) else {
            if MemoryManagers.isActive {       // a block of the installed manager: a fresh block, then free
                guard let q = Allocator.allocate(size) else { return nil }
                Allocator.free(p)
                return q
            }
            Diagnostics.invalidFree(p, reason: "reget of a pointer SwiftMM does not own")
            Platform.setErrno(ENOMEM)
            return nil
        }
        return large(p, entry, size)
    }

    private static func large(_ p: RawPointer, _ entry: LargeEntry, _ size: Int) -> RawPointer? {
        guard let newMap = LargeBlocks.pageRound(max(size, 1)) else { Platform.setErrno(ENOMEM); return nil }
        if size <= Geometry.mediumMax && newMap <= entry.mapSize / 2 {
            guard let q = Allocator.allocate(size, alignment: entry.alignment) else { return nil }
            Allocator.free(p)
            return q
        }
        if newMap <= entry.mapSize {
            var mapSize = entry.mapSize
            if newMap <= entry.mapSize / 2, Platform.remap(p, from: entry.mapSize, to: newMap, mayMove: false) != nil {
                mapSize = newMap
            }
            replace(p, p, mapSize: mapSize, size: size, alignment: entry.alignment)
            return p
        }
        // Grow by at least an eighth, as realloc does, so that step-by-step growth is not remapped every step.
        let target = max(newMap, LargeBlocks.pageRound(entry.mapSize &+ entry.mapSize / 8) ?? newMap)
        if Platform.remap(p, from: entry.mapSize, to: target, mayMove: false) != nil {
            replace(p, p, mapSize: target, size: size, alignment: entry.alignment)
            return p
        }
        // mremap may move the mapping: it moves page-table entries, not data, and the pages already touched are
        // reused for the new contents (a fresh mapping would fault every page in again: measured twice as slow).
        if entry.alignment <= Geometry.osPageSize, let q = Platform.remap(p, from: entry.mapSize, to: target, mayMove: true) {
            replace(p, q, mapSize: target, size: size, alignment: entry.alignment)
            return q
        }
        // Over-aligned: the kernel cannot be asked for an aligned address; where realloc copies, reget takes a
        // fresh aligned (or cached) mapping and releases the old one.
        guard let heap = ExtendedThreads.ensureOwnHeap(),
              let q = LargeBlocks.allocate(heap, target, alignment: entry.alignment, zeroed: false) else { return nil }
        Allocator.free(p)
        return q
    }

    private static func replace(_ old: RawPointer, _ new: RawPointer, mapSize: Int, size: Int, alignment: Int) {
        Locks.large.lock()
        _ = LargeRegistry.remove(UInt(bitPattern: old))
        _ = LargeRegistry.insert(LargeEntry(address: UInt(bitPattern: new), mapSize: mapSize, size: size, alignment: alignment))
        Locks.large.unlock()
    }
}

@c public func smm_reget(_ p: UnsafeMutableRawPointer?, _ size: Int) -> UnsafeMutableRawPointer? {
    if DebugMode.isOn { return DebugMode.reallocate(p, size, keep: false) }
    return Reget.reget(p, size)
}
