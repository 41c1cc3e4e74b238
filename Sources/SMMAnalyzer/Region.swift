/// One mapping (or one free gap) of a snapshot, with the category it was sorted into.
public struct Region: Codable, Equatable, Sendable {
    /// First address.
    public var start: UInt64
    /// One past the last address.
    public var end: UInt64
    /// The permission letters, such as `rw-p`; empty for free gaps.
    public var permissions: String
    /// Offset into the backing file.
    public var offset: UInt64
    /// `major:minor` of the backing device.
    public var device: String
    /// Inode of the backing file, 0 when none.
    public var inode: UInt64
    /// Path or pseudo-name, without ` (deleted)`.
    public var path: String
    /// The backing file was deleted.
    public var deleted: Bool
    /// The VMMap category.
    public var category: Category
    /// What the region is within its category: a module name, "thread 123 (worker)", "glibc arena", …
    public var detail: String
    /// The region's figures.
    public var figures: MemoryFigures
    /// `VmFlags`, when smaps printed them.
    public var vmFlags: String?

    /// Creates a region.
    public init(start: UInt64, end: UInt64, permissions: String, offset: UInt64 = 0, device: String = "00:00",
                inode: UInt64 = 0, path: String = "", deleted: Bool = false, category: Category, detail: String = "",
                figures: MemoryFigures, vmFlags: String? = nil) {
        self.start = start
        self.end = end
        self.permissions = permissions
        self.offset = offset
        self.device = device
        self.inode = inode
        self.path = path
        self.deleted = deleted
        self.category = category
        self.detail = detail
        self.figures = figures
        self.vmFlags = vmFlags
    }

    /// Virtual size in bytes.
    public var size: UInt64 { end - start }

    /// The name to show: the path (marked when deleted), else the detail.
    public var displayName: String {
        if path.isEmpty { return detail }
        return deleted ? path + " (deleted)" : path
    }
}
