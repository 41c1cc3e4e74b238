import Testing

/// How SwiftMM reuses memory it already holds before it touches more, checked in fresh child processes
/// (Sources/smm-check-reuse), where no block of the size classes involved exists yet.
@Suite("Reuse of memory already held")
struct MemoryReuseTests {
    @Test("a class with no free block borrows a free block of the next larger classes, and gives it back to that page; classes below 1 KiB and aligned requests never borrow")
    func borrowing() throws {
        try expectAllChecksPass("borrow", checks: 10)
    }

    @Test("a page cut from slices an earlier page wrote returns the memory past its bump pointer at the next purge, and keeps what it holds")
    func warmTails() throws {
        try expectAllChecksPass("warm-tails", checks: 24)
    }

    @Test("a page with no block left to give leaves its class queue; a free, local or remote, brings it back, as the page in use when that one has run dry, else where the next search finds it first")
    func fullPages() throws {
        try expectAllChecksPass("full-pages", checks: 7)
    }

    @Test("a large buffer served by a split of a cached mapping grows in place into the cached rest of that mapping, contents kept, and grows on past it")
    func largeGrowth() throws {
        try expectAllChecksPass("large-growth", checks: 18)
    }

    @Test("a freed mapping bigger than a quarter of the large cache is kept alone and serves the next big buffer with no system call; the pieces a split handed out join it again when freed; one of over four times the cache is unmapped at once; a kept one goes back to the OS at the first timed purge after the delay")
    func largeRounds() throws {
        try expectAllChecksPass("large-rounds", checks: 9)
    }

    @Test("a free block of 16 KiB returns the pages inside it at a purge, and again after it was taken into use and freed again, although the program never wrote its mark")
    func interiorsAgain() throws {
        try expectAllChecksPass("interiors-again", checks: 5)
    }

    @Test("a thread that exits returns the memory of its pages to the OS, its classes' current pages too")
    func threadExit() throws {
        try expectAllChecksPass("thread-exit", checks: 10)
    }

    @Test("the committed figure falls by exactly the OS pages that free blocks inside pages in use return at a purge, rises by those taken back into use, and counts a freed page's slices whole again until a purge decommits them once, also when the page is cut again from them")
    func committedFigures() throws {
        try expectAllChecksPass("committed-figures", checks: 11)
    }

    /// Runs one scenario of smm-check-reuse with SwiftMM preloaded: every one of its `checks` must pass.
    private func expectAllChecksPass(_ scenario: String, checks: Int) throws {
        let result = try ChildProcess.run([try BuildProducts.program("smm-check-reuse"), scenario], preload: true)
        #expect(result.status == 0, "\(result.standardOutput)\(result.standardError)")
        #expect(result.standardOutput.contains("\(checks) checks, 0 failures"), "\(result.standardOutput)")
    }

    @Test("the checks notice when SwiftMM is not loaded")
    func requiresSwiftMM() throws {
        let result = try ChildProcess.run([try BuildProducts.program("smm-check-reuse"), "borrow"], preload: false)
        #expect(result.status == 100)
    }
}
