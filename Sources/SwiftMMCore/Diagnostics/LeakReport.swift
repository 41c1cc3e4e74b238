// The leak report (Delphi's ReportMemoryLeaksOnShutdown): the blocks still alive, grouped by size as
// "count x size", largest total first, without the expected leaks. It walks pages and their free lists,
// and works in a scratch mapping, so it allocates nothing from the heap it reports on.
import SwiftMMShim
import Synchronization

enum LeakReport {
    /// One line of the report.
    struct Group { var size: UInt64; var count: UInt64 }

    static let maxGroups = 256
    static let bitmapWords = 64          // 4096 blocks: the most a 64 KiB page holds

    /// Prints the report to `fd`; returns the number of unexpected live blocks.
    static func report(_ fd: Int32) -> Int {
        let scratchBytes = maxGroups &* MemoryLayout<Group>.stride &+ bitmapWords &* 8
        guard let scratch = Platform.mapMemory(scratchBytes, name: .metadata) else { return 0 }
        defer { Platform.unmap(scratch, scratchBytes, committed: scratchBytes) }
        let groups = scratch.assumingMemoryBound(to: Group.self)
        let bitmap = (scratch + maxGroups &* MemoryLayout<Group>.stride).assumingMemoryBound(to: UInt64.self)
        var groupCount = 0
        var expected = 0
        func note(_ size: Int) {
            for i in 0..<groupCount where groups[i].size == UInt64(size) { groups[i].count &+= 1; return }
            if groupCount < maxGroups { groups[groupCount] = Group(size: UInt64(size), count: 1); groupCount &+= 1 }
        }
        ExpectedLeaks.lock.lock()
        Locks.segments.lock()
        Heaps.forEach { heap in
            var segment = heap.state.pointee.segments
            while let seg = segment {
                var slice = 1
                while slice < Geometry.slicesPerSegment {
                    let page = descriptor(seg, slice: slice)
                    let slices = max(Int(page.pointee.sliceCount), 1)
                    if seg.pointee.freeMask & (UInt64(1) &<< UInt64(slice)) == 0 && page.pointee.owner != 0 {
                        forEachLiveBlock(page, bitmap) { block, size in
                            if ExpectedLeaks.contains(block) { expected &+= 1 } else { note(size) }
                        }
                        slice &+= slices
                    } else {
                        slice &+= 1
                    }
                }
                segment = seg.pointee.next
            }
        }
        Locks.segments.unlock()
        Locks.large.lock()
        LargeRegistry.forEach { entry in
            if ExpectedLeaks.contains(entry.address) { expected &+= 1 } else { note(entry.size) }
        }
        Locks.large.unlock()
        ExpectedLeaks.lock.unlock()
        return print(fd, groups, groupCount, expected: expected)
    }

    /// Calls `body` for every block of `page` that is neither on its free list nor on its thread-free list.
    private static func forEachLiveBlock(_ page: PagePointer, _ bitmap: UnsafeMutablePointer<UInt64>, _ body: (UInt, Int) -> Void) {
        guard let start = page.pointee.start, let bump = page.pointee.bumpNext, page.pointee.used > 0 else { return }
        let size = page.pointee.blockSize
        let handedOut = (bump - start) / size
        for i in 0..<bitmapWords { bitmap[i] = 0 }
        func markFree(_ first: UInt) {
            var b = first
            var steps = 0
            while b != 0 && steps <= handedOut {
                let offset = b &- UInt(bitPattern: start)
                guard offset < UInt(handedOut &* size) else { break }      // a damaged list: stop
                let index = Int(offset) / size
                bitmap[index &>> 6] |= UInt64(1) &<< UInt64(index & 63)
                b = UnsafeRawPointer(bitPattern: b).unsafelyUnwrapped.load(as: UInt.self)
                steps &+= 1
            }
        }
        markFree(UInt(bitPattern: page.pointee.free))
        markFree(page.pointee.threadFree.load(ordering: .acquiring))
        for index in 0..<min(handedOut, bitmapWords &* 64) where bitmap[index &>> 6] & (UInt64(1) &<< UInt64(index & 63)) == 0 {
            body(UInt(bitPattern: start) &+ UInt(index &* size), size)
        }
    }

    private static func print(_ fd: Int32, _ groups: UnsafeMutablePointer<Group>, _ count: Int, expected: Int) -> Int {
        // Largest total first (selection sort: at most a few hundred groups).
        var blocks: UInt64 = 0
        var bytes: UInt64 = 0
        for i in 0..<count {
            blocks &+= groups[i].count
            bytes &+= groups[i].count &* groups[i].size
        }
        for i in 0..<count {
            var best = i
            for j in (i &+ 1)..<max(count, i &+ 1) where groups[j].count &* groups[j].size > groups[best].count &* groups[best].size { best = j }
            if best != i { let t = groups[i]; groups[i] = groups[best]; groups[best] = t }
        }
        var out = Output(fd: fd)
        out.text("swiftmm: leak report (pid "); out.int(Platform.processID()); out.text("): ")
        if blocks == 0 {
            out.text("no leaks")
        } else {
            out.uint(blocks); out.text(blocks == 1 ? " block, " : " blocks, "); out.bytes(Int(bytes)); out.text(" leaked")
        }
        if expected > 0 { out.text(" ("); out.int(expected); out.text(" expected not listed)") }
        out.text("\n")
        for i in 0..<count {
            out.text("  "); out.uint(groups[i].count); out.text(" x "); out.uint(groups[i].size); out.text(" B = ")
            out.bytes(Int(groups[i].count &* groups[i].size)); out.text("\n")
        }
        out.flush()
        return Int(blocks)
    }

    /// At exit: report when asked, to SMM_LEAK_FILE or stderr, and set the exit status if SMM_LEAKS_EXIT_CODE says so.
    static func atExit() {
        guard Options.reportLeaks else { return }
        var fd: Int32 = 2
        if let path = Options.leakFile {
            let f = Platform.openForAppend(path)
            if f >= 0 { fd = f }
        }
        let leaks = report(fd)
        if fd != 2 { Platform.close(fd) }
        if leaks > 0 && Options.leaksExitCode >= 0 { Platform.exitNow(Int32(truncatingIfNeeded: Options.leaksExitCode)) }
    }
}

@c public func smm_report_leaks(_ fd: Int32) -> Int { LeakReport.report(fd) }

@c public func smm_report_leaks_at_exit(_ enable: Int32) {
    Heaps.startProcess()
    Options.reportLeaks = enable != 0
}
