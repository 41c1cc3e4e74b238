/// The live-state anchor of a SwiftMM process (`smm_live_anchor_t` in swiftmm.h): the layout of the core's
/// structures and the addresses of its process-wide words. The reader knows nothing of the core beyond this.
public struct LiveLayout: Equatable, Sendable {
    /// `SMM_LIVE_MAGIC`: the bytes "SMMLIVE1".
    public static let magic: UInt64 = 0x3145_5649_4C4D_4D53
    /// `SMM_LIVE_LAYOUT_VERSION`, the only one this reader knows.
    public static let version: UInt64 = 2
    /// Words before `class_block_size`, and the size of the whole anchor in version 2.
    static let fixedWords = 45
    static let classSlots = 96
    public static let byteSize = (fixedWords + classSlots) * 8

    public var published: Bool
    public var versionAddress: UInt64
    public var segmentSize: UInt64
    public var sliceSize: UInt64
    public var slicesPerSegment: Int
    public var pageTableOffset: UInt64
    public var pageStride: UInt64
    public var smallMax: UInt64
    public var heapBytes: UInt64
    public var classCount: Int
    public var heapsAddress: UInt64
    public var heapStateOffset: UInt64
    public var stateSegments: UInt64
    public var stateAllNext: UInt64
    public var segmentMagic: UInt64
    public var segmentMagicOffset: Int
    public var segmentNext: Int
    public var segmentFreeMask: Int
    public var segmentDirtyMask: Int
    public var pageOwner: Int
    public var pageUsed: Int
    public var pageBlockSize: Int
    public var pageStart: Int
    public var pageBumpNext: Int
    public var pageClassIndex: Int
    public var pageSliceCount: Int
    public var largeTableAddress: UInt64
    public var largeCapacityAddress: UInt64
    public var largeEntryStride: Int
    public var largeEntryAddress: Int
    public var largeEntryMapSize: Int
    public var largeEntrySize: Int
    public var reservedAddress: UInt64
    public var committedAddress: UInt64
    public var peakCommittedAddress: UInt64
    public var peakInUseAddress: UInt64
    /// Each heap's lists of other heaps' blocks its thread freed and keeps (in use in their pages, free in the figures).
    public var foreignListsOffset: UInt64
    public var foreignListStride: Int
    public var foreignListClasses: Int
    public var foreignListFree: Int
    public var foreignListTaken: Int
    public var foreignListAdded: Int
    /// Bytes per block of each size class.
    public var classBlockSizes: [UInt64]

    /// What went wrong with an anchor, completing "its libswiftmm.so ...".
    public enum Problem: Error, Equatable {
        case badMagic
        case version(UInt64)
        case inconsistent(String)

        public var reason: String {
            switch self {
            case .badMagic:
                return "has a damaged live-state anchor (no SMMLIVE1 magic)"
            case .version(let found):
                return "has live-state layout version \(found); this smm reads version \(LiveLayout.version) "
                    + "(use the smm built with that libswiftmm.so)"
            case .inconsistent(let what):
                return "has a live-state anchor this smm cannot use (\(what)); use the smm built with that libswiftmm.so"
            }
        }
    }

    /// Checks the anchor's first 32 bytes (magic, version, size) and returns how many bytes the whole anchor has.
    static func header(_ bytes: [UInt8]) throws(Problem) -> Int {
        guard bytes.word(at: 0) == magic else { throw .badMagic }
        let found = bytes.word(at: 8)
        guard found == version else { throw .version(found) }
        let size = Int(truncatingIfNeeded: bytes.word(at: 16))
        guard size >= byteSize, size <= 1 << 16 else { throw .inconsistent("anchor of \(size) bytes") }
        return size
    }

    /// Decodes a whole anchor and checks that its layout can describe what the reader reads.
    init(_ bytes: [UInt8]) throws(Problem) {
        _ = try Self.header(bytes)
        var index = 3
        func next() -> UInt64 { defer { index += 1 }; return bytes.word(at: index * 8) }
        func small() -> Int { Int(truncatingIfNeeded: min(next(), 1 << 30)) }
        published = next() != 0
        versionAddress = next()
        segmentSize = next(); sliceSize = next(); slicesPerSegment = small(); pageTableOffset = next(); pageStride = next()
        smallMax = next(); heapBytes = next(); classCount = small()
        heapsAddress = next(); heapStateOffset = next(); stateSegments = next(); stateAllNext = next()
        segmentMagic = next(); segmentMagicOffset = small(); segmentNext = small(); segmentFreeMask = small(); segmentDirtyMask = small()
        pageOwner = small(); pageUsed = small(); pageBlockSize = small(); pageStart = small(); pageBumpNext = small()
        pageClassIndex = small(); pageSliceCount = small()
        largeTableAddress = next(); largeCapacityAddress = next(); largeEntryStride = small()
        largeEntryAddress = small(); largeEntryMapSize = small(); largeEntrySize = small()
        reservedAddress = next(); committedAddress = next(); peakCommittedAddress = next(); peakInUseAddress = next()
        foreignListsOffset = next(); foreignListStride = small(); foreignListClasses = small()
        foreignListFree = small(); foreignListTaken = small(); foreignListAdded = small()
        precondition(index == Self.fixedWords)
        classBlockSizes = (0..<min(classCount, Self.classSlots)).map { bytes.word(at: (Self.fixedWords + $0) * 8) }
        if published { try validate() }
    }

    /// Bytes of a segment's header and page descriptors, which the reader reads in one piece.
    var segmentHeaderBytes: Int { Int(pageTableOffset) + slicesPerSegment * Int(pageStride) }

    private func validate() throws(Problem) {
        func check(_ condition: Bool, _ what: String) throws(Problem) { if !condition { throw .inconsistent(what) } }
        try check(slicesPerSegment >= 2 && slicesPerSegment <= 64, "\(slicesPerSegment) slices per segment")
        try check(sliceSize >= 4096 && sliceSize.nonzeroBitCount == 1 && sliceSize <= 1 << 30, "slice size \(sliceSize)")
        try check(segmentSize == sliceSize * UInt64(slicesPerSegment), "segment size \(segmentSize)")
        try check(pageStride >= 16 && pageStride <= 4096, "page descriptor stride \(pageStride)")
        try check(UInt64(segmentHeaderBytes) <= sliceSize, "page table larger than a slice")
        try check(classCount > 0 && classCount <= Self.classSlots, "\(classCount) size classes")
        try check(classBlockSizes.allSatisfy { $0 > 0 && $0 <= sliceSize * UInt64(slicesPerSegment) }, "size class table")
        let stride = Int(pageStride)
        let pageFields = [(pageOwner, 8), (pageUsed, 4), (pageBlockSize, 8), (pageStart, 8), (pageBumpNext, 8),
                          (pageClassIndex, 4), (pageSliceCount, 4)]
        try check(pageFields.allSatisfy { $0.0 + $0.1 <= stride }, "page descriptor fields")
        let segmentFields = [segmentMagicOffset, segmentNext, segmentFreeMask, segmentDirtyMask]
        try check(segmentFields.allSatisfy { $0 + 8 <= Int(pageTableOffset) }, "segment header fields")
        try check(largeEntryStride >= 8 && largeEntryStride <= 4096
                  && [largeEntryAddress, largeEntryMapSize, largeEntrySize].allSatisfy { $0 + 8 <= largeEntryStride },
                  "large block entry")
        try check(heapBytes > 0 && heapStateOffset + max(stateSegments, stateAllNext) + 8 <= heapBytes, "heap state fields")
        try check(foreignListClasses <= classCount && foreignListStride >= 16 && foreignListStride <= 4096
                  && foreignListsOffset + UInt64(foreignListClasses * foreignListStride) <= heapBytes
                  && [(foreignListFree, 8), (foreignListTaken, 4), (foreignListAdded, 4)].allSatisfy { $0.0 + $0.1 <= foreignListStride },
                  "kept block lists")
    }
}
