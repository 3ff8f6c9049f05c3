import Foundation
import MoteTestSupport
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A one-node `mote devnet` on free loopback ports in a sandbox, started as a child process.
/// `stop()` sends SIGTERM and waits (the devnet stops its node first).
final class LocalDevnet {
    let process = Process()
    let rpcURL: String
    let log: URL
    /// The prefunded test accounts: checksummed address and hex private key.
    private(set) var accounts: [(address: String, privateKey: String)] = []

    /// The devnet's folder: `genesis.json`, `accounts.json`, `node-0/operator.key`, …
    let directory: String

    /// Starts the devnet; `arguments` go to `mote devnet` after the usual ones (e.g. `--epoch-length 6`).
    init(in box: Sandbox, arguments extra: [String] = []) throws {
        let root = box.root.appendingPathComponent("devnet").path
        directory = root
        let ports = try LocalDevnet.freePorts(3)
        rpcURL = "http://127.0.0.1:\(ports[1])"
        log = box.root.appendingPathComponent("devnet.log")
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        let handle = try FileHandle(forWritingTo: log)
        process.executableURL = MoteBinary.url
        process.arguments = [
            "devnet", "--nodes", "1", "--block-time", "300", "--datadir", root, "--base-port", "\(ports[0])",
            "--rpc-port", "\(ports[1])", "--ws-port", "\(ports[2])", "--accounts", "5",
        ] + extra
        process.environment = ["PATH": "/usr/bin:/bin", "HOME": box.root.path]
        process.standardOutput = handle
        process.standardError = handle
        process.standardInput = FileHandle.nullDevice
        try process.run()

        do {
            let deadline = Date().addingTimeInterval(30)
            while LocalDevnet.rpc(rpcURL, "eth_blockNumber") == nil {
                guard process.isRunning, Date() < deadline else {
                    throw DevnetError(description: "the devnet did not answer eth_blockNumber in 30 s: \(logText)")
                }
                usleep(100_000)
            }
            let data = try Data(contentsOf: URL(fileURLWithPath: root + "/accounts.json"))
            for entry in try JSONSerialization.jsonObject(with: data) as? [[String: String]] ?? [] {
                accounts.append((entry["address"] ?? "", entry["privateKey"] ?? ""))
            }
        } catch {
            stop()
            throw error
        }
    }

    struct DevnetError: Error, CustomStringConvertible { let description: String }

    var logText: String { (try? String(contentsOf: log, encoding: .utf8)) ?? "" }

    /// SIGTERM, then wait up to 15 s (SIGKILL after that).
    func stop() {
        guard process.isRunning else { return }
        kill(process.processIdentifier, SIGTERM)
        let deadline = Date().addingTimeInterval(15)
        while process.isRunning && Date() < deadline { usleep(20_000) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }

    /// `count` distinct ports that were free a moment ago (bound to port 0, then released).
    static func freePorts(_ count: Int) throws -> [Int] {
        var sockets: [Int32] = []
        defer { for fd in sockets { close(fd) } }
        var ports: [Int] = []
        for _ in 0..<count {
            #if canImport(Glibc)
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            #else
            let fd = socket(AF_INET, SOCK_STREAM, 0)
            #endif
            guard fd >= 0 else { throw DevnetError(description: "socket failed") }
            sockets.append(fd)
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = 0
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            var length = socklen_t(MemoryLayout<sockaddr_in>.size)
            let bound = withUnsafeMutablePointer(to: &address) { pointer in
                pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { generic in
                    bind(fd, generic, length) == 0 && getsockname(fd, generic, &length) == 0
                }
            }
            guard bound else { throw DevnetError(description: "bind failed") }
            ports.append(Int(UInt16(bigEndian: address.sin_port)))
        }
        return ports
    }

    /// One JSON-RPC call straight over HTTP (not through the code under test); nil on any failure.
    static func rpc(_ url: String, _ method: String, _ params: [Any] = []) -> Any? {
        let body: [String: Any] = ["jsonrpc": "2.0", "id": 1, "method": method, "params": params]
        var request = URLRequest(url: URL(string: url)!, timeoutInterval: 5)
        request.httpMethod = "POST"
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        request.httpBody = try? JSONSerialization.data(withJSONObject: body)
        let done = DispatchSemaphore(value: 0)
        let answer = AnswerBox()
        let task = URLSession.shared.dataTask(with: request) { data, _, _ in
            answer.data = data
            done.signal()
        }
        task.resume()
        guard done.wait(timeout: .now() + 10) == .success, let data = answer.data,
            let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any]
        else { return nil }
        return object["result"]
    }

    /// `@unchecked Sendable`: written once by the URLSession callback before `done` is signalled,
    /// read only after the wait.
    final class AnswerBox: @unchecked Sendable { var data: Data? }
}

/// A keystore written by eth-account 0.14.0 (pbkdf2, c = 10000), as in KeysCommandTests.
private enum EthAccountKey {
    static let json = #"{"address":"5ce9454909639D2D17A3F753ce7d93fa0b9aB12E","crypto":{"cipher":"aes-128-ctr","cipherparams":{"iv":"8c923c0dab8cff85fd933330e29797bf"},"ciphertext":"068e2988cf63f8b6a2878e409d963ea96851ad69c81bc5eac4891c41c31da033","kdf":"pbkdf2","kdfparams":{"c":10000,"dklen":32,"prf":"hmac-sha256","salt":"faedd4241dffe18e1f1cb36a92b569e7"},"mac":"9834b14e0ac14a6f3388d0ca88f45d9c90194ef831c3b79ea9658612f1b99e82"},"id":"22937fcc-8ae8-4fe1-8a95-abec67862f09","version":3}"#
    static let password = "p\u{e4}ssw\u{f6}rd \u{2713} \u{1F511}"
    static let address = "0x5ce9454909639D2D17A3F753ce7d93fa0b9aB12E"
}

/// Wallet commands against a real one-node devnet: balances, transfers signed with a raw key,
/// a `mote keys new` keystore and an eth-account keystore, lookups, and the error paths.
@Suite(.serialized) struct WalletCommandTests {
    /// A balance in wei as the node reports it (decimal, exact).
    func balance(_ devnet: LocalDevnet, _ address: String) -> Decimal? {
        guard let hex = LocalDevnet.rpc(devnet.rpcURL, "eth_getBalance", [address, "latest"]) as? String else { return nil }
        var value = Decimal(0)
        for digit in hex.dropFirst(2) { value = value * 16 + Decimal(Int(String(digit), radix: 16)!) }
        return value
    }

    @Test(.timeLimit(.minutes(2)))
    func balancesTransfersAndLookups() throws {
        let box = try Sandbox()
        let devnet = try LocalDevnet(in: box)
        defer { devnet.stop() }
        let rpc = ["--rpc", devnet.rpcURL]
        let (sender, senderKey) = devnet.accounts[0]
        let recipient = devnet.accounts[1].address
        let keyFile = try box.file("sender.key", senderKey + "\n")

        // Balances: text and JSON. Addresses are accepted in lower case and shown checksummed.
        let text = try box.mote(["balance", recipient.lowercased()] + rpc)
        #expect(text.status == 0, "\(text.stdout)\(text.stderr)")
        #expect(text.stdout.contains(recipient))
        #expect(text.stdout.contains("1000000 MOTE (1000000000000000000000000 wei)"), "\(text.stdout)")
        let viaEnvironment = try box.mote(["balance", recipient, "--json"], environment: ["MOTE_RPC": devnet.rpcURL])
        #expect(viaEnvironment.status == 0, "\(viaEnvironment.stdout)\(viaEnvironment.stderr)")
        #expect(viaEnvironment.object["address"] as? String == recipient)
        #expect(viaEnvironment.object["wei"] as? String == "1000000000000000000000000")
        #expect(viaEnvironment.object["mote"] as? String == "1000000")
        #expect(viaEnvironment.object["block"] as? String == "latest")

        // A transfer signed with a raw key file, waited for; the recipient gains exactly the value
        // and the sender loses the value plus the fee the receipt reports.
        let senderBefore = try #require(balance(devnet, sender))
        let recipientBefore = try #require(balance(devnet, recipient))
        let sent = try box.mote(["transfer", "--to", recipient, "--value", "1.5", "--key-file", keyFile, "--json"] + rpc)
        #expect(sent.status == 0, "\(sent.stdout)\(sent.stderr)")
        let hash = try #require(sent.object["hash"] as? String)
        #expect(sent.object["status"] as? String == "success")
        #expect(sent.object["from"] as? String == sender)
        #expect(sent.object["to"] as? String == recipient)
        #expect(sent.object["value"] as? String == "1500000000000000000")
        #expect(sent.object["gasLimit"] as? Int == 21_000)
        #expect(sent.object["gasUsed"] as? String == "21000")
        let fee = try #require(Decimal(string: sent.object["feePaid"] as? String ?? ""))
        #expect(fee > 0)
        let block = try #require(sent.object["blockNumber"] as? Int)
        #expect((sent.object["receipt"] as? [String: Any])?["transactionHash"] as? String == hash)
        #expect(balance(devnet, recipient) == recipientBefore + Decimal(string: "1500000000000000000")!)
        #expect(balance(devnet, sender) == senderBefore - Decimal(string: "1500000000000000000")! - fee)

        // The same in text, with a gwei amount and explicit fees.
        let human = try box.mote(
            ["transfer", "--to", recipient, "--value", "2500000gwei", "--key-file", keyFile, "--tip", "2gwei", "--max-fee", "50gwei"] + rpc)
        #expect(human.status == 0, "\(human.stdout)\(human.stderr)")
        #expect(human.stdout.contains("0.0025 MOTE (2500000000000000 wei)"), "\(human.stdout)")
        #expect(human.stdout.contains("status     success"), "\(human.stdout)")
        #expect(human.stdout.contains("fee paid"))
        #expect(human.stdout.contains("tip        2 gwei (2000000000 wei)"), "\(human.stdout)")
        #expect(human.stderr.contains("waiting up to 60 s"))
        #expect(balance(devnet, recipient) == recipientBefore + Decimal(string: "1502500000000000000")!)

        // A key from `mote keys new`: fund it, then send from it with its password from a file.
        let passwordFile = try box.file("password", "correct horse\n")
        let created = try box.mote(["keys", "new", "--keystore", box.keystore, "--light-kdf", "--password-file", passwordFile])
        #expect(created.status == 0, "\(created.stdout)\(created.stderr)")
        let newAddress = try #require(created.object["address"] as? String)
        let keystorePath = try #require(created.object["path"] as? String)
        let funded = try box.mote(["transfer", "--to", newAddress, "--value", "10", "--key-file", keyFile, "--json"] + rpc)
        #expect(funded.status == 0, "\(funded.stdout)\(funded.stderr)")
        let beforeKeystore = try #require(balance(devnet, recipient))
        let fromKeystore = try box.mote(
            ["transfer", "--to", recipient, "--value", "0.5mote", "--keystore", keystorePath, "--password-file", passwordFile, "--json"] + rpc)
        #expect(fromKeystore.status == 0, "\(fromKeystore.stdout)\(fromKeystore.stderr)")
        #expect(fromKeystore.object["from"] as? String == newAddress)
        #expect(fromKeystore.object["nonce"] as? Int == 0)
        #expect(balance(devnet, recipient) == beforeKeystore + Decimal(string: "500000000000000000")!)
        let wrongPassword = try box.mote(
            ["transfer", "--to", recipient, "--value", "1", "--keystore", keystorePath, "--password-file", keyFile] + rpc)
        #expect(wrongPassword.status == 1)
        #expect(wrongPassword.stderr.contains("error: --keystore"), "\(wrongPassword.stderr)")

        // A keystore written by eth-account (Python), with a non-ASCII password.
        let foreign = try box.file("eth-account.json", EthAccountKey.json)
        let foreignPassword = try box.file("eth-account.password", EthAccountKey.password)
        let fundForeign = try box.mote(
            ["transfer", "--to", EthAccountKey.address, "--value", "1", "--key-file", keyFile, "--no-wait", "--json"] + rpc)
        #expect(fundForeign.status == 0, "\(fundForeign.stdout)\(fundForeign.stderr)")
        #expect(fundForeign.object["status"] as? String == "sent")
        #expect(fundForeign.object["receipt"] is NSNull)
        let deadline = Date().addingTimeInterval(10)
        while balance(devnet, EthAccountKey.address) == 0 && Date() < deadline { usleep(100_000) }
        let beforeForeign = try #require(balance(devnet, recipient))
        let fromForeign = try box.mote(
            ["transfer", "--to", recipient, "--value", "0.25", "--keystore", foreign, "--password-file", foreignPassword, "--json"] + rpc)
        #expect(fromForeign.status == 0, "\(fromForeign.stdout)\(fromForeign.stderr)")
        #expect(fromForeign.object["from"] as? String == EthAccountKey.address)
        #expect(balance(devnet, recipient) == beforeForeign + Decimal(string: "250000000000000000")!)

        // tx get / tx receipt show the first transfer.
        let got = try box.mote(["tx", "get", hash, "--json"] + rpc)
        #expect(got.status == 0, "\(got.stdout)\(got.stderr)")
        #expect(got.object["hash"] as? String == hash)
        #expect(got.object["to"] as? String == recipient.lowercased())
        #expect(got.object["value"] as? String == "0x14d1120d7b160000")
        #expect(got.object["blockNumber"] as? String == "0x" + String(block, radix: 16))
        let gotText = try box.mote(["tx", "get", hash] + rpc)
        #expect(gotText.status == 0)
        #expect(gotText.stdout.contains("1.5 MOTE (1500000000000000000 wei)"), "\(gotText.stdout)")
        #expect(gotText.stdout.contains("included in block \(block)"), "\(gotText.stdout)")
        #expect(gotText.stdout.contains(sender))
        let receipt = try box.mote(["tx", "receipt", hash, "--json"] + rpc)
        #expect(receipt.status == 0, "\(receipt.stdout)\(receipt.stderr)")
        #expect(receipt.object["status"] as? String == "0x1")
        #expect(receipt.object["gasUsed"] as? String == "0x5208")
        #expect(receipt.object["transactionHash"] as? String == hash)
        let receiptText = try box.mote(["tx", "receipt", hash] + rpc)
        #expect(receiptText.stdout.contains("success"), "\(receiptText.stdout)")
        #expect(receiptText.stdout.contains("gas used     21000"), "\(receiptText.stdout)")

        // block latest / block N --full.
        let latest = try box.mote(["block", "latest", "--json"] + rpc)
        #expect(latest.status == 0, "\(latest.stdout)\(latest.stderr)")
        let latestNumber = Int((latest.object["number"] as? String ?? "0x0").dropFirst(2), radix: 16) ?? -1
        #expect(latestNumber >= block)
        let full = try box.mote(["block", String(block), "--full", "--json"] + rpc)
        #expect(full.status == 0, "\(full.stdout)\(full.stderr)")
        let transactions = full.object["transactions"] as? [[String: Any]] ?? []
        #expect(transactions.contains { $0["hash"] as? String == hash }, "\(full.stdout)")
        let fullText = try box.mote(["block", String(block), "--full"] + rpc)
        #expect(fullText.status == 0)
        #expect(fullText.stdout.contains(hash))
        #expect(fullText.stdout.contains("1.5 MOTE"))
        #expect(fullText.stdout.contains("Z ("), "time in UTC ISO 8601: \(fullText.stdout)")
        let byHash = try box.mote(["block", full.object["hash"] as? String ?? "", "--json"] + rpc)
        #expect(byHash.object["number"] as? String == full.object["number"] as? String)

        // Unknown things: a transaction hash, a block far ahead.
        let unknown = "0x" + String(repeating: "ab", count: 32)
        let missing = try box.mote(["tx", "get", unknown] + rpc)
        #expect(missing.status == 1)
        #expect(missing.stderr.contains("no transaction \(unknown)"), "\(missing.stderr)")
        let missingReceipt = try box.mote(["tx", "receipt", unknown, "--json"] + rpc)
        #expect(missingReceipt.status == 1)
        #expect(missingReceipt.error?.contains("no receipt for \(unknown)") == true, "\(missingReceipt.stdout)")
        let farBlock = try box.mote(["block", "99999999"] + rpc)
        #expect(farBlock.status == 1)
        #expect(farBlock.stderr.contains("no block 99999999"), "\(farBlock.stderr)")

        // The node's refusals come through with its message and code.
        let emptyKey = try box.file("empty.key", "0x" + String(repeating: "11", count: 32))
        let broke = try box.mote(["transfer", "--to", recipient, "--value", "1", "--key-file", emptyKey] + rpc)
        #expect(broke.status == 1)
        #expect(broke.stderr.contains("node refused: insufficient funds"), "\(broke.stderr)")
        #expect(broke.stderr.contains("(code -32000)"), "\(broke.stderr)")
        let registry = "0x00000000000000000000000000004D4F54450001"  // NodeRegistry: a plain transfer reverts
        let reverts = try box.mote(["transfer", "--to", registry, "--value", "1", "--key-file", keyFile] + rpc)
        #expect(reverts.status == 1)
        #expect(reverts.stderr.contains("node refused: execution reverted"), "\(reverts.stderr)")

        // Included but failed (gas given, so no estimate stops it): exit 2, with the receipt.
        let failed = try box.mote(["transfer", "--to", registry, "--value", "1", "--key-file", keyFile, "--gas-limit", "30000", "--json"] + rpc)
        #expect(failed.status == 2, "\(failed.stdout)\(failed.stderr)")
        #expect(failed.object["status"] as? String == "failed")
        #expect((failed.object["receipt"] as? [String: Any])?["status"] as? String == "0x0")
        #expect(failed.error?.contains("failed") == true)

        // No receipt in time (a nonce far ahead waits in the pool forever): exit 3.
        let stuck = try box.mote(["transfer", "--to", recipient, "--value", "1", "--key-file", keyFile, "--nonce", "1000", "--timeout", "1"] + rpc)
        #expect(stuck.status == 3, "\(stuck.stdout)\(stuck.stderr)")
        #expect(stuck.stderr.contains("no receipt for") && stuck.stderr.contains("within 1 s"), "\(stuck.stderr)")
    }

    /// Mistakes caught before any node is asked, and a node that is not there.
    @Test func errorsWithoutANode() throws {
        let box = try Sandbox()
        let address = "0x2c7536E3605D9C16a7a3D7b1898e529396a65c23"
        let keyFile = try box.file("key", "0x4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318")

        let unreachable = try box.mote(["balance", address, "--rpc", "http://127.0.0.1:1"])
        #expect(unreachable.status == 1)
        #expect(unreachable.stderr.contains("cannot reach the node at http://127.0.0.1:1"), "\(unreachable.stderr)")
        let unreachableJSON = try box.mote(["block", "--json"], environment: ["MOTE_RPC": "http://127.0.0.1:1"])
        #expect(unreachableJSON.status == 1)
        #expect(unreachableJSON.error?.contains("cannot reach the node at http://127.0.0.1:1") == true, "\(unreachableJSON.stdout)")
        let unreachableTransfer = try box.mote(
            ["transfer", "--to", address, "--value", "1", "--key-file", keyFile, "--rpc", "http://127.0.0.1:1"])
        #expect(unreachableTransfer.status == 1)
        #expect(unreachableTransfer.stderr.contains("cannot reach the node"), "\(unreachableTransfer.stderr)")

        for (url, reason) in [("ftp://127.0.0.1:8545", "scheme ftp is not supported"), ("127.0.0.1:8545", "no http:// or https://"), ("http://", "no host")] {
            let run = try box.mote(["balance", address, "--rpc", url])
            #expect(run.status == 1)
            #expect(run.stderr.contains("invalid RPC URL") && run.stderr.contains(reason), "\(url): \(run.stderr)")
        }
        let badEnvironment = try box.mote(["balance", address], environment: ["MOTE_RPC": "nope"])
        #expect(badEnvironment.stderr.contains("(from MOTE_RPC)"), "\(badEnvironment.stderr)")

        for bad in ["0x123", "0xZZ7536E3605D9C16a7a3D7b1898e529396a65c23", "hello"] {
            let run = try box.mote(["balance", bad])
            #expect(run.status == 1)
            #expect(run.stderr.contains("invalid address") && run.stderr.contains("40 hex digits"), "\(run.stderr)")
        }
        let badChecksum = try box.mote(["balance", "0x2C7536E3605D9C16a7a3D7b1898e529396a65c23"])
        #expect(badChecksum.stderr.contains("EIP-55 checksum"), "\(badChecksum.stderr)")
        let badRecipient = try box.mote(["transfer", "--to", "0x12", "--value", "1", "--key-file", keyFile])
        #expect(badRecipient.status == 1)
        #expect(badRecipient.stderr.contains("invalid --to address"), "\(badRecipient.stderr)")
        let badJSON = try box.mote(["balance", "nope", "--json"])
        #expect(badJSON.status == 1)
        #expect(badJSON.error?.contains("invalid address") == true, "\(badJSON.stdout)")

        for (amount, reason) in [
            ("-1", "cannot be negative"), ("1.2.3", "not a decimal number"), ("1e18", "not a decimal number"),
            ("1.0000000000000000001", "more than 18 decimals"), ("1.5wei", "smallest unit"), ("abc", "not a decimal number"),
            ("999999999999999999999999999999999999999999999999999999999999999999999999999999", "too large"), ("  ", "empty amount"),
        ] {
            let run = try box.mote(["transfer", "--to", address, "--value=\(amount)", "--key-file", keyFile, "--rpc", "http://127.0.0.1:1"])
            #expect(run.status == 1, "\(amount)")
            #expect(run.stderr.contains(reason), "\(amount): \(run.stderr)")
        }
        let badFee = try box.mote(["transfer", "--to", address, "--value", "1", "--max-fee", "1.5", "--key-file", keyFile])
        #expect(badFee.stderr.contains("smallest unit"), "\(badFee.stderr)")

        let noKey = try box.mote(["transfer", "--to", address, "--value", "1"])
        #expect(noKey.status != 0)
        #expect(noKey.stderr.contains("--keystore FILE or --key-file FILE"), "\(noKey.stderr)")
        let badKey = try box.mote(["transfer", "--to", address, "--value", "1", "--key-file", try box.file("bad", "xyz")])
        #expect(badKey.status == 1)
        #expect(badKey.stderr.contains("64 hex digits"), "\(badKey.stderr)")
        let badHash = try box.mote(["tx", "get", "0x1234"])
        #expect(badHash.status == 1)
        #expect(badHash.stderr.contains("64 hex digits"), "\(badHash.stderr)")
        let badBlock = try box.mote(["block", "yesterday"])
        #expect(badBlock.status == 1)
        #expect(badBlock.stderr.contains("invalid block"), "\(badBlock.stderr)")
    }
}
