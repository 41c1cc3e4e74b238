// The allocator's data structures, laid out in raw memory obtained from the OS.
import SwiftMMShim
import Synchronization

typealias RawPointer = UnsafeMutableRawPointer
typealias PagePointer = UnsafeMutablePointer<Page>
typealias SegmentPointer = UnsafeMutablePointer<SegmentHeader>

/// Bits kept in the low bits of `Page.owner` beside the owning heap's address (heaps are 4 KiB aligned).
/// Any bit set sends `free` to its slow path, so the fast path tests owner and state with one comparison.
enum PageFlag {
    /// The page had no free block left and was taken out of its class queue.
    static let full: UInt = 1
    /// The page handed out an interior pointer for an aligned allocation.
    static let aligned: UInt = 2
    static let mask: UInt = 0xFFF
}

/// The descriptor of one page (a run of slices holding blocks of one size class). One per slice sits in
/// the segment header; a medium page uses the descriptor of its first slice (`pageOf` finds it through the
/// segment's slice table).
struct Page: ~Copyable {
    /// Head of the owner's free list (each free block stores the next one in its first word).
    var free: RawPointer?
    var used: UInt32
    var capacity: UInt32
    /// The owning heap's address with `PageFlag` bits; 0 while the page is not in use.
    var owner: UInt
    var blockSize: Int
    /// Blocks not handed out yet start at `bumpNext`; they are threaded onto the free list in batches.
    var bumpNext: RawPointer?
    var bumpEnd: RawPointer?
    var start: RawPointer?
    var next: PagePointer?
    var prev: PagePointer?
    var remoteNext: PagePointer?
    var classIndex: Int32
    var sliceCount: Int32
    /// When the slices of a free page were released (monotonic ns), for delayed decommit. While the slices form a
    /// page, the same word holds its returned runs instead (`returnedRuns`, ReturnedRuns.swift).
    var freedAt: UInt64
    /// Blocks freed by other threads, pushed with compare-and-swap and collected by the owner: the address of
    /// the newest block, with the number of blocks in the bits from `RemoteList.countShift` up.
    let threadFree: Atomic<UInt>
    /// The largest alignment asked of this page's blocks; valid while `PageFlag.aligned` is set (AlignedRealloc.swift).
    var alignment: UInt
    /// The oldest block of `threadFree`'s list, written by the push that found the list empty, before that push
    /// queues the page for its owner. The owner then splices the list without walking it.
    var remoteTail: RawPointer?
    /// Blocks in use when a purge last read the free list (after it returned any runs), and how many purges have
    /// passed the page over since: ReturnedRuns.scan reads the list again only once enough blocks were freed.
    /// (Pages of blocks of 8 KiB and more keep `interiorBytesReturned` in `scanUsed`: FreeBlockInteriors.swift.)
    var scanUsed: UInt32
    var scanSkips: UInt32
}

/// The packing of `Page.threadFree`: a block address (below 2^47) and a block count above it.
enum RemoteList {
    static let countShift: UInt = 48
    static let addressMask: UInt = (1 &<< countShift) &- 1

    @inline(__always) static func first(_ word: UInt) -> UInt { word & addressMask }
    @inline(__always) static func count(_ word: UInt) -> UInt32 { UInt32(truncatingIfNeeded: word &>> countShift) }
}

/// The header at the start of every segment.
struct SegmentHeader: ~Copyable {
    var magic: UInt
    var heap: RawPointer?
    var next: SegmentPointer?
    /// Bit i set: slice i is not part of any page.
    var freeMask: UInt64
    /// Bit i set: slice i is free but still committed (not yet returned with madvise).
    var dirtyMask: UInt64
    var usedSlices: Int
    /// Bit i set: the page that starts at slice i was cut from free slices still committed, so memory past its
    /// bump pointer may still be resident from an earlier page; the next purge returns it (`Segments.purge`).
    var warmTails: UInt64
    /// The next segment of the heap's list of segments with free slices (`HeapState.segmentsWithRoom`): a segment
    /// is in that list exactly while its `freeMask` is not 0.
    var nextWithRoom: SegmentPointer?
}

enum SegmentMagic { static let value: UInt = 0x5357_4946_544D_4D31 }

@inline(__always)
func segmentOf(_ p: UInt) -> SegmentPointer {
    SegmentPointer(bitPattern: p & ~Geometry.segmentMask).unsafelyUnwrapped
}

/// The entry of the segment's slice table for `slice`: the descriptor of the page that holds the slice (its own
/// descriptor while the slice is in no page). The table fills part of the header's first OS page, so a segment
/// whose pages use its first slices touches no other page of descriptors (those of unused slices stay untouched).
@inline(__always)
func sliceTableEntry(_ segment: SegmentPointer, slice: Int) -> UnsafeMutablePointer<PagePointer> {
    (RawPointer(segment) + (Geometry.sliceTableOffset &+ (slice &<< 3))).assumingMemoryBound(to: PagePointer.self)
}

@inline(__always)
func descriptor(_ segment: SegmentPointer, slice: Int) -> PagePointer {
    (RawPointer(segment) + (Geometry.pageTableOffset &+ (slice &<< Geometry.pageStrideShift)))
        .assumingMemoryBound(to: Page.self)
}

/// How far `address` lies into its block, in a page whose blocks of `blockSize` bytes start at `start` (`address`
/// lies at or past `start`, in the page; 0: the start of a block). 32-bit arithmetic: a page spans at most 2 MiB,
/// and a 64-bit division costs several times more (`malloc_usable_size` and frees through the slow path ask).
@inline(__always)
func offsetInBlock(_ address: UInt, start: RawPointer, blockSize: Int) -> Int {
    Int(UInt32(truncatingIfNeeded: address &- UInt(bitPattern: start)) % UInt32(truncatingIfNeeded: blockSize))
}

/// The page that holds address `p`, which lies in a SwiftMM segment: one load from the segment's slice table.
@inline(__always)
func pageOf(_ p: UInt) -> PagePointer {
    let segmentBase = p & ~Geometry.segmentMask
    let slice = (p &>> UInt(Geometry.sliceShift)) & UInt(Geometry.slicesPerSegment &- 1)
    let entry = segmentBase &+ UInt(Geometry.sliceTableOffset) &+ (slice &<< 3)
    return UnsafeRawPointer(bitPattern: entry).unsafelyUnwrapped.load(as: PagePointer.self)
}

/// True when the 4 MiB region holding `p` is a SwiftMM segment (one byte per region in `swiftmm_segment_map`).
/// Addresses beyond the 47-bit user space (NULL's region included) never are.
@inline(__always)
func isInSegment(_ p: UInt) -> Bool {
    let index = p &>> UInt(Geometry.segmentShift)
    if index >= Geometry.segmentIndexLimit { return false }
    return swiftmm_shim_segment_map().unsafelyUnwrapped[Int(bitPattern: index)] != 0
}

func setSegmentMapBit(_ base: UInt, _ present: Bool) {
    let index = Int(bitPattern: base &>> UInt(Geometry.segmentShift))
    // Each segment has its own byte: no other thread writes it, and readers only test it.
    let byte = UnsafeMutableRawPointer(swiftmm_shim_segment_map().unsafelyUnwrapped + index).assumingMemoryBound(to: Atomic<UInt8>.self)
    byte.pointee.store(present ? 1 : 0, ordering: .releasing)
}
