import Testing
@testable import SMMAnalyzer

@Suite("Parsers of /proc files")
struct ParserTests {
    @Test("smaps: a path with spaces and ' (deleted)' keeps its spaces and loses the suffix")
    func pathsWithSpacesAndDeleted() throws {
        let mappings = SmapsParser.parse(try Fixtures.bytes("edge-cases/77/smaps"))
        let report = try #require(mappings.first { $0.start == 0x7f00_3000_0000 })
        #expect(report.path == "/var/data/report (final) v2.txt")
        #expect(report.isDeleted)
        #expect(mappings.first?.path == "/opt/my app/bin/edge tool")
        #expect(mappings.first?.isDeleted == false)
    }

    @Test("smaps: unknown fields are ignored and missing ones read as zero")
    func unknownAndMissingFields() throws {
        let mappings = SmapsParser.parse(try Fixtures.bytes("edge-cases/77/smaps"))
        let heap = try #require(mappings.first { $0.path == "[heap]" })
        #expect(heap.usage.rss == 12 * 1024)
        #expect(heap.usage.privateDirty == 12 * 1024)
        #expect(heap.usage.sharedClean == 0)
        let plain = try #require(mappings.first { $0.path == "/var/data/plain.txt" })
        #expect(plain.size == 4096)
        #expect(plain.usage == SmapsUsage())
        #expect(plain.vmFlags == nil)
    }

    @Test("smaps: every header becomes one mapping with its fields")
    func headersAndFields() throws {
        let mappings = SmapsParser.parse(try Fixtures.bytes("edge-cases/77/smaps"))
        #expect(mappings.count == 25)
        let segment = try #require(mappings.first { $0.path == "[anon:swiftmm-segment]" })
        #expect(segment.anonymousName == "swiftmm-segment")
        #expect(segment.usage.swap == 64 * 1024)
        #expect(segment.usage.locked == 8 * 1024)
        #expect(segment.vmFlags == "rd wr mr mw me ac")
        let vsyscall = try #require(mappings.last)
        #expect(vsyscall.start == 0xffff_ffff_ff60_0000)
        #expect(vsyscall.permissions.description == "--xp")
    }

    @Test("smaps of a real process: the child's memfd is shared, its file map private")
    func recordedChild() throws {
        let mappings = SmapsParser.parse(try Fixtures.bytes("child-process/4242/smaps"))
        let memfd = try #require(mappings.first { $0.path.hasPrefix("/memfd:") })
        #expect(memfd.path == "/memfd:smm-test-memfd")
        #expect(memfd.isDeleted)
        #expect(memfd.permissions.shared)
        #expect(memfd.usage.rss == 16 * 1024)
        let mapped = try #require(mappings.first { $0.path.hasSuffix("mapped file with spaces.bin") })
        #expect(mapped.size == 5 * 4096)
        #expect(mapped.inode != 0)
    }

    @Test("maps: the same header parser reads plain maps lines")
    func mapsLines() {
        let text = """
            7f0000000000-7f0000001000 r--p 00001000 fe:01 12345                      /lib/name with space.so (deleted)
            7f0000001000-7f0000002000 ---p 00000000 00:00 0 
            garbage line
            """
        let mappings = MapsParser.parse(Array(text.utf8))
        #expect(mappings.count == 2)
        #expect(mappings[0].path == "/lib/name with space.so")
        #expect(mappings[0].isDeleted)
        #expect(mappings[0].offset == 0x1000)
        #expect(mappings[0].device == "fe:01")
        #expect(mappings[0].inode == 12345)
        #expect(mappings[1].permissions.isInaccessible)
        #expect(mappings[1].path.isEmpty)
    }

    @Test("status: sizes in bytes; unknown lines ignored; missing lines zero")
    func status() throws {
        let status = StatusParser.parse(try Fixtures.text("edge-cases/77/status"))
        #expect(status.name == "edge")
        #expect(status.threads == 3)
        #expect(status.vmPTE == 48 * 1024)
        #expect(status.vmRSS == 1200 * 1024)
        #expect(status.vmSwap == 0)
        #expect(!status.isDead)
        #expect(StatusParser.parse("State:\tZ (zombie)\n").isDead)
    }

    @Test("syscall: the stack pointer is the second-to-last field; 'running' has none")
    func syscall() {
        #expect(TaskParser.parseSyscall("0 0x3 0x7f 0x1 0x0 0x0 0x78 0x7f7ff4658e80 0x7f7ff475c2ec\n")
            == .blocked(stackPointer: 0x7f7f_f465_8e80, programCounter: 0x7f7f_f475_c2ec))
        #expect(TaskParser.parseSyscall("-1 0x7ffc1000 0x401000\n") == .blocked(stackPointer: 0x7ffc_1000, programCounter: 0x40_1000))
        #expect(TaskParser.parseSyscall("running\n") == .running)
        #expect(TaskParser.parseSyscall("") == .unknown)
        #expect(TaskParser.parseComm("smm-worker-1\n") == "smm-worker-1")
    }
}
