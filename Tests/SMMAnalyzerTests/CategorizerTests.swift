import Testing
@testable import SMMAnalyzer

@Suite("Sorting mappings into categories")
struct CategorizerTests {
    @Test("every edge-case mapping lands in its category", arguments: [
        (0x0040_0000, Category.image), (0x0040_1000, .image), (0x0040_3000, .image),
        (0x0040_4000, .image),                      // anonymous .bss right after the module
        (0x0100_0000, .heap),                       // [heap]
        (0x7f00_0000_0000, .reserved),              // PROT_NONE reservation
        (0x7f00_000f_f000, .stack),                 // guard right below a thread stack
        (0x7f00_0010_0000, .stack),                 // holds thread 78's stack pointer
        (0x7f00_0400_0000, .heap), (0x7f00_0402_1000, .heap), // glibc arena and its PROT_NONE tail
        (0x7f00_1000_0000, .heap), (0x7f00_1040_0000, .heap), (0x7f00_1050_0000, .heap), // SwiftMM
        (0x7f00_1060_0000, .heap),                  // jemalloc
        (0x7f00_1070_0000, .privateData),           // named but not an allocator
        (0x7f00_2000_0000, .shareable), (0x7f00_2001_0000, .shareable), (0x7f00_2002_0000, .shareable),
        (0x7f00_2003_0000, .shareable),             // SysV, /dev/shm, shared anonymous, memfd
        (0x7f00_3000_0000, .mappedFile), (0x7f00_3000_3000, .mappedFile),
        (0x7f00_4000_0000, .kernel), (0x7f00_4000_1000, .kernel), (0xffff_ffff_ff60_0000, .kernel),
        (0x7ffc_0000_0000, .stack),                 // [stack]
    ] as [(UInt64, Category)])
    func category(start: UInt64, expected: Category) throws {
        let region = try #require(try Fixtures.edgeCases().region(at: start))
        #expect(region.category == expected, "\(region.displayName) at \(String(start, radix: 16))")
    }

    @Test("thread stacks carry TID and name; a running thread's stack is unknown")
    func threadStacks() throws {
        let snapshot = try Fixtures.edgeCases()
        #expect(snapshot.threads.map(\.tid) == [77, 78, 79])
        #expect(snapshot.threads[0].stackStart == 0x7ffc_0000_0000)
        #expect(snapshot.threads[1].name == "edge worker")
        #expect(snapshot.threads[1].stackStart == 0x7f00_0010_0000)
        #expect(snapshot.region(at: 0x7f00_0010_0000)?.detail == "thread 78 (edge worker)")
        #expect(snapshot.threads[2].state == "running")
        #expect(snapshot.threads[2].stackStart == nil)
    }

    @Test("figures: USS is Private_Clean + Private_Dirty, dirty adds both dirty kinds, committed follows 'ac'")
    func figures() throws {
        let snapshot = try Fixtures.edgeCases()
        let segment = try #require(snapshot.region(at: 0x7f00_1000_0000))
        #expect(segment.figures == MemoryFigures(size: 4 << 20, committed: 4 << 20, resident: 256 << 10, privateBytes: 256 << 10,
                                                 shared: 0, pss: 256 << 10, swap: 64 << 10, locked: 8 << 10, dirty: 256 << 10))
        let arena = try #require(snapshot.region(at: 0x7f00_0400_0000))
        #expect(arena.figures.committed == 0, "nr (no reserve) maps are not committed")
        let sysv = try #require(snapshot.region(at: 0x7f00_2000_0000))
        #expect(sysv.figures.shared == 64 << 10)
        #expect(sysv.figures.dirty == 64 << 10)
        #expect(sysv.figures.committed == 64 << 10)
        #expect(try #require(snapshot.region(at: 0x7f00_0000_0000)).figures.committed == 0)
    }

    @Test("category totals add up their regions; Page Table is VmPTE")
    func totals() throws {
        let snapshot = try Fixtures.edgeCases()
        let heap = snapshot.summary(of: .heap)
        #expect(heap.regionCount == 7)
        #expect(heap.figures.size == (132 << 10) + (64 << 20) + (4 << 20) + (1 << 20) + (64 << 10) + (1 << 20))
        #expect(snapshot.summary(of: .pageTable).figures.size == 48 << 10)
        #expect(snapshot.summary(of: .stack).regionCount == 3)
        #expect(snapshot.categories.map(\.category) == Category.allCases)
    }

    @Test("free: the gaps between mappings, and the largest one")
    func freeSpace() throws {
        let snapshot = try Fixtures.edgeCases()
        let gaps = snapshot.regions.filter { $0.category == .free }
        #expect(snapshot.free.blockCount == gaps.count)
        #expect(snapshot.free.total == gaps.reduce(0) { $0 + $1.size })
        #expect(snapshot.free.largestBlockStart == 0x0102_1000, "between [heap] and the mmap area")
        #expect(snapshot.free.largestBlock == 0x7f00_0000_0000 - 0x0102_1000)
        #expect(!gaps.contains { $0.end > 0x7fff_ffff_ffff }, "no gap up to the vsyscall page")
    }

    @Test("the recorded child: arenas, thread stacks, memfd, files and the PROT_NONE block")
    func recordedChild() throws {
        let snapshot = try Fixtures.childProcess()
        let expectations: [(UInt64, Category, String)] = [
            (0x7f7f_e800_0000, .heap, "glibc arena"),
            (0x7f7f_e802_1000, .heap, "glibc arena (reserved)"),
            (0x7f7f_f458_c000, .mappedFile, "deleted file.bin"),
            (0x7f7f_f458_f000, .mappedFile, "mapped file with spaces.bin"),
            (0x7f7f_f459_4000, .shareable, "memfd smm-test-memfd"),
            (0x7f7f_f459_9000, .stack, "thread 4245 (smm-worker-2)"),
            (0x7f7f_f461_a000, .stack, "thread 4243 (smm-worker-1)"),
            (0x7f7f_f465_a000, .reserved, "reserved"),
            (0x7f7f_f483_9000, .image, "libc.so.6 .bss"),
        ]
        for (start, category, detail) in expectations {
            let region = try #require(snapshot.region(at: start))
            #expect(region.category == category, "\(detail)")
            #expect(region.detail == detail)
        }
        #expect(snapshot.region(at: 0x7f7f_f459_9000)?.size == 512 << 10)
        #expect(snapshot.region(at: 0x7f7f_f4619000)?.category == .stack, "worker 1's guard page")
    }
}
