// Options from SMM_* environment variables, read once, without allocating, on the first slow path.
import SwiftMMShim
import Synchronization

enum Options {
    nonisolated(unsafe) static var verbose = false
    nonisolated(unsafe) static var stats = false
    nonisolated(unsafe) static var nameRegions = true
    /// Free pages stay committed this long before they are decommitted (ms).
    nonisolated(unsafe) static var purgeDelayMilliseconds: UInt64 = 100
    /// Free but committed memory a heap may hold past the delay check before it purges at once (bytes).
    nonisolated(unsafe) static var purgeThreshold = 32 &<< 20
    /// Bytes of freed large blocks kept mapped for reuse.
    nonisolated(unsafe) static var largeCache = 48 &<< 20
    /// Large mappings of at least this many bytes ask the kernel for transparent huge pages (0: never).
    nonisolated(unsafe) static var hugePagesFrom = 2 &<< 20
    /// The leak report at exit (SMM_REPORT_LEAKS), where it goes, and the exit status it sets when non-negative.
    nonisolated(unsafe) static var reportLeaks = false
    nonisolated(unsafe) static var leakFile: UnsafePointer<CChar>? = nil
    nonisolated(unsafe) static var leaksExitCode = -1
    /// File descriptor for reports (stats); stderr unless SMM_STATS_FILE names a file.
    nonisolated(unsafe) static var reportPath: UnsafePointer<CChar>? = nil
    /// Debug mode (SMM_DEBUG): guards, fill patterns, quarantine and reports with call stacks (Diagnostics/Debug).
    nonisolated(unsafe) static var debug = false
    /// SMM_DEBUG_CONTINUE: go on after a debug report instead of aborting.
    nonisolated(unsafe) static var debugContinue = false
    /// Freed blocks the debug quarantine holds at most: their bytes (SMM_DEBUG_QUARANTINE) and their number
    /// (SMM_DEBUG_QUARANTINE_COUNT).
    nonisolated(unsafe) static var debugQuarantineBytes = 16 &<< 20
    nonisolated(unsafe) static var debugQuarantineCount = 16384

    static func load() {
        verbose = flag("SMM_VERBOSE", verbose)
        stats = flag("SMM_STATS", stats)
        nameRegions = flag("SMM_NAME_REGIONS", nameRegions)
        purgeDelayMilliseconds = UInt64(number("SMM_PURGE_DELAY", Int(purgeDelayMilliseconds), sizeSuffixes: false))
        purgeThreshold = number("SMM_PURGE_THRESHOLD", purgeThreshold, sizeSuffixes: true)
        largeCache = number("SMM_LARGE_CACHE", largeCache, sizeSuffixes: true)
        hugePagesFrom = number("SMM_HUGE_PAGES_FROM", hugePagesFrom, sizeSuffixes: true)
        reportPath = Platform.environment("SMM_STATS_FILE")
        reportLeaks = flag("SMM_REPORT_LEAKS", reportLeaks)
        leakFile = Platform.environment("SMM_LEAK_FILE")
        if Platform.environment("SMM_LEAKS_EXIT_CODE") != nil { leaksExitCode = min(number("SMM_LEAKS_EXIT_CODE", -1, sizeSuffixes: false), 255) }
        debug = flag("SMM_DEBUG", debug)
        debugContinue = flag("SMM_DEBUG_CONTINUE", debugContinue)
        debugQuarantineBytes = number("SMM_DEBUG_QUARANTINE", debugQuarantineBytes, sizeSuffixes: true)
        debugQuarantineCount = number("SMM_DEBUG_QUARANTINE_COUNT", debugQuarantineCount, sizeSuffixes: false)
        if verbose { printOptions() }
    }

    /// 1/0, true/false, yes/no, on/off; anything else keeps the default and warns.
    private static func flag(_ name: StaticString, _ fallback: Bool) -> Bool {
        guard let v = Platform.environment(name) else { return fallback }
        if equals(v, "1") || equals(v, "true") || equals(v, "yes") || equals(v, "on") { return true }
        if equals(v, "0") || equals(v, "false") || equals(v, "no") || equals(v, "off") || v[0] == 0 { return false }
        warnInvalid(name, v, expected: "1 or 0")
        return fallback
    }

    /// A decimal number, with a K, M or G suffix (powers of 1024) where `sizeSuffixes` allows.
    private static func number(_ name: StaticString, _ fallback: Int, sizeSuffixes: Bool) -> Int {
        guard let v = Platform.environment(name) else { return fallback }
        var value = 0
        var i = 0
        var digits = 0
        while v[i] >= 0x30 && v[i] <= 0x39 {
            let (m, o1) = value.multipliedReportingOverflow(by: 10)
            let (a, o2) = m.addingReportingOverflow(Int(v[i]) &- 0x30)
            if o1 || o2 { warnInvalid(name, v, expected: "a number that fits"); return fallback }
            value = a; i &+= 1; digits &+= 1
        }
        var shift = 0
        if sizeSuffixes {
            switch v[i] {
            case 0x4B, 0x6B: shift = 10; i &+= 1
            case 0x4D, 0x6D: shift = 20; i &+= 1
            case 0x47, 0x67: shift = 30; i &+= 1
            default: break
            }
            if shift > 0 && (v[i] == 0x42 || v[i] == 0x62 || v[i] == 0x69) { i &+= 1 }   // KB, KiB
            if v[i] == 0x42 || v[i] == 0x62 { i &+= 1 }
        }
        if digits == 0 || v[i] != 0 || value > (Int.max &>> shift) {
            warnInvalid(name, v, expected: sizeSuffixes ? "a size such as 64M" : "a whole number")
            return fallback
        }
        return value &<< shift
    }

    private static func equals(_ v: UnsafePointer<CChar>, _ s: StaticString) -> Bool {
        s.withUTF8Buffer { b in
            for i in 0..<b.count where UInt8(bitPattern: v[i]) != b[i] { return false }
            return v[b.count] == 0
        }
    }

    private static func warnInvalid(_ name: StaticString, _ value: UnsafePointer<CChar>, expected: StaticString) {
        var out = Output(fd: 2)
        out.text("swiftmm: warning: ignoring "); out.text(name); out.text("='"); out.cString(value, limit: 64)
        out.text("': expected "); out.text(expected); out.text("\n")
        out.flush()
    }

    private static func printOptions() {
        var out = Output(fd: 2)
        out.text("swiftmm: options in force (pid "); out.int(Platform.processID()); out.text(")\n")
        out.text("  SMM_VERBOSE=1\n")
        out.text("  SMM_STATS="); out.int(stats ? 1 : 0); out.text("\n")
        out.text("  SMM_NAME_REGIONS="); out.int(nameRegions ? 1 : 0); out.text("\n")
        out.text("  SMM_PURGE_DELAY="); out.int(Int(purgeDelayMilliseconds)); out.text(" (ms)\n")
        out.text("  SMM_PURGE_THRESHOLD="); out.bytes(purgeThreshold); out.text("\n")
        out.text("  SMM_LARGE_CACHE="); out.bytes(largeCache); out.text("\n")
        out.text("  SMM_HUGE_PAGES_FROM="); out.bytes(hugePagesFrom); out.text("\n")
        out.text("  SMM_REPORT_LEAKS="); out.int(reportLeaks ? 1 : 0); out.text("\n")
        out.text("  SMM_LEAKS_EXIT_CODE="); out.int(leaksExitCode); out.text("\n")
        out.text("  SMM_DEBUG="); out.int(debug ? 1 : 0); out.text("\n")
        if debug {
            out.text("  SMM_DEBUG_CONTINUE="); out.int(debugContinue ? 1 : 0); out.text("\n")
            out.text("  SMM_DEBUG_QUARANTINE="); out.bytes(debugQuarantineBytes); out.text("\n")
            out.text("  SMM_DEBUG_QUARANTINE_COUNT="); out.int(debugQuarantineCount); out.text("\n")
        }
        out.text("  SMM_STATS_FILE="); if let p = reportPath { out.cString(p, limit: 256) } else { out.text("(stderr)") }
        out.text("\n")
        out.flush()
    }
}
