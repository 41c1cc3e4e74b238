/// Heap status in the style of Free Pascal's `TFPCHeapStatus` (C: `smm_heap_status`). Bytes throughout.
public struct HeapStatus: Sendable, Equatable, Codable {
    /// Address space mapped from the OS.
    public var reserved: UInt64
    /// Mapped memory not returned to the OS.
    public var committed: UInt64
    /// Bytes in live blocks.
    public var allocated: UInt64
    /// Committed bytes neither in live blocks nor overhead.
    public var free: UInt64
    /// SwiftMM's own metadata: segment headers, heaps, tables.
    public var overhead: UInt64
    /// Bytes in use now (the same as `allocated`).
    public var currentUse: UInt64
    /// The highest use seen.
    public var peakUse: UInt64

    /// Creates a heap status from its figures.
    public init(reserved: UInt64, committed: UInt64, allocated: UInt64, free: UInt64, overhead: UInt64, currentUse: UInt64, peakUse: UInt64) {
        self.reserved = reserved
        self.committed = committed
        self.allocated = allocated
        self.free = free
        self.overhead = overhead
        self.currentUse = currentUse
        self.peakUse = peakUse
    }
}

/// The tier a block belongs to.
public enum Tier: String, Sendable, Codable {
    /// Up to 8 KiB, in 64 KiB pages of one size class.
    case small
    /// Up to 256 KiB, in pages of several 64 KiB slices.
    case medium
    /// Beyond 256 KiB: a mapping of its own.
    case large
    /// SwiftMM's metadata or free space (memory-map regions only).
    case none

    init(raw: UInt32) {
        switch raw { case 0: self = .small; case 1: self = .medium; case 2: self = .large; default: self = .none }
    }
}

/// One size class, or a tier's total, in the style of FastMM's `GetMemoryManagerState`.
public struct SizeClassState: Sendable, Equatable, Codable {
    /// The tier.
    public var tier: Tier
    /// The class index, or nil for a tier's total.
    public var classIndex: Int?
    /// Bytes per block (0 for a total).
    public var blockSize: UInt64
    /// Bytes `usableSize` reports for a block of this class.
    public var usableSize: UInt64
    /// Live blocks.
    public var blocksAllocated: UInt64
    /// Bytes in live blocks.
    public var bytesAllocated: UInt64
    /// Address space of the pages holding this class.
    public var bytesReserved: UInt64
    /// Of which handed out at least once.
    public var bytesCommitted: UInt64

    /// Creates a size class state from its figures.
    public init(tier: Tier, classIndex: Int?, blockSize: UInt64, usableSize: UInt64, blocksAllocated: UInt64, bytesAllocated: UInt64, bytesReserved: UInt64, bytesCommitted: UInt64) {
        self.tier = tier
        self.classIndex = classIndex
        self.blockSize = blockSize
        self.usableSize = usableSize
        self.blocksAllocated = blocksAllocated
        self.bytesAllocated = bytesAllocated
        self.bytesReserved = bytesReserved
        self.bytesCommitted = bytesCommitted
    }
}

/// The allocator's state per size class, with tier totals and efficiency (C: `smm_state`).
public struct MemoryManagerState: Sendable, Equatable, Codable {
    /// Every size class, in order.
    public var classes: [SizeClassState]
    /// Totals of the small, medium and large tiers.
    public var smallTotal: SizeClassState
    public var mediumTotal: SizeClassState
    public var largeTotal: SizeClassState
    /// Bytes in live blocks.
    public var allocated: UInt64
    /// Committed bytes.
    public var committed: UInt64
    /// `allocated / committed`.
    public var efficiency: Double

    /// Creates a state from its figures.
    public init(classes: [SizeClassState], smallTotal: SizeClassState, mediumTotal: SizeClassState,
                largeTotal: SizeClassState, allocated: UInt64, committed: UInt64, efficiency: Double) {
        self.classes = classes
        self.smallTotal = smallTotal
        self.mediumTotal = mediumTotal
        self.largeTotal = largeTotal
        self.allocated = allocated
        self.committed = committed
        self.efficiency = efficiency
    }

    /// The class whose blocks hold `byteCount` bytes.
    public func sizeClass(holding byteCount: Int) -> SizeClassState? {
        classes.first { $0.blockSize >= UInt64(byteCount) }
    }
}

/// One region of SwiftMM's memory, in the style of FastMM's `GetMemoryMap` (C: `smm_memory_map`).
public struct MemoryRegion: Sendable, Equatable, Codable {
    /// What the region is used for.
    public enum Use: String, Sendable, Codable {
        case allocated, free, decommitted, metadata
    }
    /// Start address.
    public var address: UInt64
    /// Bytes.
    public var size: UInt64
    /// The tier of a page or large block; `.none` for metadata and free space.
    public var tier: Tier
    /// The size class of a page.
    public var classIndex: Int?
    /// Its use.
    public var use: Use
    /// Live blocks in a page (1 for a large block).
    public var blocksInUse: UInt32
    /// The block size of a page, or the requested size of a large block.
    public var blockSize: UInt64

    /// Creates a region from its figures.
    public init(address: UInt64, size: UInt64, tier: Tier, classIndex: Int?, use: Use, blocksInUse: UInt32, blockSize: UInt64) {
        self.address = address
        self.size = size
        self.tier = tier
        self.classIndex = classIndex
        self.use = use
        self.blocksInUse = blocksInUse
        self.blockSize = blockSize
    }
}

extension Memory {
    /// The heap status, merged across threads. Reading it walks page descriptors, never blocks.
    public var heapStatus: HeapStatus {
        var raw = [UInt64](repeating: 0, count: 7)
        raw.withUnsafeMutableBytes { c.heapStatus($0.baseAddress) }
        return HeapStatus(reserved: raw[0], committed: raw[1], allocated: raw[2], free: raw[3], overhead: raw[4],
                          currentUse: raw[5], peakUse: raw[6])
    }

    /// The state per size class.
    public var state: MemoryManagerState {
        let classCount = 96, stride = 56
        var raw = [UInt8](repeating: 0, count: (classCount + 3) * stride + 24)
        raw.withUnsafeMutableBytes { c.state($0.baseAddress) }
        return raw.withUnsafeBytes { bytes in
            func entry(_ i: Int) -> SizeClassState {
                let base = i * stride
                let index = bytes.load(fromByteOffset: base + 4, as: Int32.self)
                func u64(_ field: Int) -> UInt64 { bytes.load(fromByteOffset: base + 8 + field * 8, as: UInt64.self) }
                return SizeClassState(tier: Tier(raw: bytes.load(fromByteOffset: base, as: UInt32.self)),
                                      classIndex: index < 0 ? nil : Int(index), blockSize: u64(0), usableSize: u64(1),
                                      blocksAllocated: u64(2), bytesAllocated: u64(3), bytesReserved: u64(4), bytesCommitted: u64(5))
            }
            let tail = (classCount + 3) * stride
            return MemoryManagerState(classes: (0..<classCount).map(entry), smallTotal: entry(classCount),
                                      mediumTotal: entry(classCount + 1), largeTotal: entry(classCount + 2),
                                      allocated: bytes.load(fromByteOffset: tail, as: UInt64.self),
                                      committed: bytes.load(fromByteOffset: tail + 8, as: UInt64.self),
                                      efficiency: bytes.load(fromByteOffset: tail + 16, as: Double.self))
        }
    }

    /// Every region of SwiftMM's own memory.
    public var memoryMap: [MemoryRegion] {
        let stride = 40
        var capacity = 256
        while true {
            var raw = [UInt8](repeating: 0, count: capacity * stride)
            let total = raw.withUnsafeMutableBytes { c.memoryMap($0.baseAddress, capacity) }
            if total > capacity { capacity = total + 64; continue }
            return raw.withUnsafeBytes { bytes in
                (0..<total).map { i in
                    let base = i * stride
                    let index = bytes.load(fromByteOffset: base + 20, as: Int32.self)
                    let use: MemoryRegion.Use
                    switch bytes.load(fromByteOffset: base + 24, as: UInt32.self) {
                    case 0: use = .allocated
                    case 1: use = .free
                    case 2: use = .decommitted
                    default: use = .metadata
                    }
                    return MemoryRegion(address: bytes.load(fromByteOffset: base, as: UInt64.self),
                                        size: bytes.load(fromByteOffset: base + 8, as: UInt64.self),
                                        tier: Tier(raw: bytes.load(fromByteOffset: base + 16, as: UInt32.self)),
                                        classIndex: index < 0 ? nil : Int(index), use: use,
                                        blocksInUse: bytes.load(fromByteOffset: base + 28, as: UInt32.self),
                                        blockSize: bytes.load(fromByteOffset: base + 32, as: UInt64.self))
                }
            }
        }
    }

    /// Leaves the block at `pointer` out of leak reports. Returns false when it is not a live SwiftMM block.
    @discardableResult
    public func registerExpectedLeak(_ pointer: UnsafeMutableRawPointer) -> Bool { c.registerExpectedLeak(pointer) != 0 }

    /// Withdraws a registration; returns false when the block was not registered.
    @discardableResult
    public func unregisterExpectedLeak(_ pointer: UnsafeMutableRawPointer) -> Bool { c.unregisterExpectedLeak(pointer) != 0 }

    /// Prints the blocks alive now, grouped by size, to a file descriptor; returns how many there are.
    @discardableResult
    public func reportLeaks(to fileDescriptor: Int32 = 2) -> Int { c.reportLeaks(fileDescriptor) }

    /// In debug mode (`SMM_DEBUG=1`): checks the guard bytes of every live block and the fill of every block in the
    /// quarantine, reports each corrupt block on stderr (then aborts unless `SMM_DEBUG_CONTINUE=1`), and returns how
    /// many are corrupt. Outside debug mode blocks have no guards: returns 0.
    public func checkHeap() -> Int { Int(c.checkHeap()) }
}
