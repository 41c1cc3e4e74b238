/// One walk of a running process's heaps, segments, page descriptors and large-block table, as the core's own
/// HeapWalk does it, but from outside and without its locks: the process keeps running, so every list is bounded,
/// every pointer and count checked, and a segment or table that disappears meanwhile only marks the walk
/// inconsistent. Only blocks' descriptors are read, never the blocks.
struct LiveHeapWalk {
    struct Page: Equatable {
        var start: UInt64
        var bytes: UInt64
        var classIndex: Int
        var blockSize: UInt64
        var used: UInt64
        /// Bytes handed out at least once (up to the bump pointer).
        var touched: UInt64
    }

    enum Item: Equatable {
        case page(Page)
        /// A run of free slices: start, bytes, still committed.
        case free(UInt64, UInt64, Bool)
    }

    struct Segment: Equatable {
        var address: UInt64
        var items: [Item]
    }

    struct LargeBlock: Equatable {
        var address: UInt64
        var mapSize: UInt64
        var size: UInt64
    }

    var heaps = 0
    /// Per size class: blocks that threads freed from other heaps' pages and keep for their own allocations.
    /// Their pages count them in use; they are free.
    var keptBlocks: [UInt64] = []
    var segments: [Segment] = []
    var largeBlocks: [LargeBlock] = []
    var largeCapacity: UInt64 = 0
    var reserved: Int64 = 0
    var committed: Int64 = 0
    var peakInUse: Int64 = 0
    /// False when the walk met data that changed under it (a segment gone, a list that loops, a torn descriptor).
    var consistent = true

    static let maxHeaps = 1 << 20
    static let maxSegments = 1 << 18
    static let maxLargeCapacity: UInt64 = 1 << 24

    /// Walks once. Throws when the process cannot be read at all (gone, no permission, the library's own words
    /// unreadable); memory that vanished meanwhile only clears `consistent`.
    static func walk(_ memory: MemorySource, _ layout: LiveLayout) throws(RemoteReadError) -> LiveHeapWalk {
        var walk = LiveHeapWalk()
        let words = try memory.readWords([layout.reservedAddress, layout.committedAddress, layout.peakInUseAddress,
                                          layout.largeTableAddress, layout.largeCapacityAddress, layout.heapsAddress])
        walk.reserved = Int64(bitPattern: words[0])
        walk.committed = Int64(bitPattern: words[1])
        walk.peakInUse = Int64(bitPattern: words[2])
        try walk.readHeaps(memory, layout, first: words[5])
        try walk.readLargeBlocks(memory, layout, table: words[3], capacity: words[4])
        return walk
    }

    /// `body`'s value, or nil when it read memory that is not mapped (any more).
    private func tolerant<T>(_ body: () throws(RemoteReadError) -> T) throws(RemoteReadError) -> T? {
        do {
            return try body()
        } catch {
            if case .unmapped = error { return nil }
            throw error
        }
    }

    private mutating func readHeaps(_ memory: MemorySource, _ layout: LiveLayout, first: UInt64) throws(RemoteReadError) {
        var seenHeaps = Set<UInt64>()
        var seenSegments = Set<UInt64>()
        var heap = first
        while heap != 0 {
            guard seenHeaps.count < Self.maxHeaps, seenHeaps.insert(heap).inserted, heap % 8 == 0 else { consistent = false; return }
            let state = heap &+ layout.heapStateOffset
            guard let links = try tolerant({ () throws(RemoteReadError) in
                try memory.readWords([state &+ layout.stateSegments, state &+ layout.stateAllNext])
            }) else { consistent = false; return }
            heaps += 1
            try readKeptBlocks(memory, layout, heap: heap)
            var segment = links[0]
            while segment != 0 {
                guard seenSegments.count < Self.maxSegments, segment % layout.segmentSize == 0,
                      seenSegments.insert(segment).inserted else { consistent = false; break }
                // Header and page descriptors in one read, so that they come from (nearly) one moment.
                guard let bytes = try tolerant({ () throws(RemoteReadError) in
                    try memory.read(segment, count: layout.segmentHeaderBytes)
                }), bytes.word(at: layout.segmentMagicOffset) == layout.segmentMagic else { consistent = false; break }
                segments.append(Segment(address: segment, items: items(bytes, segment, layout)))
                segment = bytes.word(at: layout.segmentNext)
            }
            heap = links[1]
        }
    }

    /// Adds a heap's kept blocks per class (ForeignBlocks in the core): added - taken of each list that holds blocks.
    private mutating func readKeptBlocks(_ memory: MemorySource, _ layout: LiveLayout, heap: UInt64) throws(RemoteReadError) {
        let classes = layout.foreignListClasses
        guard classes > 0 else { return }
        if keptBlocks.count < classes { keptBlocks += [UInt64](repeating: 0, count: classes - keptBlocks.count) }
        guard let bytes = try tolerant({ () throws(RemoteReadError) in
            try memory.read(heap &+ layout.foreignListsOffset, count: classes * layout.foreignListStride)
        }) else { consistent = false; return }
        for c in 0..<classes {
            let list = c * layout.foreignListStride
            guard bytes.word(at: list + layout.foreignListFree) != 0 else { continue }
            let added = bytes.unsigned(at: list + layout.foreignListAdded, width: 4)
            let taken = bytes.unsigned(at: list + layout.foreignListTaken, width: 4)
            if added >= taken { keptBlocks[c] &+= added - taken } else { consistent = false }
        }
    }

    /// The pages and free slice runs of one segment, from its header and page descriptors.
    private mutating func items(_ bytes: [UInt8], _ segment: UInt64, _ layout: LiveLayout) -> [Item] {
        let slicesPerSegment = layout.slicesPerSegment
        let freeMask = bytes.word(at: layout.segmentFreeMask)
        let dirtyMask = bytes.word(at: layout.segmentDirtyMask)
        var items: [Item] = []
        var slice = 1
        while slice < slicesPerSegment {
            let bit = UInt64(1) << UInt64(slice)
            if freeMask & bit != 0 {
                let dirty = dirtyMask & bit != 0
                var count = 1
                while slice + count < slicesPerSegment {
                    let next = UInt64(1) << UInt64(slice + count)
                    if freeMask & next == 0 || (dirtyMask & next != 0) != dirty { break }
                    count += 1
                }
                items.append(.free(segment &+ UInt64(slice) * layout.sliceSize, UInt64(count) * layout.sliceSize, dirty))
                slice += count
                continue
            }
            let d = Int(layout.pageTableOffset) + slice * Int(layout.pageStride)
            var slices = max(Int(bytes.signed(at: d + layout.pageSliceCount, width: 4)), 1)
            if slices > slicesPerSegment - slice { slices = slicesPerSegment - slice; consistent = false }
            let owner = bytes.word(at: d + layout.pageOwner)
            let start = bytes.word(at: d + layout.pageStart)
            let bump = bytes.word(at: d + layout.pageBumpNext)
            if owner != 0 && start != 0 && bump != 0 {
                let classIndex = bytes.signed(at: d + layout.pageClassIndex, width: 4)
                let blockSize = bytes.signed(at: d + layout.pageBlockSize, width: 8)
                let used = bytes.unsigned(at: d + layout.pageUsed, width: 4)
                let pageBytes = UInt64(slices) * layout.sliceSize
                if classIndex >= 0 && classIndex < Int64(layout.classBlockSizes.count) && blockSize > 0
                    && bump >= start && bump - start <= pageBytes && used <= pageBytes / UInt64(blockSize) {
                    items.append(.page(Page(start: start, bytes: pageBytes, classIndex: Int(classIndex), blockSize: UInt64(blockSize),
                                            used: used, touched: bump - start)))
                } else {
                    consistent = false
                }
            }
            slice += slices
        }
        return items
    }

    private mutating func readLargeBlocks(_ memory: MemorySource, _ layout: LiveLayout, table: UInt64, capacity: UInt64) throws(RemoteReadError) {
        guard capacity <= Self.maxLargeCapacity, capacity == 0 || capacity.nonzeroBitCount == 1 else { consistent = false; return }
        largeCapacity = capacity
        guard table != 0, capacity > 0 else { return }
        let stride = layout.largeEntryStride
        // The table is replaced (and the old one unmapped) when it grows.
        guard let bytes = try tolerant({ () throws(RemoteReadError) in try memory.read(table, count: Int(capacity) * stride) }) else {
            consistent = false
            return
        }
        for i in 0..<Int(capacity) {
            let address = bytes.word(at: i * stride + layout.largeEntryAddress)
            if address == 0 { continue }
            largeBlocks.append(LargeBlock(address: address, mapSize: bytes.word(at: i * stride + layout.largeEntryMapSize),
                                          size: bytes.word(at: i * stride + layout.largeEntrySize)))
        }
    }
}
