"""The SwiftMM benchmark harness: builds the workloads, runs them under each allocator, and writes
docs/benchmarks.md with SVG charts. Entry point: Benchmarks/run."""
