// SwiftMM's C API: the smm_* functions declared in swiftmm.h. The standard names (malloc, free, ...) in
// override.c forward here. Argument checks and errno live here, once.
import SwiftMMShim
import Synchronization

@c public func smm_malloc(_ size: Int) -> UnsafeMutableRawPointer? {
    Allocator.allocate(size)
}

@c public func smm_free(_ p: UnsafeMutableRawPointer?) {
    Allocator.free(p)
}

@c public func smm_calloc(_ count: Int, _ size: Int) -> UnsafeMutableRawPointer? {
    if MemoryManagers.isActive { return MemoryManagers.allocateZeroed(count, size) }
    return Allocator.allocateZeroed(count, size)
}

@c public func smm_realloc(_ p: UnsafeMutableRawPointer?, _ size: Int) -> UnsafeMutableRawPointer? {
    if MemoryManagers.isActive { return MemoryManagers.reallocate(p, size) }
    return Allocator.reallocate(p, size)
}

@c public func smm_reallocarray(_ p: UnsafeMutableRawPointer?, _ count: Int, _ size: Int) -> UnsafeMutableRawPointer? {
    let (total, overflow) = UInt(bitPattern: count).multipliedReportingOverflow(by: UInt(bitPattern: size))
    if overflow { Platform.setErrno(ENOMEM); return nil }
    return smm_realloc(p, Int(bitPattern: total))
}

@c public func smm_posix_memalign(_ result: UnsafeMutablePointer<UnsafeMutableRawPointer?>?, _ alignment: Int, _ size: Int) -> Int32 {
    guard let result else { return EINVAL }
    if !Allocator.isPowerOfTwo(alignment) || alignment % MemoryLayout<UnsafeRawPointer>.size != 0 { return EINVAL }
    guard let p = Allocator.allocateAligned(alignment, size) else { return ENOMEM }
    result.pointee = p
    return 0
}

@c public func smm_aligned_alloc(_ alignment: Int, _ size: Int) -> UnsafeMutableRawPointer? {
    if !Allocator.isPowerOfTwo(alignment) { Platform.setErrno(EINVAL); return nil }
    return Allocator.allocateAligned(alignment, size)
}

@c public func smm_memalign(_ alignment: Int, _ size: Int) -> UnsafeMutableRawPointer? {
    if !Allocator.isPowerOfTwo(alignment) { Platform.setErrno(EINVAL); return nil }
    return Allocator.allocateAligned(alignment, size)
}

@c public func smm_valloc(_ size: Int) -> UnsafeMutableRawPointer? {
    Allocator.allocateAligned(Geometry.osPageSize, size)
}

@c public func smm_pvalloc(_ size: Int) -> UnsafeMutableRawPointer? {
    guard let rounded = LargeBlocks.pageRound(max(size, 1)) else { Platform.setErrno(ENOMEM); return nil }
    return Allocator.allocateAligned(Geometry.osPageSize, rounded)
}

@c public func smm_malloc_usable_size(_ p: UnsafeMutableRawPointer?) -> Int {
    guard let p else { return 0 }
    if MemoryManagers.isActive { return MemoryManagers.usableSize(p) }
    return Allocator.usableSize(p)
}

@c public func smm_free_sized(_ p: UnsafeMutableRawPointer?, _ size: Int) {
    Allocator.freeSized(p, size: size, alignment: 0)
}

@c public func smm_free_aligned_sized(_ p: UnsafeMutableRawPointer?, _ alignment: Int, _ size: Int) {
    Allocator.freeSized(p, size: size, alignment: alignment)
}

@c public func smm_collect() {
    let heap = Heap.current
    if heap.isInitialized {
        SlowPath.collectRemoteFrees(heap)
        Segments.purge(heap, now: Platform.nowNanoseconds(), force: true)
    }
    LargeBlocks.flushCache()
}

@c public func smm_version() -> UnsafePointer<CChar>? {
    Version.text.withUTF8Buffer { UnsafeRawPointer($0.baseAddress.unsafelyUnwrapped).assumingMemoryBound(to: CChar.self) }
}

enum Version {
    static let text: StaticString = "0.1.0"
}
