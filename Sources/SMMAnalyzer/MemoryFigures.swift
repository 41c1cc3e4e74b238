/// The figures VMMap shows for a region or a category, in bytes.
public struct MemoryFigures: Codable, Equatable, Sendable {
    /// Virtual size.
    public var size: UInt64 = 0
    /// Bytes backed by the commit charge or by a file (see `Categorizer.committedBytes`).
    public var committed: UInt64 = 0
    /// Resident pages (Rss): the working set.
    public var resident: UInt64 = 0
    /// Private resident pages, USS: Private_Clean + Private_Dirty.
    public var privateBytes: UInt64 = 0
    /// Shared resident pages: Shared_Clean + Shared_Dirty.
    public var shared: UInt64 = 0
    /// Proportional set size.
    public var pss: UInt64 = 0
    /// Swapped-out bytes.
    public var swap: UInt64 = 0
    /// mlock'ed bytes.
    public var locked: UInt64 = 0
    /// Modified resident pages: Private_Dirty + Shared_Dirty.
    public var dirty: UInt64 = 0

    /// All zeros.
    public init() {}

    /// Figures with the given values; unspecified ones are zero.
    public init(size: UInt64 = 0, committed: UInt64 = 0, resident: UInt64 = 0, privateBytes: UInt64 = 0,
                shared: UInt64 = 0, pss: UInt64 = 0, swap: UInt64 = 0, locked: UInt64 = 0, dirty: UInt64 = 0) {
        self.size = size
        self.committed = committed
        self.resident = resident
        self.privateBytes = privateBytes
        self.shared = shared
        self.pss = pss
        self.swap = swap
        self.locked = locked
        self.dirty = dirty
    }

    enum CodingKeys: String, CodingKey {
        case size, committed, resident, privateBytes = "private", shared, pss, swap, locked, dirty
    }

    /// Adds `other` field by field.
    public static func += (lhs: inout MemoryFigures, rhs: MemoryFigures) {
        lhs.size += rhs.size
        lhs.committed += rhs.committed
        lhs.resident += rhs.resident
        lhs.privateBytes += rhs.privateBytes
        lhs.shared += rhs.shared
        lhs.pss += rhs.pss
        lhs.swap += rhs.swap
        lhs.locked += rhs.locked
        lhs.dirty += rhs.dirty
    }

    /// The figure named `field`, for sorting and diffs.
    public subscript(field: Field) -> UInt64 {
        switch field {
        case .size: size
        case .committed: committed
        case .resident: resident
        case .privateBytes: privateBytes
        case .shared: shared
        case .pss: pss
        case .swap: swap
        case .locked: locked
        case .dirty: dirty
        }
    }

    /// Names of the figures, in display order.
    public enum Field: String, CaseIterable, Codable, Sendable {
        case size, committed, resident, privateBytes = "private", shared, pss, swap, locked, dirty

        /// The column heading.
        public var heading: String {
            switch self {
            case .size: "Size"
            case .committed: "Committed"
            case .resident: "Resident"
            case .privateBytes: "Private"
            case .shared: "Shared"
            case .pss: "PSS"
            case .swap: "Swap"
            case .locked: "Locked"
            case .dirty: "Dirty"
            }
        }
    }
}
