// Part of the platform layer: an ELF image mapped in this process (libswiftmm.so itself, the vDSO), read
// through its program headers in memory. Used by Platform.ownImage and MonotonicClock; reads only, allocates nothing.
import SwiftMMShim

struct MappedELF {
    /// The image's program headers.
    let programHeaders: UnsafeBufferPointer<Elf64_Phdr>
    /// What the image's virtual addresses are offset by in this process.
    let bias: UInt

    /// The image whose ELF header is at `address`; nil when no ELF header is there, or it loads no segment.
    init?(at address: UInt) {
        guard let image = UnsafeRawPointer(bitPattern: address), image.load(as: UInt32.self) == 0x464C_457F  // "\u{7F}ELF"
        else { return nil }
        let header = image.assumingMemoryBound(to: Elf64_Ehdr.self)
        programHeaders = UnsafeBufferPointer(start: (image + Int(header.pointee.e_phoff)).assumingMemoryBound(to: Elf64_Phdr.self),
                                             count: Int(header.pointee.e_phnum))
        // The first loaded segment maps the file from `p_offset` to `p_vaddr`, and the header sits at offset 0.
        guard let firstLoad = programHeaders.first(where: { $0.p_type == UInt32(PT_LOAD) }) else { return nil }
        bias = address &+ UInt(firstLoad.p_offset) &- UInt(firstLoad.p_vaddr)
    }
}
