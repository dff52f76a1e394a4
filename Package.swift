// swift-tools-version:6.0
import PackageDescription
import Foundation

// Without a CPU target the compiler lowers every SIMD multiply-add to a library call
// (0.8 GFLOP/s instead of ~90), so the modules with hot loops are compiled for the CPU that
// builds them, like `-march=native`: AVX-512 (with VNNI's int8 dot products where present) where
// the CPU has it, else AVX2+FMA.
// (The manifest runs on the building machine, so it can read that machine's CPU flags.)
let cpuFlags: Set<Substring> = {
    #if os(Linux) && arch(x86_64)
    guard let info = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
          let line = info.split(separator: "\n").first(where: { $0.hasPrefix("flags") })
    else { return [] }
    return Set(line.split(separator: " "))
    #else
    return []
    #endif
}()
// PARE_TARGET_CPU=haswell (or any LLVM CPU name, or "none") overrides the detection, e.g. to
// build a binary for older machines or to run it under valgrind, which lacks AVX-512.
let targetCPU: String? = ProcessInfo.processInfo.environment["PARE_TARGET_CPU"].map { $0 == "none" ? nil : $0 } ??
    (["avx512f", "avx512bw", "avx512vl", "avx512dq", "avx512_vnni"].allSatisfy { cpuFlags.contains($0) } ? "cascadelake"
    : ["avx512f", "avx512bw", "avx512vl", "avx512dq"].allSatisfy { cpuFlags.contains($0) } ? "skylake-avx512"
    : ["avx2", "fma", "f16c"].allSatisfy { cpuFlags.contains($0) } ? "haswell"
    : nil)
// PARE_AVX512 lets the GEMM pick a register tile sized for 32 zmm registers (else 16 ymm).
let fastMath: [SwiftSetting] = targetCPU.map { cpu in
    [.unsafeFlags(["-target-cpu", cpu])] + (["skylake-avx512", "cascadelake"].contains(cpu) ? [.define("PARE_AVX512")] : [])
} ?? []

let package = Package(
    name: "Pare",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "pare", targets: ["PareCLI"]),
        .executable(name: "pare-bench", targets: ["PareBench"]),
        .library(name: "Pare", targets: ["Pare"]),
    ],
    dependencies: [
        .package(url: "https://github.com/groue/GRDB.swift", exact: "7.10.0"),
        .package(url: "https://github.com/apple/swift-argument-parser", exact: "1.8.2"),
        .package(url: "https://github.com/apple/swift-crypto", exact: "3.12.3"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", exact: "2.28.1"),
        .package(url: "https://github.com/vapor/postgres-nio", exact: "1.33.2"),
    ],
    targets: [
        // Tensors, dtypes, SIMD kernels, weight encodings, safetensors.
        // The system zlib (gunzip of .gz inputs); Debian's zlib1g-dev.
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        // The system OpenBLAS (Debian's libopenblas-dev): the packed fp32 GEMM kernel.
        .systemLibrary(name: "COpenBLAS", pkgConfig: "openblas", providers: [.apt(["libopenblas-dev"]), .brew(["openblas"])]),
        .target(name: "PareTensor", dependencies: ["CZlib", "COpenBLAS", .product(name: "Crypto", package: "swift-crypto")],
                swiftSettings: fastMath),
        // Layers, models, training, datasets, evaluation.
        .target(name: "PareNN", dependencies: ["PareTensor"], swiftSettings: fastMath),
        // The compression methods, one folder per family.
        .target(name: "PareCompress", dependencies: ["PareNN", "PareTensor"], swiftSettings: fastMath),
        // The SQL of migrations/ and queries/, embedded at build time by the EmbedSQL plugin.
        // Rooted at the package so migrations/, queries/ and data/ are its files: adding,
        // editing or deleting one changes the target's inputs and re-runs the plugin.
        .target(name: "PareSQL", path: ".",
                exclude: ["Sources/PareTensor", "Sources/PareNN", "Sources/PareCompress", "Sources/PareStore", "Sources/PareStorePostgres",
                          "Sources/Pare", "Sources/PareUI", "Sources/pare", "Sources/PareBench", "Sources/EmbedSQLTool",
                          "Sources/EmbedSQLPlugin", "Sources/CZlib", "Sources/COpenBLAS", "Tests", "scripts", "README.md", "data/README.md", "data/pareto-demo.svg"],
                sources: ["Sources/PareSQL"],
                resources: [.process("migrations"), .process("queries"),
                           .process("data/digits.csv")],
                plugins: ["EmbedSQLPlugin"]),
        .executableTarget(name: "EmbedSQLTool"),
        .plugin(name: "EmbedSQLPlugin", capability: .buildTool(), dependencies: ["EmbedSQLTool"],
                path: "Sources/EmbedSQLPlugin"),
        // SQLite through GRDB: migrations, recording, blobs, queries, export.
        .target(name: "PareStore", dependencies: [
            "PareTensor", "PareSQL", .product(name: "GRDB", package: "GRDB.swift"),
        ]),
        // The same record in PostgreSQL, for a team's writers on many hosts: the migrations and
        // queries of migrations/postgresql and queries/postgresql, through postgres-nio.
        .target(name: "PareStorePostgres", dependencies: [
            "PareStore", "PareSQL", "PareTensor", .product(name: "GRDB", package: "GRDB.swift"),
            .product(name: "PostgresNIO", package: "postgres-nio"),
        ]),
        // `pare ui`: the record in a browser, read-only, over PareStore's query layer.
        .target(name: "PareUI", dependencies: [
            "PareStore", .product(name: "Hummingbird", package: "hummingbird"),
        ]),
        // Orchestration: load → compress → evaluate → record.
        .target(name: "Pare", dependencies: ["PareTensor", "PareNN", "PareCompress", "PareStore"],
                swiftSettings: fastMath),
        // The `pare` executable: thin argument-parser commands over Pare.
        .executableTarget(name: "PareCLI", dependencies: [
            "Pare", "PareUI", "PareStorePostgres", .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ], path: "Sources/pare"),
        // Benchmarks (release build, never part of the test run).
        .executableTarget(name: "PareBench", dependencies: ["Pare", "COpenBLAS"], swiftSettings: fastMath),

        // The seeded generators every test target draws test data from (one copy, not one a target).
        .target(name: "PareTestSupport", dependencies: ["PareNN"], path: "Tests/PareTestSupport"),
        .testTarget(name: "PareTensorTests", dependencies: ["PareTensor", "PareTestSupport"]),
        .testTarget(name: "PareNNTests", dependencies: ["PareNN", "PareTestSupport"]),
        .testTarget(name: "PareCompressTests", dependencies: ["PareCompress", "PareTestSupport"]),
        .testTarget(name: "PareStoreTests", dependencies: ["PareStore", "PareTestSupport"]),
        // Runs against a live server named by PARE_TEST_POSTGRES (.ci/run starts one).
        .target(name: "PareTestPostgres", dependencies: ["PareStorePostgres"], path: "Tests/PareTestPostgres"),
        .testTarget(name: "PareStorePostgresTests", dependencies: [
            "PareStorePostgres", "PareStore", "PareSQL", "PareTestSupport", "PareTestPostgres", .product(name: "GRDB", package: "GRDB.swift"),
        ]),
        .testTarget(name: "PareTests", dependencies: ["Pare", "PareCompress", "PareNN", "PareStore", "PareTensor", "PareTestSupport"]),
        .testTarget(name: "PareUITests", dependencies: [
            "PareUI", "PareStore", "PareTensor", "PareStorePostgres", "PareTestPostgres",
            .product(name: "HummingbirdTesting", package: "hummingbird"),
        ]),
        // Drives the built `pare` binary end to end (it depends on PareCLI so the binary is built first).
        .testTarget(name: "PareCLITests", dependencies: [
            "Pare", "PareCLI", "PareTestSupport", "PareTestPostgres", "PareStorePostgres", .product(name: "GRDB", package: "GRDB.swift"),
        ]),
    ]
)
