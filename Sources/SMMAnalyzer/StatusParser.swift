/// The lines of `/proc/PID/status` the analyzer uses. Missing lines read as zero or empty.
public struct ProcessStatus: Codable, Equatable, Sendable {
    /// `Name`: the command name (at most 15 bytes).
    public var name: String = ""
    /// `State`, such as `S (sleeping)`.
    public var state: String = ""
    /// `Threads`.
    public var threads: Int = 0
    /// `VmPeak` in bytes.
    public var vmPeak: UInt64 = 0
    /// `VmSize` in bytes.
    public var vmSize: UInt64 = 0
    /// `VmRSS` in bytes.
    public var vmRSS: UInt64 = 0
    /// `RssAnon` in bytes.
    public var rssAnon: UInt64 = 0
    /// `RssFile` in bytes.
    public var rssFile: UInt64 = 0
    /// `RssShmem` in bytes.
    public var rssShmem: UInt64 = 0
    /// `VmPTE` in bytes: page tables.
    public var vmPTE: UInt64 = 0
    /// `VmSwap` in bytes.
    public var vmSwap: UInt64 = 0

    /// All fields empty or zero.
    public init() {}

    /// True for a zombie (`State: Z`) or a dead process (`State: X`).
    public var isDead: Bool { state.hasPrefix("Z") || state.hasPrefix("X") }
}

/// Parses `/proc/PID/status`.
public enum StatusParser {
    /// The fields of `text`; unknown lines are ignored.
    public static func parse(_ text: String) -> ProcessStatus {
        var status = ProcessStatus()
        for line in text.split(separator: "\n") {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let key = line[..<colon]
            let value = line[line.index(after: colon)...].trimmingCharacters(inSet: " \t")
            func kibibytes() -> UInt64 { (UInt64(value.split(separator: " ").first ?? "") ?? 0) * 1024 }
            switch key {
            case "Name": status.name = String(value)
            case "State": status.state = String(value)
            case "Threads": status.threads = Int(value) ?? 0
            case "VmPeak": status.vmPeak = kibibytes()
            case "VmSize": status.vmSize = kibibytes()
            case "VmRSS": status.vmRSS = kibibytes()
            case "RssAnon": status.rssAnon = kibibytes()
            case "RssFile": status.rssFile = kibibytes()
            case "RssShmem": status.rssShmem = kibibytes()
            case "VmPTE": status.vmPTE = kibibytes()
            case "VmSwap": status.vmSwap = kibibytes()
            default: break
            }
        }
        return status
    }
}

extension Substring {
    /// The substring without leading and trailing characters from `set`.
    func trimmingCharacters(inSet set: String) -> Substring {
        var result = self
        while let first = result.first, set.contains(first) { result = result.dropFirst() }
        while let last = result.last, set.contains(last) { result = result.dropLast() }
        return result
    }
}
