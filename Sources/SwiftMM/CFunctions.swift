#if canImport(Glibc)
import Glibc
#endif

/// The C functions of libswiftmm.so, resolved at run time.
///
/// When SwiftMM is the process's malloc (preloaded, or linked with `-lswiftmm`), its symbols are found in
/// the process. Otherwise the library is loaded from `LibraryLocator.locate()`; its `smm_*` functions then
/// manage their own heap beside the system malloc (blocks must go back through the same API).
struct CFunctions: @unchecked Sendable {
    typealias Malloc = @convention(c) (Int) -> UnsafeMutableRawPointer?
    typealias Free = @convention(c) (UnsafeMutableRawPointer?) -> Void
    typealias Calloc = @convention(c) (Int, Int) -> UnsafeMutableRawPointer?
    typealias Realloc = @convention(c) (UnsafeMutableRawPointer?, Int) -> UnsafeMutableRawPointer?
    typealias AlignedAlloc = @convention(c) (Int, Int) -> UnsafeMutableRawPointer?
    typealias UsableSize = @convention(c) (UnsafeMutableRawPointer?) -> Int
    typealias FreeSized = @convention(c) (UnsafeMutableRawPointer?, Int) -> Void
    typealias GetStats = @convention(c) (UnsafeMutableRawPointer?) -> Void
    typealias PrintStats = @convention(c) (Int32) -> Void
    typealias Collect = @convention(c) () -> Void
    typealias Fill = @convention(c) (UnsafeMutableRawPointer?) -> Void
    typealias MemoryMap = @convention(c) (UnsafeMutableRawPointer?, Int) -> Int
    typealias PointerQuery = @convention(c) (UnsafeMutableRawPointer?) -> Int32
    typealias ReportLeaks = @convention(c) (Int32) -> Int
    typealias CheckHeap = @convention(c) () -> Int32

    let malloc: Malloc
    let free: Free
    let calloc: Calloc
    let realloc: Realloc
    let alignedAlloc: AlignedAlloc
    let usableSize: UsableSize
    let freeSized: FreeSized
    let getStats: GetStats
    let printStats: PrintStats
    let collect: Collect
    let heapStatus: Fill
    let state: Fill
    let memoryMap: MemoryMap
    let registerExpectedLeak: PointerQuery
    let unregisterExpectedLeak: PointerQuery
    let reportLeaks: ReportLeaks
    let checkHeap: CheckHeap
    /// True when SwiftMM serves the process's own malloc.
    let isProcessAllocator: Bool
    let libraryPath: String?

    static let shared: Result<CFunctions, SwiftMMError> = load()

    private static func load() -> Result<CFunctions, SwiftMMError> {
        let processHandle = dlopen(nil, RTLD_NOW)
        if let handle = processHandle, dlsym(handle, "smm_malloc") != nil {
            if let functions = resolve(handle, path: nil, isProcessAllocator: true) { return .success(functions) }
        }
        guard let path = LibraryLocator.locate() else { return .failure(.libraryNotFound) }
        guard let handle = dlopen(path, RTLD_NOW | RTLD_LOCAL) else {
            return .failure(.libraryNotLoadable(path: path, reason: dlerror().map { String(cString: $0) } ?? "unknown"))
        }
        guard let functions = resolve(handle, path: path, isProcessAllocator: false) else {
            return .failure(.libraryNotLoadable(path: path, reason: "missing smm_* symbols"))
        }
        return .success(functions)
    }

    private static func resolve(_ handle: UnsafeMutableRawPointer, path: String?, isProcessAllocator: Bool) -> CFunctions? {
        func symbol<T>(_ name: String, as type: T.Type) -> T? {
            guard let p = dlsym(handle, name) else { return nil }
            return unsafeBitCast(p, to: type)
        }
        guard let malloc = symbol("smm_malloc", as: Malloc.self),
              let free = symbol("smm_free", as: Free.self),
              let calloc = symbol("smm_calloc", as: Calloc.self),
              let realloc = symbol("smm_realloc", as: Realloc.self),
              let alignedAlloc = symbol("smm_aligned_alloc", as: AlignedAlloc.self),
              let usableSize = symbol("smm_malloc_usable_size", as: UsableSize.self),
              let freeSized = symbol("smm_free_sized", as: FreeSized.self),
              let getStats = symbol("smm_get_stats", as: GetStats.self),
              let printStats = symbol("smm_print_stats", as: PrintStats.self),
              let collect = symbol("smm_collect", as: Collect.self),
              let heapStatus = symbol("smm_heap_status", as: Fill.self),
              let state = symbol("smm_state", as: Fill.self),
              let memoryMap = symbol("smm_memory_map", as: MemoryMap.self),
              let registerExpectedLeak = symbol("smm_register_expected_leak", as: PointerQuery.self),
              let unregisterExpectedLeak = symbol("smm_unregister_expected_leak", as: PointerQuery.self),
              let reportLeaks = symbol("smm_report_leaks", as: ReportLeaks.self),
              let checkHeap = symbol("smm_check_heap", as: CheckHeap.self)
        else { return nil }
        return CFunctions(malloc: malloc, free: free, calloc: calloc, realloc: realloc, alignedAlloc: alignedAlloc,
                          usableSize: usableSize, freeSized: freeSized, getStats: getStats, printStats: printStats,
                          collect: collect, heapStatus: heapStatus, state: state, memoryMap: memoryMap,
                          registerExpectedLeak: registerExpectedLeak, unregisterExpectedLeak: unregisterExpectedLeak,
                          reportLeaks: reportLeaks, checkHeap: checkHeap, isProcessAllocator: isProcessAllocator, libraryPath: path)
    }
}

/// Why the SwiftMM API is unavailable.
public enum SwiftMMError: Error, Equatable, CustomStringConvertible {
    /// libswiftmm.so is neither in the process nor found on disk.
    case libraryNotFound
    /// libswiftmm.so was found but could not be loaded.
    case libraryNotLoadable(path: String, reason: String)

    public var description: String {
        switch self {
        case .libraryNotFound:
            return "libswiftmm.so is not loaded and was not found (set SWIFTMM_LIBRARY, or place it next to the executable)"
        case let .libraryNotLoadable(path, reason):
            return "cannot load \(path): \(reason)"
        }
    }
}
