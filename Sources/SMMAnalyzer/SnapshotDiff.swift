/// What changed between two snapshots: per category, and per region. A plain value; `SnapshotDiff.between`
/// is a pure function of its two inputs.
public struct SnapshotDiff: Codable, Equatable, Sendable {
    /// PID and time of the first snapshot.
    public var before: Moment
    /// PID and time of the second snapshot.
    public var after: Moment
    /// Every category, in display order, with its figures in both snapshots.
    public var categories: [CategoryChange]
    /// Regions added, removed, grown or shrunk; unchanged regions and free gaps are left out.
    public var regions: [RegionChange]

    /// Identifies a snapshot in a diff.
    public struct Moment: Codable, Equatable, Sendable {
        public var pid: Int32
        public var command: String
        public var capturedAt: Double
    }

    /// One category's figures before and after.
    public struct CategoryChange: Codable, Equatable, Sendable {
        public var category: Category
        public var before: MemoryFigures
        public var after: MemoryFigures

        /// `after - before` for `field`.
        public func delta(_ field: MemoryFigures.Field) -> Int64 { SnapshotDiff.delta(before[field], after[field]) }
    }

    /// How a region changed.
    public enum Kind: String, Codable, Sendable {
        case added, removed, grown, shrunk
    }

    /// One region that changed.
    public struct RegionChange: Codable, Equatable, Sendable {
        public var kind: Kind
        public var category: Category
        public var start: UInt64
        /// End in the later snapshot (in the earlier one for removed regions).
        public var end: UInt64
        public var name: String
        /// Figures before; nil when added.
        public var before: MemoryFigures?
        /// Figures after; nil when removed.
        public var after: MemoryFigures?

        /// `after - before` for `field`, a missing side counting as zero.
        public func delta(_ field: MemoryFigures.Field) -> Int64 {
            SnapshotDiff.delta(before?[field] ?? 0, after?[field] ?? 0)
        }
    }

    /// Compares `old` with `new`. Regions match when they start at the same address and have the same
    /// path; a matched region that changed size, or kept its size but changed its resident bytes, is
    /// grown or shrunk.
    public static func between(_ old: Snapshot, _ new: Snapshot) -> SnapshotDiff {
        struct Key: Hashable { var start: UInt64; var path: String }
        let oldRegions = old.regions.filter { $0.category != .free }
        let newRegions = new.regions.filter { $0.category != .free }
        var oldByKey = [Key: Region](minimumCapacity: oldRegions.count)
        for region in oldRegions { oldByKey[Key(start: region.start, path: region.path)] = region }
        var changes: [RegionChange] = []
        var matched = Set<Key>()
        for region in newRegions {
            let key = Key(start: region.start, path: region.path)
            guard let previous = oldByKey[key] else {
                changes.append(change(.added, region, before: nil, after: region.figures))
                continue
            }
            matched.insert(key)
            let sizeDelta = delta(previous.size, region.size)
            let residentDelta = delta(previous.figures.resident, region.figures.resident)
            let growth = sizeDelta != 0 ? sizeDelta : residentDelta
            if growth != 0 {
                changes.append(change(growth > 0 ? .grown : .shrunk, region, before: previous.figures, after: region.figures))
            }
        }
        for region in oldRegions where !matched.contains(Key(start: region.start, path: region.path)) {
            changes.append(change(.removed, region, before: region.figures, after: nil))
        }
        changes.sort { $0.start < $1.start }
        let categories = Category.allCases.map {
            CategoryChange(category: $0, before: old.summary(of: $0).figures, after: new.summary(of: $0).figures)
        }
        return SnapshotDiff(before: Moment(pid: old.pid, command: old.command, capturedAt: old.capturedAt),
                            after: Moment(pid: new.pid, command: new.command, capturedAt: new.capturedAt),
                            categories: categories, regions: changes)
    }

    static func change(_ kind: Kind, _ region: Region, before: MemoryFigures?, after: MemoryFigures?) -> RegionChange {
        RegionChange(kind: kind, category: region.category, start: region.start, end: region.end,
                     name: region.displayName, before: before, after: after)
    }

    static func delta(_ before: UInt64, _ after: UInt64) -> Int64 {
        after >= before ? Int64(clamping: after - before) : -Int64(clamping: before - after)
    }
}
