// Statistics: the fast paths count allocations and frees per heap with plain adds; everything else is
// derived when asked, by walking page descriptors (never blocks) under the segment lock.
import SwiftMMShim
import Synchronization

enum Statistics {
    static let unownedFrees = Atomic<UInt64>(0)
    static let unownedLargeAllocations = Atomic<UInt64>(0)
    static let unownedLargeFrees = Atomic<UInt64>(0)
    static let peakInUse = Atomic<Int>(0)

    /// Totals merged across every heap.
    static func collect() -> smm_stats {
        var s = smm_stats()
        var smallBytes = 0
        Locks.segments.lock()
        Heaps.forEach { heap in
            s.allocations &+= heap.allocationCount &+ heap.state.pointee.largeAllocations
            s.frees &+= heap.freeCount &+ heap.state.pointee.largeFrees
            smallBytes &-= ForeignBlocks.cachedBytes(heap)
            var segment = heap.state.pointee.segments
            while let seg = segment {
                smallBytes &+= bytesInUse(seg)
                segment = seg.pointee.next
            }
        }
        Locks.segments.unlock()
        s.allocations &+= unownedLargeAllocations.load(ordering: .relaxed)
        s.frees &+= unownedFrees.load(ordering: .relaxed) &+ unownedLargeFrees.load(ordering: .relaxed)
        Locks.large.lock()
        let largeBytes = LargeRegistry.bytes
        s.large_in_use = UInt64(LargeRegistry.count)
        Locks.large.unlock()
        let inUse = max(smallBytes, 0) &+ largeBytes
        notePeak(inUse)
        s.bytes_in_use = UInt64(inUse)
        s.peak_bytes_in_use = UInt64(peakInUse.load(ordering: .relaxed))
        s.reserved = UInt64(max(0, OSCounters.reserved.load(ordering: .relaxed)))
        s.committed = UInt64(max(0, OSCounters.committed.load(ordering: .relaxed)))
        s.peak_committed = UInt64(max(0, OSCounters.peakCommitted.load(ordering: .relaxed)))
        s.os_mmap_calls = OSCounters.mmapCalls.load(ordering: .relaxed)
        s.os_munmap_calls = OSCounters.munmapCalls.load(ordering: .relaxed)
        s.os_mremap_calls = OSCounters.mremapCalls.load(ordering: .relaxed)
        s.os_madvise_calls = OSCounters.madviseCalls.load(ordering: .relaxed)
        s.threads_seen = Heaps.created.load(ordering: .relaxed)
        s.heaps_adopted = Heaps.adopted.load(ordering: .relaxed)
        return s
    }

    /// Bytes in blocks in use in one segment, from its page descriptors.
    static func bytesInUse(_ segment: SegmentPointer) -> Int {
        var total = 0
        var slice = 1
        while slice < Geometry.slicesPerSegment {
            let page = descriptor(segment, slice: slice)
            if sliceTableEntry(segment, slice: slice).pointee == page && page.pointee.owner != 0 {
                total &+= Int(page.pointee.used) &* page.pointee.blockSize
                slice &+= max(Int(page.pointee.sliceCount), 1)
            } else {
                slice &+= 1
            }
        }
        return total
    }

    static func notePeak(_ inUse: Int) {
        var peak = peakInUse.load(ordering: .relaxed)
        while inUse > peak {
            let (done, seen) = peakInUse.compareExchange(expected: peak, desired: inUse, ordering: .relaxed)
            if done { return }
            peak = seen
        }
    }

    /// Bytes of growth (new segments, large blocks) noted since bytes in use were last sampled.
    static let growthSinceSample = Atomic<Int>(0)
    /// The least growth between two samples.
    static let leastGrowthBetweenSamples = 4 &<< 20

    /// Notes that the process took `bytes` more memory (a new segment, a large block), which is when a new peak
    /// in use can appear, and samples bytes in use once the growth since the last sample reaches an eighth of the
    /// memory committed (and at least 4 MiB). The sample walks every page descriptor of every heap, so its cost
    /// grows with the heap; spaced so, it costs the same per byte of growth at any heap size. (Sampled at every
    /// large allocation and new segment, a 1 MiB malloc/free took 165 µs with 1 GB of small blocks live.)
    static func noteGrowth(_ bytes: Int) {
        let grown = growthSinceSample.add(bytes, ordering: .relaxed).newValue
        let committed = OSCounters.committed.load(ordering: .relaxed)
        guard grown >= max(leastGrowthBetweenSamples, committed &>> 3) else { return }
        // One of the threads that crossed the mark samples; the others go on.
        if growthSinceSample.compareExchange(expected: grown, desired: 0, ordering: .relaxed).exchanged { _ = collect() }
    }

    static func print(_ fd: Int32) {
        let s = collect()
        var out = Output(fd: fd)
        out.text("swiftmm: statistics (pid "); out.int(Platform.processID()); out.text(")\n")
        line(&out, "  allocations      ", s.allocations)
        line(&out, "  frees            ", s.frees)
        out.text("  in use now        "); out.bytes(Int(s.bytes_in_use)); out.text("\n")
        out.text("  in use at peak    "); out.bytes(Int(s.peak_bytes_in_use)); out.text("\n")
        line(&out, "  large blocks     ", s.large_in_use)
        out.text("  reserved          "); out.bytes(Int(s.reserved)); out.text("\n")
        out.text("  committed         "); out.bytes(Int(s.committed)); out.text(" (peak "); out.bytes(Int(s.peak_committed)); out.text(")\n")
        out.text("  os calls          mmap "); out.uint(s.os_mmap_calls); out.text(", munmap "); out.uint(s.os_munmap_calls)
        out.text(", mremap "); out.uint(s.os_mremap_calls); out.text(", madvise "); out.uint(s.os_madvise_calls); out.text("\n")
        line(&out, "  thread heaps     ", s.threads_seen)
        line(&out, "  heaps adopted    ", s.heaps_adopted)
        let invalid = Diagnostics.invalidFrees.load(ordering: .relaxed)
        if invalid > 0 { line(&out, "  invalid frees    ", invalid) }
        out.flush()
    }

    private static func line(_ out: inout Output, _ label: StaticString, _ value: UInt64) {
        out.text(label); out.text(" "); out.uint(value); out.text("\n")
    }
}

@c public func smm_get_stats(_ out: UnsafeMutablePointer<smm_stats>?) {
    guard let out else { return }
    out.pointee = Statistics.collect()
}

@c public func smm_print_stats(_ fd: Int32) {
    Statistics.print(fd)
}

/// At exit: debug mode's last check, the statistics summary (SMM_STATS), then the leak report (SMM_REPORT_LEAKS), which may end the
/// process with SMM_LEAKS_EXIT_CODE.
@c public func swiftmm_core_process_exit() {
    DebugMode.atExit()      // checks the quarantine, and empties it before the leak report
    if Options.stats {
        var fd: Int32 = 2
        if let path = Options.reportPath {
            let f = Platform.openForAppend(path)
            if f >= 0 { fd = f }
        }
        Statistics.print(fd)
        if fd != 2 { Platform.close(fd) }
    }
    LeakReport.atExit()
}
