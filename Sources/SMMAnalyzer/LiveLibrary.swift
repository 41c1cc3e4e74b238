/// libswiftmm.so as mapped in a process, found in `/proc/PID/maps`.
public struct LiveLibrary: Equatable, Sendable {
    /// The path the process loaded it from.
    public var path: String
    /// Where its mappings are.
    public var image: ElfSymbolLookup.Image

    /// The SwiftMM libraries mapped in `mappings` (a file whose name starts with `libswiftmm` and contains `.so`),
    /// one per file, in address order. Usually one; a process may map another copy that does not serve malloc.
    public static func find(in mappings: [Mapping]) -> [LiveLibrary] {
        var libraries: [LiveLibrary] = []
        var keys: [String] = []
        for mapping in mappings.sorted(by: { $0.start < $1.start }) where isSwiftMM(mapping.path) {
            let key = "\(mapping.device):\(mapping.inode):\(mapping.path)"
            if let index = keys.firstIndex(of: key) {
                libraries[index].image.low = min(libraries[index].image.low, mapping.start)
                libraries[index].image.high = max(libraries[index].image.high, mapping.end)
                if mapping.offset == 0 { libraries[index].image.base = min(libraries[index].image.base, mapping.start) }
            } else {
                keys.append(key)
                libraries.append(LiveLibrary(path: mapping.path,
                                             image: .init(base: mapping.offset == 0 ? mapping.start : UInt64.max,
                                                          low: mapping.start, high: mapping.end)))
            }
        }
        // A library whose first page is not mapped cannot be read.
        return libraries.filter { $0.image.base != UInt64.max }
    }

    static func isSwiftMM(_ path: String) -> Bool {
        guard path.hasPrefix("/"), let name = path.split(separator: "/").last else { return false }
        return name.hasPrefix("libswiftmm") && name.contains(".so")
    }
}
