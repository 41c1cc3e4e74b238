/// SwiftMM's allocation statistics (the C struct `smm_stats`), merged across threads.
public struct Statistics: Sendable, Equatable, Codable {
    /// Blocks handed out since start.
    public var allocations: UInt64
    /// Blocks freed since start.
    public var frees: UInt64
    /// Bytes in live blocks (block sizes).
    public var bytesInUse: UInt64
    /// The highest `bytesInUse` seen: whenever statistics are read, and sampled as the process grows (at least once
    /// per eighth of its committed memory newly mapped), so a short peak between samples may be missed.
    public var peakBytesInUse: UInt64
    /// Address space mapped from the OS.
    public var reserved: UInt64
    /// Mapped memory not returned to the OS.
    public var committed: UInt64
    /// The highest `committed`.
    public var peakCommitted: UInt64
    /// `mmap` calls made.
    public var mmapCalls: UInt64
    /// `munmap` calls made.
    public var munmapCalls: UInt64
    /// `mremap` calls made.
    public var mremapCalls: UInt64
    /// `madvise` (decommit) calls made.
    public var madviseCalls: UInt64
    /// Large blocks (the mmap tier) alive.
    public var largeBlocksInUse: UInt64
    /// Thread heaps created.
    public var threadHeaps: UInt64
    /// Heaps handed from exited threads to new ones.
    public var heapsAdopted: UInt64

    static let fieldCount = 14

    init(_ raw: [UInt64]) {
        allocations = raw[0]; frees = raw[1]; bytesInUse = raw[2]; peakBytesInUse = raw[3]
        reserved = raw[4]; committed = raw[5]; peakCommitted = raw[6]
        mmapCalls = raw[7]; munmapCalls = raw[8]; mremapCalls = raw[9]; madviseCalls = raw[10]
        largeBlocksInUse = raw[11]; threadHeaps = raw[12]; heapsAdopted = raw[13]
    }
}
