#if canImport(Glibc)
import Glibc
#endif

/// Small scanners over raw bytes, shared by the `/proc` parsers. They never allocate except `string`.
enum ByteScanning {
    /// Index of the next newline at or after `from`, or `buffer.count`.
    @inline(__always)
    static func endOfLine(_ buffer: UnsafeBufferPointer<UInt8>, from: Int) -> Int {
        guard from < buffer.count else { return buffer.count }
        let base = buffer.baseAddress! + from
        guard let found = memchr(base, 10, buffer.count - from) else { return buffer.count }
        return from + (UnsafeRawPointer(found) - UnsafeRawPointer(base))
    }

    /// Reads a hexadecimal number; nil when there is no hex digit at `index`.
    @inline(__always)
    static func hex(_ buffer: UnsafeBufferPointer<UInt8>, _ index: inout Int, _ end: Int) -> UInt64? {
        var value: UInt64 = 0
        let start = index
        while index < end {
            let byte = buffer[index]
            let digit: UInt8
            switch byte {
            case 48...57: digit = byte - 48
            case 97...102: digit = byte - 87
            case 65...70: digit = byte - 55
            default: return index > start ? value : nil
            }
            value = value &<< 4 | UInt64(digit)
            index += 1
        }
        return index > start ? value : nil
    }

    /// Reads a decimal number; nil when there is no digit at `index`.
    @inline(__always)
    static func decimal(_ buffer: UnsafeBufferPointer<UInt8>, _ index: inout Int, _ end: Int) -> UInt64? {
        var value: UInt64 = 0
        let start = index
        while index < end, buffer[index] &- 48 < 10 {
            value = value &* 10 &+ UInt64(buffer[index] &- 48)
            index += 1
        }
        return index > start ? value : nil
    }

    /// Advances past spaces and tabs.
    @inline(__always)
    static func skipSpaces(_ buffer: UnsafeBufferPointer<UInt8>, _ index: inout Int, _ end: Int) {
        while index < end, buffer[index] == 32 || buffer[index] == 9 { index += 1 }
    }

    /// Advances to the next space or tab.
    @inline(__always)
    static func skipField(_ buffer: UnsafeBufferPointer<UInt8>, _ index: inout Int, _ end: Int) {
        while index < end, buffer[index] != 32 && buffer[index] != 9 { index += 1 }
    }

    /// True when `buffer` holds `expected` at `at`.
    @inline(__always)
    static func equals<Bytes: Collection<UInt8>>(_ buffer: UnsafeBufferPointer<UInt8>, _ at: Int, _ expected: Bytes) -> Bool {
        guard at >= 0, at + expected.count <= buffer.count else { return false }
        var index = at
        for byte in expected {
            if buffer[index] != byte { return false }
            index += 1
        }
        return true
    }

    /// The bytes `from..<to` as a String (invalid UTF-8 repaired).
    static func string(_ buffer: UnsafeBufferPointer<UInt8>, _ from: Int, _ to: Int) -> String {
        String(decoding: UnsafeBufferPointer(rebasing: buffer[from..<to]), as: UTF8.self)
    }
}
