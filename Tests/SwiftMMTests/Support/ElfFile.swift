import Foundation

/// The section headers, program headers and static symbol table of a 64-bit little-endian ELF file: what the
/// tests of the library's layout read.
struct ElfFile {
    struct Section { let name: String; let address: UInt64; let size: UInt64 }
    struct LoadSegment { let address: UInt64; let alignment: UInt64; let executable: Bool }

    let sections: [Section]
    let loadSegments: [LoadSegment]
    /// Function and object symbols of .symtab, by name (the first one of a name).
    let symbols: [String: UInt64]

    init(path: String) throws {
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        func read<T: FixedWidthInteger>(_ offset: Int, _: T.Type) throws -> T {
            guard offset >= 0, offset + MemoryLayout<T>.size <= bytes.count else { throw TestFailure("\(path): truncated ELF file") }
            var value: T = 0
            for i in 0..<MemoryLayout<T>.size { value |= T(bytes[offset + i]) << (8 * i) }
            return value
        }
        func string(_ offset: Int) -> String {
            guard offset >= 0, offset < bytes.count else { return "" }
            let end = bytes[offset...].firstIndex(of: 0) ?? bytes.count
            return String(decoding: bytes[offset..<end], as: UTF8.self)
        }
        guard bytes.count > 64, bytes[0...3] == [0x7F, 0x45, 0x4C, 0x46], bytes[4] == 2, bytes[5] == 1 else {
            throw TestFailure("\(path) is not a 64-bit little-endian ELF file")
        }
        let programHeaders = Int(try read(0x20, UInt64.self)), programHeaderCount = Int(try read(0x38, UInt16.self))
        let sectionHeaders = Int(try read(0x28, UInt64.self)), sectionCount = Int(try read(0x3C, UInt16.self))
        let namesIndex = Int(try read(0x3E, UInt16.self))

        var segments: [LoadSegment] = []
        for i in 0..<programHeaderCount {
            let header = programHeaders + i * 56
            if try read(header, UInt32.self) == 1 {     // PT_LOAD
                segments.append(LoadSegment(address: try read(header + 16, UInt64.self), alignment: try read(header + 48, UInt64.self),
                                            executable: try read(header + 4, UInt32.self) & 1 != 0))
            }
        }
        loadSegments = segments

        struct RawSection { let nameOffset: Int; let type: UInt32; let address: UInt64; let offset: Int; let size: UInt64; let link: Int }
        var raw: [RawSection] = []
        for i in 0..<sectionCount {
            let header = sectionHeaders + i * 64
            raw.append(RawSection(nameOffset: Int(try read(header, UInt32.self)), type: try read(header + 4, UInt32.self),
                                  address: try read(header + 16, UInt64.self), offset: Int(try read(header + 24, UInt64.self)),
                                  size: try read(header + 32, UInt64.self), link: Int(try read(header + 40, UInt32.self))))
        }
        guard namesIndex < raw.count else { throw TestFailure("\(path): no section names") }
        let names = raw[namesIndex].offset
        sections = raw.map { Section(name: string(names + $0.nameOffset), address: $0.address, size: $0.size) }

        var table: [String: UInt64] = [:]
        if let symtab = raw.first(where: { $0.type == 2 }), symtab.link < raw.count {    // SHT_SYMTAB
            let strings = raw[symtab.link].offset
            for entry in stride(from: symtab.offset, to: symtab.offset + Int(symtab.size), by: 24) {
                let name = string(strings + Int(try read(entry, UInt32.self)))
                if !name.isEmpty && table[name] == nil { table[name] = try read(entry + 8, UInt64.self) }
            }
        }
        symbols = table
    }

    func section(_ name: String) -> Section? { sections.first { $0.name == name } }

    /// Names of the symbols whose addresses lie in `range`.
    func symbols(in range: Range<UInt64>) -> [String] { symbols.filter { range.contains($0.value) }.map(\.key).sorted() }
}
