// Memory blocks (BrainMM's memory blocks): fixed sizes 4K, 16K, 64K, 256K and 1M, each aligned to its size so
// that a header the user keeps at a block's start is found by masking any pointer into it.
//
// Blocks are cut from 4 MiB chunks aligned to 4 MiB. The chunk's first block slot holds the chunk header (kind,
// magic), so a free finds the kind by masking to the chunk, lock-free; only the header's page is touched, the rest
// of that slot is address space only. Each thread allocates from its own cache of free blocks and its own chunk
// (no lock, no atomic); a free goes to the freeing thread's cache, whichever thread allocated the block; caches
// above 4 MiB per kind spill half to a process-wide depot per kind, an atomic list (batches pushed with
// compare-and-swap, emptied whole with one exchange, so there is no ABA problem), which empty caches drain.
import SwiftMMShim
import Synchronization

enum MemoryBlocks {
    static let kinds = 5
    static let chunkShift = 22
    static let chunkSize = 1 &<< chunkShift
    static let magic: UInt = 0x534D_4D42_4C4B_5321

    static let depot0 = Atomic<UInt>(0)
    static let depot1 = Atomic<UInt>(0)
    static let depot2 = Atomic<UInt>(0)
    static let depot3 = Atomic<UInt>(0)
    static let depot4 = Atomic<UInt>(0)

    @inline(__always) static func size(_ kind: Int) -> Int { 4096 &<< (2 &* kind) }
    @inline(__always) static func cacheLimit(_ kind: Int) -> Int { max(4, (4 &<< 20) &>> (12 &+ 2 &* kind)) }

    // MARK: depot

    private static func takeAll(_ list: borrowing Atomic<UInt>) -> UInt { list.exchange(0, ordering: .acquiring) }

    private static func push(_ list: borrowing Atomic<UInt>, _ first: RawPointer, _ last: RawPointer) {
        var head = list.load(ordering: .relaxed)
        while true {
            last.storeBytes(of: head, as: UInt.self)
            let (done, seen) = list.compareExchange(expected: head, desired: UInt(bitPattern: first), ordering: .releasing)
            if done { return }
            head = seen
        }
    }

    static func depotTakeAll(_ kind: Int) -> UInt {
        switch kind {
        case 0: return takeAll(depot0)
        case 1: return takeAll(depot1)
        case 2: return takeAll(depot2)
        case 3: return takeAll(depot3)
        default: return takeAll(depot4)
        }
    }

    static func depotPush(_ kind: Int, _ first: RawPointer, _ last: RawPointer) {
        switch kind {
        case 0: push(depot0, first, last)
        case 1: push(depot1, first, last)
        case 2: push(depot2, first, last)
        case 3: push(depot3, first, last)
        default: push(depot4, first, last)
        }
    }

    // MARK: the thread's cache

    @inline(__always) static func head(_ heap: Heap, _ kind: Int) -> RawPointer? {
        heap.extended.load(fromByteOffset: HeapExtension.blockHeads &+ kind &* 8, as: RawPointer?.self)
    }
    @inline(__always) static func setHead(_ heap: Heap, _ kind: Int, _ p: RawPointer?) {
        heap.extended.storeBytes(of: p, toByteOffset: HeapExtension.blockHeads &+ kind &* 8, as: RawPointer?.self)
    }
    @inline(__always) static func count(_ heap: Heap, _ kind: Int) -> Int {
        heap.extended.load(fromByteOffset: HeapExtension.blockCounts &+ kind &* 8, as: Int.self)
    }
    @inline(__always) static func setCount(_ heap: Heap, _ kind: Int, _ n: Int) {
        heap.extended.storeBytes(of: n, toByteOffset: HeapExtension.blockCounts &+ kind &* 8, as: Int.self)
    }

    static func allocate(_ kind: Int) -> RawPointer? {
        guard kind >= 0 && kind < kinds else { Platform.setErrno(EINVAL); return nil }
        guard let heap = ExtendedThreads.ensureOwnHeap() else { Platform.setErrno(ENOMEM); return nil }
        if let block = head(heap, kind) {
            setHead(heap, kind, block.load(as: RawPointer?.self))
            setCount(heap, kind, count(heap, kind) &- 1)
            return block
        }
        // Drain the depot into the cache.
        if let first = RawPointer(bitPattern: depotTakeAll(kind)) {
            var n = 0
            var p: RawPointer? = first.load(as: RawPointer?.self)
            while let q = p { n &+= 1; p = q.load(as: RawPointer?.self) }
            setHead(heap, kind, first.load(as: RawPointer?.self))
            setCount(heap, kind, n)
            return first
        }
        return carve(heap, kind)
    }

    private static func carve(_ heap: Heap, _ kind: Int) -> RawPointer? {
        let size = size(kind)
        let nextOffset = HeapExtension.blockBumpNext &+ kind &* 8
        let endOffset = HeapExtension.blockBumpEnd &+ kind &* 8
        var next = heap.extended.load(fromByteOffset: nextOffset, as: UInt.self)
        var end = heap.extended.load(fromByteOffset: endOffset, as: UInt.self)
        if next >= end {
            guard let chunk = Platform.mapAligned(chunkSize, alignment: chunkSize, name: .blocks, committed: Geometry.osPageSize) else {
                Platform.setErrno(ENOMEM); return nil
            }
            chunk.storeBytes(of: magic, as: UInt.self)
            chunk.storeBytes(of: kind, toByteOffset: 8, as: Int.self)
            _ = Regions.insert(Region(address: UInt(bitPattern: chunk), size: chunkSize, kind: RegionKind.blockChunk, extra: size))
            next = UInt(bitPattern: chunk) &+ UInt(size)       // slot 0 holds the header
            end = UInt(bitPattern: chunk) &+ UInt(chunkSize)
            heap.extended.storeBytes(of: end, toByteOffset: endOffset, as: UInt.self)
        }
        heap.extended.storeBytes(of: next &+ UInt(size), toByteOffset: nextOffset, as: UInt.self)
        return RawPointer(bitPattern: next)
    }

    /// The chunk header's kind for a pointer into a block, or -1 when it is not in a block chunk.
    @inline(__always)
    static func kind(of p: RawPointer) -> Int {
        let chunk = UInt(bitPattern: p) & ~UInt(chunkSize &- 1)
        guard let header = UnsafeRawPointer(bitPattern: chunk), header.load(as: UInt.self) == magic else { return -1 }
        let kind = header.load(fromByteOffset: 8, as: Int.self)
        let offset = UInt(bitPattern: p) &- chunk
        return kind >= 0 && kind < kinds && offset >= UInt(size(kind)) ? kind : -1
    }

    static func free(_ p: RawPointer) {
        // Lock-free: the chunk header says the kind (a pointer that is not in mapped memory faults, as with free).
        let kind = kind(of: p)
        guard kind >= 0 else {
            return Diagnostics.invalidFree(p, reason: "smm_block_free of a pointer that is not a memory block")
        }
        guard let heap = ExtendedThreads.ensureOwnHeap() else { return }
        let block = RawPointer(bitPattern: UInt(bitPattern: p) & ~UInt(size(kind) &- 1)).unsafelyUnwrapped
        block.storeBytes(of: head(heap, kind), as: RawPointer?.self)
        setHead(heap, kind, block)
        let n = count(heap, kind) &+ 1
        setCount(heap, kind, n)
        if n > cacheLimit(kind) { spill(heap, kind, n / 2) }
    }

    /// Moves `n` blocks of the thread's cache to the depot.
    private static func spill(_ heap: Heap, _ kind: Int, _ n: Int) {
        guard n > 0, let first = head(heap, kind) else { return }
        var last = first
        var moved = 1
        while moved < n, let next = last.load(as: RawPointer?.self) { last = next; moved &+= 1 }
        setHead(heap, kind, last.load(as: RawPointer?.self))
        setCount(heap, kind, count(heap, kind) &- moved)
        depotPush(kind, first, last)
    }

    /// Hands all of the heap's cached blocks to the depot; with `discard`, their pages go back to the OS first.
    static func flushCache(_ heap: Heap, discard: Bool = false) {
        for kind in 0..<kinds {
            guard let first = head(heap, kind) else { continue }
            var last = first
            while true {
                if discard {
                    // Keep the link word's page: discarding it would lose the list.
                    let size = size(kind)
                    if size > Geometry.osPageSize { Platform.discard(last + Geometry.osPageSize, size &- Geometry.osPageSize) }
                }
                guard let next = last.load(as: RawPointer?.self) else { break }
                last = next
            }
            setHead(heap, kind, nil)
            setCount(heap, kind, 0)
            depotPush(kind, first, last)
        }
    }
}

@c public func smm_block_alloc(_ kind: Int32) -> UnsafeMutableRawPointer? { MemoryBlocks.allocate(Int(kind)) }

@c public func smm_block_free(_ block: UnsafeMutableRawPointer?) {
    guard let block else { return }
    MemoryBlocks.free(block)
}

@c public func smm_block_size(_ kind: Int32) -> Int {
    kind >= 0 && Int(kind) < MemoryBlocks.kinds ? MemoryBlocks.size(Int(kind)) : 0
}
