import Foundation
import Testing
@testable import SMMAnalyzer

/// Runs the C child (see `MappingChild`) and checks that each mapping it reports lands in the right
/// category with the right size.
@Suite("Live processes", .serialized)
struct LiveProcessTests {
    /// Snapshots `child` until every worker thread is blocked (a thread can be caught between printing
    /// its line and blocking in `read`).
    func settledSnapshot(of child: MappingChild) throws -> Snapshot {
        var snapshot = try ProcessReader().snapshot(pid: child.pid)
        for _ in 0..<50 where !snapshot.threads.allSatisfy({ $0.state == "blocked" }) {
            usleep(20_000)
            snapshot = try ProcessReader().snapshot(pid: child.pid)
        }
        return snapshot
    }

    @Test("file, deleted file, memfd, PROT_NONE, private block, thread stacks and glibc arenas")
    func childMappings() throws {
        let child = try MappingChild()
        defer { child.finish() }
        let snapshot = try settledSnapshot(of: child)

        let mapped = try #require(child.placements["mapped"])
        let mappedRegion = try #require(snapshot.region(at: mapped.address))
        #expect(mappedRegion.category == .mappedFile)
        #expect(mappedRegion.size == mapped.size)
        #expect(mappedRegion.path == child.mappedFilePath)

        let deleted = try #require(child.placements["deleted"])
        let deletedRegion = try #require(snapshot.region(at: deleted.address))
        #expect(deletedRegion.category == .mappedFile)
        #expect(deletedRegion.deleted)
        #expect(deletedRegion.size == deleted.size)

        let memfd = try #require(child.placements["memfd"])
        let memfdRegion = try #require(snapshot.region(at: memfd.address))
        #expect(memfdRegion.category == .shareable)
        #expect(memfdRegion.size == memfd.size)
        #expect(memfdRegion.figures.resident == memfd.size, "the child wrote every page")

        let reserved = try #require(child.placements["reserved"])
        let reservedRegion = try #require(snapshot.region(at: reserved.address))
        #expect(reservedRegion.category == .reserved)
        #expect(reservedRegion.size == reserved.size)
        #expect(reservedRegion.figures.committed == 0)

        let privateBlock = try #require(child.placements["private"])
        let privateRegion = try #require(snapshot.region(containing: privateBlock.address))
        #expect(privateRegion.category == .privateData)
        #expect(privateRegion.end >= privateBlock.address + privateBlock.size)
        #expect(privateRegion.figures.privateBytes >= privateBlock.size, "the child wrote every page")

        #expect(child.threads.count == 2)
        let requestedStackSizes: [String: UInt64] = ["smm-worker-1": 256 << 10, "smm-worker-2": 512 << 10]
        for line in child.threads {
            let thread = try #require(snapshot.threads.first { $0.tid == line.tid })
            #expect(thread.name == line.name)
            #expect(thread.state == "blocked")
            let stack = try #require(snapshot.region(containing: line.localAddress))
            #expect(stack.category == .stack)
            #expect(stack.detail == "thread \(line.tid) (\(line.name))")
            #expect(stack.size == requestedStackSizes[line.name])
            #expect(thread.stackStart == stack.start)
            let guardPage = try #require(snapshot.regions.first { $0.end == stack.start })
            #expect(guardPage.category == .stack, "the PROT_NONE guard below the stack")
        }
        let main = try #require(snapshot.threads.first { $0.tid == child.pid })
        #expect(snapshot.region(at: try #require(main.stackStart))?.path == "[stack]")

        #expect(snapshot.regions.contains { $0.category == .heap && $0.detail == "glibc arena" },
                "each worker's first malloc creates a 64 MiB-aligned arena")
        #expect(snapshot.regions.contains { $0.path == "[heap]" && $0.category == .heap })
        #expect(snapshot.summary(of: .pageTable).figures.size > 0)
        #expect(snapshot.summary(of: .image).regionCount > 4)
    }

    @Test("SwiftMM preloaded: its named segments are Heap")
    func swiftMMPreloaded() throws {
        let library = try BuildProducts.swiftMMLibrary()
        let child = try MappingChild(environment: ["LD_PRELOAD": library])
        defer { child.finish() }
        let snapshot = try settledSnapshot(of: child)
        #expect(snapshot.regions.contains { $0.path.hasSuffix("libswiftmm.so") && $0.category == .image })
        // Kernels built without CONFIG_ANON_VMA_NAME (such as this CI's) cannot name maps: then SwiftMM's
        // segments are recognised by their 4 MiB size and alignment instead of `[anon:swiftmm-segment]`.
        let named = child.kernelNamesAnonymousMaps
        let segments = snapshot.regions.filter {
            named ? $0.path == "[anon:swiftmm-segment]" : $0.detail == "SwiftMM segment (unnamed)"
        }
        #expect(!segments.isEmpty, "SwiftMM served the child's mallocs from \(named ? "named" : "unnamed") segments")
        for segment in segments {
            #expect(segment.category == .heap)
            #expect(segment.size % Categorizer.swiftMMSegmentSize == 0)
        }
        #expect(snapshot.regions.filter { $0.path.hasPrefix("[anon:swiftmm") }.allSatisfy { $0.category == .heap })
        #expect(!snapshot.regions.contains { $0.detail == "glibc arena" }, "glibc malloc is not in use")
    }

    @Test("a snapshot of a live process survives JSON and diffs to nothing against itself")
    func roundTrip() throws {
        let child = try MappingChild()
        defer { child.finish() }
        let snapshot = try settledSnapshot(of: child)
        let decoded = try JSONDecoder().decode(Snapshot.self, from: SnapshotCoding.encode(snapshot))
        #expect(decoded == snapshot)
        #expect(SnapshotDiff.between(snapshot, decoded).regions.isEmpty)
    }
}

/// Products of the package build that tests use.
enum BuildProducts {
    /// `libswiftmm.so` next to the test bundle (`.build/debug`). Throws, failing the test, when the build
    /// did not make it.
    static func swiftMMLibrary() throws -> String {
        let executable = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        var candidates = [URL(fileURLWithPath: executable).deletingLastPathComponent()]
        candidates.append(URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent())
        for directory in candidates {
            let library = directory.appendingPathComponent("libswiftmm.so").path
            if FileManager.default.fileExists(atPath: library) { return library }
        }
        throw MissingProduct(description: "libswiftmm.so was not found next to the test bundle (looked in "
            + candidates.map(\.path).joined(separator: ", ") + "); build it first with "
            + "'swift build --product swiftmm' using the same scratch path")
    }

    struct MissingProduct: Error, CustomStringConvertible {
        var description: String
    }
}
