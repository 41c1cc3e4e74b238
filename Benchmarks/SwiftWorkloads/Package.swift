// swift-tools-version: 6.0
// Swift allocation patterns for the benchmark suite: a separate package so the root one stays as
// it is. Built in release mode by Benchmarks/run.
import PackageDescription

let package = Package(
    name: "SwiftWorkloads",
    targets: [
        .executableTarget(name: "swift-workloads", path: "Sources/SwiftWorkloads"),
    ]
)
