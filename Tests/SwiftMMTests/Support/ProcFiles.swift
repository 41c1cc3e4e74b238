import Foundation

/// Files under /proc, read whole. `String(contentsOfFile:)` stops after the kernel's first read (about a page)
/// because /proc files report a size of 0, so a longer /proc/self/maps or smaps would come back cut short.
enum ProcFiles {
    static func read(_ path: String) throws -> String {
        let data = try FileHandle(forReadingFrom: URL(fileURLWithPath: path)).readToEnd() ?? Data()
        return String(decoding: data, as: UTF8.self)
    }
}
