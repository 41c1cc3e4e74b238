// The leak report (Delphi's ReportMemoryLeaksOnShutdown): the blocks still alive, grouped by size as
// "count x size", largest total first, without the expected leaks. It walks pages and their free lists,
// and works in a scratch mapping, so it allocates nothing from the heap it reports on while it walks. Blocks
// that are Swift objects are grouped by class too, and named after the walk (SwiftObjects.swift).
import SwiftMMShim
import Synchronization

enum LeakReport {
    /// One line of the report: blocks of one size, and of one Swift class where they are Swift objects.
    struct Group { var size: UInt64; var count: UInt64; var metadata: UInt }

    static let maxGroups = 1024
    static let bitmapWords = 64          // 4096 blocks: the most a 64 KiB page holds

    /// Prints the report to `fd`; returns the number of unexpected live blocks.
    static func report(_ fd: Int32) -> Int {
        let groupBytes = maxGroups &* MemoryLayout<Group>.stride
        let scratchBytes = groupBytes &+ bitmapWords &* 8 &+ SwiftObjects.scratchBytes
        guard let scratch = Platform.mapMemory(scratchBytes, name: .metadata) else { return 0 }
        defer { Platform.unmap(scratch, scratchBytes, committed: scratchBytes) }
        let groups = scratch.assumingMemoryBound(to: Group.self)
        let bitmap = (scratch + groupBytes).assumingMemoryBound(to: UInt64.self)
        let objects = SwiftObjects(scratch: scratch + (groupBytes &+ bitmapWords &* 8))
        var groupCount = 0
        var expected = 0
        func note(_ block: UInt, _ size: Int) {
            let metadata = objects.metadata(ofBlock: block, size: size)
            for i in 0..<groupCount where groups[i].size == UInt64(size) && groups[i].metadata == metadata {
                groups[i].count &+= 1
                return
            }
            if groupCount < maxGroups { groups[groupCount] = Group(size: UInt64(size), count: 1, metadata: metadata); groupCount &+= 1 }
        }
        ExpectedLeaks.lock.lock()
        HeapWalk.forEachDescriptor { page, _ in
            forEachLiveBlock(page, bitmap) { block, size in
                if ExpectedLeaks.contains(block) { expected &+= 1 } else { note(block, size) }
            }
        }
        Locks.large.lock()
        LargeRegistry.forEach { entry in
            if ExpectedLeaks.contains(entry.address) { expected &+= 1 } else { note(entry.address, entry.size) }
        }
        Locks.large.unlock()
        ExpectedLeaks.lock.unlock()
        return print(fd, groups, groupCount, expected: expected, objects)
    }

    /// Calls `body` for every block of `page` that is not on its free list, its thread-free list or in a returned run.
    private static func forEachLiveBlock(_ page: PagePointer, _ bitmap: UnsafeMutablePointer<UInt64>, _ body: (UInt, Int) -> Void) {
        guard let start = page.pointee.start, let bump = page.pointee.bumpNext, page.pointee.used > 0 else { return }
        let size = page.pointee.blockSize
        let handedOut = (bump - start) / size
        for i in 0..<bitmapWords { bitmap[i] = 0 }
        /// Marks the blocks of a list; a page's own lists hold only its blocks (anything else is damage: stop),
        /// a thread's list of other heaps' blocks (ForeignBlocks) holds blocks of many pages.
        func markFree(_ first: UInt, mixed: Bool = false) {
            var b = first
            var steps = 0
            let limit = mixed ? ForeignBlocks.byteLimit / size &+ 1 : handedOut
            while b != 0 && steps <= limit {
                let offset = b &- UInt(bitPattern: start)
                if offset < UInt(handedOut &* size) && offset % UInt(size) == 0 {
                    let index = Int(offset) / size
                    bitmap[index &>> 6] |= UInt64(1) &<< UInt64(index & 63)
                } else if !mixed {
                    break      // a damaged list: stop
                }
                b = UnsafeRawPointer(bitPattern: b).unsafelyUnwrapped.load(as: UInt.self)
                steps &+= 1
            }
        }
        markFree(UInt(bitPattern: page.pointee.free))
        ReturnedRuns.forEach(page) { run, count in
            let first = (run - start) / size
            for index in first..<max(first, min(first &+ count, handedOut)) { bitmap[index &>> 6] |= UInt64(1) &<< UInt64(index & 63) }
        }
        markFree(RemoteList.first(page.pointee.threadFree.load(ordering: .acquiring)))
        let classIndex = Int(page.pointee.classIndex)
        if classIndex < ForeignBlocks.classLimit {
            Heaps.forEach { heap in markFree(UInt(bitPattern: ForeignBlocks.list(heap, classIndex).pointee.free), mixed: true) }
        }
        for index in 0..<min(handedOut, bitmapWords &* 64) where bitmap[index &>> 6] & (UInt64(1) &<< UInt64(index & 63)) == 0 {
            body(UInt(bitPattern: start) &+ UInt(index &* size), size)
        }
    }

    private static func print(_ fd: Int32, _ groups: UnsafeMutablePointer<Group>, _ count: Int, expected: Int, _ objects: SwiftObjects) -> Int {
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
            out.bytes(Int(groups[i].count &* groups[i].size))
            if groups[i].metadata != 0 { out.text("  "); objects.writeName(groups[i].metadata, to: &out) }
            out.text("\n")
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
