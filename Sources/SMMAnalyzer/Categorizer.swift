/// A thread as read from `/proc/PID/task/TID/`, before its stack is matched to a mapping.
public struct ThreadObservation: Equatable, Sendable {
    /// Thread ID.
    public var tid: Int32
    /// Thread name (`comm`).
    public var name: String
    /// What `syscall` said.
    public var syscall: ThreadSyscallState

    /// Creates an observation.
    public init(tid: Int32, name: String, syscall: ThreadSyscallState) {
        self.tid = tid
        self.name = name
        self.syscall = syscall
    }
}

/// Sorts mappings into VMMap's categories.
///
/// The rules, in the order they apply to each mapping:
/// 1. **Kernel-provided:** `[vdso]`, `[vvar…]`, `[vsyscall]`, `[uprobes]`.
/// 2. **Heap:** `[heap]` (brk), named allocator regions (`[anon:swiftmm-…]`, names with malloc, arena,
///    heap, jemalloc, tcmalloc, mimalloc, scudo), and glibc arenas: an anonymous read-write map that starts
///    on a 64 MiB boundary and, with the `PROT_NONE` map right after it, fills exactly 64 MiB. On kernels
///    without `CONFIG_ANON_VMA_NAME` SwiftMM's maps have no name; when `libswiftmm.so` is loaded, unnamed
///    read-write maps that are whole 4 MiB-aligned segments are taken as SwiftMM segments.
/// 3. **Stack:** `[stack]` (the main thread) and every mapping holding a thread's stack pointer, with the
///    small `PROT_NONE` guard right below it.
/// 4. **Shareable:** memfd, `/dev/shm`, SysV segments, and shared anonymous maps.
/// 5. **Image:** every map of a file that has an executable map, plus the anonymous `.bss` map that starts
///    where the module's writable segment ends. Other file maps are **Mapped File**.
/// 6. **Reserved:** remaining `PROT_NONE` maps; **Private Data:** the rest.
/// **Free** is each gap between two mappings; **Page Table** is `VmPTE`.
public enum Categorizer {
    /// The alignment and size of a glibc non-main arena heap on 64-bit systems (HEAP_MAX_SIZE).
    public static let glibcArenaSize: UInt64 = 64 << 20
    /// Largest `PROT_NONE` map below a stack that is taken as its guard.
    public static let largestStackGuard: UInt64 = 1 << 20
    /// Size and alignment of SwiftMM's segments (`Geometry.segmentSize` in the allocator).
    public static let swiftMMSegmentSize: UInt64 = 4 << 20

    /// Builds a snapshot from parsed `/proc` data.
    public static func snapshot(pid: Int32, command: String, capturedAt: Double, mappings unsorted: [Mapping],
                                status: ProcessStatus, threads observations: [ThreadObservation]) -> Snapshot {
        let mappings = unsorted.isSorted ? unsorted : unsorted.sorted { $0.start < $1.start }
        let (threads, stackOwners) = locateStacks(pid: pid, mappings: mappings, observations: observations)
        var imagePaths = Set<String>()
        for mapping in mappings where mapping.permissions.execute && mapping.isFileBacked && !isShareable(mapping) {
            imagePaths.insert(mapping.path)
        }

        let swiftMMLoaded = imagePaths.contains { lastPathComponent($0).hasPrefix("libswiftmm") }
        var regions: [Region] = []
        regions.reserveCapacity(mappings.count + 16)
        var free = FreeSpace()
        var arenaTailIndex = -1
        for index in mappings.indices {
            let mapping = mappings[index]
            if index > 0 { appendGap(from: mappings[index - 1].end, to: mapping.start, into: &regions, free: &free) }
            var category: Category
            var detail = ""
            if isKernelProvided(mapping.path) {
                category = .kernel
                detail = mapping.path
            } else if let allocator = allocatorName(mapping) {
                category = .heap
                detail = allocator
            } else if mapping.path == "[stack]" || mapping.path.hasPrefix("[stack:") {
                category = .stack
                detail = "main thread \(pid)"
            } else if let owner = stackOwners[index] {
                category = .stack
                detail = "thread \(owner.tid) (\(owner.name))"
            } else if isShareable(mapping) {
                category = .shareable
                detail = shareableKind(mapping)
            } else if mapping.isFileBacked || mapping.path.hasPrefix("/") {
                let isImage = imagePaths.contains(mapping.path)
                category = isImage ? .image : .mappedFile
                detail = lastPathComponent(mapping.path)
            } else if index == arenaTailIndex {
                category = .heap
                detail = "glibc arena (reserved)"
            } else if mapping.isAnonymous, let bssOf = bssOwner(index, mappings, regions) {
                category = .image
                detail = bssOf + " .bss"
            } else if mapping.isAnonymous, isGlibcArena(index, mappings) {
                category = .heap
                detail = "glibc arena"
                if mapping.end - mapping.start < glibcArenaSize { arenaTailIndex = index + 1 }
            } else if swiftMMLoaded, isUnnamedSwiftMMSegment(mapping) {
                category = .heap
                detail = "SwiftMM segment (unnamed)"
            } else if mapping.permissions.isInaccessible, index + 1 < mappings.count,
                      let owner = stackOwners[index + 1], mappings[index + 1].start == mapping.end,
                      mapping.size <= largestStackGuard {
                category = .stack
                detail = "guard of thread \(owner.tid)"
            } else if mapping.permissions.isInaccessible {
                category = .reserved
                detail = mapping.anonymousName.map(String.init) ?? "reserved"
            } else {
                category = .privateData
                detail = mapping.anonymousName.map(String.init) ?? "private"
            }
            regions.append(Region(
                start: mapping.start, end: mapping.end, permissions: mapping.permissions.description,
                offset: mapping.offset, device: mapping.device, inode: mapping.inode, path: mapping.path,
                deleted: mapping.isDeleted, category: category, detail: detail,
                figures: figures(of: mapping), vmFlags: mapping.vmFlags))
        }
        return Snapshot(pid: pid, command: command, capturedAt: capturedAt, status: status, threads: threads,
                        regions: regions, categories: summarize(regions, pageTables: status.vmPTE), free: free)
    }

    /// The figures of one mapping.
    public static func figures(of mapping: Mapping) -> MemoryFigures {
        let usage = mapping.usage
        return MemoryFigures(
            size: mapping.size, committed: committedBytes(mapping), resident: usage.rss,
            privateBytes: usage.privateClean + usage.privateDirty, shared: usage.sharedClean + usage.sharedDirty,
            pss: usage.pss, swap: usage.swap, locked: usage.locked, dirty: usage.privateDirty + usage.sharedDirty)
    }

    /// Bytes of `mapping` that are committed: all of it when the kernel accounts it (`ac` in VmFlags) or
    /// a file or shared memory backs it; none when it is `PROT_NONE` or unaccounted. Without VmFlags
    /// (plain `maps`), private writable maps count as accounted.
    public static func committedBytes(_ mapping: Mapping) -> UInt64 {
        if mapping.permissions.isInaccessible { return 0 }
        if mapping.isFileBacked || mapping.permissions.shared { return mapping.size }
        if let flags = mapping.vmFlags { return hasFlag(flags, "ac") ? mapping.size : 0 }
        return mapping.permissions.write ? mapping.size : 0
    }

    /// Category totals in display order, with Page Table from `VmPTE`.
    public static func summarize(_ regions: [Region], pageTables: UInt64) -> [CategorySummary] {
        var totals = [Category: CategorySummary]()
        for region in regions {
            totals[region.category, default: CategorySummary(category: region.category, regionCount: 0, figures: MemoryFigures())]
                .regionCount += 1
            totals[region.category]!.figures += region.figures
        }
        totals[.pageTable] = CategorySummary(category: .pageTable, regionCount: 0, figures: MemoryFigures(
            size: pageTables, committed: pageTables, resident: pageTables, privateBytes: pageTables, pss: pageTables, dirty: pageTables))
        return Category.allCases.map { totals[$0] ?? CategorySummary(category: $0, regionCount: 0, figures: MemoryFigures()) }
    }

    // MARK: - Rules

    static func isKernelProvided(_ path: String) -> Bool {
        path == "[vdso]" || path.hasPrefix("[vvar") || path == "[vsyscall]" || path == "[uprobes]" || path == "[sigpage]" || path == "[vectors]"
    }

    /// The allocator a mapping belongs to, from its name; nil when it is not an allocator's.
    static func allocatorName(_ mapping: Mapping) -> String? {
        if mapping.path == "[heap]" { return "brk heap" }
        guard let name = mapping.anonymousName else { return nil }
        if name.hasPrefix("swiftmm") { return "SwiftMM " + name.dropFirst("swiftmm".count).drop { $0 == "-" } }
        let lowered = name.lowercased()
        for hint in ["malloc", "arena", "heap", "jemalloc", "tcmalloc", "mimalloc", "scudo", "snmalloc"] where lowered.contains(hint) {
            return String(name)
        }
        return nil
    }

    static func isShareable(_ mapping: Mapping) -> Bool {
        let path = mapping.path
        if path.hasPrefix("/memfd:") || path.hasPrefix("/dev/shm/") || path.hasPrefix("/SYSV") || path.hasPrefix("[anon_shmem") { return true }
        return mapping.permissions.shared && (path.isEmpty || path == "/dev/zero" || path.hasPrefix("[anon:"))
    }

    static func shareableKind(_ mapping: Mapping) -> String {
        let path = mapping.path
        if path.hasPrefix("/memfd:") { return "memfd " + path.dropFirst("/memfd:".count) }
        if path.hasPrefix("/dev/shm/") { return "POSIX shm " + path.dropFirst("/dev/shm/".count) }
        if path.hasPrefix("/SYSV") { return "SysV segment " + path.dropFirst("/SYSV".count) }
        return "shared anonymous"
    }

    /// The module an anonymous map is the `.bss` of: it starts exactly where a writable Image map ends.
    static func bssOwner(_ index: Int, _ mappings: [Mapping], _ regions: [Region]) -> String? {
        guard index > 0, let previous = regions.last, previous.category == .image else { return nil }
        let before = mappings[index - 1]
        guard before.end == mappings[index].start, before.permissions.write, before.isFileBacked else { return nil }
        return lastPathComponent(before.path)
    }

    /// A glibc arena heap: 64 MiB-aligned, read-write, and (with a `PROT_NONE` tail) exactly 64 MiB.
    static func isGlibcArena(_ index: Int, _ mappings: [Mapping]) -> Bool {
        let mapping = mappings[index]
        guard mapping.start % glibcArenaSize == 0, mapping.permissions.read, mapping.permissions.write,
              !mapping.permissions.shared else { return false }
        let arenaEnd = mapping.start + glibcArenaSize
        if mapping.end == arenaEnd { return true }
        guard mapping.end < arenaEnd, index + 1 < mappings.count else { return false }
        let tail = mappings[index + 1]
        return tail.start == mapping.end && tail.end == arenaEnd && tail.isAnonymous && tail.permissions.isInaccessible
    }

    /// An unnamed private read-write map made of whole, aligned SwiftMM segments.
    static func isUnnamedSwiftMMSegment(_ mapping: Mapping) -> Bool {
        mapping.isAnonymous && mapping.permissions.read && mapping.permissions.write && !mapping.permissions.shared
            && mapping.start % swiftMMSegmentSize == 0 && mapping.size % swiftMMSegmentSize == 0
    }

    /// Matches each thread's stack pointer to the mapping that holds it.
    static func locateStacks(pid: Int32, mappings: [Mapping], observations: [ThreadObservation])
        -> (threads: [ThreadStack], owners: [Int: ThreadObservation]) {
        var owners = [Int: ThreadObservation]()
        var threads: [ThreadStack] = []
        let mainStack = mappings.firstIndex { $0.path == "[stack]" }
        for observation in observations.sorted(by: { $0.tid < $1.tid }) {
            var thread = ThreadStack(tid: observation.tid, name: observation.name, state: "unknown")
            var holder: Int?
            switch observation.syscall {
            case .blocked(let stackPointer, _):
                thread.state = "blocked"
                thread.stackPointer = stackPointer
                holder = mappingIndex(containing: stackPointer, in: mappings)
            case .running:
                thread.state = "running"
            case .unknown:
                break
            }
            if observation.tid == pid, holder == nil || holder == mainStack { holder = mainStack }
            if let holder {
                thread.stackStart = mappings[holder].start
                thread.stackEnd = mappings[holder].end
                if mappings[holder].path != "[stack]", owners[holder] == nil { owners[holder] = observation }
            }
            threads.append(thread)
        }
        return (threads, owners)
    }

    /// Binary search for the mapping that contains `address`.
    static func mappingIndex(containing address: UInt64, in mappings: [Mapping]) -> Int? {
        var low = 0
        var high = mappings.count
        while low < high {
            let middle = (low + high) / 2
            if mappings[middle].end <= address { low = middle + 1 } else { high = middle }
        }
        return low < mappings.count && mappings[low].start <= address ? low : nil
    }

    static func appendGap(from start: UInt64, to end: UInt64, into regions: inout [Region], free: inout FreeSpace) {
        guard end > start, end < 0xffff_8000_0000_0000 else { return }
        let size = end - start
        regions.append(Region(start: start, end: end, permissions: "", category: .free, detail: "free",
                              figures: MemoryFigures(size: size)))
        free.total += size
        free.blockCount += 1
        if size > free.largestBlock {
            free.largestBlock = size
            free.largestBlockStart = start
        }
    }

    /// True when the space-separated two-letter flag list `flags` contains `flag`.
    static func hasFlag(_ flags: String, _ flag: StaticString) -> Bool {
        let wanted = flag.utf8Start
        var utf8 = flags.utf8.makeIterator()
        while let first = utf8.next() {
            guard let second = utf8.next() else { return false }
            if first == wanted[0] && second == wanted[1] { return true }
            _ = utf8.next()
        }
        return false
    }

    static func lastPathComponent(_ path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return path }
        return String(path[path.index(after: slash)...])
    }
}

extension Array where Element == Mapping {
    var isSorted: Bool {
        var previous: UInt64 = 0
        for mapping in self {
            if mapping.start < previous { return false }
            previous = mapping.start
        }
        return true
    }
}
