// swift-tools-version:6.1
import PackageDescription

/// Mote's targets, lowest layer first. A target imports only targets above it in this list
/// (see the architecture table in README.md).
let package = Package(
    name: "Mote",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "mote", targets: ["mote"]),
        .library(name: "MotePrimitives", targets: ["MotePrimitives"]),
        .library(name: "MoteCrypto", targets: ["MoteCrypto"]),
        .library(name: "MoteTransactions", targets: ["MoteTransactions"]),
        .library(name: "MoteTrie", targets: ["MoteTrie"]),
        .library(name: "MoteEVM", targets: ["MoteEVM"]),
        .library(name: "MoteChain", targets: ["MoteChain"]),
        .library(name: "MoteStorage", targets: ["MoteStorage"]),
        .library(name: "MoteContracts", targets: ["MoteContracts"]),
        .library(name: "MoteLedger", targets: ["MoteLedger"]),
        .library(name: "MoteConsensus", targets: ["MoteConsensus"]),
        .library(name: "MoteP2P", targets: ["MoteP2P"]),
        .library(name: "MoteTelemetry", targets: ["MoteTelemetry"]),
        .library(name: "MoteApplet", targets: ["MoteApplet"]),
        .library(name: "MoteWitness", targets: ["MoteWitness"]),
        .library(name: "MoteStreamStore", targets: ["MoteStreamStore"]),
        .library(name: "MoteMQTT", targets: ["MoteMQTT"]),
        .library(name: "MoteStream", targets: ["MoteStream"]),
        .library(name: "MoteDeviceSDK", targets: ["MoteDeviceSDK"]),
        .library(name: "MoteRPCClient", targets: ["MoteRPCClient"]),
        .library(name: "MoteRPC", targets: ["MoteRPC"]),
        .library(name: "MoteNode", targets: ["MoteNode"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "4.5.2"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/LebJe/TOMLKit", from: "0.6.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1", traits: []),
        .package(url: "https://github.com/hummingbird-project/hummingbird-websocket", from: "2.8.1"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
        .package(url: "https://github.com/swiftwasm/WasmKit", from: "0.4.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
    ],
    targets: [
        // C libraries from Debian, wrapped behind module maps; never exposed in public API.
        .systemLibrary(
            name: "CSecp256k1", pkgConfig: "libsecp256k1",
            providers: [.apt(["libsecp256k1-dev"])]),
        .systemLibrary(
            name: "CSodium", pkgConfig: "libsodium",
            providers: [.apt(["libsodium-dev"])]),
        .systemLibrary(
            name: "CLMDB", pkgConfig: "lmdb",
            providers: [.apt(["liblmdb-dev"])]),

        // Value types and encodings: UInt256, Hash32, Address, hex, RLP, Solidity ABI.
        .target(name: "MotePrimitives"),
        // Hashes, signatures, addresses from keys, keystores.
        .target(
            name: "MoteCrypto",
            dependencies: [
                "MotePrimitives", "CSecp256k1", "CSodium",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "CryptoExtras", package: "swift-crypto"),
            ]),
        // Devices' keys and signed telemetry envelopes (binary and JSON forms).
        .target(name: "MoteTelemetry", dependencies: ["MotePrimitives", "MoteCrypto"]),
        // MachineFi applets: sandboxed WebAssembly (WasmKit) with fuel, memory and time limits.
        .target(
            name: "MoteApplet",
            dependencies: ["MotePrimitives", "MoteCrypto", "MoteTelemetry", .product(name: "WasmKit", package: "WasmKit")]),
        // The layer-2 telemetry store: one protocol, in-memory, SQLite and PostgreSQL implementations.
        .target(
            name: "MoteStreamStore",
            dependencies: [
                "MotePrimitives", "MoteTelemetry",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]),
        // Proof of Assignment: VRF sortition of block witnesses.
        .target(name: "MoteWitness", dependencies: ["MotePrimitives", "MoteCrypto"]),
        // Ethereum transactions: legacy, EIP-2930, EIP-1559.
        .target(name: "MoteTransactions", dependencies: ["MotePrimitives", "MoteCrypto"]),
        // The Merkle Patricia Trie (Ethereum-compatible), with proofs.
        .target(name: "MoteTrie", dependencies: ["MotePrimitives", "MoteCrypto"]),
        // Chain data types: accounts, blocks, receipts, logs, genesis.
        .target(name: "MoteChain", dependencies: ["MotePrimitives", "MoteCrypto", "MoteTransactions"]),
        // Block, index and state storage: protocols, in-memory and LMDB implementations.
        .target(name: "MoteStorage", dependencies: ["MotePrimitives", "MoteChain", "CLMDB"]),
        // BFT consensus: a pure state machine (events in, actions out), epoch schedule, vote WAL.
        .target(name: "MoteConsensus", dependencies: ["MotePrimitives", "MoteCrypto"]),
        // The transaction pool: admission, pending/queued per account, selection for blocks.
        .target(name: "MoteMempool", dependencies: ["MotePrimitives", "MoteCrypto", "MoteTransactions", "MoteChain"]),
        // The Ethereum virtual machine (Cancun): a deterministic interpreter over a journaled state,
        // precompiles, the transaction rules, and the ethereum/tests state-test runner. Optimized
        // even in debug builds: the state tests and `mote evm` run thousands of contracts.
        .target(
            name: "MoteEVM",
            dependencies: ["MotePrimitives", "MoteCrypto", "MoteTransactions", "MoteTrie"],
            swiftSettings: [.unsafeFlags(["-O"], .when(configuration: .debug))]),
        // The system contracts' interfaces: reserved addresses, functions, events, status enums and
        // typed views of their answers (ABI values or RPC JSON), for the ledger and every caller.
        .target(name: "MoteContracts", dependencies: ["MotePrimitives", "MoteCrypto", "MoteTelemetry"]),
        // The one JSON-RPC client: bounded answers, typed errors, contract views (`ContractCaller`), signed transactions (`TransactionSender`).
        .target(
            name: "MoteRPCClient",
            dependencies: [
                "MotePrimitives", "MoteCrypto", "MoteTransactions", "MoteContracts",
                .product(name: "HummingbirdWSClient", package: "hummingbird-websocket"),
                .product(name: "Logging", package: "swift-log"),
            ]),
        // The deterministic state machine: world state, execution, fees, system contracts, blocks.
        .target(
            name: "MoteLedger",
            dependencies: [
                "MoteContracts", "MotePrimitives", "MoteCrypto", "MoteTransactions", "MoteChain", "MoteTrie", "MoteStorage", "MoteConsensus", "MoteTelemetry",
                "MoteWitness", "MoteApplet",
            ]),
        // Peer-to-peer networking over SwiftNIO TCP: frames, handshake, gossip, peers.
        .target(
            name: "MoteP2P",
            dependencies: [
                "MotePrimitives", "MoteCrypto",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ]),
        // An MQTT 3.1.1 client over SwiftNIO TCP: a strict frame decoder, a protocol state machine, an async API.
        .target(
            name: "MoteMQTT",
            dependencies: [
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            ]),
        // The device side: key file, persistent sequence numbers, signed envelopes buffered on disk, delivery over HTTP or MQTT.
        .target(
            name: "MoteDeviceSDK",
            dependencies: [
                "MoteRPCClient", "MoteContracts", "MotePrimitives", "MoteCrypto", "MoteTelemetry", "MoteMQTT", "MoteChain", "MoteConsensus", "MoteWitness",
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            ]),
        // The Ethereum-compatible JSON-RPC 2.0 API over HTTP and WebSocket, health and metrics.
        .target(
            name: "MoteRPC",
            dependencies: [
                "MoteContracts", "MotePrimitives", "MoteCrypto", "MoteTransactions", "MoteChain", "MoteStorage", "MoteLedger", "MoteMempool", "MoteTelemetry",
                "MoteWitness",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdWebSocket", package: "hummingbird-websocket"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ]),
        // The stream node (layer 2): ingestion pipeline, device directory, HTTP API, MQTT bridge, retention.
        .target(
            name: "MoteStream",
            dependencies: [
                "MoteRPCClient", "MoteContracts", "MotePrimitives", "MoteCrypto", "MoteTelemetry", "MoteStreamStore", "MoteMQTT", "MoteApplet",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "TOMLKit", package: "TOMLKit"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]),
        // A node: configuration, and the wiring of ledger, pool, consensus, p2p and RPC.
        .target(
            name: "MoteNode",
            dependencies: [
                "MoteContracts", "MotePrimitives", "MoteCrypto", "MoteTransactions", "MoteChain", "MoteStorage", "MoteLedger",
                "MoteMempool", "MoteConsensus", "MoteP2P", "MoteRPC", "MoteStream", "MoteWitness",
                .product(name: "TOMLKit", package: "TOMLKit"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ]),
        // Fixtures and local tooling for tests, benchmarks and devnets: synthetic chains and telemetry, a mosquitto launcher and its password files.
        .target(
            name: "MoteTestKit",
            dependencies: ["MotePrimitives", "MoteCrypto", "MoteTransactions", "MoteChain", "MoteStorage", "MoteTelemetry", "MoteStreamStore", "MoteMQTT"]),
        // Seeded mutation fuzzing of the decoders (RLP, transactions, blocks, consensus, p2p, telemetry, JSON-RPC, MQTT).
        .target(
            name: "MoteFuzz",
            dependencies: [
                "MoteContracts", "MotePrimitives", "MoteCrypto", "MoteTransactions", "MoteChain", "MoteStorage", "MoteLedger", "MoteMempool", "MoteConsensus",
                "MoteP2P", "MoteRPC", "MoteTelemetry", "MoteMQTT", .product(name: "NIOCore", package: "swift-nio"),
            ]),
        // The command-line interface.
        .executableTarget(
            name: "mote",
            dependencies: [
                "MoteTestKit", "MoteP2P", "MoteRPCClient", "MoteContracts", "MotePrimitives", "MoteCrypto", "MoteTransactions", "MoteChain", "MoteStorage", "MoteLedger", "MoteMempool", "MoteNode",
                "MoteTelemetry", "MoteStreamStore", "MoteMQTT", "MoteStream", "MoteDeviceSDK", "MoteWitness", "MoteFuzz", "MoteEVM",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]),

        // Tests. Conformance suites read ../shared/vectors through MoteTestSupport.
        .target(name: "MoteTestSupport", path: "Tests/MoteTestSupport"),
        .testTarget(name: "MotePrimitivesTests", dependencies: ["MotePrimitives", "MoteTestSupport"]),
        .testTarget(name: "MoteCryptoTests", dependencies: ["MotePrimitives", "MoteCrypto", "MoteTestSupport"]),
        .testTarget(
            name: "MoteTransactionsTests",
            dependencies: ["MotePrimitives", "MoteTransactions", "MoteCrypto", "MoteTestSupport"]),
        .testTarget(name: "MoteEVMTests", dependencies: ["MoteEVM", "MotePrimitives", "MoteCrypto", "MoteTransactions", "MoteTrie", "MoteTestSupport"]),
        .testTarget(name: "MoteTrieTests", dependencies: ["MotePrimitives", "MoteTrie", "MoteCrypto", "MoteTestSupport"]),
        .testTarget(name: "MoteChainTests", dependencies: ["MoteTransactions", "MotePrimitives", "MoteCrypto", "MoteChain", "MoteTestSupport"]),
        .testTarget(name: "MoteStorageTests", dependencies: ["MoteTestKit", "MotePrimitives", "MoteCrypto", "MoteStorage", "MoteChain", "MoteTestSupport"]),
        .testTarget(
            name: "MoteLedgerTests",
            dependencies: [
                "MoteWitness", "MotePrimitives", "MoteApplet", "MoteContracts", "MoteLedger", "MoteStorage", "MoteChain", "MoteTransactions", "MoteCrypto", "MoteTrie", "MoteTestSupport", "MoteConsensus",
                "MoteTelemetry",
            ]),
        .testTarget(name: "MoteConsensusTests", dependencies: ["MotePrimitives", "MoteConsensus", "MoteCrypto", "MoteTestSupport"]),
        .testTarget(
            name: "MoteP2PTests",
            dependencies: [
                "MotePrimitives", "MoteP2P", "MoteCrypto", "MoteTestSupport",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
            ]),
        .testTarget(
            name: "MoteNodeTests",
            dependencies: [
                "MoteNode", "MoteRPC", "MoteWitness", "MoteCrypto", "MotePrimitives", "MoteChain", "MoteTransactions", "MoteStorage", "MoteConsensus", "MoteStream",
            ]),
        .testTarget(
            name: "MoteAppletTests",
            dependencies: [
                "MoteApplet", "MotePrimitives", "MoteCrypto", "MoteTestSupport",
                .product(name: "WAT", package: "WasmKit"),
            ]),
        .testTarget(name: "MoteTelemetryTests", dependencies: ["MotePrimitives", "MoteTelemetry", "MoteCrypto", "MoteTestSupport"]),
        .testTarget(name: "MoteWitnessTests", dependencies: ["MoteWitness", "MoteCrypto", "MotePrimitives", "MoteTestSupport"]),
        .testTarget(
            name: "MoteStreamStoreTests",
            dependencies: ["MoteStreamStore", "MoteTelemetry", "MotePrimitives", "MoteTestSupport"]),
        .testTarget(
            name: "MoteRPCTests",
            dependencies: [
                "MotePrimitives", "MoteContracts", "MoteRPCClient", "MoteRPC", "MoteStorage", "MoteLedger", "MoteMempool", "MoteChain", "MoteTransactions", "MoteCrypto",
                "MoteTrie", "MoteTelemetry", "MoteWitness",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            ]),
        .testTarget(name: "MoteCLITests", dependencies: ["MoteTestKit", "MoteTestSupport", "mote", "MoteStreamStore", "MotePrimitives", "MoteTelemetry"]),
        .testTarget(
            name: "MoteMQTTTests",
            dependencies: [
                "MoteTestKit", "MoteMQTT",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ]),
        .testTarget(
            name: "MoteStreamTests",
            dependencies: [
                "MoteTestKit", "MoteContracts", "MoteRPCClient", "MoteStream", "MoteStreamStore", "MoteTelemetry", "MoteMQTT", "MoteCrypto", "MotePrimitives", "MoteTestSupport",
                "MoteApplet", "MoteTransactions",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "Hummingbird", package: "hummingbird"),
            ]),
        .testTarget(
            name: "MoteDeviceSDKTests",
            dependencies: [
                "MoteTestKit", "MoteDeviceSDK", "MoteStream", "MoteStreamStore", "MoteTelemetry", "MoteMQTT", "MoteCrypto", "MotePrimitives", "MoteChain", "MoteConsensus",
                "MoteWitness", .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            ]),
        .testTarget(name: "MoteContractsTests", dependencies: ["MoteContracts", "MoteCrypto", "MotePrimitives", "MoteTelemetry"]),
        .testTarget(name: "MoteMempoolTests", dependencies: ["MoteTransactions", "MotePrimitives", "MoteCrypto", "MoteChain", "MoteMempool", "MoteTestSupport"]),
        .testTarget(name: "MoteFuzzTests", dependencies: ["MoteFuzz"]),
    ],
    swiftLanguageModes: [.v6]
)

