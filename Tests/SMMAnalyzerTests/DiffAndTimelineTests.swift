import Testing
@testable import SMMAnalyzer

@Suite("Diff and timeline")
struct DiffAndTimelineTests {
    /// The edge-case snapshot with: the SwiftMM large block grown by 1 MiB, the jemalloc region removed,
    /// a new 2 MiB private region, and [heap] shrunk in resident bytes only.
    func changed(_ snapshot: Snapshot) -> Snapshot {
        var regions = snapshot.regions.filter { $0.path != "[anon:jemalloc extent]" }
        if let large = regions.firstIndex(where: { $0.path == "[anon:swiftmm-large]" }) {
            regions[large].end += 1 << 20
            regions[large].figures.size += 1 << 20
            regions[large].figures.resident += 1 << 20
        }
        if let heap = regions.firstIndex(where: { $0.path == "[heap]" }) { regions[heap].figures.resident -= 4096 }
        regions.append(Region(start: 0x7f00_5000_0000, end: 0x7f00_5020_0000, permissions: "rw-p", category: .privateData,
                              detail: "private", figures: MemoryFigures(size: 2 << 20, committed: 2 << 20, resident: 8192)))
        regions.sort { $0.start < $1.start }
        var result = snapshot
        result.regions = regions
        result.categories = Categorizer.summarize(regions, pageTables: snapshot.status.vmPTE)
        result.capturedAt += 5
        return result
    }

    @Test("regions added, removed, grown and shrunk, with deltas")
    func regionChanges() throws {
        let before = try Fixtures.edgeCases()
        let diff = SnapshotDiff.between(before, changed(before))
        let byKind = Dictionary(grouping: diff.regions, by: \.kind)
        #expect(byKind[.added]?.map(\.start) == [0x7f00_5000_0000])
        #expect(byKind[.removed]?.map(\.name) == ["[anon:jemalloc extent]"])
        let grown = try #require(byKind[.grown]?.first)
        #expect(grown.name == "[anon:swiftmm-large]")
        #expect(grown.delta(.size) == 1 << 20)
        let shrunk = try #require(byKind[.shrunk]?.first)
        #expect(shrunk.name == "[heap]")
        #expect(shrunk.delta(.resident) == -4096)
        #expect(diff.regions.count == 4, "unchanged regions and free gaps are left out")
    }

    @Test("category deltas")
    func categoryChanges() throws {
        let before = try Fixtures.edgeCases()
        let diff = SnapshotDiff.between(before, changed(before))
        let heap = try #require(diff.categories.first { $0.category == .heap })
        #expect(heap.delta(.size) == 0, "+1 MiB large block, -1 MiB jemalloc region")
        #expect(heap.delta(.resident) == (1 << 20) - 4096 - (64 << 10))
        let privateData = try #require(diff.categories.first { $0.category == .privateData })
        #expect(privateData.delta(.size) == 2 << 20)
        #expect(SnapshotDiff.between(before, before).regions.isEmpty)
    }

    @Test("diff renders deltas with git-like colors")
    func diffText() throws {
        let before = try Fixtures.edgeCases()
        let diff = SnapshotDiff.between(before, changed(before))
        let plain = DiffRenderer(style: TerminalStyle(enabled: false)).render(diff)
        #expect(plain.contains("Regions: 1 added, 1 removed, 1 grown, 1 shrunk"))
        #expect(plain.contains("+ added"))
        #expect(plain.contains("+2 MiB"))
        #expect(plain.contains("-4 KiB"))
        let colored = DiffRenderer(style: TerminalStyle(enabled: true)).render(diff)
        #expect(colored.contains("\u{1B}[32m+2 MiB\u{1B}[0m"))
        #expect(colored.contains("\u{1B}[31m-4 KiB\u{1B}[0m"))
    }

    @Test("timeline: samples are timed from the first; the chart shows peak and per-category lines")
    func timeline() throws {
        let first = try Fixtures.edgeCases()
        var timeline = Timeline(pid: first.pid, command: first.command, interval: 5)
        timeline.record(first)
        timeline.record(changed(first))
        #expect(timeline.samples.map(\.time) == [0, 5])
        #expect(timeline.samples[1].value(.privateData, .size) == (64 << 10) + (2 << 20))
        let chart = TimelineChartRenderer(style: TerminalStyle(enabled: false), width: 20, height: 4).render(timeline)
        #expect(chart.contains("Resident of process 77 over 5 s, 2 samples"))
        #expect(chart.contains("Private Data"))
        #expect(chart.split(separator: "\n").filter { $0.contains("┤") }.count == 4)
    }

    @Test("timeline charts squeeze long series into the chart width")
    func resampling() {
        let renderer = TimelineChartRenderer(style: TerminalStyle(enabled: false), width: 10)
        let values = renderer.resample((0..<100).map { UInt64($0) })
        #expect(values.count == 10)
        #expect(values.last == 99)
    }

    @Test("byte units")
    func units() {
        #expect(ByteFormat.string(0) == "0")
        #expect(ByteFormat.string(512) == "512 B")
        #expect(ByteFormat.string(4096) == "4 KiB")
        #expect(ByteFormat.string(1536 * 1024) == "1.5 MiB")
        #expect(ByteFormat.delta(-4096) == "-4 KiB")
    }
}
