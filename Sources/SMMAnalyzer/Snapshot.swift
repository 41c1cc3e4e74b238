/// Everything `smm map` knows about a process at one moment: a plain value, Codable as versioned JSON.
public struct Snapshot: Codable, Equatable, Sendable {
    /// The value of `format` in every snapshot file.
    public static let formatName = "swiftmm-snapshot"
    /// The snapshot layout this code writes and reads.
    public static let currentVersion = 1

    /// Always `formatName`: identifies the file.
    public var format: String = Snapshot.formatName
    /// The layout version; readers refuse versions they do not know.
    public var version: Int = Snapshot.currentVersion
    /// The process ID.
    public var pid: Int32
    /// The command line, arguments separated by spaces.
    public var command: String
    /// When the snapshot was taken, in seconds since 1970.
    public var capturedAt: Double
    /// Lines of `/proc/PID/status`.
    public var status: ProcessStatus
    /// Every thread and the stack it runs on.
    public var threads: [ThreadStack]
    /// Every mapping and free gap, in address order.
    public var regions: [Region]
    /// Totals per category, in category order, including Page Table and Free.
    public var categories: [CategorySummary]
    /// The free address space between mappings.
    public var free: FreeSpace

    /// Creates a snapshot.
    public init(pid: Int32, command: String, capturedAt: Double, status: ProcessStatus, threads: [ThreadStack],
                regions: [Region], categories: [CategorySummary], free: FreeSpace) {
        self.pid = pid
        self.command = command
        self.capturedAt = capturedAt
        self.status = status
        self.threads = threads
        self.regions = regions
        self.categories = categories
        self.free = free
    }

    /// The totals of `category` (zero figures when it has no region).
    public func summary(of category: Category) -> CategorySummary {
        categories.first { $0.category == category } ?? CategorySummary(category: category, regionCount: 0, figures: MemoryFigures())
    }

    /// Totals over every category except Free.
    public var total: MemoryFigures {
        var sum = MemoryFigures()
        for summary in categories where summary.category != .free { sum += summary.figures }
        return sum
    }
}

/// The totals of one category.
public struct CategorySummary: Codable, Equatable, Sendable {
    /// The category.
    public var category: Category
    /// How many regions it has.
    public var regionCount: Int
    /// Its figures, summed over its regions.
    public var figures: MemoryFigures

    /// Creates a summary.
    public init(category: Category, regionCount: Int, figures: MemoryFigures) {
        self.category = category
        self.regionCount = regionCount
        self.figures = figures
    }
}

/// The free gaps between mappings.
public struct FreeSpace: Codable, Equatable, Sendable {
    /// Sum of all gaps.
    public var total: UInt64 = 0
    /// Number of gaps.
    public var blockCount: Int = 0
    /// Size of the largest gap.
    public var largestBlock: UInt64 = 0
    /// Start of the largest gap.
    public var largestBlockStart: UInt64 = 0

    /// No free space.
    public init() {}
}

/// A thread and the mapping that holds its stack.
public struct ThreadStack: Codable, Equatable, Sendable {
    /// The thread ID.
    public var tid: Int32
    /// The thread name from `comm`.
    public var name: String
    /// `blocked` (stack pointer known), `running`, or `unknown`.
    public var state: String
    /// The stack pointer from `syscall`, when blocked.
    public var stackPointer: UInt64?
    /// Start of the mapping that holds the stack, nil when unknown.
    public var stackStart: UInt64?
    /// End of the mapping that holds the stack, nil when unknown.
    public var stackEnd: UInt64?

    /// Creates a thread record.
    public init(tid: Int32, name: String, state: String, stackPointer: UInt64? = nil, stackStart: UInt64? = nil, stackEnd: UInt64? = nil) {
        self.tid = tid
        self.name = name
        self.state = state
        self.stackPointer = stackPointer
        self.stackStart = stackStart
        self.stackEnd = stackEnd
    }
}
