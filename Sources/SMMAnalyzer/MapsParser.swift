/// Parses `/proc/PID/maps`: one mapping per line, no page counts.
public enum MapsParser {
    /// The mappings in `bytes`, in address order. Lines that do not look like mapping headers are skipped.
    public static func parse(_ bytes: [UInt8]) -> [Mapping] {
        bytes.withUnsafeBufferPointer { buffer in
            var mappings: [Mapping] = []
            var lineStart = 0
            while lineStart < buffer.count {
                let lineEnd = ByteScanning.endOfLine(buffer, from: lineStart)
                if let mapping = parseHeader(buffer, lineStart, lineEnd) { mappings.append(mapping) }
                lineStart = lineEnd + 1
            }
            return mappings
        }
    }

    /// Parses one header line, `start-end perms offset dev inode   path`, held in `buffer[from..<to]`.
    /// Returns nil when the line is not a header. The path may contain spaces; a ` (deleted)` suffix is
    /// taken off and reported in `isDeleted`.
    static func parseHeader(_ buffer: UnsafeBufferPointer<UInt8>, _ from: Int, _ to: Int) -> Mapping? {
        var index = from
        guard let start = ByteScanning.hex(buffer, &index, to), index < to, buffer[index] == UInt8(ascii: "-") else { return nil }
        index += 1
        guard let end = ByteScanning.hex(buffer, &index, to) else { return nil }
        ByteScanning.skipSpaces(buffer, &index, to)
        let permissionsStart = index
        ByteScanning.skipField(buffer, &index, to)
        guard index - permissionsStart >= 4 else { return nil }
        let permissions = Permissions(
            read: buffer[permissionsStart] == UInt8(ascii: "r"), write: buffer[permissionsStart + 1] == UInt8(ascii: "w"),
            execute: buffer[permissionsStart + 2] == UInt8(ascii: "x"), shared: buffer[permissionsStart + 3] == UInt8(ascii: "s"))
        ByteScanning.skipSpaces(buffer, &index, to)
        let offset = ByteScanning.hex(buffer, &index, to) ?? 0
        ByteScanning.skipSpaces(buffer, &index, to)
        let deviceStart = index
        ByteScanning.skipField(buffer, &index, to)
        let deviceEnd = index
        ByteScanning.skipSpaces(buffer, &index, to)
        let inode = ByteScanning.decimal(buffer, &index, to) ?? 0
        ByteScanning.skipSpaces(buffer, &index, to)
        var pathEnd = to
        var isDeleted = false
        let deletedSuffix = " (deleted)".utf8
        if pathEnd - index >= deletedSuffix.count,
           ByteScanning.equals(buffer, pathEnd - deletedSuffix.count, deletedSuffix) {
            isDeleted = true
            pathEnd -= deletedSuffix.count
        }
        let device = deviceEnd - deviceStart == 5 && buffer[deviceStart] == UInt8(ascii: "0") && buffer[deviceStart + 1] == UInt8(ascii: "0")
            && buffer[deviceStart + 3] == UInt8(ascii: "0") && buffer[deviceStart + 4] == UInt8(ascii: "0")
            ? "00:00" : ByteScanning.string(buffer, deviceStart, deviceEnd)
        let path = index < pathEnd ? ByteScanning.string(buffer, index, pathEnd) : ""
        return Mapping(start: start, end: end, permissions: permissions, offset: offset, device: device,
                       inode: inode, path: path, isDeleted: isDeleted)
    }
}
