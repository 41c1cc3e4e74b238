import Foundation

/// Builds the self-contained HTML report: one file with its styles, script and data inline, and no
/// network loads. The page draws the address-space map, the category summary, a sortable region
/// table, and a timeline when samples are given. When its script finishes without an exception it
/// sets `data-smm-status="ready"` on `<body>` (tests look for that in the rendered DOM); an exception
/// sets it to `error` and shows the message.
public enum HTMLReport {
    /// The data the page's script reads, embedded as JSON.
    struct Payload: Encodable {
        struct RegionRow: Encodable {
            var start: String
            var end: String
            var size: Double
            var perm: String
            var category: String
            var name: String
            var figures: [String: Double]
        }
        struct CategoryRow: Encodable {
            var category: String
            var color: String
            var regions: Int
            var figures: [String: Double]
        }
        struct SamplePoint: Encodable {
            var time: Double
            var resident: [String: Double]
        }
        var pid: Int32
        var command: String
        var capturedAt: Double
        var fields: [String]
        var headings: [String]
        var categories: [CategoryRow]
        var regions: [RegionRow]
        var threads: [ThreadStack]
        var largestFree: Double
        var samples: [SamplePoint]
    }

    /// The HTML page for `snapshot`, with the timeline of `timeline` when given.
    public static func render(_ snapshot: Snapshot, timeline: Timeline? = nil) -> String {
        let fields = MemoryFigures.Field.allCases
        func figures(_ value: MemoryFigures) -> [String: Double] {
            Dictionary(uniqueKeysWithValues: fields.map { ($0.rawValue, Double(value[$0])) })
        }
        let payload = Payload(
            pid: snapshot.pid, command: snapshot.command, capturedAt: snapshot.capturedAt,
            fields: fields.map(\.rawValue), headings: fields.map(\.heading),
            categories: snapshot.categories.map {
                .init(category: $0.category.rawValue, color: TerminalStyle.htmlColor($0.category), regions: $0.regionCount,
                      figures: figures($0.figures))
            },
            regions: snapshot.regions.map {
                .init(start: ByteFormat.address($0.start), end: ByteFormat.address($0.end), size: Double($0.size),
                      perm: $0.permissions, category: $0.category.rawValue,
                      name: $0.path.isEmpty ? $0.detail : $0.displayName + ($0.category == .stack || $0.category == .heap ? " — " + $0.detail : ""),
                      figures: figures($0.figures))
            },
            threads: snapshot.threads, largestFree: Double(snapshot.free.largestBlock),
            samples: (timeline?.samples ?? []).map { sample in
                .init(time: sample.time, resident: Dictionary(uniqueKeysWithValues: sample.categories.map {
                    ($0.category.rawValue, Double($0.figures.resident))
                }))
            })
        // "<" becomes "\u003c" (and JSONEncoder writes "/" as "\/"), so no tag can appear inside the data.
        let data = String(decoding: SnapshotCoding.encodeCompact(payload), as: UTF8.self)
            .replacingOccurrences(of: "<", with: "\\u003c")
        let title = "smm report: PID \(snapshot.pid) \(escape(snapshot.command))"
        return """
            <!DOCTYPE html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>\(title)</title>
            <style>
            \(HTMLReportAssets.stylesheet)
            </style>
            </head>
            <body data-smm-status="loading">
            <header><h1>\(title)</h1><p id="meta"></p><p id="status" class="status"></p></header>
            <section><h2>Address space</h2>
            <p class="note">Each region's width grows with the logarithm of its size, so small regions stay visible. Hover for details.</p>
            <div id="map" class="map"></div><div id="legend" class="legend"></div></section>
            <section><h2>Summary</h2><table id="summary"></table></section>
            <section id="timeline-section" hidden><h2>Timeline (resident)</h2><div id="timeline"></div></section>
            <section><h2>Threads</h2><table id="threads"></table></section>
            <section><h2>Regions</h2>
            <p class="note">Click a heading to sort. <label>Category <select id="filter"><option value="">all</option></select></label></p>
            <table id="details" class="sortable"></table></section>
            <script type="application/json" id="smm-data">\(data)</script>
            <script>
            \(HTMLReportAssets.script)
            </script>
            </body>
            </html>

            """
    }

    /// `text` with HTML's special characters escaped.
    public static func escape(_ text: String) -> String {
        var result = ""
        for character in text {
            switch character {
            case "&": result += "&amp;"
            case "<": result += "&lt;"
            case ">": result += "&gt;"
            case "\"": result += "&quot;"
            case "'": result += "&#39;"
            default: result.append(character)
            }
        }
        return result
    }
}
