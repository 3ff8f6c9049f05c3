import Foundation
import MoteCrypto
import MotePrimitives
import MoteTransactions
import MoteTrie

/// A state held in maps: the pre-state of a state test, or the scratch state of `mote evm run`.
public final class InMemoryEVMState: EVMStateReader {
    public private(set) var accounts: [Address: EVMAccount] = [:]
    public private(set) var storageByAccount: [Address: [UInt256: UInt256]] = [:]

    public init() {}

    public func account(_ address: Address) -> EVMAccount? { accounts[address] }

    public func storage(_ address: Address, _ key: UInt256) -> UInt256 { storageByAccount[address]?[key] ?? .zero }

    public func hasStorage(_ address: Address) -> Bool { !(storageByAccount[address]?.isEmpty ?? true) }

    public func setAccount(_ address: Address, _ account: EVMAccount, storage: [UInt256: UInt256] = [:]) {
        accounts[address] = account
        let nonZero = storage.filter { !$0.value.isZero }
        storageByAccount[address] = nonZero.isEmpty ? nil : nonZero
    }

    /// Writes a transaction's changes.
    public func apply(_ changes: EVMStateChanges) {
        for address in changes.deleted {
            accounts[address] = nil
            storageByAccount[address] = nil
        }
        for (address, change) in changes.updated {
            accounts[address] = change.account
            var storage = change.storageCleared ? [:] : (storageByAccount[address] ?? [:])
            for (key, value) in change.storage { storage[key] = value.isZero ? nil : value }
            storageByAccount[address] = storage.isEmpty ? nil : storage
        }
    }

    /// The Ethereum state root: a secure trie of rlp([nonce, balance, storageRoot, codeHash]).
    public var stateRoot: Hash32 {
        var trie = SecureTrie()
        for (address, account) in accounts.sorted(by: { $0.key < $1.key }) {
            var storageTrie = SecureTrie()
            for (key, value) in (storageByAccount[address] ?? [:]).sorted(by: { $0.key < $1.key }) where !value.isZero {
                try! storageTrie.set(key.bigEndianBytes, RLP.encode(.uint(value)))
            }
            let value = RLP.encode(.list([
                .uint(account.nonce), .uint(account.balance), .hash(storageTrie.rootHash), .hash(account.codeHash),
            ]))
            try! trie.set(address.bytes, value)
        }
        return trie.rootHash
    }
}

/// keccak256(rlp(logs)), the `logs` field of a state test's post state.
public func logsHash(_ logs: [EVMLog]) -> Hash32 {
    Keccak256.hash(RLP.encode(.list(logs.map { log in
        .list([.address(log.address), .list(log.topics.map { .hash($0) }), .bytes(log.data)])
    })))
}

/// One result of a state test: a (test, fork, post index) triple.
public struct StateTestResult: Sendable {
    public var file: String
    public var name: String
    public var fork: String
    public var index: Int
    public var pass: Bool
    public var stateRoot: Hash32?
    public var logsHash: Hash32?
    public var error: String?

    /// The JSON line `mote evm statetest --json` prints (geth's shape).
    public var jsonLine: String {
        var object: [String: Any] = ["name": name, "fork": fork, "index": index, "pass": pass]
        object["stateRoot"] = stateRoot.map { $0.hex as Any } ?? NSNull()
        object["logsHash"] = logsHash.map { $0.hex as Any } ?? NSNull()
        object["error"] = error.map { $0 as Any } ?? NSNull()
        let data = try! JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
        return String(decoding: data, as: UTF8.self)
    }
}

public struct StateTestError: Error, CustomStringConvertible {
    public var description: String
    init(_ description: String) { self.description = description }
}

/// Runs ethereum/tests GeneralStateTests files (`env`, `pre`, `transaction`, `post`).
public enum StateTestRunner {
    /// Runs every (test, fork, index) of the file at `path` whose fork is in `forks` (nil: all).
    /// Forks this EVM does not implement give a failing result that says so.
    public static func run(file path: String, forks: Set<String>?) throws -> [StateTestResult] {
        guard let data = FileManager.default.contents(atPath: path) else { throw StateTestError("cannot read \(path)") }
        guard let root = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw StateTestError("\(path): not a JSON object")
        }
        var results: [StateTestResult] = []
        for name in root.keys.sorted() {
            guard let test = root[name] as? [String: Any],
                  let post = test["post"] as? [String: Any]
            else { throw StateTestError("\(path): \(name) has no post section") }
            for forkName in post.keys.sorted() where forks == nil || forks!.contains(forkName) {
                guard let cases = post[forkName] as? [[String: Any]] else {
                    var result = StateTestResult(file: path, name: name, fork: forkName, index: 0, pass: false)
                    result.error = "malformed test: post.\(forkName) is not a list of post states"
                    results.append(result)
                    continue
                }
                for (index, expected) in cases.enumerated() {
                    var result = StateTestResult(file: path, name: name, fork: forkName, index: index, pass: false)
                    guard let fork = Fork(testName: forkName), EVM.supports(fork) else {
                        result.error = "fork \(forkName) is not implemented"
                        results.append(result)
                        continue
                    }
                    do {
                        try runCase(test, expected: expected, fork: fork, result: &result)
                    } catch {
                        result.error = "malformed test: \(error)"
                    }
                    results.append(result)
                }
            }
        }
        return results
    }

    /// Every `.json` file under `path` (or `path` itself), sorted.
    public static func files(at path: String) -> [String] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { return [] }
        if !isDirectory.boolValue { return [path] }
        let enumerator = FileManager.default.enumerator(atPath: path)
        var files: [String] = []
        while let item = enumerator?.nextObject() as? String {
            if item.hasSuffix(".json") { files.append((path as NSString).appendingPathComponent(item)) }
        }
        return files.sorted()
    }

    // MARK: One case

    private static func runCase(
        _ test: [String: Any], expected: [String: Any], fork: Fork, result: inout StateTestResult
    ) throws {
        let env = test["env"] as? [String: Any] ?? [:]
        let state = InMemoryEVMState()
        for (addressText, value) in test["pre"] as? [String: Any] ?? [:] {
            guard let fields = value as? [String: Any] else { throw StateTestError("bad pre account") }
            let address = try Address(hex: addressText)
            var storage: [UInt256: UInt256] = [:]
            guard let storageFields = (fields["storage"] ?? [String: String]()) as? [String: String] else {
                throw StateTestError("storage of \(addressText) is not a map of hex strings")
            }
            for (k, v) in storageFields { storage[try word(k)] = try word(v) }
            let account = EVMAccount(
                nonce: try word64(fields["nonce"], "nonce"), balance: try word(fields["balance"]),
                code: try bytes(fields["code"]))
            state.setAccount(address, account, storage: storage)
        }
        let block = BlockEnvironment(
            coinbase: try Address(hex: env["currentCoinbase"] as? String ?? "0x" + String(repeating: "0", count: 40)),
            number: try word64(env["currentNumber"], "currentNumber"),
            timestamp: try word64(env["currentTimestamp"], "currentTimestamp"),
            gasLimit: try word64(env["currentGasLimit"], "currentGasLimit"),
            baseFee: try word(env["currentBaseFee"] ?? "0x0a"),
            prevRandao: try word(env["currentRandom"] ?? env["currentDifficulty"]),
            excessBlobGas: try word64(env["currentExcessBlobGas"] ?? "0x00", "currentExcessBlobGas"),
            chainID: 1,
            blockHash: { n in Keccak256.hash(Array(String(n).utf8)) })

        let indexes = expected["indexes"] as? [String: Any] ?? [:]
        let tx = try transaction(test["transaction"] as? [String: Any] ?? [:], indexes: indexes)
        let expectsException = expected["expectException"] != nil

        var executionError: String?
        var logs = logsHash([])
        switch tx {
        case .failure(let invalid):
            executionError = invalid.description
        case .success(let tx):
            let evmState = EVMState(reader: state)
            do {
                let outcome = try TransactionProcessor.execute(tx, block: block, fork: fork, state: evmState)
                logs = logsHash(outcome.logs)
                state.apply(evmState.changes())
            } catch {
                executionError = error.description
            }
        }
        // As geth's runner does: a zero reward touches the coinbase, removing it if empty.
        if let coinbase = state.account(block.coinbase), coinbase.isEmpty {
            state.apply(EVMStateChanges(updated: [:], deleted: [block.coinbase]))
        }
        let root = state.stateRoot
        result.stateRoot = root
        result.logsHash = logs
        let expectedRoot = try Hash32(hex: expected["hash"] as? String ?? "")
        let expectedLogs = try Hash32(hex: expected["logs"] as? String ?? "")
        var problems: [String] = []
        if let executionError, !expectsException { problems.append("unexpected invalid transaction: \(executionError)") }
        if executionError == nil && expectsException {
            problems.append("expected exception \(expected["expectException"]!) but the transaction was valid")
        }
        if root != expectedRoot { problems.append("state root \(root.hex), expected \(expectedRoot.hex)") }
        if logs != expectedLogs { problems.append("logs hash \(logs.hex), expected \(expectedLogs.hex)") }
        result.pass = problems.isEmpty
        result.error = problems.isEmpty ? executionError : problems.joined(separator: "; ")
    }

    private static func transaction(
        _ fields: [String: Any], indexes: [String: Any]
    ) throws -> Result<EVMTransaction, InvalidTransaction> {
        let dataIndex = try index(indexes["data"], "data")
        let gasIndex = try index(indexes["gas"], "gas")
        let valueIndex = try index(indexes["value"], "value")
        let dataList = fields["data"] as? [String] ?? []
        let gasList = fields["gasLimit"] as? [String] ?? []
        let valueList = fields["value"] as? [String] ?? []
        guard dataIndex < dataList.count, gasIndex < gasList.count, valueIndex < valueList.count else {
            throw StateTestError("index out of range")
        }
        let sender: Address
        if let text = fields["sender"] as? String {
            sender = try Address(hex: text)
        } else {
            sender = try Secp256k1.PrivateKey(bytes: try bytes(fields["secretKey"])).address
        }
        let toText = fields["to"] as? String ?? ""
        let to = toText.isEmpty ? nil : try Address(hex: toText)
        guard let gasLimit = try word(gasList[gasIndex]).uint64 else { return .failure(InvalidTransaction(.gasLimitExceedsBlock)) }
        guard let nonce = try word(fields["nonce"]).uint64 else { return .failure(InvalidTransaction(.nonceMax)) }
        var accessList: [(address: Address, storageKeys: [UInt256])] = []
        var hasAccessList = false
        if let lists = fields["accessLists"] as? [Any], dataIndex < lists.count, let list = lists[dataIndex] as? [[String: Any]] {
            hasAccessList = true
            for entry in list {
                let keys = try (entry["storageKeys"] as? [String] ?? []).map { try word($0) }
                accessList.append((try Address(hex: entry["address"] as? String ?? ""), keys))
            }
        }
        // A value wider than 256 bits cannot be encoded: the transaction is invalid, not the test.
        guard let value = try? word(valueList[valueIndex]) else { return .failure(InvalidTransaction(.malformed)) }
        var tx = EVMTransaction(
            type: 0, sender: sender, to: to, nonce: nonce, gasLimit: gasLimit, value: value,
            data: try bytes(dataList[dataIndex]), accessList: accessList)
        if let hashes = fields["blobVersionedHashes"] as? [String] {
            tx.type = 3
            tx.blobVersionedHashes = try hashes.map { try Hash32(hex: $0) }
            tx.maxFeePerBlobGas = try word(fields["maxFeePerBlobGas"])
        } else if fields["maxFeePerGas"] != nil {
            tx.type = 2
        } else if hasAccessList {
            tx.type = 1
        }
        if let gasPrice = fields["gasPrice"] as? String {
            tx.maxFeePerGas = try word(gasPrice)
            tx.maxPriorityFeePerGas = tx.maxFeePerGas
        } else {
            tx.maxFeePerGas = try word(fields["maxFeePerGas"])
            tx.maxPriorityFeePerGas = try word(fields["maxPriorityFeePerGas"])
        }
        return .success(tx)
    }

    /// A post state's index into the transaction's lists: absent is 0; anything but a
    /// non-negative integer is a malformed test.
    private static func index(_ value: Any?, _ name: String) throws -> Int {
        guard let value else { return 0 }
        guard let i = value as? Int, i >= 0 else { throw StateTestError("index \(name) is not a non-negative integer: \(value)") }
        return i
    }

    /// A number that must fit 64 bits.
    private static func word64(_ value: Any?, _ name: String) throws -> UInt64 {
        guard let v = try word(value).uint64 else { throw StateTestError("\(name) does not fit 64 bits") }
        return v
    }

    private static func word(_ value: Any?) throws -> UInt256 {
        guard let text = value as? String else { return .zero }
        if text.hasPrefix("0x") || text.hasPrefix("0X") {
            if text.count == 2 { return .zero }
            guard let v = UInt256(hexQuantity: text) else { throw StateTestError("bad number \(text)") }
            return v
        }
        guard let v = UInt256(decimal: text) else { throw StateTestError("bad number \(text)") }
        return v
    }

    private static func bytes(_ value: Any?) throws -> [UInt8] {
        guard let text = value as? String, !text.isEmpty else { return [] }
        return try Hex.decode(text)
    }
}

/// Pass/fail counts per folder, and the table `mote evm statetest` and the test suite print.
public struct StateTestSummary: Sendable {
    public private(set) var perFolder: [String: (pass: Int, fail: Int)] = [:]
    public private(set) var passed = 0
    public private(set) var failed = 0

    public init() {}

    public mutating func count(pass: Bool, folder: String) {
        var counts = perFolder[folder] ?? (0, 0)
        if pass { counts.pass += 1; passed += 1 } else { counts.fail += 1; failed += 1 }
        perFolder[folder] = counts
    }

    /// One line per folder, sorted, then the total.
    public var table: String {
        func row(_ name: String, _ pass: Int, _ fail: Int) -> String {
            name.padding(toLength: 48, withPad: " ", startingAt: 0) + String(format: " %6d %6d", pass, fail)
        }
        var lines = ["folder".padding(toLength: 48, withPad: " ", startingAt: 0) + "   pass   fail"]
        for (folder, counts) in perFolder.sorted(by: { $0.key < $1.key }) { lines.append(row(folder, counts.pass, counts.fail)) }
        lines.append(row("total", passed, failed))
        return lines.joined(separator: "\n") + "\n"
    }
}
