import Testing

/// The standard C and C++ allocation functions, checked in child processes with libswiftmm.so preloaded.
/// The check programs (Sources/smm-check-c, Sources/smm-check-cxx) exit with their failure count.
@Suite("Standard functions under LD_PRELOAD")
struct StandardFunctionTests {
    @Test("malloc, calloc, realloc, reallocarray, the aligned forms, usable size and free_sized behave as specified")
    func cFunctions() throws {
        let result = try ChildProcess.run([try BuildProducts.program("smm-check-c")], preload: true)
        #expect(result.status == 0, "\(result.standardOutput)\(result.standardError)")
        #expect(result.standardOutput.contains(" 0 failures"))
        #expect((result.figure("allocations") ?? 0) > 500, "SwiftMM served the checks: \(result.statisticsReport ?? "no report")")
    }

    @Test("C++ operator new and delete in every form: plain, nothrow, sized, aligned, array")
    func cxxOperators() throws {
        let result = try ChildProcess.run([try BuildProducts.program("smm-check-cxx")], preload: true)
        #expect(result.status == 0, "\(result.standardOutput)\(result.standardError)")
        #expect(result.standardOutput.contains(" 0 failures"))
        #expect((result.figure("allocations") ?? 0) > 3000)
    }

    @Test("the check programs notice when SwiftMM is not loaded, so a passing run proves it was")
    func checksRequireSwiftMM() throws {
        let result = try ChildProcess.run([try BuildProducts.program("smm-check-c")], preload: false)
        #expect(result.status == 100)
    }

    @Test("a deterministic stress run: 4 threads x 6 waves, over a million operations across all tiers, no corruption")
    func stress() throws {
        let result = try ChildProcess.run([try BuildProducts.program("smm-stress"), "4", "42000", "6"], preload: true)
        #expect(result.status == 0, "\(result.standardOutput)\(result.standardError)")
        #expect(result.standardOutput.contains("1008000 operations"))
        #expect(result.standardOutput.contains(" 0 corrupted"))
        // Every wave's threads exited with blocks alive; their heaps went to the next wave.
        #expect((result.figure("heaps adopted") ?? 0) >= 20, "\(result.statisticsReport ?? "")")
        // Three operations in four allocate a new block.
        #expect((result.figure("allocations") ?? 0) > 750_000)
    }

    @Test("threads that only free other threads' blocks get heaps of their own, and every free is counted")
    func freeOnlyThreads() throws {
        let result = try ChildProcess.run([try BuildProducts.program("smm-check-handoff")], preload: true)
        #expect(result.status == 0, "\(result.standardOutput)\(result.standardError)")
        #expect(result.standardOutput.contains("60000 blocks freed by other threads, 0 corrupted"))
        // The main thread's heap, plus one heap for each of the six consumers: new, or left in the pool by an
        // exited consumer and adopted.
        let heapsTaken = (result.figure("thread heaps") ?? 0) + (result.figure("heaps adopted") ?? 0)
        #expect(heapsTaken >= 7, "\(result.statisticsReport ?? "")")
        #expect((result.figure("allocations") ?? 0) >= 60_000)
        #expect((result.figure("frees") ?? 0) >= 60_000, "\(result.statisticsReport ?? "")")
    }

    @Test("a thread that frees another thread's blocks gets them back on its next allocations; the leak report counts them free")
    func freedBlocksAreRecycledByTheFreeingThread() throws {
        let result = try ChildProcess.run([try BuildProducts.program("smm-check-handoff"), "recycle"], preload: true,
                                          environment: ["SMM_REPORT_LEAKS": "1"])
        #expect(result.status == 0, "\(result.standardOutput)\(result.standardError)")
        #expect(result.standardOutput.contains("recycle: 24 of 24 blocks came back to the thread that freed them"))
        // The freeing thread still holds the 24 blocks of 128 B when the process exits: they are free, not leaks.
        #expect(result.standardError.contains("swiftmm: leak report"))
        let leaked128 = result.standardError.split(separator: "\n").compactMap { line -> Int? in
            let fields = line.split(separator: " ")
            return fields.count >= 4 && fields[1] == "x" && fields[2] == "128" && fields[3] == "B" ? Int(fields[0]) : nil
        }.reduce(0, +)
        #expect(leaked128 < 24, "\(result.standardError)")
    }

    @Test("a thread keeps another heap's blocks only when they fill whole cache lines: its own blocks share no line with the owner's",
          arguments: [16, 80, 96])
    func blocksSharingCacheLinesAreNotKept(size: Int) throws {
        let result = try ChildProcess.run([try BuildProducts.program("smm-check-handoff"), "apart", "\(size)"], preload: true)
        #expect(result.status == 0, "\(result.standardOutput)\(result.standardError)")
        #expect(result.standardOutput.contains("apart \(size): 0 of 8 new blocks share a cache line with the freed neighbours"))
    }

    @Test("smm_heap_minimize gives the blocks a thread kept from other heaps back to their owners")
    func minimizeGivesKeptBlocksBack() throws {
        let result = try ChildProcess.run([try BuildProducts.program("smm-check-handoff"), "minimize"], preload: true)
        #expect(result.status == 0, "\(result.standardOutput)\(result.standardError)")
        #expect(result.standardOutput.contains("minimize: 0 of 8 new blocks were blocks the thread had freed"))
    }

    @Test("a new thread whose first free is an exited thread's block adopts that thread's heap: its frees take effect at once")
    func freeingThreadAdoptsTheOwnersHeap() throws {
        let result = try ChildProcess.run([try BuildProducts.program("smm-check-handoff"), "adopt"], preload: true)
        #expect(result.status == 0, "\(result.standardOutput)\(result.standardError)")
        let figures = result.standardOutput.split(whereSeparator: { !$0.isNumber }).compactMap { Int($0) }
        #expect(figures.count == 2, "\(result.standardOutput)")
        guard figures.count == 2 else { return }
        // 1000 blocks of 2000 B (2048 B each) were in use; once freed, none is. In a heap nobody had adopted they
        // would still count, waiting for an owner to collect them.
        #expect(figures[0] >= 1900, "\(result.standardOutput)")
        #expect(figures[1] < 200, "\(result.standardOutput)")
    }

    @Test("fork while other threads allocate: every child allocates and exits, none hangs on an inherited lock")
    func forkSafety() throws {
        let result = try ChildProcess.run([try BuildProducts.program("smm-check-fork"), "200"], preload: true)
        #expect(result.status == 0, "\(result.standardOutput)\(result.standardError)")
        #expect(result.standardOutput.contains("200 children, 0 hung, 0 failed"))
    }

    @Test("a program built without PIE that takes malloc's address runs quietly, with one address for malloc and free")
    func nonPIEProgram() throws {
        let result = try ChildProcess.run([try BuildProducts.program("smm-check-nopie")], preload: true)
        #expect(result.status == 0, "\(result.standardOutput)\(result.standardError)")
        #expect(result.standardOutput == "one address for malloc and free\n")
        #expect(!result.standardError.contains("warning"), "the dynamic linker warned: \(result.standardError)")
    }

    @Test("a free of a pointer SwiftMM never handed out is reported, not fatal")
    func invalidFreeIsReported() throws {
        // A page from mmap: neither in a SwiftMM segment nor a large block SwiftMM knows.
        let script = "import ctypes, mmap; libc = ctypes.CDLL(None); m = mmap.mmap(-1, 4096); libc.free.argtypes = [ctypes.c_void_p]; libc.free(ctypes.addressof(ctypes.c_char.from_buffer(m)) + 64); print('alive')"
        let result = try ChildProcess.run(["python3", "-c", script], preload: true, environment: ["PYTHONMALLOC": "malloc"])
        #expect(result.status == 0)
        #expect(result.standardOutput == "alive\n")
        #expect(result.standardError.contains("swiftmm: error: free of invalid pointer"))
    }
}
