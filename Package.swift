// swift-tools-version: 6.1
import PackageDescription

/// C libraries come from Debian packages (see README): libzmq3-dev, libprotobuf-c-dev, libopenblas-dev, libdnnl-dev, zlib1g-dev, libmicrohttpd-dev.
///
/// `Shared/` is grouped in layers, and dependencies only point down them:
/// Interop (C shims) < Transport (sockets, messages, broker protocol, clients) and Learning (model
/// math, training, data) < Runtime (service lifecycle, replica runtime, caches, durability) < Tiers
/// (one library per service) < `Services/` (thin executables). No tier imports another tier.
let package = Package(
    name: "RecServe",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "embedding-server", targets: ["embedding-server"]),
        .executable(name: "history-encoder", targets: ["history-encoder"]),
        .executable(name: "scorer", targets: ["scorer"]),
        .executable(name: "generator", targets: ["generator"]),
        .executable(name: "gateway", targets: ["gateway"]),
        .executable(name: "recctl", targets: ["recctl"]),
        .executable(name: "trainer", targets: ["trainer"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-numerics", from: "1.1.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift", from: "0.2.0"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
    ],
    targets: [
        // Interop: one shim header each.
        .systemLibrary(name: "CZmq", path: "Shared/Interop/CZmq"),
        .systemLibrary(name: "CProtobufC", path: "Shared/Interop/CProtobufC"),
        .systemLibrary(name: "COpenBLAS", path: "Shared/Interop/COpenBLAS", pkgConfig: "openblas"),
        .systemLibrary(name: "CZlib", path: "Shared/Interop/CZlib"),
        .systemLibrary(name: "CDNNL", path: "Shared/Interop/CDNNL"),
        .systemLibrary(name: "CMalloc", path: "Shared/Interop/CMalloc"),
        .target(name: "CKernels", path: "Shared/Interop/CKernels"),
        .target(name: "CHTTPServer", path: "Shared/Interop/CHTTPServer", linkerSettings: [.linkedLibrary("microhttpd")]),

        // Transport: time, sockets, messages, the broker protocol, clients of the services.
        .target(name: "Clocks", path: "Shared/Transport/Clocks"),
        .target(
            name: "RecServeProtoC",
            dependencies: ["CProtobufC"],
            path: "Shared/Transport/RecServeProtoC",
            linkerSettings: [.linkedLibrary("protobuf-c")]
        ),
        .target(name: "ZeroMQ", dependencies: ["CZmq"], path: "Shared/Transport/ZeroMQ"),
        .target(name: "Wire", dependencies: ["RecServeProtoC", "CProtobufC", "Clocks", "RowCodec"], path: "Shared/Transport/Wire"),
        .target(name: "Broker", dependencies: ["ZeroMQ", "Clocks"], path: "Shared/Transport/Broker"),
        .target(name: "Clients", dependencies: ["ZeroMQ", "Wire", "Clocks", "RowCodec"], path: "Shared/Transport/Clients"),

        // Learning: ranking, model math (BLAS), training, data, evaluation.
        .target(name: "Ranking", path: "Shared/Learning/Ranking"),
        .target(name: "RowCodec", path: "Shared/Learning/RowCodec"),
        .target(
            name: "Model",
            dependencies: ["COpenBLAS", "CDNNL", "CKernels", "Ranking", "RowCodec", .product(name: "Numerics", package: "swift-numerics")],
            path: "Shared/Learning/Model"
        ),
        .target(name: "Dataset", path: "Shared/Learning/Dataset"),
        .target(
            name: "Training", dependencies: ["Model", "Dataset", .product(name: "Numerics", package: "swift-numerics")],
            path: "Shared/Learning/Training"),
        .target(name: "Generative", dependencies: ["Model"], path: "Shared/Learning/Generative"),
        .target(name: "Evaluation", dependencies: ["Dataset", "Generative", "Model", "Ranking"], path: "Shared/Learning/Evaluation"),

        // Runtime: process lifecycle and flags, metrics, the replica runtime, caches, durable files.
        .target(
            name: "Telemetry",
            dependencies: [
                "CHTTPServer", .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            path: "Shared/Runtime/Telemetry"
        ),
        .target(
            name: "ServiceRuntime",
            dependencies: [
                "ZeroMQ", "Wire", "Clocks", "CMalloc", "Telemetry",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Shared/Runtime/ServiceRuntime"
        ),
        .target(
            name: "ReplicaRuntime",
            dependencies: [
                "Broker", "ServiceRuntime", "Clients", "ZeroMQ", "Wire", "Clocks", "Telemetry",
                .product(name: "Logging", package: "swift-log"), .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Shared/Runtime/ReplicaRuntime"
        ),
        .target(name: "SuiteLauncher", dependencies: ["ServiceRuntime"], path: "Shared/Runtime/SuiteLauncher"),
        .target(name: "Caching", dependencies: ["Clients", "RowCodec", "Wire"], path: "Shared/Runtime/Caching"),
        .target(
            name: "HistoryEncoding",
            dependencies: ["Caching", "Clients", "Clocks", "Model", "ReplicaRuntime", "ServiceRuntime", "Wire"],
            path: "Shared/Runtime/HistoryEncoding"),
        .target(name: "Durability", dependencies: ["CZlib"], path: "Shared/Runtime/Durability"),

        // Tiers: each service's logic, as a library.
        .target(
            name: "EmbeddingServing",
            dependencies: [
                "ZeroMQ", "Wire", "Model", "RowCodec", "ServiceRuntime", "Clocks", "Telemetry", .product(name: "Logging", package: "swift-log"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
            ],
            path: "Shared/Tiers/EmbeddingServing"
        ),
        .target(
            name: "ParameterServer",
            dependencies: [
                "EmbeddingServing", "ZeroMQ", "Wire", "Model", "Training", "ServiceRuntime", "Durability", "Clocks", "Telemetry",
                .product(name: "Logging", package: "swift-log"), .product(name: "CoreMetrics", package: "swift-metrics"),
            ],
            path: "Shared/Tiers/ParameterServer"
        ),
        .target(
            name: "EncoderService",
            dependencies: [
                "ReplicaRuntime", "HistoryEncoding", "Wire", "Model", "Clients", "ServiceRuntime", "Caching", "Clocks",
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Shared/Tiers/EncoderService"
        ),
        .target(
            name: "ScorerService",
            dependencies: [
                "ReplicaRuntime", "HistoryEncoding", "Wire", "Model", "Ranking", "Clients", "ServiceRuntime", "Caching", "Clocks",
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Shared/Tiers/ScorerService"
        ),
        .target(
            name: "GeneratorService",
            dependencies: ["ReplicaRuntime", "Wire", "Model", "Generative", "ServiceRuntime", "Clocks"],
            path: "Shared/Tiers/GeneratorService"
        ),
        .target(
            name: "GatewayService",
            dependencies: [
                "Broker", "Wire", "ZeroMQ", "Ranking", "ServiceRuntime", "Caching", "Clocks", "Telemetry",
                .product(name: "Logging", package: "swift-log"), .product(name: "CoreMetrics", package: "swift-metrics"),
            ],
            path: "Shared/Tiers/GatewayService"
        ),
        .target(
            name: "TrainerService",
            dependencies: [
                "Training", "Dataset", "Evaluation", "Generative", "Clients", "Model", "Wire", "ZeroMQ", "Clocks", "Telemetry",
                .product(name: "CoreMetrics", package: "swift-metrics"),
            ],
            path: "Shared/Tiers/TrainerService"
        ),

        // Executables: thin mains.
        .executableTarget(
            name: "embedding-server",
            dependencies: [
                "EmbeddingServing", "ParameterServer", "ServiceRuntime", "Model", "Clocks",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Services/embedding-server"
        ),
        .executableTarget(
            name: "history-encoder",
            dependencies: [
                "EncoderService", "HistoryEncoding", "ReplicaRuntime", "Model", .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Services/history-encoder"
        ),
        .executableTarget(
            name: "generator",
            dependencies: [
                "GeneratorService", "ReplicaRuntime", "Model", .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Services/generator"
        ),
        .executableTarget(
            name: "scorer",
            dependencies: [
                "ScorerService", "HistoryEncoding", "ReplicaRuntime", "Model", .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Services/scorer"
        ),
        .executableTarget(
            name: "gateway",
            dependencies: [
                "GatewayService", "ServiceRuntime", "Wire", .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Services/gateway"
        ),
        .executableTarget(
            name: "trainer",
            dependencies: [
                "TrainerService", "Training", "ServiceRuntime", "Model", "Telemetry",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
            ],
            path: "Services/trainer"
        ),
        .executableTarget(
            name: "recctl",
            dependencies: [
                "Clients", "Model", "Generative", "Ranking", "Wire", "COpenBLAS", "Broker", "Dataset", "Evaluation", "ZeroMQ", "ServiceRuntime",
                "SuiteLauncher", "Clocks", "Training",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Histogram", package: "hdrhistogram-swift"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            path: "Services/recctl"
        ),

        // Tests: one folder per library target they test, plus multi-process integration tests.
        .target(
            name: "TestSupport",
            dependencies: [
                "Model", "ZeroMQ", "Wire", "Clients", "EmbeddingServing", "ParameterServer", "ServiceRuntime", "SuiteLauncher", "Clocks",
                "GatewayService", "EncoderService", "HistoryEncoding", "ScorerService", "ReplicaRuntime",
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Tests/TestSupport"
        ),
        // Fuzz harness for the wire decoders (scripts/fuzz.sh); a corpus replayer when built normally.
        .executableTarget(name: "wire-fuzz", dependencies: ["Wire"], path: "Tests/Fuzz", exclude: ["corpus"]),
        .testTarget(name: "ModelTests", dependencies: ["Model", "Ranking", "TestSupport"], path: "Tests/ModelTests"),
        .testTarget(name: "GenerativeTests", dependencies: ["Generative", "Model", "TestSupport"], path: "Tests/GenerativeTests"),
        .testTarget(name: "CachingTests", dependencies: ["Caching", "Model"], path: "Tests/CachingTests"),
        .testTarget(
            name: "TrainingTests",
            dependencies: [
                "Training", "TrainerService", "ParameterServer", "Generative", "Evaluation", "Dataset", "ServiceRuntime", "Model", "ZeroMQ", "TestSupport", "Telemetry",
            ],
            path: "Tests/TrainingTests"),
        .testTarget(
            name: "DatasetTests", dependencies: ["Dataset", "Evaluation", "Model", "TestSupport"], path: "Tests/DatasetTests"),
        .testTarget(name: "DurabilityTests", dependencies: ["Durability"], path: "Tests/DurabilityTests"),
        .testTarget(
            name: "WireTests",
            dependencies: ["Wire", "ZeroMQ", "TestSupport"],
            path: "Tests/WireTests"
        ),
        .testTarget(name: "BrokerTests", dependencies: ["Broker", "ZeroMQ", "Clocks"], path: "Tests/BrokerTests"),
        .testTarget(
            name: "TierTests",
            dependencies: [
                "GatewayService", "EncoderService", "HistoryEncoding", "ScorerService", "EmbeddingServing", "ParameterServer", "Broker",
                "ServiceRuntime", "Clients", "Clocks", "Caching", "TestSupport",
            ],
            path: "Tests/TierTests"
        ),
        .testTarget(
            name: "IntegrationTests",
            dependencies: [
                "TestSupport", "Clients", "Wire", "Model", "ZeroMQ", "Broker", "Clocks", "EmbeddingServing", "ParameterServer", "ServiceRuntime",
                "GatewayService", "Generative",
                "embedding-server", "history-encoder", "scorer", "generator", "gateway", "recctl",
            ],
            path: "Tests/IntegrationTests"
        ),
    ],
    swiftLanguageModes: [.v6]
)
