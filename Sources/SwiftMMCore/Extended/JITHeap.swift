// JIT heaps: memory for generated code that is never writable and executable at once (W^X).
//
// Dual mapping (default): each chunk is a memfd mapped twice, once read+write (where code is written) and once
// read+execute (where it runs); neither view ever changes rights. Toggle mode (SMM_JIT_TOGGLE): one mapping,
// switched between read+write and read+execute for the whole heap. Code space is bump-allocated in chunks of
// 64 KiB and up; smm_jit_clear unmaps every chunk. SMM_JIT_SYNCHRONIZED heaps take a lock on every call.
//
// The heap's header is one metadata page: flags, a lock word, the chunk count, the bytes handed out, then one
// record per chunk (writable view, executable view, size, used).
import SwiftMMShim
import Synchronization

enum JITHeaps {
    static let flagsOffset = 0
    static let lockOffset = 8
    static let countOffset = 16
    static let usedOffset = 24
    static let chunksOffset = 32
    static let chunkStride = 32
    static let maxChunks = (4096 - 32) / 32
    static let magic: UInt = 0x4A49_5448_4541_0000     // low 16 bits: the flags
    static let executableState: UInt = 0x100            // toggle mode: currently read+execute

    struct Chunk { var writable: UInt; var executable: UInt; var size: Int; var used: Int }

    static func create(_ flags: UInt32) -> RawPointer? {
        if flags & ~UInt32(3) != 0 { Platform.setErrno(EINVAL); return nil }
        guard let h = Platform.mapMemory(Geometry.osPageSize, name: .metadata) else { Platform.setErrno(ENOMEM); return nil }
        h.storeBytes(of: magic | UInt(flags), toByteOffset: flagsOffset, as: UInt.self)
        return h
    }

    @inline(__always) static func flags(_ h: RawPointer) -> UInt { h.load(fromByteOffset: flagsOffset, as: UInt.self) }
    @inline(__always) static func isValid(_ h: RawPointer) -> Bool { flags(h) & ~UInt(0xFFFF) == magic }
    @inline(__always) static func isToggle(_ h: RawPointer) -> Bool { flags(h) & UInt(SMM_JIT_TOGGLE) != 0 }
    @inline(__always) static func lockWord(_ h: RawPointer) -> UnsafeMutablePointer<Atomic<UInt32>> {
        (h + lockOffset).assumingMemoryBound(to: Atomic<UInt32>.self)
    }
    @inline(__always) static func chunk(_ h: RawPointer, _ i: Int) -> UnsafeMutablePointer<Chunk> {
        (h + chunksOffset + i &* chunkStride).assumingMemoryBound(to: Chunk.self)
    }
    @inline(__always) static func count(_ h: RawPointer) -> Int { h.load(fromByteOffset: countOffset, as: Int.self) }

    /// Runs `body` under the heap's lock when it is synchronized.
    static func locked<T>(_ h: RawPointer, _ body: () -> T) -> T {
        guard flags(h) & UInt(SMM_JIT_SYNCHRONIZED) != 0 else { return body() }
        let word = lockWord(h)
        var spins = 0
        while !word.pointee.compareExchange(expected: 0, desired: 1, ordering: .acquiring).exchanged {
            spins &+= 1
            if spins > 64 { Platform.yield(); spins = 0 }
        }
        let result = body()
        word.pointee.store(0, ordering: .releasing)
        return result
    }

    static func allocate(_ h: RawPointer, _ size: Int, _ writable: UnsafeMutablePointer<UnsafeMutableRawPointer?>?) -> RawPointer? {
        if size < 0 || size > 1 &<< 40 { Platform.setErrno(ENOMEM); return nil }
        let rounded = (max(size, 1) &+ 15) & ~15
        let n = count(h)
        var c: UnsafeMutablePointer<Chunk>? = n > 0 ? chunk(h, n &- 1) : nil
        if c == nil || c.unsafelyUnwrapped.pointee.size &- c.unsafelyUnwrapped.pointee.used < rounded {
            c = addChunk(h, minimum: rounded)
        }
        guard let c else { return nil }
        let offset = c.pointee.used
        c.pointee.used &+= rounded
        h.storeBytes(of: h.load(fromByteOffset: usedOffset, as: Int.self) &+ rounded, toByteOffset: usedOffset, as: Int.self)
        writable?.pointee = RawPointer(bitPattern: c.pointee.writable &+ UInt(offset))
        return RawPointer(bitPattern: c.pointee.executable &+ UInt(offset))
    }

    private static func addChunk(_ h: RawPointer, minimum: Int) -> UnsafeMutablePointer<Chunk>? {
        let n = count(h)
        guard n < maxChunks, let least = LargeBlocks.pageRound(minimum) else { Platform.setErrno(ENOMEM); return nil }
        let size = max(least, (64 &<< 10) &<< min(n, 8))          // 64 KiB, doubling up to 16 MiB
        var rw: RawPointer
        var rx: RawPointer
        if isToggle(h) {
            guard let p = Platform.mapMemory(size, name: .jit) else { Platform.setErrno(ENOMEM); return nil }
            if flags(h) & executableState != 0 { _ = Platform.protect(p, size, PROT_READ | PROT_EXEC) }
            rw = p
            rx = p
        } else {
            let fd = Platform.createMemoryFile(size)
            if fd < 0 { return nil }
            defer { Platform.close(fd) }
            guard let w = Platform.mapFile(fd, size, PROT_READ | PROT_WRITE) else { Platform.setErrno(ENOMEM); return nil }
            guard let x = Platform.mapFile(fd, size, PROT_READ | PROT_EXEC) else {
                Platform.unmapFile(w, size); Platform.setErrno(ENOMEM); return nil
            }
            rw = w
            rx = x
        }
        let c = chunk(h, n)
        c.initialize(to: Chunk(writable: UInt(bitPattern: rw), executable: UInt(bitPattern: rx), size: size, used: 0))
        h.storeBytes(of: n &+ 1, toByteOffset: countOffset, as: Int.self)
        if rw == rx {
            _ = Regions.insert(Region(address: UInt(bitPattern: rx), size: size, kind: RegionKind.jitExecutable, extra: 0))
        } else {
            _ = Regions.insert(Region(address: UInt(bitPattern: rw), size: size, kind: RegionKind.jitWritable, extra: Int(bitPattern: UInt(bitPattern: rx))))
            _ = Regions.insert(Region(address: UInt(bitPattern: rx), size: size, kind: RegionKind.jitExecutable, extra: Int(bitPattern: UInt(bitPattern: rw))))
        }
        return c
    }

    /// Toggle mode: every chunk read+execute (`executable`) or read+write. Returns 0 or errno.
    static func setExecutable(_ h: RawPointer, _ executable: Bool) -> Int32 {
        guard isToggle(h) else { return 0 }
        var result: Int32 = 0
        for i in 0..<count(h) {
            let c = chunk(h, i)
            let e = Platform.protect(RawPointer(bitPattern: c.pointee.executable).unsafelyUnwrapped, c.pointee.size,
                                     executable ? PROT_READ | PROT_EXEC : PROT_READ | PROT_WRITE)
            if e != 0 { result = e }
        }
        let f = flags(h)
        h.storeBytes(of: executable ? f | executableState : f & ~executableState, toByteOffset: flagsOffset, as: UInt.self)
        return result
    }

    static func clear(_ h: RawPointer) {
        for i in 0..<count(h) {
            let c = chunk(h, i).pointee
            Regions.remove(c.executable)
            let rx = RawPointer(bitPattern: c.executable).unsafelyUnwrapped
            if c.writable == c.executable {
                Platform.unmap(rx, c.size, committed: c.size)
            } else {
                Regions.remove(c.writable)
                Platform.unmapFile(RawPointer(bitPattern: c.writable).unsafelyUnwrapped, c.size)
                Platform.unmapFile(rx, c.size)
            }
        }
        h.storeBytes(of: 0, toByteOffset: countOffset, as: Int.self)
        h.storeBytes(of: 0, toByteOffset: usedOffset, as: Int.self)
    }
}

@c public func smm_jit_create(_ flags: UInt32) -> OpaquePointer? {
    JITHeaps.create(flags).map { OpaquePointer($0) }
}

@c public func smm_jit_alloc(_ heap: OpaquePointer?, _ size: Int, _ writable: UnsafeMutablePointer<UnsafeMutableRawPointer?>?) -> UnsafeMutableRawPointer? {
    guard let h = RawPointer(heap), JITHeaps.isValid(h) else { Platform.setErrno(EINVAL); return nil }
    return JITHeaps.locked(h) { JITHeaps.allocate(h, size, writable) }
}

@c public func smm_jit_make_executable(_ heap: OpaquePointer?) -> Int32 {
    guard let h = RawPointer(heap), JITHeaps.isValid(h) else { return EINVAL }
    return JITHeaps.locked(h) { JITHeaps.setExecutable(h, true) }
}

@c public func smm_jit_make_writable(_ heap: OpaquePointer?) -> Int32 {
    guard let h = RawPointer(heap), JITHeaps.isValid(h) else { return EINVAL }
    return JITHeaps.locked(h) { JITHeaps.setExecutable(h, false) }
}

@c public func smm_jit_used(_ heap: OpaquePointer?) -> Int {
    guard let h = RawPointer(heap), JITHeaps.isValid(h) else { return 0 }
    return JITHeaps.locked(h) { h.load(fromByteOffset: JITHeaps.usedOffset, as: Int.self) }
}

@c public func smm_jit_clear(_ heap: OpaquePointer?) {
    guard let h = RawPointer(heap), JITHeaps.isValid(h) else { return }
    JITHeaps.locked(h) { JITHeaps.clear(h) }
}

@c public func smm_jit_destroy(_ heap: OpaquePointer?) {
    guard let h = RawPointer(heap), JITHeaps.isValid(h) else { return }
    JITHeaps.locked(h) { JITHeaps.clear(h) }
    h.storeBytes(of: 0, toByteOffset: JITHeaps.flagsOffset, as: UInt.self)
    Platform.unmap(h, Geometry.osPageSize, committed: Geometry.osPageSize)
}
