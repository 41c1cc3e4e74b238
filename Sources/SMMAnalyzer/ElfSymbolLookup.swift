/// Finds a symbol of a shared library loaded in another process, in the process's memory: the ELF header and
/// program headers at the library's load address lead to its dynamic section, which gives the dynamic symbol
/// table, its strings and the hash table the loader itself uses. The file on disk is never opened, so a library
/// rebuilt or deleted since the process loaded it, or one in another mount namespace, is still read right.
public enum ElfSymbolLookup {
    /// Where a library is mapped: the address of its first byte (file offset 0) and the range of its mappings.
    public struct Image: Equatable, Sendable {
        public var base: UInt64
        public var low: UInt64
        public var high: UInt64
        public init(base: UInt64, low: UInt64, high: UInt64) {
            self.base = base
            self.low = low
            self.high = high
        }
    }

    /// Why the lookup could not be done (as opposed to a symbol that is not there).
    public enum Failure: Error, Equatable {
        /// The image is not a 64-bit little-endian ELF file, or its headers make no sense.
        case notElf(String)
        /// Reading the process failed.
        case read(RemoteReadError)
    }

    static let maxProgramHeaders = 128
    static let maxDynamicEntries = 4096
    static let maxChain = 1 << 16
    static let symbolSize = 24

    /// The run-time address of the defined dynamic symbol `name` in `image`, nil when the library has none.
    public static func address(of name: String, in image: Image, memory: MemorySource) throws(Failure) -> UInt64? {
        let header = try read(memory, image.base, 64)
        guard header.count == 64, header[0] == 0x7F, header[1] == 0x45, header[2] == 0x4C, header[3] == 0x46 else {
            throw .notElf("no ELF header at 0x\(String(image.base, radix: 16))")
        }
        guard header[4] == 2, header[5] == 1 else { throw .notElf("not a 64-bit little-endian ELF image") }
        let phoff = header.word(at: 32)
        let phentsize = Int(header.unsigned(at: 54, width: 2))
        let phnum = Int(header.unsigned(at: 56, width: 2))
        guard phentsize >= 56, phnum > 0, phnum <= maxProgramHeaders, phoff < image.high - image.base else {
            throw .notElf("bad program headers")
        }
        let programHeaders = try read(memory, image.base + phoff, phentsize * phnum)
        var firstLoad: UInt64?
        var dynamic: (address: UInt64, size: UInt64)?
        for i in 0..<phnum {
            let at = i * phentsize
            let type = programHeaders.unsigned(at: at, width: 4)
            let vaddr = programHeaders.word(at: at + 16)
            if type == 1 { firstLoad = min(firstLoad ?? vaddr, vaddr) }                        // PT_LOAD
            if type == 2 { dynamic = (vaddr, programHeaders.word(at: at + 40)) }               // PT_DYNAMIC
        }
        guard let firstLoad, let dynamic else { throw .notElf("no PT_LOAD or PT_DYNAMIC") }
        let bias = image.base &- (firstLoad & ~0xFFF)
        let entryCount = min(Int(min(dynamic.size, 1 << 20)) / 16, maxDynamicEntries)
        let entries = try read(memory, bias &+ dynamic.address, entryCount * 16)
        var tags: [UInt64: UInt64] = [:]
        for i in 0..<entryCount {
            let tag = entries.word(at: i * 16)
            if tag == 0 { break }                                                              // DT_NULL
            if tags[tag] == nil { tags[tag] = entries.word(at: i * 16 + 8) }
        }
        // glibc's loader rewrites these pointers to run-time addresses in place, other loaders leave them as they are.
        func runtime(_ pointer: UInt64) -> UInt64 { pointer >= image.low && pointer < image.high ? pointer : bias &+ pointer }
        guard let symtab = tags[6].map(runtime), let strtab = tags[5].map(runtime) else { throw .notElf("no DT_SYMTAB or DT_STRTAB") }
        let table = SymbolTable(memory: memory, symtab: symtab, strtab: strtab, strsz: tags[10] ?? UInt64(1 << 20),
                                syment: Int(tags[11] ?? UInt64(symbolSize)))
        let symbol: Symbol?
        if let gnuHash = tags[0x6FFF_FEF5].map(runtime) {                                       // DT_GNU_HASH
            symbol = try table.lookupGNU(name, hashTable: gnuHash)
        } else if let hash = tags[4].map(runtime) {                                            // DT_HASH
            symbol = try table.lookupSysV(name, hashTable: hash)
        } else {
            throw .notElf("no hash table")
        }
        guard let symbol, symbol.sectionIndex != 0 else { return nil }
        return bias &+ symbol.value
    }

    static func read(_ memory: MemorySource, _ address: UInt64, _ count: Int) throws(Failure) -> [UInt8] {
        do { return try memory.read(address, count: count) } catch { throw .read(error) }
    }

    struct Symbol {
        var nameOffset: UInt64
        var sectionIndex: UInt64
        var value: UInt64
    }

    struct SymbolTable {
        var memory: MemorySource
        var symtab: UInt64
        var strtab: UInt64
        var strsz: UInt64
        var syment: Int

        func symbol(_ index: UInt64) throws(Failure) -> Symbol {
            let bytes = try read(memory, symtab &+ index &* UInt64(max(syment, symbolSize)), symbolSize)
            return Symbol(nameOffset: bytes.unsigned(at: 0, width: 4), sectionIndex: bytes.unsigned(at: 6, width: 2),
                          value: bytes.word(at: 8))
        }

        func hasName(_ symbol: Symbol, _ name: [UInt8]) throws(Failure) -> Bool {
            guard symbol.nameOffset + UInt64(name.count) < strsz else { return false }
            return try read(memory, strtab &+ symbol.nameOffset, name.count + 1) == name + [0]
        }

        /// The GNU hash table: buckets of symbol indices, and chains of hashes whose low bit ends a chain.
        func lookupGNU(_ name: String, hashTable: UInt64) throws(Failure) -> Symbol? {
            let bytes = Array(name.utf8)
            let head = try read(memory, hashTable, 16)
            let bucketCount = head.unsigned(at: 0, width: 4)
            let symbolOffset = head.unsigned(at: 4, width: 4)
            let bloomSize = head.unsigned(at: 8, width: 4)
            guard bucketCount > 0, bucketCount < 1 << 24, bloomSize < 1 << 24 else { throw .notElf("bad GNU hash table") }
            var hash: UInt32 = 5381
            for byte in bytes { hash = hash &* 33 &+ UInt32(byte) }
            let buckets = hashTable + 16 + bloomSize * 8
            var index = try read(memory, buckets + UInt64(hash) % bucketCount * 4, 4).unsigned(at: 0, width: 4)
            guard index >= symbolOffset else { return nil }
            let chains = buckets + bucketCount * 4
            for _ in 0..<maxChain {
                let chainHash = try read(memory, chains + (index - symbolOffset) * 4, 4).unsigned(at: 0, width: 4)
                if chainHash | 1 == UInt64(hash | 1) {
                    let candidate = try symbol(index)
                    if try hasName(candidate, bytes) { return candidate }
                }
                if chainHash & 1 != 0 { return nil }
                index += 1
            }
            return nil
        }

        /// The System V hash table: buckets and chains of symbol indices.
        func lookupSysV(_ name: String, hashTable: UInt64) throws(Failure) -> Symbol? {
            let bytes = Array(name.utf8)
            let head = try read(memory, hashTable, 8)
            let bucketCount = head.unsigned(at: 0, width: 4)
            let chainCount = head.unsigned(at: 4, width: 4)
            guard bucketCount > 0, bucketCount < 1 << 24, chainCount < 1 << 24 else { throw .notElf("bad hash table") }
            var hash: UInt32 = 0
            for byte in bytes {
                hash = (hash << 4) &+ UInt32(byte)
                let high = hash & 0xF000_0000
                if high != 0 { hash ^= high >> 24 }
                hash &= ~high
            }
            let chains = hashTable + 8 + bucketCount * 4
            var index = try read(memory, hashTable + 8 + UInt64(hash) % bucketCount * 4, 4).unsigned(at: 0, width: 4)
            for _ in 0..<maxChain where index != 0 && index < chainCount {
                let candidate = try symbol(index)
                if try hasName(candidate, bytes) { return candidate }
                index = try read(memory, chains + index * 4, 4).unsigned(at: 0, width: 4)
            }
            return nil
        }
    }
}
