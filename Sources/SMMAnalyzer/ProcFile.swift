#if canImport(Glibc)
import Glibc
#endif

/// Reads whole `/proc` files as bytes.
///
/// `/proc` files report a size of zero, so the reader grows one buffer and issues large `read`s until
/// end of file. Large reads matter for smaps: each `read` makes the kernel walk the page tables of the
/// mappings it returns, and fewer, bigger reads keep the result close to one consistent picture.
public enum ProcFile {
    /// The errno of a failed `open` or `read`.
    public struct Failure: Error, Equatable {
        /// The `errno` value the call set.
        public let errno: Int32
    }

    /// Reads the file at `path` to its end. `sizeHint` is the first buffer size.
    public static func readBytes(_ path: String, sizeHint: Int = 1 << 16) throws(Failure) -> [UInt8] {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        if descriptor < 0 { throw Failure(errno: errno) }
        defer { close(descriptor) }
        var buffer = [UInt8](repeating: 0, count: max(sizeHint, 4096))
        var used = 0
        while true {
            if buffer.count - used < 65536 {
                buffer.append(contentsOf: repeatElement(0, count: buffer.count))
            }
            let count = buffer.withUnsafeMutableBytes { raw in
                read(descriptor, raw.baseAddress! + used, raw.count - used)
            }
            if count < 0 {
                if errno == EINTR { continue }
                throw Failure(errno: errno)
            }
            if count == 0 { break }
            used += count
        }
        buffer.removeSubrange(used...)
        return buffer
    }

    /// Reads the file at `path` as text (UTF-8, invalid bytes repaired).
    public static func readText(_ path: String) throws(Failure) -> String {
        let bytes = try readBytes(path, sizeHint: 4096)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The names in the directory at `path`, without "." and "..".
    public static func listDirectory(_ path: String) throws(Failure) -> [String] {
        guard let directory = opendir(path) else { throw Failure(errno: errno) }
        defer { closedir(directory) }
        var names: [String] = []
        while let entry = readdir(directory) {
            let name = withUnsafePointer(to: entry.pointee.d_name) { pointer in
                pointer.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }
}
