// Recognising Swift objects among leaked blocks, so that the leak report can name their class, as FastMM
// names Delphi classes. A Swift heap object starts with its class metadata pointer; a block is taken for one
// only when that pointer passes checks that plain data does not (see `metadata(ofBlock:)`). Names come from
// the Swift runtime's swift_getTypeName when libswiftCore.so is loaded; without it, nothing is named (a
// runtime linked statically into the executable is not looked for: a failed lookup would allocate).
import SwiftMMShim

/// The loaded images' address ranges and the runtime's name function, gathered before a report walks the heap.
struct SwiftObjects {
    static let maxRanges = 2048
    /// [start, end) pairs of the loaded objects' segments.
    private let ranges: UnsafeMutablePointer<UInt>
    private var rangeCount = 0
    /// swift_getTypeName, when the Swift runtime is in the process.
    private(set) var getTypeName: RawPointer?
    private var sawSwiftCore = false

    /// Bytes of scratch memory `init(scratch:)` needs.
    static var scratchBytes: Int { maxRanges &* 2 &* MemoryLayout<UInt>.stride }

    /// Gathers what it needs into `scratch` (`scratchBytes` long). Call it outside every SwiftMM lock: the
    /// dynamic loader's calls take the loader's lock.
    init(scratch: RawPointer) {
        ranges = scratch.assumingMemoryBound(to: UInt.self)
        withUnsafeMutablePointer(to: &self) { me in
            Platform.eachImageSegment(RawPointer(me)) { start, end, path, context in
                let me = context.unsafelyUnwrapped.assumingMemoryBound(to: SwiftObjects.self)
                me.pointee.noteSegment(start, end, path)
            }
        }
        if sawSwiftCore { getTypeName = Platform.globalSymbol("swift_getTypeName") }
    }

    private mutating func noteSegment(_ start: UInt, _ end: UInt, _ path: UnsafePointer<CChar>?) {
        if rangeCount < SwiftObjects.maxRanges {
            ranges[rangeCount &* 2] = start
            ranges[rangeCount &* 2 &+ 1] = end
            rangeCount &+= 1
        }
        if !sawSwiftCore, let path, SwiftObjects.isSwiftCore(path) { sawSwiftCore = true }
    }

    /// True for a path whose file name starts with "libswiftCore.so".
    private static func isSwiftCore(_ path: UnsafePointer<CChar>) -> Bool {
        var name = path
        var p = path
        while p.pointee != 0 { if p.pointee == 0x2F { name = p + 1 }; p += 1 }
        let prefix: StaticString = "libswiftCore.so"
        return prefix.withUTF8Buffer { bytes in
            for i in 0..<bytes.count where UInt8(bitPattern: name[i]) != bytes[i] { return false }
            return true
        }
    }

    /// True when `[address, address + length)` lies inside one loaded segment.
    private func inImage(_ address: UInt, _ length: UInt) -> Bool {
        for i in 0..<rangeCount where address >= ranges[i &* 2] && address &+ length <= ranges[i &* 2 &+ 1] { return true }
        return false
    }

    /// True when `[address, address + length)` is readable: in a loaded image, or in a page of a SwiftMM
    /// segment that is in use (the runtime allocates generic classes' metadata with malloc).
    private func readable(_ address: UInt, _ length: UInt) -> Bool {
        if inImage(address, length) { return true }
        guard isInSegment(address), address & Geometry.segmentMask >= UInt(Geometry.sliceSize) else { return false }
        let page = pageOf(address)
        guard page.pointee.owner != 0, let start = page.pointee.start else { return false }
        let end = UInt(bitPattern: start) &+ UInt(Int(max(page.pointee.sliceCount, 1)) &<< Geometry.sliceShift)
        return address &+ length <= end
    }

    /// The class metadata of the Swift object in `block` (of `size` bytes), or 0 when it is not one.
    /// Checks, from Swift's class metadata layout on Linux: the metadata's kind word is 0 (class), its flags
    /// are among the five class flags, its instance size fits the block, and its nominal type descriptor lies
    /// in a loaded image and says "class" (kind 16).
    func metadata(ofBlock block: UInt, size: Int) -> UInt {
        guard getTypeName != nil, size >= 16 else { return 0 }
        let m = UnsafeRawPointer(bitPattern: block).unsafelyUnwrapped.load(as: UInt.self)
        guard m & 7 == 0, m != 0, readable(m, 48) else { return 0 }
        let metadata = UnsafeRawPointer(bitPattern: m).unsafelyUnwrapped
        guard metadata.load(as: UInt.self) == 0,
              metadata.load(fromByteOffset: 16, as: UInt32.self) < 32 else { return 0 }
        let instanceSize = metadata.load(fromByteOffset: 24, as: UInt32.self)
        guard instanceSize >= 16, UInt(instanceSize) <= UInt(size) else { return 0 }
        let d = metadata.load(fromByteOffset: 40, as: UInt.self)
        guard d & 3 == 0, d != 0, inImage(d, 4) else { return 0 }
        let flags = UnsafeRawPointer(bitPattern: d).unsafelyUnwrapped.load(as: UInt32.self)
        return flags & 0x1F == 16 ? m : 0
    }

    /// Writes the class name of `metadata` (from `metadata(ofBlock:size:)`). The runtime may allocate to
    /// build a name, so call it outside every SwiftMM lock.
    func writeName(_ metadata: UInt, to out: inout Output) {
        guard let getTypeName, let m = UnsafeRawPointer(bitPattern: metadata) else { return }
        let name = swiftmm_shim_call_type_name(getTypeName, m)
        guard let data = name.data else { return }
        out.cString(data, limit: Int(min(name.length, 200)))
    }
}
