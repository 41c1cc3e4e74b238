// Pages (BrainMM's page API): runs of OS pages straight from mmap, resized with or without their contents,
// with access rights set by mprotect and read back from the kernel's view of the mappings.
import SwiftMMShim

enum Pages {
    static func bytes(_ count: Int) -> Int? {
        if count <= 0 || count > (1 &<< 34) { return nil }       // up to 64 TiB
        return count &<< 12
    }

    static func region(_ p: RawPointer?) -> Region? {
        guard let p, let r = Regions.find(UInt(bitPattern: p)), r.kind == RegionKind.pages else { return nil }
        return r
    }

    static func allocate(_ count: Int) -> RawPointer? {
        guard let size = bytes(count), let p = Platform.mapMemory(size, name: .pages) else { Platform.setErrno(ENOMEM); return nil }
        if !Regions.insert(Region(address: UInt(bitPattern: p), size: size, kind: RegionKind.pages, extra: 0)) {
            Platform.unmap(p, size, committed: size)
            Platform.setErrno(ENOMEM)
            return nil
        }
        return p
    }

    static func free(_ p: RawPointer?) -> Int32 {
        guard let p, region(p) != nil, let r = Regions.remove(UInt(bitPattern: p)) else { return EINVAL }
        Platform.unmap(p, r.size, committed: r.size)
        return 0
    }

    /// Resizes keeping the contents (`keep`) with mremap, or without: fresh zeroed read-write pages.
    static func resize(_ p: RawPointer?, _ count: Int, keep: Bool) -> RawPointer? {
        guard let p else { return allocate(count) }
        guard let r = region(p) else { Platform.setErrno(EINVAL); return nil }
        guard let size = bytes(count) else { Platform.setErrno(ENOMEM); return nil }
        var q: RawPointer? = nil
        if keep {
            q = Platform.remap(p, from: r.size, to: size, mayMove: true)
        } else if size <= r.size || Platform.remap(p, from: r.size, to: size, mayMove: false) != nil {
            if size < r.size { _ = Platform.remap(p, from: r.size, to: size, mayMove: false) }
            _ = Platform.protect(p, min(size, r.size), PROT_READ | PROT_WRITE)
            Platform.discard(p, min(size, r.size))          // the old contents go: the pages read as zero
            q = p
        } else if let fresh = Platform.mapMemory(size, name: .pages) {
            Regions.remove(UInt(bitPattern: p))
            Platform.unmap(p, r.size, committed: r.size)
            _ = Regions.insert(Region(address: UInt(bitPattern: fresh), size: size, kind: RegionKind.pages, extra: 0))
            return fresh
        }
        guard let q else { Platform.setErrno(ENOMEM); return nil }
        Regions.remove(UInt(bitPattern: p))
        _ = Regions.insert(Region(address: UInt(bitPattern: q), size: size, kind: RegionKind.pages, extra: 0))
        return q
    }
}

/// Reads the rights of a mapping from /proc/self/maps, streaming it through a stack buffer (no allocation).
enum MapsReader {
    /// SMM_PAGE_* bits of the mapping holding `address`, or -1 when none does.
    static func rights(_ address: UInt) -> Int32 {
        let fd = Platform.openForReading("/proc/self/maps")
        if fd < 0 { return -1 }
        defer { Platform.close(fd) }
        var buffer: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64,
                     UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64,
                     UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64,
                     UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64)
            = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        // field 0: start (hex), 1: end (hex), 2: permissions, 3: rest of the line
        var field = 0
        var start: UInt = 0
        var end: UInt = 0
        var rights: Int32 = 0
        while true {
            let n = withUnsafeMutableBytes(of: &buffer) { Platform.read(fd, $0.baseAddress.unsafelyUnwrapped, $0.count) }
            if n <= 0 { return -1 }
            for i in 0..<n {
                let c = withUnsafeBytes(of: &buffer) { $0[i] }
                switch field {
                case 0, 1:
                    if c == 0x2D || c == 0x20 {                  // '-' or ' '
                        field &+= 1
                        rights = 0
                    } else {
                        let digit: UInt = c >= 0x61 ? UInt(c &- 0x61 &+ 10) : UInt(c &- 0x30)
                        if field == 0 { start = start &<< 4 | digit } else { end = end &<< 4 | digit }
                    }
                case 2:
                    if c == 0x72 { rights |= 1 } else if c == 0x77 { rights |= 2 } else if c == 0x78 { rights |= 4 }
                    else if c == 0x20 {
                        if address >= start && address < end { return rights }
                        field = 3
                    }
                default:
                    if c == 0x0A { field = 0; start = 0; end = 0 }
                }
            }
        }
    }
}

@c public func smm_page_size() -> Int { Geometry.osPageSize }

@c public func smm_pages_alloc(_ count: Int) -> UnsafeMutableRawPointer? { Pages.allocate(count) }

@c public func smm_pages_reget(_ p: UnsafeMutableRawPointer?, _ count: Int) -> UnsafeMutableRawPointer? {
    Pages.resize(p, count, keep: false)
}

@c public func smm_pages_realloc(_ p: UnsafeMutableRawPointer?, _ count: Int) -> UnsafeMutableRawPointer? {
    Pages.resize(p, count, keep: true)
}

@c public func smm_pages_free(_ p: UnsafeMutableRawPointer?) -> Int32 { Pages.free(p) }

@c public func smm_pages_protect(_ p: UnsafeMutableRawPointer?, _ count: Int, _ rights: Int32) -> Int32 {
    guard let p, UInt(bitPattern: p) & UInt(Geometry.osPageSize &- 1) == 0, let size = Pages.bytes(count),
          rights & ~7 == 0 else { return EINVAL }
    return Platform.protect(p, size, rights)          // SMM_PAGE_* bits are PROT_* bits on Linux
}

@c public func smm_pages_rights(_ p: UnsafeRawPointer?) -> Int32 {
    MapsReader.rights(UInt(bitPattern: p))
}
