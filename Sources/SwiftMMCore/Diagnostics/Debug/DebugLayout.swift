// Debug mode (SMM_DEBUG=1): the layout of a debug block, how a pointer is recognised as one, and the checks
// of its guard and fill bytes.
//
// The debug layer asks the allocator proper for a bigger block (the raw block) and hands out a pointer inside it:
//
//   raw block: | padding (aligned requests) | header (304 B) | front guard (32 B) | data (size B) | back guard (32 B) |
//                                                                                ^ the program's pointer p
//
// The header always ends 32 bytes before p (at p - 336), whatever the alignment; p sits at
// `userOffset(alignment)` from the raw block. Patterns (MSVC's): 0xCD fills fresh data, 0xDD freed data,
// 0xFD the guards.
import SwiftMMShim
import Synchronization

/// Return addresses of one call stack, innermost first.
typealias DebugFrames = (UInt, UInt, UInt, UInt, UInt, UInt, UInt, UInt, UInt, UInt, UInt, UInt, UInt, UInt)

/// The header of a debug block, at p - `DebugLayout.headerSize`. Field order is the layout (336 bytes).
struct DebugHeader {
    /// Guard word (0xFD...): an overrun of the block before this one hits it first. The allocator's free list
    /// reuses it once the raw block is released.
    var headGuard: UInt64
    /// `DebugState`: live, being freed, quarantined or released.
    var state: UInt64
    /// The size the program asked for.
    var size: Int
    /// The allocation number: a process-wide counter, from 1.
    var serial: UInt64
    /// What the allocator proper returned; released with free.
    var rawBlock: UInt
    /// Links in the list of live blocks or in the quarantine (the registry's lock guards them).
    var prev: UInt
    var next: UInt
    var allocThread: Int32
    var freeThread: Int32
    /// The alignment asked for (16 for malloc).
    var alignment: UInt32
    var allocFrameCount: UInt16
    var freeFrameCount: UInt16
    /// p itself: with `state`, what tells a debug block from other memory.
    var user: UInt
    var allocFrames: DebugFrames
    var freeFrames: DebugFrames
    var frontGuard: (UInt64, UInt64, UInt64, UInt64)
}

/// Values of `DebugHeader.state`: unlikely 64-bit patterns, so that plain memory is not taken for a header.
enum DebugState {
    static let live: UInt64 = 0x5357_4D4D_4C49_5645        // "SWMMLIVE"
    static let freeing: UInt64 = 0x5357_4D4D_4652_4545     // "SWMMFREE": being freed (filled, then quarantined)
    static let quarantined: UInt64 = 0x5357_4D4D_5155_4152 // "SWMMQUAR"
    static let released: UInt64 = 0x5357_4D4D_474F_4E45   // "SWMMGONE": given back to the allocator

    static func isKnown(_ s: UInt64) -> Bool { s == live || s == freeing || s == quarantined || s == released }
}

typealias DebugHeaderPointer = UnsafeMutablePointer<DebugHeader>

enum DebugLayout {
    /// From the header's start to p: the header proper and the front guard.
    static let headerSize = 336
    static let frontGuardSize = 32
    static let backGuardSize = 32
    static let maxFrames = 14
    static let allocFramesOffset = 80
    static let freeFramesOffset = 192
    static let frontGuardOffset = 304

    static let guardByte: UInt8 = 0xFD
    static let allocatedByte: UInt8 = 0xCD
    static let freedByte: UInt8 = 0xDD
    static let guardWord: UInt64 = 0xFDFD_FDFD_FDFD_FDFD

    /// True when `DebugHeader` has the layout above (checked once, at install).
    static var layoutMatches: Bool {
        MemoryLayout<DebugHeader>.size == headerSize && MemoryLayout<DebugFrames>.size == maxFrames &* 8
    }

    /// Offset of p in the raw block: room for the header, and a multiple of the alignment.
    @inline(__always)
    static func userOffset(_ alignment: Int) -> Int { (headerSize &+ alignment &- 1) & ~(alignment &- 1) }

    /// Bytes to ask the allocator for, nil when the request cannot be met.
    static func rawSize(_ size: Int, alignment: Int) -> Int? {
        if size < 0 || size > Int.max / 2 || alignment > 1 &<< 30 { return nil }   // (the header keeps 32 bits of alignment)
        return userOffset(alignment) &+ size &+ backGuardSize
    }

    /// The bytes a debug block holds while it waits in the quarantine.
    static func footprint(_ h: DebugHeaderPointer) -> Int {
        userOffset(Int(h.pointee.alignment)) &+ h.pointee.size &+ backGuardSize
    }

    @inline(__always)
    static func header(of p: UInt) -> DebugHeaderPointer {
        DebugHeaderPointer(bitPattern: p &- UInt(headerSize)).unsafelyUnwrapped
    }

    @inline(__always)
    static func user(_ h: DebugHeaderPointer) -> RawPointer { RawPointer(h) + headerSize }

    static func frames(_ h: DebugHeaderPointer, free: Bool) -> RawPointer {
        RawPointer(h) + (free ? freeFramesOffset : allocFramesOffset)
    }

    /// Writes the header of a fresh block, its guards, and fills its data (unless it is zeroed already).
    static func format(_ raw: RawPointer, _ size: Int, alignment: Int, fill: Bool) -> DebugHeaderPointer {
        let p = raw + userOffset(alignment)
        let h = header(of: UInt(bitPattern: p))
        h.initialize(to: DebugHeader(
            headGuard: guardWord, state: DebugState.live, size: size, serial: 0, rawBlock: UInt(bitPattern: raw),
            prev: 0, next: 0, allocThread: 0, freeThread: 0, alignment: UInt32(truncatingIfNeeded: alignment),
            allocFrameCount: 0, freeFrameCount: 0, user: UInt(bitPattern: p),
            allocFrames: (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0), freeFrames: (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0),
            frontGuard: (guardWord, guardWord, guardWord, guardWord)))
        if fill { memset(p, Int32(allocatedByte), size) }
        memset(p + size, Int32(guardByte), backGuardSize)
        return h
    }

    /// Rewrites the guards of a block whose damage was reported (SMM_DEBUG_CONTINUE), so that it is reported once.
    static func repairGuards(_ h: DebugHeaderPointer) {
        h.pointee.headGuard = guardWord
        h.pointee.frontGuard = (guardWord, guardWord, guardWord, guardWord)
        memset(user(h) + h.pointee.size, Int32(guardByte), backGuardSize)
    }
}

/// What is wrong with a block's bytes.
struct DebugDamage {
    enum Region { case header, before, after, freedData }
    var region: Region
    /// Offset of the first damaged byte from p (negative before p).
    var offset: Int
    /// Damaged bytes in that region.
    var count: Int
    var found: UInt8
    var expected: UInt8
}

enum DebugCheck {
    /// The first byte of `count` bytes at `start` that is not `pattern`, and how many are not; nil when all are.
    static func scan(_ start: UnsafeRawPointer, _ count: Int, _ pattern: UInt8) -> (first: Int, count: Int, found: UInt8)? {
        var i = 0
        let word = UInt64(pattern) &* 0x0101_0101_0101_0101
        // Bytes up to an 8-byte boundary, then whole words while they match.
        while i < count && (UInt(bitPattern: start) &+ UInt(i)) & 7 != 0 {
            if start.load(fromByteOffset: i, as: UInt8.self) != pattern { break }
            i &+= 1
        }
        if (UInt(bitPattern: start) &+ UInt(i)) & 7 == 0 {
            while i &+ 8 <= count && start.load(fromByteOffset: i, as: UInt64.self) == word { i &+= 8 }
        }
        while i < count && start.load(fromByteOffset: i, as: UInt8.self) == pattern { i &+= 1 }
        if i >= count { return nil }
        let first = i
        let found = start.load(fromByteOffset: i, as: UInt8.self)
        var damaged = 0
        while i < count { if start.load(fromByteOffset: i, as: UInt8.self) != pattern { damaged &+= 1 }; i &+= 1 }
        return (first, damaged, found)
    }

    /// The guards of a block (and, when it is freed, its fill): the first damage found, nil when intact.
    static func damage(_ h: DebugHeaderPointer, freed: Bool) -> DebugDamage? {
        let p = UnsafeRawPointer(DebugLayout.user(h))
        let size = h.pointee.size
        if let d = scan(p - DebugLayout.frontGuardSize, DebugLayout.frontGuardSize, DebugLayout.guardByte) {
            return DebugDamage(region: .before, offset: d.first &- DebugLayout.frontGuardSize, count: d.count,
                               found: d.found, expected: DebugLayout.guardByte)
        }
        if let d = scan(p + size, DebugLayout.backGuardSize, DebugLayout.guardByte) {
            return DebugDamage(region: .after, offset: size &+ d.first, count: d.count, found: d.found, expected: DebugLayout.guardByte)
        }
        if h.pointee.headGuard != DebugLayout.guardWord {
            let d = scan(UnsafeRawPointer(h), 8, DebugLayout.guardByte)
            return DebugDamage(region: .header, offset: (d?.first ?? 0) &- DebugLayout.headerSize, count: d?.count ?? 0,
                               found: d?.found ?? 0, expected: DebugLayout.guardByte)
        }
        if freed, let d = scan(p, size, DebugLayout.freedByte) {
            return DebugDamage(region: .freedData, offset: d.first, count: d.count, found: d.found, expected: DebugLayout.freedByte)
        }
        return nil
    }
}

/// What a pointer handed to free, realloc or malloc_usable_size is, in debug mode.
enum DebugLookup {
    /// A debug block (in any state: the caller checks it under the registry's lock).
    case debug(DebugHeaderPointer)
    /// A block of the allocator proper, not made by the debug layer.
    case plain(RawPointer)
    /// A pointer inside the data of a live debug block, not its start.
    case inside(DebugHeaderPointer)
    /// Not a block SwiftMM handed out.
    case invalid

    static func find(_ p: RawPointer) -> DebugLookup {
        let address = UInt(bitPattern: p)
        let headerSize = UInt(DebugLayout.headerSize)
        if isInSegment(address) {
            let page = pageOf(address)
            guard page.pointee.owner != 0, let start = page.pointee.start, let bump = page.pointee.bumpNext,
                  p >= start, p < bump else { return .invalid }
            let size = page.pointee.blockSize
            let blockStart = address &- UInt(bitPattern: offsetInBlock(address, start: start, blockSize: size))
            if address &- blockStart >= headerSize {
                let h = DebugLayout.header(of: address)
                if isHeader(h, of: address), h.pointee.rawBlock >= blockStart, h.pointee.rawBlock <= UInt(bitPattern: h) {
                    return .debug(h)
                }
            }
            // A debug block of malloc's alignment has its header at the block's start.
            if UInt(size) >= headerSize {
                let h = DebugHeaderPointer(bitPattern: blockStart).unsafelyUnwrapped
                if DebugState.isKnown(h.pointee.state) && h.pointee.user &- UInt(DebugLayout.headerSize) == blockStart {
                    return h.pointee.state == DebugState.live && address > h.pointee.user
                        && address < h.pointee.user &+ UInt(h.pointee.size) ? .inside(h) : .invalid
                }
            }
            return address == blockStart ? .plain(p) : .invalid
        }
        // Large blocks are mappings found by their exact start: try the raw starts that p's alignment allows.
        let inPage = address & UInt(Geometry.osPageSize &- 1)
        if inPage >= headerSize {
            if let h = largeHeader(address, rawBlock: address &- inPage) { return .debug(h) }
        } else if inPage == 0 {
            var offset = UInt(Geometry.osPageSize)
            while offset != 0 && address & (offset &- 1) == 0 && offset <= address {
                if let h = largeHeader(address, rawBlock: address &- offset) { return .debug(h) }
                offset &<<= 1
            }
        }
        if let entry = LargeBlocks.entry(p) {
            if entry.mapSize >= DebugLayout.headerSize, DebugState.isKnown(p.load(fromByteOffset: 8, as: UInt64.self)) { return .invalid }
            return .plain(p)
        }
        return .invalid
    }

    /// The debug block whose raw block (a segment block starting at `blockStart` of `blockSize` bytes, or a large
    /// mapping) holds `address`, whatever its state; nil when there is none. Used by the queries (interior pointers).
    static func containing(_ address: UInt, blockStart: UInt, blockSize: Int) -> DebugHeaderPointer? {
        // The raw block is the block itself, or an aligned pointer in it; p follows at userOffset(alignment).
        var alignment = Geometry.minAlignment
        while alignment <= 1 &<< 30 && alignment < blockSize {
            let raw = (blockStart &+ UInt(alignment &- 1)) & ~UInt(alignment &- 1)
            let user = raw &+ UInt(DebugLayout.userOffset(alignment))
            if user &+ UInt(DebugLayout.backGuardSize) <= blockStart &+ UInt(blockSize) {
                let h = DebugLayout.header(of: user)
                if isHeader(h, of: user) && h.pointee.rawBlock == raw && Int(h.pointee.alignment) == alignment {
                    return address >= UInt(bitPattern: h) && address < user &+ UInt(h.pointee.size) &+ UInt(DebugLayout.backGuardSize) ? h : nil
                }
            }
            alignment &<<= 1
        }
        return nil
    }

    private static func largeHeader(_ address: UInt, rawBlock: UInt) -> DebugHeaderPointer? {
        guard let raw = RawPointer(bitPattern: rawBlock), let entry = LargeBlocks.entry(raw),
              address < rawBlock &+ UInt(entry.mapSize) else { return nil }
        let h = DebugLayout.header(of: address)
        return isHeader(h, of: address) && h.pointee.rawBlock == rawBlock ? h : nil
    }

    @inline(__always)
    private static func isHeader(_ h: DebugHeaderPointer, of address: UInt) -> Bool {
        h.pointee.user == address && DebugState.isKnown(h.pointee.state)
    }
}
