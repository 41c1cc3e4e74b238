/// Renders a `SnapshotDiff` as terminal text.
public struct DiffRenderer {
    /// Colors on or off.
    public var style: TerminalStyle

    /// A renderer with `style`.
    public init(style: TerminalStyle) { self.style = style }

    /// The category table and, up to `regionLimit` lines, the changed regions (largest change first).
    public func render(_ diff: SnapshotDiff, regionLimit: Int = 50) -> String {
        var output = style.bold("Diff") + " PID \(diff.before.pid) → PID \(diff.after.pid), "
            + "\(ByteFormat.decimal(max(0, diff.after.capturedAt - diff.before.capturedAt))) s apart\n\n"
        let fields: [MemoryFigures.Field] = [.size, .committed, .resident, .privateBytes, .pss, .swap]
        var table = TextTable(headings: ["Type"] + fields.map { "Δ " + $0.heading } + ["Resident before → after"],
                              rightAligned: Set(1...fields.count + 1))
        for change in diff.categories where change.before != change.after || change.before.size > 0 {
            table.add([style.category(change.category, "■ " + change.category.rawValue)]
                + fields.map { colored(change.delta($0)) }
                + ["\(ByteFormat.string(change.before.resident)) → \(ByteFormat.string(change.after.resident))"])
        }
        output += table.render()
        let counts = Dictionary(grouping: diff.regions, by: \.kind).mapValues(\.count)
        output += "\nRegions: \(counts[.added] ?? 0) added, \(counts[.removed] ?? 0) removed, "
            + "\(counts[.grown] ?? 0) grown, \(counts[.shrunk] ?? 0) shrunk\n"
        guard !diff.regions.isEmpty else { return output }
        var regions = TextTable(headings: ["", "Address", "Type", "Δ Size", "Δ Resident", "Δ Private", "Name"],
                                rightAligned: [3, 4, 5])
        let ordered = diff.regions.sorted {
            (max($0.delta(.size).magnitude, $0.delta(.resident).magnitude), $1.start)
                > (max($1.delta(.size).magnitude, $1.delta(.resident).magnitude), $0.start)
        }
        for change in ordered.prefix(regionLimit) {
            regions.add([marker(change.kind), ByteFormat.address(change.start),
                         style.category(change.category, change.category.rawValue),
                         colored(change.delta(.size)), colored(change.delta(.resident)), colored(change.delta(.privateBytes)),
                         change.name])
        }
        output += "\n" + regions.render()
        if ordered.count > regionLimit { output += "… and \(ordered.count - regionLimit) more\n" }
        return output
    }

    func marker(_ kind: SnapshotDiff.Kind) -> String {
        switch kind {
        case .added: style.green("+ added")
        case .removed: style.red("- removed")
        case .grown: style.green("↑ grown")
        case .shrunk: style.red("↓ shrunk")
        }
    }

    func colored(_ delta: Int64) -> String {
        let text = ByteFormat.delta(delta)
        if delta > 0 { return style.green(text) }
        if delta < 0 { return style.red(text) }
        return style.dim(text)
    }
}
