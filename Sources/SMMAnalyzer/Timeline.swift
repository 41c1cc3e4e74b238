/// A series of per-category samples of one process, as `smm watch` records them.
public struct Timeline: Codable, Equatable, Sendable {
    /// The value of `format` in every samples file.
    public static let formatName = "swiftmm-samples"
    /// The layout version this code writes.
    public static let currentVersion = 1

    /// Always `formatName`.
    public var format: String = Timeline.formatName
    /// The layout version.
    public var version: Int = Timeline.currentVersion
    /// The process watched.
    public var pid: Int32
    /// Its command line.
    public var command: String
    /// Seconds between samples, as requested.
    public var interval: Double
    /// The samples, oldest first.
    public var samples: [Sample] = []
    /// True when recording stopped because the process exited.
    public var processExited: Bool = false

    /// An empty timeline of `pid`.
    public init(pid: Int32, command: String, interval: Double) {
        self.pid = pid
        self.command = command
        self.interval = interval
    }

    /// Appends a sample of `snapshot`, timed relative to the first sample.
    public mutating func record(_ snapshot: Snapshot) {
        let origin = samples.first.map { $0.capturedAt - $0.time } ?? snapshot.capturedAt
        samples.append(Sample(time: snapshot.capturedAt - origin, capturedAt: snapshot.capturedAt,
                              categories: snapshot.categories, total: snapshot.total))
    }

    /// One moment of the timeline.
    public struct Sample: Codable, Equatable, Sendable {
        /// Seconds since the first sample.
        public var time: Double
        /// Seconds since 1970.
        public var capturedAt: Double
        /// Per-category totals.
        public var categories: [CategorySummary]
        /// Totals over all categories but Free.
        public var total: MemoryFigures

        /// Creates a sample.
        public init(time: Double, capturedAt: Double, categories: [CategorySummary], total: MemoryFigures) {
            self.time = time
            self.capturedAt = capturedAt
            self.categories = categories
            self.total = total
        }

        /// The figure `field` of `category` in this sample.
        public func value(_ category: Category, _ field: MemoryFigures.Field) -> UInt64 {
            categories.first { $0.category == category }?.figures[field] ?? 0
        }
    }
}
