/// SwiftMM's allocator, from Swift.
///
/// ```swift
/// let memory = try SwiftMM.Memory()
/// let p = try memory.allocate(byteCount: 100)
/// defer { memory.free(p) }
/// ```
public struct Memory: Sendable {
    let c: CFunctions

    /// Binds to libswiftmm.so: the process's own allocator when it is preloaded or linked, otherwise the
    /// library found by `LibraryLocator`.
    public init() throws(SwiftMMError) {
        switch CFunctions.shared {
        case .success(let functions): c = functions
        case .failure(let error): throw error
        }
    }

    /// True when SwiftMM is the process's malloc (so `malloc` and `free` anywhere reach it too).
    public var isProcessAllocator: Bool { c.isProcessAllocator }

    /// Allocates at least `byteCount` bytes, 16-byte aligned. Throws `AllocationError.outOfMemory` when
    /// the request cannot be met.
    public func allocate(byteCount: Int) throws(AllocationError) -> UnsafeMutableRawPointer {
        guard byteCount >= 0, let p = c.malloc(byteCount) else { throw .outOfMemory(byteCount: byteCount) }
        return p
    }

    /// Allocates `count * stride` zeroed bytes.
    public func allocateZeroed(count: Int, stride: Int) throws(AllocationError) -> UnsafeMutableRawPointer {
        guard count >= 0, stride >= 0, let p = c.calloc(count, stride) else {
            throw .outOfMemory(byteCount: count.multipliedReportingOverflow(by: stride).partialValue)
        }
        return p
    }

    /// Allocates `byteCount` bytes at a multiple of `alignment`, a power of two.
    public func allocate(byteCount: Int, alignment: Int) throws(AllocationError) -> UnsafeMutableRawPointer {
        precondition(alignment > 0 && alignment & (alignment - 1) == 0, "alignment must be a power of two")
        guard byteCount >= 0, let p = c.alignedAlloc(alignment, byteCount) else { throw .outOfMemory(byteCount: byteCount) }
        return p
    }

    /// Resizes the block at `pointer`, keeping its contents up to the smaller size; in place where it can.
    /// On failure the old block is untouched and still owned by the caller.
    public func reallocate(_ pointer: UnsafeMutableRawPointer?, byteCount: Int) throws(AllocationError) -> UnsafeMutableRawPointer {
        precondition(byteCount > 0, "use free(_:) to release a block")
        guard let p = c.realloc(pointer, byteCount) else { throw .outOfMemory(byteCount: byteCount) }
        return p
    }

    /// Releases a block from this allocator. Nil is ignored.
    public func free(_ pointer: UnsafeMutableRawPointer?) { c.free(pointer) }

    /// Releases a block, given the size it was allocated with (C23 `free_sized`).
    public func free(_ pointer: UnsafeMutableRawPointer?, byteCount: Int) { c.freeSized(pointer, byteCount) }

    /// The bytes usable at `pointer`: at least what was asked for.
    public func usableSize(_ pointer: UnsafeMutableRawPointer) -> Int { c.usableSize(pointer) }

    /// Returns free memory held by the calling thread's heap and the large-block cache to the OS now.
    public func collect() { c.collect() }

    /// The allocator's statistics, merged across threads.
    public var statistics: Statistics {
        var raw = [UInt64](repeating: 0, count: Statistics.fieldCount)
        raw.withUnsafeMutableBytes { c.getStats($0.baseAddress) }
        return Statistics(raw)
    }

    /// Prints the statistics summary to a file descriptor (2 is stderr).
    public func printStatistics(to fileDescriptor: Int32 = 2) { c.printStats(fileDescriptor) }
}

/// Why an allocation failed.
public enum AllocationError: Error, Equatable {
    /// The allocator could not provide `byteCount` bytes.
    case outOfMemory(byteCount: Int)
}
