/// Parses `/proc/PID/smaps`: each mapping's header line followed by `Field:  value kB` lines.
///
/// The parser works on raw bytes: it never builds a String per line, only one per path and per
/// `VmFlags` line. Fields it does not know are ignored, and fields a kernel does not print stay zero,
/// so smaps from any kernel version parses.
public enum SmapsParser {
    /// The mappings in `bytes`, in the order the kernel printed them.
    public static func parse(_ bytes: [UInt8]) -> [Mapping] {
        bytes.withUnsafeBufferPointer { buffer in
            var mappings: [Mapping] = []
            mappings.reserveCapacity(buffer.count / 900 + 1)
            var current: Mapping?
            var lineStart = 0
            while lineStart < buffer.count {
                let lineEnd = ByteScanning.endOfLine(buffer, from: lineStart)
                defer { lineStart = lineEnd + 1 }
                guard lineEnd > lineStart else { continue }
                let first = buffer[lineStart]
                if first >= UInt8(ascii: "A") && first <= UInt8(ascii: "Z") {
                    if current != nil { applyField(buffer, lineStart, lineEnd, to: &current!) }
                } else if let header = MapsParser.parseHeader(buffer, lineStart, lineEnd) {
                    if let finished = current { mappings.append(finished) }
                    current = header
                }
            }
            if let finished = current { mappings.append(finished) }
            return mappings
        }
    }

    /// Applies one `Name: value` line to `mapping`.
    @inline(__always)
    private static func applyField(_ buffer: UnsafeBufferPointer<UInt8>, _ from: Int, _ to: Int, to mapping: inout Mapping) {
        var colon = from
        while colon < to, buffer[colon] != UInt8(ascii: ":") { colon += 1 }
        guard colon < to else { return }
        let nameLength = colon - from
        var index = colon + 1
        ByteScanning.skipSpaces(buffer, &index, to)
        if nameLength == 7, ByteScanning.equals(buffer, from, "VmFlags".utf8) {
            var flagsEnd = to
            while flagsEnd > index, buffer[flagsEnd - 1] == 32 { flagsEnd -= 1 }
            mapping.vmFlags = ByteScanning.string(buffer, index, flagsEnd)
            return
        }
        guard let field = field(buffer, from, nameLength) else { return }
        guard let kibibytes = ByteScanning.decimal(buffer, &index, to) else { return }
        let bytes = kibibytes &* 1024
        switch field {
        case .rss: mapping.usage.rss = bytes
        case .pss: mapping.usage.pss = bytes
        case .sharedClean: mapping.usage.sharedClean = bytes
        case .sharedDirty: mapping.usage.sharedDirty = bytes
        case .privateClean: mapping.usage.privateClean = bytes
        case .privateDirty: mapping.usage.privateDirty = bytes
        case .anonymous: mapping.usage.anonymous = bytes
        case .swap: mapping.usage.swap = bytes
        case .swapPss: mapping.usage.swapPss = bytes
        case .locked: mapping.usage.locked = bytes
        }
    }

    private enum Field { case rss, pss, sharedClean, sharedDirty, privateClean, privateDirty, anonymous, swap, swapPss, locked }

    /// Recognises a field name by its length and bytes; nil for fields SwiftMM does not use.
    @inline(__always)
    private static func field(_ buffer: UnsafeBufferPointer<UInt8>, _ from: Int, _ length: Int) -> Field? {
        switch length {
        case 3:
            if ByteScanning.equals(buffer, from, "Rss".utf8) { return .rss }
            if ByteScanning.equals(buffer, from, "Pss".utf8) { return .pss }
        case 4:
            if ByteScanning.equals(buffer, from, "Swap".utf8) { return .swap }
        case 6:
            if ByteScanning.equals(buffer, from, "Locked".utf8) { return .locked }
        case 7:
            if ByteScanning.equals(buffer, from, "SwapPss".utf8) { return .swapPss }
        case 9:
            if ByteScanning.equals(buffer, from, "Anonymous".utf8) { return .anonymous }
        case 12:
            if ByteScanning.equals(buffer, from, "Shared_Clean".utf8) { return .sharedClean }
            if ByteScanning.equals(buffer, from, "Shared_Dirty".utf8) { return .sharedDirty }
        case 13:
            if ByteScanning.equals(buffer, from, "Private_Clean".utf8) { return .privateClean }
            if ByteScanning.equals(buffer, from, "Private_Dirty".utf8) { return .privateDirty }
        default:
            break
        }
        return nil
    }
}
