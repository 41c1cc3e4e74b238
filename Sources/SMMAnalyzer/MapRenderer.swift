/// How `--details` orders regions.
public enum RegionOrder: Equatable, Sendable {
    /// By start address, ascending.
    case address
    /// By one figure, largest first.
    case figure(MemoryFigures.Field)

    /// Parses `address` or a figure name (`size`, `resident`, `private`, …).
    public init?(_ text: String) {
        let key = text.lowercased()
        if key == "address" || key == "addr" { self = .address; return }
        if let field = MemoryFigures.Field.allCases.first(where: { $0.rawValue == key || $0.heading.lowercased() == key }) {
            self = .figure(field)
            return
        }
        if key == "rss" { self = .figure(.resident); return }
        if key == "uss" { self = .figure(.privateBytes); return }
        return nil
    }

    /// The names `init` accepts, for help texts.
    public static let names = ["address"] + MemoryFigures.Field.allCases.map(\.rawValue)

    /// `regions` in this order.
    public func sorted(_ regions: [Region]) -> [Region] {
        switch self {
        case .address: regions.sorted { $0.start < $1.start }
        case .figure(let field): regions.sorted { ($0.figures[field], $1.start) > ($1.figures[field], $0.start) }
        }
    }
}

/// Renders a snapshot as terminal text: the category summary, then optionally threads and regions.
public struct MapRenderer {
    /// Colors on or off.
    public var style: TerminalStyle

    /// A renderer with `style`.
    public init(style: TerminalStyle) { self.style = style }

    /// The heading line and the category summary table.
    public func summary(_ snapshot: Snapshot) -> String {
        var output = style.bold("Process \(snapshot.pid)") + " " + snapshot.command + "\n"
        output += "threads \(snapshot.threads.count), regions \(snapshot.regions.filter { $0.category != .free }.count), "
            + "largest free block \(ByteFormat.string(snapshot.free.largestBlock))\n\n"
        let fields = MemoryFigures.Field.allCases
        var table = TextTable(headings: ["Type"] + fields.map(\.heading) + ["Regions"], rightAligned: Set(1...fields.count + 1))
        for summary in snapshot.categories {
            table.add([style.category(summary.category, "■ " + summary.category.rawValue)]
                + fields.map { ByteFormat.string(summary.figures[$0]) } + [String(summary.regionCount)])
        }
        let total = snapshot.total
        table.add([style.bold("Total")] + fields.map { style.bold(ByteFormat.string(total[$0])) }
            + [String(snapshot.regions.filter { $0.category != .free }.count)])
        output += table.render()
        return output
    }

    /// Every thread with its stack, or "unknown" when the stack pointer was not readable.
    public func threads(_ snapshot: Snapshot) -> String {
        var table = TextTable(headings: ["TID", "Thread", "State", "Stack pointer", "Stack"], rightAligned: [0])
        for thread in snapshot.threads {
            let stackPointer = thread.stackPointer.map { ByteFormat.address($0) } ?? "-"
            let stack: String
            if let start = thread.stackStart, let end = thread.stackEnd {
                stack = "\(ByteFormat.address(start))-\(ByteFormat.address(end)) \(ByteFormat.string(end - start))"
            } else {
                stack = "unknown (\(thread.state == "running" ? "thread was running" : "stack pointer not readable"))"
            }
            table.add([String(thread.tid), thread.name, thread.state, stackPointer, stack])
        }
        return table.render()
    }

    /// The regions of `categories` (all when empty), in `order`.
    public func details(_ snapshot: Snapshot, order: RegionOrder, categories: Set<Category>) -> String {
        let fields = MemoryFigures.Field.allCases
        var table = TextTable(headings: ["Address", "Perm", "Type"] + fields.map(\.heading) + ["Details"],
                              rightAligned: Set(3..<3 + fields.count))
        let chosen = snapshot.regions.filter { categories.isEmpty || categories.contains($0.category) }
        for region in order.sorted(chosen) {
            let name = region.path.isEmpty ? region.detail
                : region.displayName + (region.detail.isEmpty || region.path.hasSuffix(region.detail) ? "" : "  [\(region.detail)]")
            table.add([ByteFormat.address(region.start), region.permissions, style.category(region.category, region.category.rawValue)]
                + fields.map { ByteFormat.string(region.figures[$0]) } + [name])
        }
        return table.render()
    }
}
