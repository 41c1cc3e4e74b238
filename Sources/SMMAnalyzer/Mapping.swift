/// One line of `/proc/PID/maps` and, when read from smaps, the page counts that follow it.
public struct Mapping: Equatable, Sendable {
    /// First address of the mapping.
    public var start: UInt64
    /// One past the last address of the mapping.
    public var end: UInt64
    /// The four permission letters, such as `r-xp`.
    public var permissions: Permissions
    /// Offset into the file, or the page offset for anonymous maps.
    public var offset: UInt64
    /// `major:minor` of the backing device, as printed (`00:00` for anonymous maps).
    public var device: String
    /// Inode of the backing file, 0 for anonymous maps.
    public var inode: UInt64
    /// The path or pseudo-name (`[heap]`, `[anon:name]`), without a ` (deleted)` suffix; empty when none.
    public var path: String
    /// The kernel printed ` (deleted)` after the path: the file was unlinked after it was mapped.
    public var isDeleted: Bool
    /// The smaps page counts; all zero when read from `maps`.
    public var usage: SmapsUsage
    /// The `VmFlags` two-letter flags, nil when the kernel printed none.
    public var vmFlags: String?

    /// Creates a mapping; `usage` defaults to all zeros.
    public init(start: UInt64, end: UInt64, permissions: Permissions, offset: UInt64 = 0, device: String = "00:00",
                inode: UInt64 = 0, path: String = "", isDeleted: Bool = false, usage: SmapsUsage = SmapsUsage(),
                vmFlags: String? = nil) {
        self.start = start
        self.end = end
        self.permissions = permissions
        self.offset = offset
        self.device = device
        self.inode = inode
        self.path = path
        self.isDeleted = isDeleted
        self.usage = usage
        self.vmFlags = vmFlags
    }

    /// Virtual size in bytes.
    public var size: UInt64 { end - start }
    /// True when a file backs the mapping (an absolute path with an inode), false for anonymous and pseudo maps.
    public var isFileBacked: Bool { inode != 0 && path.hasPrefix("/") }
    /// True for maps with no name at all: plain anonymous memory.
    public var isAnonymous: Bool { path.isEmpty }
    /// The name set with `PR_SET_VMA_ANON_NAME`, from `[anon:NAME]`; nil for other maps.
    public var anonymousName: Substring? {
        guard path.hasPrefix("[anon:"), path.hasSuffix("]") else { return nil }
        return path.dropFirst(6).dropLast()
    }
    /// True when `VmFlags` contains the two-letter flag `flag`.
    public func hasVmFlag(_ flag: String) -> Bool {
        guard let vmFlags else { return false }
        return vmFlags.split(separator: " ").contains { $0 == flag }
    }
}

/// The permission letters of a mapping: `r`, `w`, `x`, and `s` (shared) or `p` (private).
public struct Permissions: Equatable, Hashable, Sendable, CustomStringConvertible {
    /// Readable.
    public var read: Bool
    /// Writable.
    public var write: Bool
    /// Executable.
    public var execute: Bool
    /// Shared (`s`) rather than private copy-on-write (`p`).
    public var shared: Bool

    /// Creates permissions from their four flags.
    public init(read: Bool, write: Bool, execute: Bool, shared: Bool) {
        self.read = read
        self.write = write
        self.execute = execute
        self.shared = shared
    }

    /// Parses the four letters as `/proc/PID/maps` prints them, such as `rw-p`.
    public init(_ text: String) {
        let letters = Array(text.utf8)
        func letter(_ index: Int, _ expected: UInt8) -> Bool { index < letters.count && letters[index] == expected }
        self.init(read: letter(0, UInt8(ascii: "r")), write: letter(1, UInt8(ascii: "w")),
                  execute: letter(2, UInt8(ascii: "x")), shared: letter(3, UInt8(ascii: "s")))
    }

    /// No access at all (`PROT_NONE`): a guard page or a reservation.
    public var isInaccessible: Bool { !read && !write && !execute }

    public var description: String {
        (read ? "r" : "-") + (write ? "w" : "-") + (execute ? "x" : "-") + (shared ? "s" : "p")
    }
}

/// The smaps fields SwiftMM uses, in bytes. Fields a kernel does not print stay zero.
public struct SmapsUsage: Equatable, Sendable {
    public var rss: UInt64 = 0
    public var pss: UInt64 = 0
    public var sharedClean: UInt64 = 0
    public var sharedDirty: UInt64 = 0
    public var privateClean: UInt64 = 0
    public var privateDirty: UInt64 = 0
    public var anonymous: UInt64 = 0
    public var swap: UInt64 = 0
    public var swapPss: UInt64 = 0
    public var locked: UInt64 = 0

    /// All zeros.
    public init() {}
}
