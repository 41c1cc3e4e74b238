// swift-tools-version: 6.1
import PackageDescription

/// Flags only the allocator library needs. They make the `swiftmm` product a root-package build
/// (see README, "Adopting SwiftMM in a Swift application"): Swift apps depend on the `SwiftMM`
/// library product, which carries no unsafe flags.
let embeddedLinkFlags: [LinkerSetting] = [
    .unsafeFlags([
        "-enable-experimental-feature", "Embedded",
        // lld (shipped with the toolchain) gives the --defsym names below default visibility; gold and bfd copy
        // the protected visibility of Swift's public symbols, and then ld.so warns about non-PIE programs that
        // take malloc's address ("direct reference to protected function") and their &malloc differs from ours.
        "-use-ld=lld",
        "-Xlinker", "--version-script=Sources/SwiftMMShim/swiftmm.map",
        // The code every process runs goes last, from a 64 KiB boundary (hot-text.ld, written by Tools/generate-hot-text;
        // the core is compiled with -function-sections). The kernel maps a library's code 64 KiB around each page
        // touched: a preloaded process then holds 28 KiB of SwiftMM's code resident instead of all 92. The segments are
        // 64 KiB aligned so that ld.so loads the library on such a boundary.
        "-Xlinker", "-T", "-Xlinker", "Sources/SwiftMMShim/hot-text.ld",
        "-Xlinker", "-z", "-Xlinker", "max-page-size=65536",
        "-Xlinker", "-z", "-Xlinker", "nodelete",
        "-Xlinker", "--no-undefined",
        "-Xlinker", "-Bsymbolic-functions",
        // malloc and free are smm_malloc and smm_free under a second name (no forwarding jump on the hottest calls).
        "-Xlinker", "--defsym=malloc=smm_malloc",
        "-Xlinker", "--defsym=free=smm_free",
    ]),
]

let package = Package(
    name: "SwiftMM",
    products: [
        /// `libswiftmm.so`: the drop-in malloc. Preload it, or link it.
        .library(name: "swiftmm", type: .dynamic, targets: ["SwiftMMCore"]),
        /// The Swift API over the allocator's C API.
        .library(name: "SwiftMM", targets: ["SwiftMM"]),
        /// The `smm` command: run programs under SwiftMM and analyse memory.
        .executable(name: "smm", targets: ["smm"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        .target(
            name: "SwiftMMShim",
            path: "Sources/SwiftMMShim",
            exclude: ["swiftmm.map", "hot-text.ld"],
            // SwiftPM appends -fno-omit-frame-pointer; the cc1 flag after it wins, so the fast paths carry no frame setup.
            cSettings: [.unsafeFlags(["-O2", "-fno-plt", "-Xclang", "-mframe-pointer=none", "-ftls-model=initial-exec", "-gdwarf-4"])]
        ),
        .target(
            name: "SwiftMMCore",
            dependencies: ["SwiftMMShim"],
            path: "Sources/SwiftMMCore",
            swiftSettings: [
                .enableExperimentalFeature("Embedded"),
                // Always optimised (also in debug builds), for size: the fast paths compile to the same instructions as
                // with -O, the slow paths to as many within 0.5 % (callgrind), and the library's code shrinks from 116 to 85 KiB
                // (of which a process maps 28, see hot-text.ld above). No stack protector. Frame pointers in
                // functions that call (Swift emits unwind tables for some functions only: debug mode walks its own
                // frames by frame pointer); shrink-wrapping keeps the frame setup off the fast paths, which return
                // without calling. No dynamic exclusivity checks: the globals are guarded by locks or owned by one thread,
                // and the checks were calls to swift_beginAccess on the slow paths (three per slow malloc).
                .unsafeFlags(["-Osize", "-wmo", "-enforce-exclusivity=unchecked", "-Xfrontend", "-disable-stack-protector", "-Xfrontend", "-function-sections", "-Xcc", "-Xclang", "-Xcc", "-mframe-pointer=non-leaf",
                               // valgrind 3.19 cannot read DWARF 5 and gives up on the whole process.
                               "-dwarf-version=4"]),
            ],
            linkerSettings: embeddedLinkFlags
        ),
        .target(name: "SwiftMM", path: "Sources/SwiftMM"),
        .target(name: "SMMAnalyzer", dependencies: ["SwiftMM"], path: "Sources/SMMAnalyzer"),
        .executableTarget(
            name: "smm",
            dependencies: [
                "SwiftMM", "SMMAnalyzer",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Sources/smm"
        ),
        .executableTarget(name: "smm-swift-workload", path: "Sources/smm-swift-workload"),
        // Programs the tests run in child processes with libswiftmm.so preloaded.
        .executableTarget(name: "smm-check-c", path: "Sources/smm-check-c", cSettings: [.unsafeFlags(["-O1", "-fno-builtin", "-Wno-non-power-of-two-alignment"])]),
        .executableTarget(name: "smm-check-cxx", path: "Sources/smm-check-cxx", cxxSettings: [.unsafeFlags(["-O1", "-fno-builtin"])]),
        .executableTarget(name: "smm-stress", path: "Sources/smm-stress", cSettings: [.unsafeFlags(["-O2"])]),
        .executableTarget(name: "smm-check-fork", path: "Sources/smm-check-fork"),
        .executableTarget(name: "smm-check-nopie", path: "Sources/smm-check-nopie",
                          cSettings: [.unsafeFlags(["-fno-pic", "-fno-pie"])], linkerSettings: [.unsafeFlags(["-Xclang-linker", "-no-pie"])]),
        .executableTarget(name: "smm-check-handoff", path: "Sources/smm-check-handoff",
                          cSettings: [.unsafeFlags(["-ISources/SwiftMMShim/include", "-fno-builtin"])]),
        .executableTarget(name: "smm-check-diagnostics", path: "Sources/smm-check-diagnostics",
                          cSettings: [.unsafeFlags(["-ISources/SwiftMMShim/include"])]),
        .executableTarget(name: "smm-check-live", path: "Sources/smm-check-live",
                          cSettings: [.unsafeFlags(["-ISources/SwiftMMShim/include", "-fno-builtin"])]),
        .executableTarget(name: "smm-check-debug", path: "Sources/smm-check-debug",
                          cSettings: [.unsafeFlags(["-ISources/SwiftMMShim/include", "-O1", "-fno-builtin", "-fno-optimize-sibling-calls"])],
                          // Exported names, so that the reported call stacks name the scenario's functions.
                          linkerSettings: [.unsafeFlags(["-Xlinker", "--export-dynamic"])]),
        .executableTarget(name: "smm-check-ext", path: "Sources/smm-check-ext", cSettings: [.unsafeFlags(["-O1", "-fno-builtin"])]),
        .executableTarget(name: "smm-check-reuse", path: "Sources/smm-check-reuse", cSettings: [.unsafeFlags(["-O1", "-fno-builtin"])]),
        .executableTarget(name: "smm-check-layout", path: "Sources/smm-check-layout", cSettings: [.unsafeFlags(["-O1", "-fno-builtin"])]),
        .executableTarget(name: "smm-check-growth", path: "Sources/smm-check-growth", cSettings: [.unsafeFlags(["-O1", "-fno-builtin"])]),
        .testTarget(
            name: "SMMAnalyzerTests",
            dependencies: ["SMMAnalyzer", "SwiftMM"],
            path: "Tests/SMMAnalyzerTests",
            resources: [.copy("Fixtures")]
        ),
        .testTarget(
            name: "SwiftMMTests",
            dependencies: ["SwiftMM", "SMMAnalyzer"],
            path: "Tests/SwiftMMTests"
        ),
    ]
)
