#if canImport(Glibc)
import Glibc
#endif

// The extended memory API (issue 6) as Swift values: memory managers, aligned allocation, reget, pages,
// memory blocks, JIT heaps and pointer queries. Each binds the smm_* functions of libswiftmm.so.

/// Why an extended-API call failed.
public enum MemoryAPIError: Error, Equatable, Sendable {
    /// An argument was out of range (an alignment that is not a power of two, a bad block kind, a foreign pointer).
    case invalidArgument
    /// The OS refused; `errno` says why.
    case system(errno: Int32)
    /// libswiftmm.so could not be bound.
    case unavailable(SwiftMMError)
}

/// The extended functions of libswiftmm.so, resolved with the same library `Memory` binds.
struct ExtendedFunctions: @unchecked Sendable {
    let handle: UnsafeMutableRawPointer

    static let shared: Result<ExtendedFunctions, SwiftMMError> = {
        switch CFunctions.shared {
        case .failure(let error): return .failure(error)
        case .success(let c):
            let handle = c.libraryPath.flatMap { dlopen($0, RTLD_NOW | RTLD_NOLOAD) } ?? dlopen(nil, RTLD_NOW)
            guard let handle, dlsym(handle, "smm_reget") != nil else {
                return .failure(.libraryNotLoadable(path: c.libraryPath ?? "process", reason: "no extended API (smm_reget)"))
            }
            return .success(ExtendedFunctions(handle: handle))
        }
    }()

    static func get() throws(MemoryAPIError) -> ExtendedFunctions {
        switch shared {
        case .success(let f): return f
        case .failure(let e): throw .unavailable(e)
        }
    }

    func symbol<T>(_ name: String, as type: T.Type) -> T {
        guard let p = dlsym(handle, name) else { fatalError("libswiftmm.so lacks \(name)") }
        return unsafeBitCast(p, to: type)
    }

    // Looked up with dlsym on use (these calls are not hot).
    var mallocAligned: @convention(c) (Int, Int) -> UnsafeMutableRawPointer? { symbol("smm_malloc_aligned", as: (@convention(c) (Int, Int) -> UnsafeMutableRawPointer?).self) }
    var reget: @convention(c) (UnsafeMutableRawPointer?, Int) -> UnsafeMutableRawPointer? { symbol("smm_reget", as: (@convention(c) (UnsafeMutableRawPointer?, Int) -> UnsafeMutableRawPointer?).self) }
    var owns: @convention(c) (UnsafeRawPointer?) -> Int32 { symbol("smm_owns", as: (@convention(c) (UnsafeRawPointer?) -> Int32).self) }
    var minimize: @convention(c) () -> Int { symbol("smm_heap_minimize", as: (@convention(c) () -> Int).self) }
    var memoryOptions: @convention(c) (UnsafeRawPointer?, UnsafeMutableRawPointer?) -> Int32 { symbol("smm_memory_options", as: (@convention(c) (UnsafeRawPointer?, UnsafeMutableRawPointer?) -> Int32).self) }
    var getManager: @convention(c) (UnsafeMutableRawPointer?) -> Void { symbol("smm_get_memory_manager", as: (@convention(c) (UnsafeMutableRawPointer?) -> Void).self) }
    var setManager: @convention(c) (UnsafeRawPointer?) -> Int32 { symbol("smm_set_memory_manager", as: (@convention(c) (UnsafeRawPointer?) -> Int32).self) }
    var blockAlloc: @convention(c) (Int32) -> UnsafeMutableRawPointer? { symbol("smm_block_alloc", as: (@convention(c) (Int32) -> UnsafeMutableRawPointer?).self) }
    var blockFree: @convention(c) (UnsafeMutableRawPointer?) -> Void { symbol("smm_block_free", as: (@convention(c) (UnsafeMutableRawPointer?) -> Void).self) }
    var pagesAlloc: @convention(c) (Int) -> UnsafeMutableRawPointer? { symbol("smm_pages_alloc", as: (@convention(c) (Int) -> UnsafeMutableRawPointer?).self) }
    var pagesReget: @convention(c) (UnsafeMutableRawPointer?, Int) -> UnsafeMutableRawPointer? { symbol("smm_pages_reget", as: (@convention(c) (UnsafeMutableRawPointer?, Int) -> UnsafeMutableRawPointer?).self) }
    var pagesRealloc: @convention(c) (UnsafeMutableRawPointer?, Int) -> UnsafeMutableRawPointer? { symbol("smm_pages_realloc", as: (@convention(c) (UnsafeMutableRawPointer?, Int) -> UnsafeMutableRawPointer?).self) }
    var pagesFree: @convention(c) (UnsafeMutableRawPointer?) -> Int32 { symbol("smm_pages_free", as: (@convention(c) (UnsafeMutableRawPointer?) -> Int32).self) }
    var pagesProtect: @convention(c) (UnsafeMutableRawPointer?, Int, Int32) -> Int32 { symbol("smm_pages_protect", as: (@convention(c) (UnsafeMutableRawPointer?, Int, Int32) -> Int32).self) }
    var pagesRights: @convention(c) (UnsafeRawPointer?) -> Int32 { symbol("smm_pages_rights", as: (@convention(c) (UnsafeRawPointer?) -> Int32).self) }
    var jitCreate: @convention(c) (UInt32) -> OpaquePointer? { symbol("smm_jit_create", as: (@convention(c) (UInt32) -> OpaquePointer?).self) }
    var jitAlloc: @convention(c) (OpaquePointer?, Int, UnsafeMutablePointer<UnsafeMutableRawPointer?>?) -> UnsafeMutableRawPointer? { symbol("smm_jit_alloc", as: (@convention(c) (OpaquePointer?, Int, UnsafeMutablePointer<UnsafeMutableRawPointer?>?) -> UnsafeMutableRawPointer?).self) }
    var jitExecutable: @convention(c) (OpaquePointer?) -> Int32 { symbol("smm_jit_make_executable", as: (@convention(c) (OpaquePointer?) -> Int32).self) }
    var jitWritable: @convention(c) (OpaquePointer?) -> Int32 { symbol("smm_jit_make_writable", as: (@convention(c) (OpaquePointer?) -> Int32).self) }
    var jitUsed: @convention(c) (OpaquePointer?) -> Int { symbol("smm_jit_used", as: (@convention(c) (OpaquePointer?) -> Int).self) }
    var jitClear: @convention(c) (OpaquePointer?) -> Void { symbol("smm_jit_clear", as: (@convention(c) (OpaquePointer?) -> Void).self) }
    var jitDestroy: @convention(c) (OpaquePointer?) -> Void { symbol("smm_jit_destroy", as: (@convention(c) (OpaquePointer?) -> Void).self) }
}

// MARK: - Memory: aligned allocation, reget, ownership, queries

extension Memory {
    /// Allocates `byteCount` bytes aligned to `alignment` (a power of two from 16 B to 1 MiB) with
    /// `smm_malloc_aligned`. `reallocate` and `reget` keep the alignment; release the block with `free`.
    public func allocateAligned(byteCount: Int, alignment: Int) throws(MemoryAPIError) -> UnsafeMutableRawPointer {
        guard alignment >= 16, alignment <= 1 << 20, alignment & (alignment - 1) == 0, byteCount >= 0 else { throw .invalidArgument }
        guard let p = try ExtendedFunctions.get().mallocAligned(alignment, byteCount) else { throw .system(errno: ENOMEM) }
        return p
    }

    /// Resizes the block at `pointer` WITHOUT keeping its contents (`smm_reget`): in place when it fits, else a
    /// fresh block with the same alignment (the old one is freed, nothing is copied). A nil pointer allocates.
    /// On failure the old block is untouched.
    public func reget(_ pointer: UnsafeMutableRawPointer?, byteCount: Int) throws(MemoryAPIError) -> UnsafeMutableRawPointer {
        precondition(byteCount > 0, "use free(_:) to release a block")
        guard let p = try ExtendedFunctions.get().reget(pointer, byteCount) else { throw .system(errno: ENOMEM) }
        return p
    }

    /// True when `pointer` lies in memory SwiftMM handed out and has not taken back (FastMM's DidAlloc): a
    /// block of any tier, memory pages, a memory block or JIT code.
    public func owns(_ pointer: UnsafeRawPointer?) -> Bool {
        (try? ExtendedFunctions.get().owns(pointer)) == 1
    }

    /// Returns the calling thread's free memory (free pages, the large-block cache, cached memory blocks) to the
    /// OS now. Returns the bytes of committed memory released (a process-wide figure).
    @discardableResult
    public func minimize() -> Int {
        (try? ExtendedFunctions.get().minimize()) ?? 0
    }

    /// What SwiftMM knows about any pointer (`smm_memory_options`): its tier, block, rights and owning thread.
    public func info(of pointer: UnsafeRawPointer?) -> MemoryInfo {
        var raw = (Int32(-1), Int32(-1), UInt(0), 0, 0, 0)       // smm_memory_info: tier, rights, base, size, alignment, thread
        if let f = try? ExtendedFunctions.get() {
            withUnsafeMutableBytes(of: &raw) { _ = f.memoryOptions(pointer, $0.baseAddress) }
        }
        return MemoryInfo(tier: MemoryInfo.Tier(raw: raw.0), rights: raw.1 < 0 ? nil : PageRights(rawValue: raw.1),
                          base: UnsafeRawPointer(bitPattern: raw.2), size: raw.3, alignment: raw.4,
                          threadID: raw.5 == 0 ? nil : raw.5)
    }
}

/// What SwiftMM knows about a pointer (C: `smm_memory_info`).
public struct MemoryInfo: @unchecked Sendable, Equatable {
    /// Where a pointer lives.
    public enum Tier: Sendable, Equatable {
        /// A block of up to 8 KiB.
        case small
        /// A block of up to 256 KiB.
        case medium
        /// A block with a mapping of its own.
        case large
        /// Pages from `MemoryPages`.
        case pages
        /// A `MemoryBlock`.
        case block
        /// Code space of a `JITHeap`.
        case jit
        /// Not SwiftMM's memory.
        case none

        init(raw: Int32) {
            switch raw {
            case 0: self = .small
            case 1: self = .medium
            case 2: self = .large
            case 4: self = .pages
            case 5: self = .block
            case 6: self = .jit
            default: self = .none
            }
        }
    }

    /// The tier.
    public var tier: Tier
    /// The rights of the page holding the pointer; nil when it is not mapped.
    public var rights: PageRights?
    /// Start of the block or region holding the pointer (nil for `.none`).
    public var base: UnsafeRawPointer?
    /// Bytes of that block or region.
    public var size: Int
    /// The largest power of two dividing the pointer (at most 1 MiB).
    public var alignment: Int
    /// Kernel thread id of the thread whose heap owns the block; nil when none does.
    public var threadID: Int?
}

/// Access rights of memory pages: read, write, execute.
public struct PageRights: OptionSet, Sendable, Hashable {
    /// The C bits `SMM_PAGE_*` (the same as `PROT_*`).
    public let rawValue: Int32
    /// Creates rights from `SMM_PAGE_*` bits.
    public init(rawValue: Int32) { self.rawValue = rawValue }
    /// The pages can be read.
    public static let read = PageRights(rawValue: 1)
    /// The pages can be written.
    public static let write = PageRights(rawValue: 2)
    /// The pages can be executed.
    public static let execute = PageRights(rawValue: 4)
    /// Read and write.
    public static let readWrite: PageRights = [.read, .write]
    /// Read and execute.
    public static let readExecute: PageRights = [.read, .execute]
}

// MARK: - Pages

/// A run of OS pages straight from the OS (`smm_pages_*`): page aligned, zeroed when fresh, resizable with or
/// without their contents, with access rights per page. Release them with `free()`.
public struct MemoryPages: @unchecked Sendable {
    /// The OS page size in bytes.
    public static let pageSize = 4096

    /// The first page.
    public private(set) var base: UnsafeMutableRawPointer
    /// How many pages.
    public private(set) var count: Int

    /// Bytes in the run.
    public var byteCount: Int { count * MemoryPages.pageSize }

    /// Maps `count` fresh zeroed read-write pages.
    public init(count: Int) throws(MemoryAPIError) {
        guard count > 0 else { throw .invalidArgument }
        guard let p = try ExtendedFunctions.get().pagesAlloc(count) else { throw .system(errno: errno) }
        base = p
        self.count = count
    }

    /// Resizes to `count` pages keeping the contents (`mremap`: nothing is copied; the pages may move).
    public mutating func reallocate(count: Int) throws(MemoryAPIError) {
        guard count > 0 else { throw .invalidArgument }
        guard let p = try ExtendedFunctions.get().pagesRealloc(base, count) else { throw .system(errno: errno) }
        base = p
        self.count = count
    }

    /// Resizes to `count` pages without keeping the contents: afterwards every page reads as zero and is read-write.
    public mutating func reget(count: Int) throws(MemoryAPIError) {
        guard count > 0 else { throw .invalidArgument }
        guard let p = try ExtendedFunctions.get().pagesReget(base, count) else { throw .system(errno: errno) }
        base = p
        self.count = count
    }

    /// Sets the rights of `pages` (page indexes within the run; all of them by default).
    public func protect(_ rights: PageRights, pages: Range<Int>? = nil) throws(MemoryAPIError) {
        let range = pages ?? 0..<count
        guard range.lowerBound >= 0, range.upperBound <= count, !range.isEmpty else { throw .invalidArgument }
        let e = try ExtendedFunctions.get().pagesProtect(base + range.lowerBound * MemoryPages.pageSize, range.count, rights.rawValue)
        if e != 0 { throw .system(errno: e) }
    }

    /// The rights of page `index`, as the kernel sees them.
    public func rights(ofPage index: Int = 0) -> PageRights {
        let r = (try? ExtendedFunctions.get().pagesRights(base + index * MemoryPages.pageSize)) ?? -1
        return PageRights(rawValue: max(r, 0))
    }

    /// Unmaps the pages. The value must not be used afterwards.
    public func free() {
        _ = try? ExtendedFunctions.get().pagesFree(base)
    }
}

// MARK: - Memory blocks

/// A fixed-size memory block (`smm_block_*`): 4 KiB to 1 MiB, aligned to its size, so a header kept at its start
/// is found from any pointer into it by masking (`MemoryBlock.start(of:kind:)`). Allocation and free use the
/// calling thread's cache without locks; any thread may free a block.
public struct MemoryBlock: @unchecked Sendable, Equatable {
    /// The block sizes.
    public enum Kind: Int32, CaseIterable, Sendable {
        /// 4 KiB.
        case size4K = 0
        /// 16 KiB.
        case size16K = 1
        /// 64 KiB.
        case size64K = 2
        /// 256 KiB.
        case size256K = 3
        /// 1 MiB.
        case size1M = 4

        /// Bytes in a block of this kind.
        public var byteCount: Int { 4096 << (2 * Int(rawValue)) }
    }

    /// The block's first byte (a multiple of `kind.byteCount`).
    public let address: UnsafeMutableRawPointer
    /// The block's size.
    public let kind: Kind

    /// Takes a block of `kind` (contents undefined).
    public init(_ kind: Kind) throws(MemoryAPIError) {
        guard let p = try ExtendedFunctions.get().blockAlloc(kind.rawValue) else { throw .system(errno: ENOMEM) }
        address = p
        self.kind = kind
    }

    /// The start of the block of `kind` holding `pointer`.
    public static func start(of pointer: UnsafeRawPointer, kind: Kind) -> UnsafeMutableRawPointer {
        UnsafeMutableRawPointer(bitPattern: UInt(bitPattern: pointer) & ~UInt(kind.byteCount - 1))!
    }

    /// Returns the block. The value must not be used afterwards.
    public func free() {
        (try? ExtendedFunctions.get())?.blockFree(address)
    }
}

// MARK: - JIT heap

/// Executable memory for generated code that is never writable and executable at once (W^X).
///
/// By default each chunk is a memory file mapped twice: code is written through `writable` and run at the
/// returned executable address. With `.toggle`, one mapping is switched between read-write and read-execute with
/// `makeWritable()` / `makeExecutable()`. `clear()` releases all code; the heap is destroyed with the object.
public final class JITHeap: @unchecked Sendable {
    /// How the heap works.
    public struct Options: OptionSet, Sendable {
        /// The C bits `SMM_JIT_*`.
        public let rawValue: UInt32
        /// Creates options from `SMM_JIT_*` bits.
        public init(rawValue: UInt32) { self.rawValue = rawValue }
        /// Every call takes a lock, so threads can share the heap.
        public static let synchronized = Options(rawValue: 1)
        /// One mapping toggled between read-write and read-execute instead of two views.
        public static let toggle = Options(rawValue: 2)
    }

    /// Code space handed out: where to run it and where to write it.
    public struct Allocation: @unchecked Sendable {
        /// The address to execute.
        public let executable: UnsafeRawPointer
        /// The address to write the code through (the same as `executable` in toggle mode).
        public let writable: UnsafeMutableRawPointer
    }

    private let f: ExtendedFunctions
    private let handle: OpaquePointer
    /// The options the heap was created with.
    public let options: Options

    /// Creates an empty heap.
    public init(options: Options = []) throws(MemoryAPIError) {
        f = try ExtendedFunctions.get()
        guard let h = f.jitCreate(options.rawValue) else { throw .system(errno: errno) }
        handle = h
        self.options = options
    }

    deinit { f.jitDestroy(handle) }

    /// `byteCount` bytes of code space, 16-byte aligned.
    public func allocate(byteCount: Int) throws(MemoryAPIError) -> Allocation {
        var writable: UnsafeMutableRawPointer?
        guard let x = f.jitAlloc(handle, byteCount, &writable), let writable else { throw .system(errno: errno) }
        return Allocation(executable: UnsafeRawPointer(x), writable: writable)
    }

    /// Copies `code` into fresh code space and returns the address to execute. In toggle mode the heap must be
    /// writable; call `makeExecutable()` before running the code.
    public func add<C: Collection>(code: C) throws(MemoryAPIError) -> UnsafeRawPointer where C.Element == UInt8 {
        let a = try allocate(byteCount: code.count)
        var i = 0
        for byte in code { a.writable.storeBytes(of: byte, toByteOffset: i, as: UInt8.self); i += 1 }
        return a.executable
    }

    /// Toggle mode: the whole heap becomes read-execute. No effect with two views.
    public func makeExecutable() throws(MemoryAPIError) {
        let e = f.jitExecutable(handle)
        if e != 0 { throw .system(errno: e) }
    }

    /// Toggle mode: the whole heap becomes read-write (not executable). No effect with two views.
    public func makeWritable() throws(MemoryAPIError) {
        let e = f.jitWritable(handle)
        if e != 0 { throw .system(errno: e) }
    }

    /// Bytes of code space handed out.
    public var usedBytes: Int { f.jitUsed(handle) }

    /// Releases all code memory; every address handed out becomes invalid. The heap stays usable.
    public func clear() { f.jitClear(handle) }
}

// MARK: - Memory manager

/// A memory manager in the style of Free Pascal's `TMemoryManager` (C: `smm_memory_manager`): the functions
/// malloc, free, calloc, realloc and malloc_usable_size route through once it is installed.
///
/// Read SwiftMM's own with `MemoryManager.current` before installing, and call its functions to chain to it.
/// Functions are C function pointers (Swift closures that capture nothing, `@convention(c)`).
///
/// ```swift
/// let swiftmm = try MemoryManager.current
/// var counting = swiftmm
/// counting.getMemory = { size in Counter.allocations += 1; return Counter.next.getMemory!(size) }
/// try MemoryManager.install(counting)
/// ```
public struct MemoryManager: @unchecked Sendable {
    /// malloc.
    public typealias GetMemory = @convention(c) (Int) -> UnsafeMutableRawPointer?
    /// free.
    public typealias FreeMemory = @convention(c) (UnsafeMutableRawPointer?) -> Void
    /// Free when the size matches; returns the bytes freed, 0 when refused.
    public typealias FreeMemorySized = @convention(c) (UnsafeMutableRawPointer?, Int) -> Int
    /// realloc.
    public typealias ReallocateMemory = @convention(c) (UnsafeMutableRawPointer?, Int) -> UnsafeMutableRawPointer?
    /// malloc_usable_size.
    public typealias MemorySize = @convention(c) (UnsafeMutableRawPointer?) -> Int
    /// A thread starts or ends.
    public typealias ThreadHook = @convention(c) () -> Void
    /// Fills an `smm_heap_status_t`.
    public typealias HeapStatusHook = @convention(c) (UnsafeMutableRawPointer?) -> Void

    /// SwiftMM calls the functions under one global lock (for managers that are not thread-safe).
    public var needsLock = false
    /// Allocates (required).
    public var getMemory: GetMemory?
    /// Frees (required).
    public var freeMemory: FreeMemory?
    /// Frees after checking the size.
    public var freeMemorySized: FreeMemorySized?
    /// Allocates zeroed memory (calloc).
    public var allocateZeroed: GetMemory?
    /// Resizes, keeping the contents.
    public var reallocateMemory: ReallocateMemory?
    /// The usable size of a block.
    public var memorySize: MemorySize?
    /// Called when a thread starts allocating.
    public var initThread: ThreadHook?
    /// Called when a thread ends.
    public var doneThread: ThreadHook?
    /// Reports heap figures.
    public var heapStatus: HeapStatusHook?

    /// A manager with no functions (fill in at least `getMemory` and `freeMemory`).
    public init() {}

    /// The installed manager; SwiftMM's own when none is installed.
    public static var current: MemoryManager {
        get throws(MemoryAPIError) {
            var words = [UInt](repeating: 0, count: 10)
            let f = try ExtendedFunctions.get()
            words.withUnsafeMutableBytes { f.getManager($0.baseAddress) }
            return MemoryManager(words: words)
        }
    }

    /// Installs `manager`; nil (or the record `current` gave before any install) restores SwiftMM's own. Takes
    /// effect at each thread's next allocation.
    public static func install(_ manager: MemoryManager?) throws(MemoryAPIError) {
        let f = try ExtendedFunctions.get()
        let result: Int32
        if let manager {
            guard manager.getMemory != nil, manager.freeMemory != nil else { throw .invalidArgument }
            result = manager.words.withUnsafeBytes { f.setManager($0.baseAddress) }
        } else {
            result = f.setManager(nil)
        }
        if result != 0 { throw result == EINVAL ? .invalidArgument : .system(errno: result) }
    }

    /// The C record: `int needs_lock` (padded to a word), then nine function pointers.
    private var words: [UInt] {
        func bits<T>(_ fn: T?) -> UInt { fn.map { unsafeBitCast($0, to: UInt.self) } ?? 0 }
        return [needsLock ? 1 : 0, bits(getMemory), bits(freeMemory), bits(freeMemorySized), bits(allocateZeroed),
                bits(reallocateMemory), bits(memorySize), bits(initThread), bits(doneThread), bits(heapStatus)]
    }

    private init(words w: [UInt]) {
        func fn<T>(_ word: UInt, _ type: T.Type) -> T? { word == 0 ? nil : unsafeBitCast(word, to: type) }
        needsLock = UInt32(truncatingIfNeeded: w[0]) != 0
        getMemory = fn(w[1], GetMemory.self)
        freeMemory = fn(w[2], FreeMemory.self)
        freeMemorySized = fn(w[3], FreeMemorySized.self)
        allocateZeroed = fn(w[4], GetMemory.self)
        reallocateMemory = fn(w[5], ReallocateMemory.self)
        memorySize = fn(w[6], MemorySize.self)
        initThread = fn(w[7], ThreadHook.self)
        doneThread = fn(w[8], ThreadHook.self)
        heapStatus = fn(w[9], HeapStatusHook.self)
    }
}
