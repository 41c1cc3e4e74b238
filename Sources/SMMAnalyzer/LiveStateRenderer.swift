import SwiftMM

/// Renders a process's live state as terminal text: the heap status, the size classes in use with the tier
/// totals, and the memory map of SwiftMM's own regions.
public struct LiveStateRenderer {
    /// Colors on or off.
    public var style: TerminalStyle

    /// A renderer with `style`.
    public init(style: TerminalStyle) { self.style = style }

    /// The whole report.
    public func render(_ live: LiveState) -> String {
        var output = style.bold("Process \(live.pid)") + (live.command.isEmpty ? "" : " " + live.command) + "\n"
        let version = live.libraryVersion.isEmpty ? "" : " \(live.libraryVersion)"
        output += "SwiftMM\(version) (\(live.library)), read while running: \(count(live.heaps, "heap")), \(count(live.segments, "segment"))"
        output += live.consistent ? "\n" : "\n" + style.red("note: the process changed its heaps during every read; the figures mix moments") + "\n"
        output += "\n" + style.bold("Heap status") + "\n" + heapStatus(live.heapStatus)
        output += "\n" + style.bold("State per size class") + "\n" + sizeClasses(live.state)
        output += "\n" + style.bold("Memory map") + " (SwiftMM's regions)\n" + memoryMap(live.memoryMap)
        return output
    }

    private func count(_ n: Int, _ noun: String) -> String { "\(n) \(noun)\(n == 1 ? "" : "s")" }

    /// The heap status, one figure a line.
    public func heapStatus(_ status: HeapStatus) -> String {
        var table = TextTable(headings: ["", "", ""], rightAligned: [1])
        let rows: [(String, UInt64, String)] = [
            ("reserved", status.reserved, "address space mapped from the OS"),
            ("committed", status.committed, "of which not returned to the OS"),
            ("allocated", status.allocated, "in live blocks"),
            ("free", status.free, "committed, neither allocated nor overhead"),
            ("overhead", status.overhead, "SwiftMM's metadata"),
            ("current use", status.currentUse, ""),
            ("peak use", status.peakUse, ""),
        ]
        for (label, value, note) in rows { table.add(["  " + label, ByteFormat.string(value), style.dim(note)]) }
        // The heading row is empty: drop it.
        return String(table.render().drop { $0 != "\n" }.dropFirst())
    }

    /// The size classes with pages, then the tier totals and the efficiency.
    public func sizeClasses(_ state: MemoryManagerState) -> String {
        var table = TextTable(headings: ["  Tier", "Class", "Block size", "Blocks in use", "Allocated", "Reserved", "Committed"],
                              rightAligned: [1, 2, 3, 4, 5, 6])
        func row(_ c: SizeClassState, _ label: String? = nil) -> [String] {
            ["  " + c.tier.rawValue, label ?? c.classIndex.map(String.init) ?? "total", label == nil ? String(c.blockSize) : "",
             String(c.blocksAllocated), ByteFormat.string(c.bytesAllocated), ByteFormat.string(c.bytesReserved),
             ByteFormat.string(c.bytesCommitted)]
        }
        for c in state.classes where c.bytesReserved > 0 { table.add(row(c)) }
        for total in [state.smallTotal, state.mediumTotal, state.largeTotal] { table.add(row(total, "total").map { style.bold($0) }) }
        let percent = (state.efficiency * 1000).rounded() / 10
        return table.render() + "  efficiency (allocated / committed): \(percent) %\n"
    }

    /// Every region: segment headers, pages, free slice runs and large blocks.
    public func memoryMap(_ regions: [MemoryRegion]) -> String {
        var table = TextTable(headings: ["  Address", "Size", "Tier", "Class", "Block size", "Blocks", "Use"], rightAligned: [1, 3, 4, 5])
        for r in regions {
            let use: String
            switch r.use {
            case .allocated: use = r.use.rawValue
            case .free, .decommitted, .metadata: use = style.dim(r.use.rawValue)
            }
            table.add(["  " + ByteFormat.address(r.address), ByteFormat.string(r.size), r.tier == .none ? "-" : r.tier.rawValue,
                       r.classIndex.map(String.init) ?? "-", r.blockSize == 0 ? "-" : String(r.blockSize),
                       r.use == .allocated ? String(r.blocksInUse) : "-", use])
        }
        return table.render()
    }
}
