// swift-tools-version: 6.1
import PackageDescription

/// C libraries come from Debian packages (see README): libzmq3-dev, libprotobuf-c-dev, libopenblas-dev, zlib1g-dev.
let package = Package(
    name: "RecServe",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "embedding-server", targets: ["embedding-server"]),
        .executable(name: "history-encoder", targets: ["history-encoder"]),
        .executable(name: "scorer", targets: ["scorer"]),
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
    ],
    targets: [
        // C interop: one shim header each.
        .systemLibrary(name: "CZmq", path: "Shared/CZmq"),
        .systemLibrary(name: "CProtobufC", path: "Shared/CProtobufC"),
        .systemLibrary(name: "COpenBLAS", path: "Shared/COpenBLAS", pkgConfig: "openblas"),
        .systemLibrary(name: "CZlib", path: "Shared/CZlib"),
        .target(
            name: "RecServeProtoC",
            dependencies: ["CProtobufC"],
            path: "Shared/RecServeProtoC",
            linkerSettings: [.linkedLibrary("protobuf-c")]
        ),

        // Libraries.
        .target(name: "ZeroMQ", dependencies: ["CZmq"], path: "Shared/ZeroMQ"),
        .target(name: "Wire", dependencies: ["RecServeProtoC", "CProtobufC"], path: "Shared/Wire"),
        .target(
            name: "Broker",
            dependencies: ["ZeroMQ", "Wire", "ServiceRuntime", .product(name: "Logging", package: "swift-log")],
            path: "Shared/Broker"
        ),
        .target(
            name: "Model",
            dependencies: ["COpenBLAS", .product(name: "Numerics", package: "swift-numerics")],
            path: "Shared/Model"
        ),
        .target(name: "Caching", path: "Shared/Caching"),
        .target(name: "Durability", dependencies: ["CZlib"], path: "Shared/Durability"),
        .target(name: "Dataset", path: "Shared/Dataset"),
        .target(
            name: "Training", dependencies: ["Model", "Dataset", .product(name: "Numerics", package: "swift-numerics")],
            path: "Shared/Training"),
        .target(name: "Evaluation", dependencies: ["Dataset", "Model"], path: "Shared/Evaluation"),
        .target(
            name: "ServiceRuntime",
            dependencies: [
                "ZeroMQ",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Shared/ServiceRuntime"
        ),
        .target(
            name: "EmbeddingService",
            dependencies: [
                "ZeroMQ", "Wire", "Model", "Training", "ServiceRuntime", "Durability", .product(name: "Logging", package: "swift-log"),
            ],
            path: "Shared/EmbeddingService"
        ),
        .target(
            name: "EncoderService",
            dependencies: [
                "Broker", "Wire", "Model", "EmbeddingService", "ServiceRuntime", "Caching",
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Shared/EncoderService"
        ),
        .target(
            name: "ScorerService",
            dependencies: [
                "Broker", "Wire", "Model", "EmbeddingService", "ServiceRuntime", "Caching",
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Shared/ScorerService"
        ),
        .target(
            name: "GatewayService",
            dependencies: [
                "Broker", "Wire", "ZeroMQ", "Model", "ServiceRuntime", "Caching", .product(name: "Logging", package: "swift-log"),
            ],
            path: "Shared/GatewayService"
        ),
        .target(
            name: "TrainerService",
            dependencies: ["Training", "Dataset", "Evaluation", "EmbeddingService", "Model", "Wire", "ZeroMQ"],
            path: "Shared/TrainerService"
        ),
        .target(
            name: "Client",
            dependencies: ["ZeroMQ", "Wire"],
            path: "Shared/Client"
        ),

        // Executables: thin mains.
        .executableTarget(
            name: "embedding-server",
            dependencies: [
                "EmbeddingService", "ServiceRuntime", "Model",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Services/embedding-server"
        ),
        .executableTarget(
            name: "history-encoder",
            dependencies: [
                "EncoderService", "ServiceRuntime", "Model", "Broker",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Services/history-encoder"
        ),
        .executableTarget(
            name: "scorer",
            dependencies: [
                "ScorerService", "ServiceRuntime", "Model", "Broker",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Services/scorer"
        ),
        .executableTarget(
            name: "gateway",
            dependencies: [
                "GatewayService", "ServiceRuntime", "Model",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Services/gateway"
        ),
        .executableTarget(
            name: "trainer",
            dependencies: [
                "TrainerService", "Training", "ServiceRuntime", "Model",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Services/trainer"
        ),
        .executableTarget(
            name: "recctl",
            dependencies: [
                "Client", "Model", "Wire", "COpenBLAS", "Broker", "Dataset", "Evaluation", "EmbeddingService", "ZeroMQ",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Histogram", package: "hdrhistogram-swift"),
            ],
            path: "Services/recctl"
        ),

        // Tests.
        .target(
            name: "TestSupport",
            dependencies: ["Model", "ZeroMQ", "Wire", "Client", "EmbeddingService", "ServiceRuntime"],
            path: "Tests/TestSupport"
        ),
        // Fuzz harness for the wire decoders (scripts/fuzz.sh); a corpus replayer when built normally.
        .executableTarget(name: "wire-fuzz", dependencies: ["Wire"], path: "Tests/Fuzz", exclude: ["corpus"]),
        .testTarget(name: "ModelTests", dependencies: ["Model", "Caching", "TestSupport"], path: "Tests/ModelTests"),
        .testTarget(
            name: "TrainingTests",
            dependencies: [
                "Training", "TrainerService", "EmbeddingService", "ServiceRuntime", "Model", "Dataset", "ZeroMQ", "TestSupport",
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
        .testTarget(
            name: "BrokerTests",
            dependencies: [
                "Broker", "GatewayService", "EncoderService", "ScorerService", "EmbeddingService", "ServiceRuntime", "TestSupport",
            ],
            path: "Tests/BrokerTests"
        ),
        .testTarget(
            name: "IntegrationTests",
            dependencies: [
                "TestSupport", "Client", "Wire", "Model", "ZeroMQ", "EmbeddingService",
                "embedding-server", "history-encoder", "scorer", "gateway", "recctl",
            ],
            path: "Tests/IntegrationTests"
        ),
    ],
    swiftLanguageModes: [.v6]
)
