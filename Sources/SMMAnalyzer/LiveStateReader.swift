import SwiftMM
#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// Reads the live state of a running process that uses SwiftMM, from outside and without stopping it:
/// `/proc/PID/maps` locates libswiftmm.so, its dynamic symbol table in the process's memory gives the address of
/// `smm_live_anchor`, and the anchor describes everything else, which is read with `process_vm_readv`.
public struct LiveStateReader: Sendable {
    /// Walks of the heaps before settling for one that saw the process change under it.
    public var maxAttempts = 5
    /// The anchor's symbol in libswiftmm.so.
    public static let anchorSymbol = "smm_live_anchor"

    public init() {}

    /// The live state of process `pid`.
    public func read(pid: Int32, capturedAt: Double = Date().timeIntervalSince1970) throws(LiveStateError) -> LiveState {
        guard access("/proc/self/stat", F_OK) == 0 else {
            throw .readFailed(pid: pid, reason: "no /proc file system: smm needs /proc (mount -t proc proc /proc)")
        }
        let directory = "/proc/\(pid)"
        guard pid > 0, access(directory, F_OK) == 0 else { throw .noSuchProcess(pid: pid) }
        let maps: [UInt8]
        do {
            maps = try ProcFile.readBytes(directory + "/maps")
        } catch {
            switch error.errno {
            case EACCES, EPERM: throw .permissionDenied(pid: pid)
            case ENOENT, ESRCH: throw .processExited(pid: pid)
            default: throw .readFailed(pid: pid, reason: "\(directory)/maps: \(String(cString: strerror(error.errno)))")
            }
        }
        let mappings = MapsParser.parse(maps)
        let libraries = LiveLibrary.find(in: mappings)
        guard let firstLibrary = libraries.first else {
            if access(directory, F_OK) != 0 { throw .processExited(pid: pid) }
            if mappings.isEmpty { throw .readFailed(pid: pid, reason: "it has no user address space (a kernel thread or a zombie)") }
            throw .notSwiftMM(pid: pid)
        }
        let memory = RemoteMemory(pid: pid)
        var found: (library: LiveLibrary, address: UInt64)?
        for library in libraries {
            let address: UInt64?
            do {
                address = try ElfSymbolLookup.address(of: Self.anchorSymbol, in: library.image, memory: memory)
            } catch {
                switch error {
                case .read(let failure): throw Self.error(failure, pid: pid)
                case .notElf(let reason):
                    throw .layoutMismatch(pid: pid, library: library.path, reason: "is not an ELF image smm can read (\(reason))")
                }
            }
            if let address {
                found = (library, address)
                break
            }
        }
        guard let found else {
            throw .layoutMismatch(pid: pid, library: firstLibrary.path,
                                  reason: "has no \(Self.anchorSymbol) symbol (it was built before smm state existed); "
                                      + "rebuild it, or use the smm built with it")
        }
        return try read(memory: memory, anchorAddress: found.address, pid: pid, library: found.library.path,
                        command: Self.command(directory), capturedAt: capturedAt)
    }

    /// The state behind the anchor at `anchorAddress` in `memory`.
    public func read(memory: MemorySource, anchorAddress: UInt64, pid: Int32, library: String, command: String = "",
                     capturedAt: Double = Date().timeIntervalSince1970) throws(LiveStateError) -> LiveState {
        let layout: LiveLayout
        do {
            let head = try memory.read(anchorAddress, count: 32)
            let size = try LiveLayout.header(head)
            layout = try LiveLayout(try memory.read(anchorAddress, count: size))
        } catch let problem as LiveLayout.Problem {
            throw .layoutMismatch(pid: pid, library: library, reason: problem.reason)
        } catch let failure as RemoteReadError {
            throw Self.error(failure, pid: pid)
        } catch {
            throw .readFailed(pid: pid, reason: "\(error)")
        }
        var state = LiveState(pid: pid, command: command, library: library, libraryVersion: "", layoutVersion: Int(LiveLayout.version),
                              capturedAt: capturedAt, consistent: true, attempts: 0, heaps: 0, segments: 0,
                              heapStatus: HeapStatus(reserved: 0, committed: 0, allocated: 0, free: 0, overhead: 0, currentUse: 0, peakUse: 0),
                              state: MemoryManagerState(classes: [], smallTotal: .total(.small), mediumTotal: .total(.medium),
                                                            largeTotal: .total(.large), allocated: 0, committed: 0, efficiency: 0),
                              memoryMap: [])
        // Before its first heap the process has allocated nothing through SwiftMM: the empty state.
        guard layout.published else { return state }
        state.libraryVersion = Self.string(memory, at: layout.versionAddress)
        var walk = LiveHeapWalk()
        repeat {
            state.attempts += 1
            do {
                walk = try LiveHeapWalk.walk(memory, layout)
            } catch {
                throw Self.error(error, pid: pid)
            }
        } while !walk.consistent && state.attempts < maxAttempts
        let figures = LiveState.figures(walk, layout: layout)
        state.consistent = walk.consistent
        state.heaps = walk.heaps
        state.segments = walk.segments.count
        state.heapStatus = figures.status
        state.state = figures.state
        state.memoryMap = figures.map
        return state
    }

    /// The error for a failed read of process `pid`.
    static func error(_ failure: RemoteReadError, pid: Int32) -> LiveStateError {
        let gone = access("/proc/\(pid)", F_OK) != 0
        switch failure {
        case .permissionDenied: return .permissionDenied(pid: pid)
        case .processGone: return .processExited(pid: pid)
        case .unmapped(let address):
            return gone ? .processExited(pid: pid) : .readFailed(pid: pid, reason: "address 0x\(String(address, radix: 16)) is not mapped")
        case .failed(let code):
            return gone ? .processExited(pid: pid) : .readFailed(pid: pid, reason: "process_vm_readv: \(String(cString: strerror(code)))")
        }
    }

    /// A C string of at most 63 bytes at `address`, or "" when it cannot be read.
    static func string(_ memory: MemorySource, at address: UInt64) -> String {
        guard address != 0, let bytes = try? memory.read(address, count: 64) else { return "" }
        return String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
    }

    static func command(_ directory: String) -> String {
        guard let bytes = try? ProcFile.readBytes(directory + "/cmdline", sizeHint: 4096), !bytes.isEmpty else { return "" }
        let trimmed = bytes.last == 0 ? bytes.dropLast() : bytes[...]
        return String(decoding: trimmed.map { $0 == 0 ? UInt8(ascii: " ") : $0 }, as: UTF8.self)
    }
}
