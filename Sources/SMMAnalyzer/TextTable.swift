/// A plain text table: left-aligned first columns, right-aligned numbers, widths measured without ANSI escapes.
struct TextTable {
    var headings: [String]
    var rightAligned: Set<Int>
    var rows: [[String]] = []

    init(headings: [String], rightAligned: Set<Int>) {
        self.headings = headings
        self.rightAligned = rightAligned
    }

    mutating func add(_ row: [String]) { rows.append(row) }

    func render() -> String {
        let all = [headings] + rows
        var widths = [Int](repeating: 0, count: headings.count)
        for row in all {
            for (column, cell) in row.enumerated() where column < widths.count {
                widths[column] = max(widths[column], Self.visibleWidth(cell))
            }
        }
        var output = ""
        for row in all {
            var line = ""
            for (column, cell) in row.enumerated() where column < widths.count {
                let padding = String(repeating: " ", count: widths[column] - Self.visibleWidth(cell))
                if column > 0 { line += "  " }
                line += rightAligned.contains(column) ? padding + cell : (column == widths.count - 1 ? cell : cell + padding)
            }
            while line.hasSuffix(" ") { line.removeLast() }
            output += line + "\n"
        }
        return output
    }

    /// Characters that show: escapes `ESC [ … m` do not count.
    static func visibleWidth(_ text: String) -> Int {
        var width = 0
        var inEscape = false
        for scalar in text.unicodeScalars {
            if inEscape {
                if scalar == "m" { inEscape = false }
            } else if scalar == "\u{1B}" {
                inEscape = true
            } else {
                width += 1
            }
        }
        return width
    }
}
