// The platform layer (with Clock.swift and MappedELF.swift): the only code in the core that calls the OS.
// Everything above asks it for memory in given states (reserved and committed, decommitted, released) and for
// time, identity and output.
import SwiftMMShim
import Synchronization

/// Counters of OS calls, kept with relaxed atomics (they sit on slow paths only).
enum OSCounters {
    static let mmapCalls = Atomic<UInt64>(0)
    static let munmapCalls = Atomic<UInt64>(0)
    static let mremapCalls = Atomic<UInt64>(0)
    static let madviseCalls = Atomic<UInt64>(0)
    static let reserved = Atomic<Int>(0)
    static let committed = Atomic<Int>(0)
    static let peakCommitted = Atomic<Int>(0)

    static func addCommitted(_ bytes: Int) {
        let now = committed.add(bytes, ordering: .relaxed).newValue
        var peak = peakCommitted.load(ordering: .relaxed)
        while now > peak {
            let (exchanged, original) = peakCommitted.compareExchange(expected: peak, desired: now, ordering: .relaxed)
            if exchanged { break }
            peak = original
        }
    }
}

enum Platform {
    static var mapFailed: RawPointer { RawPointer(bitPattern: -1).unsafelyUnwrapped }

    /// Maps `size` bytes of fresh, zeroed, read-write memory; nil when the OS refuses.
    static func mapMemory(_ size: Int, name: RegionName) -> RawPointer? {
        guard let p = mmap(nil, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0),
              p != mapFailed else { return nil }
        OSCounters.mmapCalls.add(1, ordering: .relaxed)
        OSCounters.reserved.add(size, ordering: .relaxed)
        OSCounters.addCommitted(size)
        nameRegion(p, size, name)
        return p
    }

    /// Maps `size` bytes aligned to `alignment` (a power of two ≥ the OS page) by over-mapping and trimming.
    /// `committed` is the part counted as committed now (segments count their slices as they are used).
    static func mapAligned(_ size: Int, alignment: Int, name: RegionName, committed: Int) -> RawPointer? {
        if alignment <= Geometry.osPageSize {
            guard let p = mapMemory(size, name: name) else { return nil }
            OSCounters.committed.add(committed &- size, ordering: .relaxed)
            return p
        }
        let (total, overflow) = size.addingReportingOverflow(alignment)
        if overflow { return nil }
        guard let raw = mmap(nil, total, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0),
              raw != mapFailed else { return nil }
        OSCounters.mmapCalls.add(1, ordering: .relaxed)
        let start = UInt(bitPattern: raw)
        let aligned = (start &+ UInt(alignment) &- 1) & ~UInt(alignment &- 1)
        let head = Int(aligned &- start)
        let tail = total &- head &- size
        if head > 0 { munmap(raw, head); OSCounters.munmapCalls.add(1, ordering: .relaxed) }
        if tail > 0 { munmap(raw + head + size, tail); OSCounters.munmapCalls.add(1, ordering: .relaxed) }
        OSCounters.reserved.add(size, ordering: .relaxed)
        OSCounters.addCommitted(committed)
        let p = raw + head
        nameRegion(p, size, name)
        return p
    }

    /// Returns a mapping to the OS. `committed` is how much of it still counts as committed.
    static func unmap(_ p: RawPointer, _ size: Int, committed: Int) {
        munmap(p, size)
        OSCounters.munmapCalls.add(1, ordering: .relaxed)
        OSCounters.reserved.add(-size, ordering: .relaxed)
        OSCounters.committed.add(-committed, ordering: .relaxed)
    }

    /// Gives the physical pages of a range back to the OS; the range stays mapped and reads as zero.
    static func decommit(_ p: RawPointer, _ size: Int) {
        madvise(p, size, MADV_DONTNEED)
        OSCounters.madviseCalls.add(1, ordering: .relaxed)
        OSCounters.committed.add(-size, ordering: .relaxed)
    }

    /// Notes that a decommitted range is in use again (Linux commits it on first touch).
    static func recommit(_ size: Int) { OSCounters.addCommitted(size) }

    /// Resizes a mapping, in place when `mayMove` is false. Returns nil when the OS refuses.
    static func remap(_ p: RawPointer, from oldSize: Int, to newSize: Int, mayMove: Bool) -> RawPointer? {
        let flags: Int32 = mayMove ? swiftmm_shim_mremap_maymove() : 0
        OSCounters.mremapCalls.add(1, ordering: .relaxed)
        guard let q = swiftmm_shim_mremap(p, oldSize, newSize, flags, nil), q != mapFailed else { return nil }
        OSCounters.reserved.add(newSize &- oldSize, ordering: .relaxed)
        if newSize > oldSize { OSCounters.addCommitted(newSize &- oldSize) } else { OSCounters.committed.add(newSize &- oldSize, ordering: .relaxed) }
        return q
    }

    /// Asks the kernel to back a range with transparent huge pages where it can (fewer page faults when
    /// a big buffer is first written). Harmless where THP is off.
    static func adviseHugePages(_ p: RawPointer, _ size: Int) {
        madvise(p, size, MADV_HUGEPAGE)
        OSCounters.madviseCalls.add(1, ordering: .relaxed)
    }

    /// Names a mapping for /proc/PID/maps. Kernels built without CONFIG_ANON_VMA_NAME refuse with EINVAL;
    /// then naming is switched off for the rest of the run. errno is left as it was.
    static func nameRegion(_ p: RawPointer, _ size: Int, _ name: RegionName) {
        guard Options.nameRegions else { return }
        let savedErrno = swiftmm_shim_errno()
        let result = name.text.withUTF8Buffer { buffer in
            swiftmm_shim_name_region(p, size, UnsafeRawPointer(buffer.baseAddress.unsafelyUnwrapped).assumingMemoryBound(to: CChar.self))
        }
        if result != 0 && swiftmm_shim_errno() == EINVAL { Options.nameRegions = false }
        swiftmm_shim_set_errno(savedErrno)
    }

    /// Monotonic time in nanoseconds (vDSO, no system call: Clock.swift).
    static func nowNanoseconds() -> UInt64 { MonotonicClock.nanoseconds() }

    static func threadID() -> Int { Int(swiftmm_shim_gettid()) }
    static func processID() -> Int { Int(getpid()) }

    static func write(_ fd: Int32, _ bytes: UnsafeRawPointer, _ count: Int) {
        var done = 0
        while done < count {
            let n = SwiftMMShim.write(fd, bytes + done, count &- done)
            if n <= 0 { if n < 0 && swiftmm_shim_errno() == EINTR { continue }; return }
            done &+= n
        }
    }

    /// Opens a file for appending the report to; -1 when it cannot be opened.
    static func openForAppend(_ path: UnsafePointer<CChar>) -> Int32 {
        swiftmm_shim_open_append(path)
    }

    static func close(_ fd: Int32) { _ = SwiftMMShim.close(fd) }

    /// The value of environment variable `name`, read from `environ` without allocating.
    static func environment(_ name: StaticString) -> UnsafePointer<CChar>? {
        name.withUTF8Buffer { key in getenv(UnsafeRawPointer(key.baseAddress.unsafelyUnwrapped).assumingMemoryBound(to: CChar.self)).map { UnsafePointer($0) } }
    }

    static func yield() { swiftmm_shim_yield() }

    static func setErrno(_ e: Int32) { swiftmm_shim_set_errno(e) }

    static func abort() -> Never { SwiftMMShim.abort() }

    /// Ends the process now with `status`, running no more exit handlers.
    static func exitNow(_ status: Int32) -> Never { _exit(status) }

    static func registerThread(_ heap: RawPointer) { swiftmm_shim_register_thread(heap) }

    static func registerForkHandlers(prepare: @convention(c) () -> Void, parent: @convention(c) () -> Void, child: @convention(c) () -> Void) {
        swiftmm_shim_register_fork(prepare, parent, child)
    }

    // MARK: Extended API (issue 6)

    /// Sets the protection of a page-aligned range (PROT_* bits). Returns 0 or errno.
    static func protect(_ p: RawPointer, _ size: Int, _ prot: Int32) -> Int32 {
        mprotect(p, size, prot) == 0 ? 0 : swiftmm_shim_errno()
    }

    /// Gives the physical pages of a range back to the OS without changing the committed figure
    /// (memory that is not counted, such as free memory blocks).
    static func discard(_ p: RawPointer, _ size: Int) {
        madvise(p, size, MADV_DONTNEED)
        OSCounters.madviseCalls.add(1, ordering: .relaxed)
    }

    /// An anonymous memory file of `size` bytes (memfd), -1 on failure.
    static func createMemoryFile(_ size: Int) -> Int32 {
        let fd = RegionName.jit.text.withUTF8Buffer { swiftmm_shim_memfd(UnsafeRawPointer($0.baseAddress.unsafelyUnwrapped).assumingMemoryBound(to: CChar.self)) }
        if fd < 0 { return -1 }
        if ftruncate(fd, off_t(size)) != 0 { _ = SwiftMMShim.close(fd); return -1 }
        return fd
    }

    /// Maps `size` bytes of the file `fd` shared, with protection `prot`; nil on failure.
    static func mapFile(_ fd: Int32, _ size: Int, _ prot: Int32) -> RawPointer? {
        guard let p = mmap(nil, size, prot, MAP_SHARED, fd, 0), p != mapFailed else { return nil }
        OSCounters.mmapCalls.add(1, ordering: .relaxed)
        OSCounters.reserved.add(size, ordering: .relaxed)
        return p
    }

    /// Unmaps a file mapping (not counted as committed).
    static func unmapFile(_ p: RawPointer, _ size: Int) {
        munmap(p, size)
        OSCounters.munmapCalls.add(1, ordering: .relaxed)
        OSCounters.reserved.add(-size, ordering: .relaxed)
    }

    static func openForReading(_ path: StaticString) -> Int32 {
        path.withUTF8Buffer { swiftmm_shim_open_read(UnsafeRawPointer($0.baseAddress.unsafelyUnwrapped).assumingMemoryBound(to: CChar.self)) }
    }

    /// Calls `visit(start, end, path, context)` for every loaded segment of every loaded object. Allocates nothing.
    static func eachImageSegment(_ context: RawPointer, _ visit: @convention(c) (UInt, UInt, UnsafePointer<CChar>?, RawPointer?) -> Void) {
        swiftmm_shim_each_image_segment(visit, context)
    }

    /// The global `symbol`, looked up in the loaded objects. Only for a symbol known to be there: a failing
    /// lookup allocates its error message.
    static func globalSymbol(_ symbol: StaticString) -> RawPointer? {
        symbol.withUTF8Buffer { swiftmm_shim_global_symbol(UnsafeRawPointer($0.baseAddress.unsafelyUnwrapped).assumingMemoryBound(to: CChar.self)) }
    }

    static func read(_ fd: Int32, _ buffer: RawPointer, _ count: Int) -> Int {
        while true {
            let n = SwiftMMShim.read(fd, buffer, count)
            if n < 0 && swiftmm_shim_errno() == EINTR { continue }
            return n
        }
    }
    // MARK: Debug mode (SMM_DEBUG)

    /// The calling function's frame pointer.
    static func framePointer() -> UInt { UInt(bitPattern: swiftmm_shim_frame_pointer()) }

    /// The return addresses of the stack (innermost first, at most `capacity`) from the frame whose canonical frame
    /// address is `cfa` and whose rbp is `rbp` on, by glibc's backtrace (DWARF unwinding). The first call loads
    /// libgcc_s, which allocates.
    static func backtrace(from cfa: UInt, rbp: UInt, _ buffer: UnsafeMutablePointer<UnsafeMutableRawPointer?>, _ capacity: Int) -> Int {
        Int(swiftmm_shim_backtrace_from(buffer, Int32(capacity), UnsafeRawPointer(bitPattern: cfa), UnsafeRawPointer(bitPattern: rbp)))
    }

    /// Writes one line naming the code at `address` ("file(symbol+offset)[address]") to `fd`, without allocating.
    static func printCodeAddress(_ address: UInt, _ fd: Int32) {
        var frame = UnsafeMutableRawPointer(bitPattern: address)
        withUnsafePointer(to: &frame) { backtrace_symbols_fd($0, 1, fd) }
    }

    /// libswiftmm.so itself, from its ELF program headers in memory: the range of its loaded segments.
    static func ownImage() -> (start: UInt, end: UInt) {
        guard let image = MappedELF(at: UInt(bitPattern: swiftmm_shim_image_header())) else { return (0, 0) }
        var low = UInt.max
        var high: UInt = 0
        for ph in image.programHeaders where ph.p_type == UInt32(PT_LOAD) {
            low = min(low, UInt(ph.p_vaddr))
            high = max(high, UInt(ph.p_vaddr &+ ph.p_memsz))
        }
        if high == 0 { return (0, 0) }
        return (image.bias &+ low, image.bias &+ high)
    }
}

/// The names SwiftMM gives its mappings; `/proc/PID/maps` shows them as `[anon:swiftmm-…]`.
struct RegionName {
    let text: StaticString
    static let segment = RegionName(text: "swiftmm-segment")
    static let large = RegionName(text: "swiftmm-large")
    static let metadata = RegionName(text: "swiftmm-meta")
    static let pages = RegionName(text: "swiftmm-pages")
    static let blocks = RegionName(text: "swiftmm-blocks")
    static let jit = RegionName(text: "swiftmm-jit")
}
