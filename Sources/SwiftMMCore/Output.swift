// Text output that never allocates: a 256-byte buffer on the stack, flushed to a file descriptor.

struct Output {
    let fd: Int32
    private var storage: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64,
                          UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64,
                          UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64,
                          UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64)
        = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
    private var count = 0
    private static let capacity = 256

    init(fd: Int32) { self.fd = fd }

    /// Bytes written but not flushed yet (used to measure a figure's width).
    var pendingCount: Int { count }

    mutating func byte(_ b: UInt8) {
        if count == Output.capacity { flush() }
        withUnsafeMutableBytes(of: &storage) { $0[count] = b }
        count &+= 1
    }

    mutating func text(_ s: StaticString) {
        s.withUTF8Buffer { for b in $0 { byte(b) } }
    }

    mutating func cString(_ p: UnsafePointer<CChar>, limit: Int) {
        var i = 0
        while i < limit && p[i] != 0 { byte(UInt8(bitPattern: p[i])); i &+= 1 }
    }

    mutating func uint(_ v: UInt64) {
        var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)
        var n = 0
        var x = v
        withUnsafeMutableBytes(of: &digits) { d in
            repeat { d[n] = UInt8(truncatingIfNeeded: 0x30 &+ x % 10); x /= 10; n &+= 1 } while x != 0
        }
        while n > 0 { n &-= 1; let b = withUnsafeBytes(of: &digits) { $0[n] }; byte(b) }
    }

    mutating func int(_ v: Int) {
        if v < 0 { byte(0x2D); uint(UInt64(0 &- v)) } else { uint(UInt64(v)) }
    }

    /// `v` right-aligned in `width` columns.
    mutating func padded(_ v: UInt64, width: Int) {
        var digits = 1
        var x = v
        while x >= 10 { x /= 10; digits &+= 1 }
        var pad = width &- digits
        while pad > 0 { byte(0x20); pad &-= 1 }
        uint(v)
    }

    mutating func hex(_ v: UInt) {
        text("0x")
        var shift = 60
        var started = false
        while shift >= 0 {
            let nibble = UInt8(truncatingIfNeeded: (v &>> UInt(shift)) & 0xF)
            if nibble != 0 || started || shift == 0 {
                started = true
                byte(nibble < 10 ? 0x30 &+ nibble : 0x57 &+ nibble)
            }
            shift &-= 4
        }
    }

    /// A byte count in binary units with one decimal: 512 B, 1.5 KiB, 20.0 MiB.
    mutating func bytes(_ v: Int) {
        let value = UInt64(max(v, 0))
        if value < 1024 { uint(value); text(" B"); return }
        var unit = 0
        var scaled = value &* 10
        while scaled >= 10240 && unit < 4 { scaled /= 1024; unit &+= 1 }
        uint(scaled / 10); byte(0x2E); uint(scaled % 10)
        switch unit {
        case 1: text(" KiB")
        case 2: text(" MiB")
        case 3: text(" GiB")
        default: text(" TiB")
        }
    }

    mutating func flush() {
        if count > 0 {
            let n = count
            withUnsafeBytes(of: &storage) { Platform.write(fd, $0.baseAddress.unsafelyUnwrapped, n) }
        }
        count = 0
    }
}
