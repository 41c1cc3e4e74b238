import SwiftMM

/// The live state of a process that uses SwiftMM, read from outside (`smm state PID`). The three parts are the
/// Swift API's own values (`Memory.heapStatus`, `Memory.state`, `Memory.memoryMap`), with the figures of the C
/// API (`smm_heap_status`, `smm_state`, `smm_memory_map`).
public struct LiveState: Codable, Equatable, Sendable {
    /// The process read.
    public var pid: Int32
    /// Its command line.
    public var command: String
    /// The libswiftmm.so it uses, and that library's version.
    public var library: String
    public var libraryVersion: String
    /// The layout version of the live-state anchor.
    public var layoutVersion: Int
    /// When it was read (seconds since 1970).
    public var capturedAt: Double
    /// False when the process changed its heaps under the reader on every attempt: the figures then mix moments.
    public var consistent: Bool
    /// Reads of the heaps it took (1 unless the process changed them meanwhile).
    public var attempts: Int
    /// Thread heaps (live and pooled) and segments walked.
    public var heaps: Int
    public var segments: Int
    /// Heap status (`smm_heap_status`).
    public var heapStatus: HeapStatus
    /// The state per size class (`smm_state`).
    public var state: MemoryManagerState
    /// SwiftMM's own regions (`smm_memory_map`).
    public var memoryMap: [MemoryRegion]
}

extension SizeClassState {
    /// A tier's total, all figures 0.
    static func total(_ tier: Tier) -> SizeClassState {
        SizeClassState(tier: tier, classIndex: nil, blockSize: 0, usableSize: 0, blocksAllocated: 0,
                       bytesAllocated: 0, bytesReserved: 0, bytesCommitted: 0)
    }

    mutating func add(_ other: SizeClassState) {
        blocksAllocated &+= other.blocksAllocated
        bytesAllocated &+= other.bytesAllocated
        bytesReserved &+= other.bytesReserved
        bytesCommitted &+= other.bytesCommitted
    }
}

extension LiveState {
    /// The figures of a heap walk, computed as the core computes its own reports (Diagnostics/HeapReport.swift,
    /// MemoryMap.swift): the same sums over the same page descriptors.
    static func figures(_ walk: LiveHeapWalk, layout: LiveLayout)
        -> (status: HeapStatus, state: MemoryManagerState, map: [MemoryRegion]) {
        func tier(_ classIndex: Int) -> Tier {
            classIndex < layout.classBlockSizes.count && layout.classBlockSizes[classIndex] <= layout.smallMax ? .small : .medium
        }
        var classes = layout.classBlockSizes.enumerated().map { index, size in
            SizeClassState(tier: tier(index), classIndex: index, blockSize: size, usableSize: size, blocksAllocated: 0,
                               bytesAllocated: 0, bytesReserved: 0, bytesCommitted: 0)
        }
        var map: [MemoryRegion] = walk.segments.map {
            MemoryRegion(address: $0.address, size: layout.sliceSize, tier: .none, classIndex: nil, use: .metadata,
                             blocksInUse: 0, blockSize: 0)
        }
        for segment in walk.segments {
            for item in segment.items {
                switch item {
                case .page(let page):
                    classes[page.classIndex].blocksAllocated &+= page.used
                    classes[page.classIndex].bytesAllocated &+= page.used &* page.blockSize
                    classes[page.classIndex].bytesReserved &+= page.bytes
                    classes[page.classIndex].bytesCommitted &+= page.touched
                    map.append(MemoryRegion(address: page.start, size: page.bytes, tier: tier(page.classIndex),
                                                classIndex: page.classIndex, use: .allocated,
                                                blocksInUse: UInt32(truncatingIfNeeded: page.used), blockSize: page.blockSize))
                case .free(let start, let bytes, let committed):
                    map.append(MemoryRegion(address: start, size: bytes, tier: .none, classIndex: nil,
                                                use: committed ? .free : .decommitted, blocksInUse: 0, blockSize: 0))
                }
            }
        }
        // Blocks a thread freed and keeps for its own allocations are free, though their pages count them.
        for (c, kept) in walk.keptBlocks.enumerated() where c < classes.count {
            classes[c].blocksAllocated &-= min(kept, classes[c].blocksAllocated)
            classes[c].bytesAllocated = classes[c].blocksAllocated &* classes[c].blockSize
        }
        var small = SizeClassState.total(.small), medium = SizeClassState.total(.medium)
        for c in classes { if c.tier == .small { small.add(c) } else { medium.add(c) } }
        var large = SizeClassState.total(.large)
        for entry in walk.largeBlocks {
            large.blocksAllocated &+= 1
            large.bytesAllocated &+= entry.mapSize
            large.bytesReserved &+= entry.mapSize
            large.bytesCommitted &+= entry.mapSize
            map.append(MemoryRegion(address: entry.address, size: entry.mapSize, tier: .large, classIndex: nil,
                                        use: .allocated, blocksInUse: 1, blockSize: entry.size))
        }
        let allocated = small.bytesAllocated &+ medium.bytesAllocated &+ large.bytesAllocated
        let committed = UInt64(max(0, walk.committed))
        let state = MemoryManagerState(classes: classes, smallTotal: small, mediumTotal: medium, largeTotal: large,
                                           allocated: allocated, committed: committed,
                                           efficiency: committed == 0 ? 0 : Double(allocated) / Double(committed))
        let overhead = UInt64(walk.segments.count) &* layout.sliceSize &+ UInt64(walk.heaps) &* layout.heapBytes
            &+ walk.largeCapacity &* UInt64(layout.largeEntryStride)
        let used = allocated &+ overhead
        let status = HeapStatus(reserved: UInt64(max(0, walk.reserved)), committed: committed, allocated: allocated,
                                    free: committed > used ? committed &- used : 0, overhead: overhead, currentUse: allocated,
                                    peakUse: max(UInt64(max(0, walk.peakInUse)), allocated))
        return (status, state, map)
    }
}
