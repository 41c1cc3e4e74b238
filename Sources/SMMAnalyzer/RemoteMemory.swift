#if canImport(Glibc)
import Glibc
#endif

/// Why a read of another process's memory failed.
public enum RemoteReadError: Error, Equatable, Sendable {
    /// Part of the range is not mapped (any more): the process changed its memory meanwhile, or the address is bad.
    case unmapped(address: UInt64)
    /// The kernel refused (EPERM): reading needs ptrace access to the process.
    case permissionDenied
    /// The process is gone, or has no address space left (ESRCH).
    case processGone
    /// Any other failure, with its errno (ENOSYS where a sandbox forbids the call).
    case failed(errno: Int32)
}

/// Memory of a process, read in pieces. `RemoteMemory` reads a live process; tests supply fakes.
public protocol MemorySource {
    /// `count` bytes at `address`, all of them or an error.
    func read(_ address: UInt64, count: Int) throws(RemoteReadError) -> [UInt8]
    /// The 64-bit words at `addresses`, read as close together in time as the source allows.
    func readWords(_ addresses: [UInt64]) throws(RemoteReadError) -> [UInt64]
}

extension MemorySource {
    public func readWords(_ addresses: [UInt64]) throws(RemoteReadError) -> [UInt64] {
        var words: [UInt64] = []
        for address in addresses { words.append(try read(address, count: 8).word(at: 0)) }
        return words
    }

    /// The 64-bit word at `address`.
    func word(_ address: UInt64) throws(RemoteReadError) -> UInt64 { try read(address, count: 8).word(at: 0) }
}

/// Reads another process's memory with `process_vm_readv(2)`. The kernel allows it only with ptrace access to the
/// process (the same user and a dumpable process, or CAP_SYS_PTRACE), and the process keeps running meanwhile.
public struct RemoteMemory: MemorySource {
    /// The process read.
    public let pid: Int32

    /// A reader of process `pid`'s memory.
    public init(pid: Int32) { self.pid = pid }

    private typealias ReadV = @convention(c) (pid_t, UnsafePointer<iovec>?, UInt, UnsafePointer<iovec>?, UInt, UInt) -> Int

    /// `process_vm_readv` from the C library (Swift's Glibc module does not declare it).
    private static let readv: ReadV? = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "process_vm_readv")
        .map { unsafeBitCast($0, to: ReadV.self) }

    /// At most this many iovecs per call (the kernel's IOV_MAX).
    private static let maxVectors = 1024

    public func read(_ address: UInt64, count: Int) throws(RemoteReadError) -> [UInt8] {
        guard count > 0 else { return [] }
        guard let readv = Self.readv else { throw .failed(errno: ENOSYS) }
        guard address <= UInt64(UInt.max) - UInt64(count) else { throw .unmapped(address: address) }
        var buffer = [UInt8](repeating: 0, count: count)
        var done = 0
        while done < count {
            let (n, code) = buffer.withUnsafeMutableBytes { raw -> (Int, Int32) in
                var local = iovec(iov_base: raw.baseAddress! + done, iov_len: count - done)
                var remote = iovec(iov_base: UnsafeMutableRawPointer(bitPattern: UInt(address) + UInt(done)), iov_len: count - done)
                let n = readv(pid, &local, 1, &remote, 1, 0)
                return (n, n < 0 ? errno : 0)
            }
            if n < 0 {
                if code == EINTR { continue }
                throw Self.classify(code, address: address + UInt64(done))
            }
            // A short read stops at the first page that is not mapped.
            if n == 0 { throw .unmapped(address: address + UInt64(done)) }
            done += n
        }
        return buffer
    }

    public func readWords(_ addresses: [UInt64]) throws(RemoteReadError) -> [UInt64] {
        guard let readv = Self.readv else { throw .failed(errno: ENOSYS) }
        var words = [UInt64](repeating: 0, count: addresses.count)
        var first = 0
        while first < addresses.count {
            let chunk = min(Self.maxVectors, addresses.count - first)
            var remote = (0..<chunk).map { i in
                iovec(iov_base: UnsafeMutableRawPointer(bitPattern: UInt(addresses[first + i])), iov_len: 8)
            }
            let (n, code) = words.withUnsafeMutableBytes { raw -> (Int, Int32) in
                var local = iovec(iov_base: raw.baseAddress! + first * 8, iov_len: chunk * 8)
                let n = remote.withUnsafeMutableBufferPointer { readv(pid, &local, 1, $0.baseAddress, UInt(chunk), 0) }
                return (n, n < 0 ? errno : 0)
            }
            if n < 0 {
                if code == EINTR { continue }
                throw Self.classify(code, address: addresses[first])
            }
            if n < chunk * 8 { throw .unmapped(address: addresses[first + n / 8]) }
            first += chunk
        }
        return words
    }

    static func classify(_ code: Int32, address: UInt64) -> RemoteReadError {
        switch code {
        case EPERM, EACCES: .permissionDenied
        case ESRCH: .processGone
        case EFAULT: .unmapped(address: address)
        default: .failed(errno: code)
        }
    }
}

extension [UInt8] {
    /// The little-endian 64-bit word at byte `offset`; 0 past the end.
    func word(at offset: Int) -> UInt64 { unsigned(at: offset, width: 8) }

    /// The little-endian unsigned integer of `width` bytes at `offset`; 0 when it does not fit.
    func unsigned(at offset: Int, width: Int) -> UInt64 {
        guard offset >= 0, width <= 8, offset + width <= count else { return 0 }
        var value: UInt64 = 0
        for i in (0..<width).reversed() { value = value << 8 | UInt64(self[offset + i]) }
        return value
    }

    /// The little-endian signed integer of `width` bytes at `offset`.
    func signed(at offset: Int, width: Int) -> Int64 {
        let raw = unsigned(at: offset, width: width)
        guard width < 8 else { return Int64(bitPattern: raw) }
        let shift = UInt64(64 - width * 8)
        return Int64(bitPattern: raw << shift) >> Int64(shift)
    }
}
