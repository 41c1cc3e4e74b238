/// Binary units for byte counts, as the tables print them.
public enum ByteFormat {
    /// `bytes` in the largest binary unit that keeps the number at least 1: `0`, `512 B`, `4 KiB`, `1.5 MiB`.
    public static func string(_ bytes: UInt64) -> String {
        if bytes == 0 { return "0" }
        if bytes < 1024 { return "\(bytes) B" }
        let units = ["KiB", "MiB", "GiB", "TiB", "PiB", "EiB"]
        var value = Double(bytes) / 1024
        var unit = 0
        while value >= 1024 && unit < units.count - 1 {
            value /= 1024
            unit += 1
        }
        return decimal(value) + " " + units[unit]
    }

    /// A signed byte delta: `+4 KiB`, `-1.5 MiB`, `0`.
    public static func delta(_ bytes: Int64) -> String {
        if bytes == 0 { return "0" }
        return (bytes > 0 ? "+" : "-") + string(bytes.magnitude)
    }

    /// One decimal place below 100, none above; a trailing `.0` is dropped.
    static func decimal(_ value: Double) -> String {
        if value >= 100 { return String(Int(value.rounded())) }
        let tenths = Int((value * 10).rounded())
        return tenths % 10 == 0 ? String(tenths / 10) : "\(tenths / 10).\(tenths % 10)"
    }

    /// An address in hex, zero-padded to 12 digits.
    public static func address(_ value: UInt64) -> String {
        let digits = String(value, radix: 16)
        return digits.count >= 12 ? digits : String(repeating: "0", count: 12 - digits.count) + digits
    }
}
