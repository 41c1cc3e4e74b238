/// Draws a timeline in the terminal: a column chart of one figure's total, then a sparkline per category.
public struct TimelineChartRenderer {
    /// Colors on or off.
    public var style: TerminalStyle
    /// Columns of the chart; longer timelines are resampled to fit.
    public var width: Int
    /// Rows of the column chart.
    public var height: Int

    /// A renderer with `style`, `width` columns and `height` rows.
    public init(style: TerminalStyle, width: Int = 60, height: Int = 8) {
        self.style = style
        self.width = max(width, 4)
        self.height = max(height, 2)
    }

    static let blocks: [Character] = [" ", "▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"]

    /// The chart of `field` (resident by default).
    public func render(_ timeline: Timeline, field: MemoryFigures.Field = .resident) -> String {
        guard let last = timeline.samples.last else { return "no samples\n" }
        var output = style.bold("\(field.heading) of process \(timeline.pid)") + " over \(ByteFormat.decimal(last.time)) s, "
            + "\(timeline.samples.count) samples" + (timeline.processExited ? " (process exited)" : "") + "\n"
        let totals = resample(timeline.samples.map { $0.total[field] })
        let peak = max(totals.max() ?? 1, 1)
        let labelWidth = 10
        for row in stride(from: height - 1, through: 0, by: -1) {
            let label = row == height - 1 ? ByteFormat.string(peak) : (row == 0 ? "0" : "")
            var line = String(repeating: " ", count: max(0, labelWidth - label.count)) + label + " ┤"
            for value in totals {
                let eighths = Int((Double(value) / Double(peak) * Double(height * 8)).rounded())
                let filled = eighths - row * 8
                line.append(Self.blocks[min(max(filled, 0), 8)])
            }
            output += line + "\n"
        }
        output += String(repeating: " ", count: labelWidth + 1) + "└" + String(repeating: "─", count: totals.count) + "\n"
        output += String(repeating: " ", count: labelWidth + 2) + "0 s" + String(repeating: " ", count: max(1, totals.count - 8))
            + "\(ByteFormat.decimal(last.time)) s\n\n"
        let categoryWidth = Category.allCases.map(\.rawValue.count).max() ?? 12
        for category in Category.allCases where category != .free {
            let values = resample(timeline.samples.map { $0.value(category, field) })
            guard let highest = values.max(), highest > 0 else { continue }
            let lowest = values.min() ?? 0
            let spark = String(values.map { value -> Character in
                highest == lowest ? Self.blocks[4] : Self.blocks[1 + Int(Double(value - lowest) / Double(highest - lowest) * 7)]
            })
            let name = category.rawValue + String(repeating: " ", count: categoryWidth - category.rawValue.count)
            output += style.category(category, name + " " + spark)
                + "  \(ByteFormat.string(values.first ?? 0)) → \(ByteFormat.string(values.last ?? 0)), peak \(ByteFormat.string(highest))\n"
        }
        return output
    }

    /// `values` stretched or squeezed to at most `width` columns (max of each bucket).
    func resample(_ values: [UInt64]) -> [UInt64] {
        guard values.count > width else { return values }
        return (0..<width).map { column in
            let from = column * values.count / width
            let to = max(from + 1, (column + 1) * values.count / width)
            return values[from..<to].max() ?? 0
        }
    }
}
