import Foundation

/// A small C program with known mappings, compiled with `cc` at test time, and a handle on a running copy.
///
/// The child maps a file (its path has spaces), a second file it then deletes, a shared memfd, a
/// `PROT_NONE` reservation and a private read-write block, starts two named threads with known stack
/// sizes, prints one line per mapping (`name address size`) and per thread (`thread tid name address`),
/// then `ready`, and waits for stdin to close.
final class MappingChild {
    static let source = #"""
    #define _GNU_SOURCE
    #include <fcntl.h>
    #include <pthread.h>
    #include <stdio.h>
    #include <stdlib.h>
    #include <string.h>
    #include <sys/mman.h>
    #include <sys/prctl.h>
    #include <sys/syscall.h>
    #include <unistd.h>

    static int gate[2];
    static int started;

    static void *map_file(const char *path, size_t size, int deleted) {
        int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
        if (fd < 0 || ftruncate(fd, size) != 0) { perror(path); exit(2); }
        void *p = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);
        if (p == MAP_FAILED) { perror("mmap file"); exit(2); }
        volatile char c = ((char *)p)[0]; (void)c;
        close(fd);
        if (deleted) unlink(path);
        return p;
    }

    static void *worker(void *name) {
        pthread_setname_np(pthread_self(), (const char *)name);
        void *arena_block = malloc(1000);   /* a thread's first malloc makes glibc create an arena */
        volatile char local = 1;
        printf("thread %ld %s %p\n", (long)syscall(SYS_gettid), (const char *)name, (void *)&local);
        fflush(stdout);
        __atomic_fetch_add(&started, 1, __ATOMIC_SEQ_CST);
        char byte;
        while (read(gate[0], &byte, 1) < 0) {}
        free(arena_block);
        return NULL;
    }

    int main(int argc, char **argv) {
        if (argc < 3) { fprintf(stderr, "usage: child MAPPED DELETED\n"); return 2; }
        long page = sysconf(_SC_PAGESIZE);
        void *probe = mmap(NULL, page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        /* PR_SET_VMA, PR_SET_VMA_ANON_NAME: fails with EINVAL without CONFIG_ANON_VMA_NAME */
        printf("anon-names %d\n", prctl(0x53564d41, 0, (unsigned long)probe, page, (unsigned long)"probe") == 0);
        munmap(probe, page);
        char *private_block = mmap(NULL, 9 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        memset(private_block, 7, 9 * page);
        void *reserved = mmap(NULL, 7 * page, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
        printf("private %p %ld\n", (void *)private_block, 9 * page);
        printf("reserved %p %ld\n", reserved, 7 * page);

        if (pipe(gate) != 0) return 2;
        pthread_t threads[2];
        const char *names[2] = {"smm-worker-1", "smm-worker-2"};
        size_t sizes[2] = {256 * 1024, 512 * 1024};
        for (int i = 0; i < 2; i++) {
            pthread_attr_t attributes;
            pthread_attr_init(&attributes);
            pthread_attr_setstacksize(&attributes, sizes[i]);
            pthread_create(&threads[i], &attributes, worker, (void *)names[i]);
            pthread_attr_destroy(&attributes);
        }

        int memfd = memfd_create("smm-test-memfd", 0);
        if (memfd < 0 || ftruncate(memfd, 4 * page) != 0) return 2;
        char *shared = mmap(NULL, 4 * page, PROT_READ | PROT_WRITE, MAP_SHARED, memfd, 0);
        memset(shared, 1, 4 * page);
        printf("memfd %p %ld\n", (void *)shared, 4 * page);
        printf("mapped %p %ld\n", map_file(argv[1], 5 * page, 0), 5 * page);
        printf("deleted %p %ld\n", map_file(argv[2], 3 * page, 1), 3 * page);

        void *blocks[64];
        for (int i = 0; i < 64; i++) { blocks[i] = malloc(200 + i * 64); memset(blocks[i], 1, 200); }
        fflush(stdout);
        while (__atomic_load_n(&started, __ATOMIC_SEQ_CST) < 2) usleep(1000);
        printf("ready\n");
        fflush(stdout);
        char byte;
        while (read(0, &byte, 1) > 0) {}
        close(gate[1]);
        for (int i = 0; i < 2; i++) pthread_join(threads[i], NULL);
        for (int i = 0; i < 64; i++) free(blocks[i]);
        return 0;
    }
    """#

    /// A line the child printed about one of its mappings.
    struct Placement {
        var address: UInt64
        var size: UInt64
    }

    /// A line the child printed about one of its threads.
    struct ThreadLine {
        var tid: Int32
        var name: String
        var localAddress: UInt64
    }

    let process: Process
    let stdinPipe: Pipe
    let directory: URL
    private(set) var placements: [String: Placement] = [:]
    private(set) var threads: [ThreadLine] = []
    /// The kernel can name anonymous maps (`prctl(PR_SET_VMA_ANON_NAME)` works, CONFIG_ANON_VMA_NAME).
    private(set) var kernelNamesAnonymousMaps = false

    var pid: Int32 { process.processIdentifier }
    var mappedFilePath: String { directory.appendingPathComponent("mapped file with spaces.bin").path }

    /// Compiles the child (once per directory) and starts it, with `environment` added, and waits for `ready`.
    init(environment: [String: String] = [:]) throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("smm-child-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let sourceFile = directory.appendingPathComponent("child.c")
        try Self.source.write(to: sourceFile, atomically: true, encoding: .utf8)
        let binary = directory.appendingPathComponent("child")
        let compiler = Process()
        compiler.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        compiler.arguments = ["cc", "-O0", "-pthread", "-o", binary.path, sourceFile.path]
        try compiler.run()
        compiler.waitUntilExit()
        guard compiler.terminationStatus == 0 else { throw ChildError.compileFailed }

        stdinPipe = Pipe()
        process = Process()
        process.executableURL = binary
        process.arguments = [mappedFilePath, directory.appendingPathComponent("deleted file.bin").path]
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let stdoutPipe = Pipe()
        process.standardInput = stdinPipe
        process.standardOutput = stdoutPipe
        try process.run()

        var text = ""
        let handle = stdoutPipe.fileHandleForReading
        while !text.contains("ready\n") {
            let data = handle.availableData
            if data.isEmpty { throw ChildError.exitedEarly(output: text) }
            text += String(decoding: data, as: UTF8.self)
        }
        for line in text.split(separator: "\n") {
            let fields = line.split(separator: " ")
            if fields.first == "thread", fields.count == 4 {
                threads.append(ThreadLine(tid: Int32(fields[1])!, name: String(fields[2]), localAddress: Self.hex(fields[3])))
            } else if fields.first == "anon-names", fields.count == 2 {
                kernelNamesAnonymousMaps = fields[1] == "1"
            } else if fields.count == 3 {
                placements[String(fields[0])] = Placement(address: Self.hex(fields[1]), size: UInt64(fields[2])!)
            }
        }
    }

    /// Closes the child's stdin, so it exits, and removes its files.
    func finish() {
        try? stdinPipe.fileHandleForWriting.close()
        process.waitUntilExit()
        try? FileManager.default.removeItem(at: directory)
    }

    static func hex(_ text: Substring) -> UInt64 {
        UInt64(text.hasPrefix("0x") ? text.dropFirst(2) : text, radix: 16) ?? 0
    }

    enum ChildError: Error {
        case compileFailed
        case exitedEarly(output: String)
    }
}
