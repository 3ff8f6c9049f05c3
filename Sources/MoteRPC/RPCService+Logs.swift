import Foundation
import MoteChain
import MotePrimitives
import MoteStorage
import NIOConcurrencyHelpers

/// Which logs a query, a filter or a subscription wants: a block range (or one block by
/// hash), emitting addresses, and topics by position (`[]` at a position matches anything).
public struct LogFilter: Equatable, Sendable {
    public var fromBlock: BlockTag?
    public var toBlock: BlockTag?
    public var blockHash: Hash32?
    public var addresses: [Address] = []
    public var topics: [[Hash32]] = []

    /// Most addresses, and most alternatives at one topic position.
    static let maxAlternatives = 1_000

    public init() {}

    /// Parses a filter object: `fromBlock`, `toBlock`, `blockHash`, `address` (one or a list),
    /// `topics` (up to 4 positions, each null, a topic or a list of topics).
    public init(parsing value: JSON, allowRange: Bool = true) throws(RPCError) {
        guard let object = value.objectValue else { throw RPCError.invalidParams("invalid argument 0: expected a filter object") }
        let allowed: Set<String> = allowRange ? ["fromBlock", "toBlock", "blockHash", "address", "topics"] : ["address", "topics"]
        for key in object.keys where !allowed.contains(key) {
            throw RPCError.invalidParams("invalid argument 0: unknown filter field \(key.prefix(32))")
        }
        func tag(_ key: String) throws(RPCError) -> BlockTag? {
            guard let value = object[key], value != .null else { return nil }
            let tag = try Params.blockTag(value)
            if case .hash = tag { throw RPCError.invalidParams("\(key) must be a block number or tag") }
            return tag
        }
        fromBlock = try tag("fromBlock")
        toBlock = try tag("toBlock")
        if let hash = object["blockHash"], hash != .null {
            guard let text = hash.stringValue else { throw RPCError.invalidParams("blockHash must be a string") }
            blockHash = try Params.hash(text)
            guard fromBlock == nil, toBlock == nil else {
                throw RPCError.invalidParams("cannot specify both BlockHash and FromBlock/ToBlock, choose one or the other")
            }
        }
        switch object["address"] {
        case nil, .null?: break
        case .string(let text)?: addresses = [try Params.address(text)]
        case .array(let items)?:
            guard items.count <= Self.maxAlternatives else { throw RPCError.limitExceeded("more than \(Self.maxAlternatives) addresses") }
            for item in items {
                guard let text = item.stringValue else { throw RPCError.invalidParams("address list must hold strings") }
                addresses.append(try Params.address(text))
            }
        default: throw RPCError.invalidParams("address must be an address or a list of addresses")
        }
        switch object["topics"] {
        case nil, .null?: break
        case .array(let positions)?:
            guard positions.count <= 4 else { throw RPCError.invalidParams("too many topics: at most 4 positions") }
            for position in positions {
                switch position {
                case .null: topics.append([])
                case .string(let text): topics.append([try Params.hash(text)])
                case .array(let items):
                    guard items.count <= Self.maxAlternatives else {
                        throw RPCError.limitExceeded("more than \(Self.maxAlternatives) topics at one position")
                    }
                    // A null among the alternatives matches anything.
                    var alternatives: [Hash32] = []
                    for item in items where item != .null {
                        guard let text = item.stringValue else { throw RPCError.invalidParams("topics must be hashes") }
                        alternatives.append(try Params.hash(text))
                    }
                    topics.append(items.contains(.null) ? [] : alternatives)
                default: throw RPCError.invalidParams("topics must be null, a hash or a list of hashes")
                }
            }
        default: throw RPCError.invalidParams("topics must be a list")
        }
    }

    /// Whether `log` is wanted.
    public func matches(_ log: Log) -> Bool {
        if !addresses.isEmpty, !addresses.contains(log.address) { return false }
        guard topics.count <= log.topics.count || topics[log.topics.count...].allSatisfy(\.isEmpty) else { return false }
        for (position, wanted) in topics.enumerated() where !wanted.isEmpty {
            guard position < log.topics.count, wanted.contains(log.topics[position]) else { return false }
        }
        return true
    }

    /// False when the block's bloom proves no log in it matches.
    func mightMatch(_ bloom: Bloom) -> Bool {
        if !addresses.isEmpty, !addresses.contains(where: { bloom.mightContain($0.bytes) }) { return false }
        for wanted in topics where !wanted.isEmpty {
            if !wanted.contains(where: { bloom.mightContain($0.bytes) }) { return false }
        }
        return true
    }
}

extension RPCService {
    /// The logs `filter` selects, oldest first; `from` raises the start (for filter polls).
    func logs(_ filter: LogFilter, from: UInt64?) throws(RPCError) -> [JSON] {
        let headHeight = try head().height
        var first: UInt64
        var last: UInt64
        if let hash = filter.blockHash {
            guard let height = try read({ () throws(StorageError) in try backend.store.height(ofBlock: hash) }) else {
                throw RPCError.resourceNotFound("unknown block \(hash.hex)")
            }
            (first, last) = (height, height)
        } else {
            first = number(filter.fromBlock ?? .latest, head: headHeight)
            last = number(filter.toBlock ?? .latest, head: headHeight)
            guard first <= last else { throw RPCError.invalidParams("invalid block range params: fromBlock \(first) > toBlock \(last)") }
            if first > headHeight { return [] }
            last = min(last, headHeight)
        }
        if let from {
            guard from <= last else { return [] }
            first = max(first, from)
            // A filter left unpolled for long only reports the newest blocks.
            if last - first + 1 > limits.maxLogRange { first = last + 1 - limits.maxLogRange }
        }
        guard last - first + 1 <= limits.maxLogRange else {
            throw RPCError.limitExceeded("block range of \(last - first + 1) blocks exceeds the limit of \(limits.maxLogRange)")
        }
        var out: [JSON] = []
        for height in first...last {
            guard let header = try read({ () throws(StorageError) in try backend.store.header(atHeight: height) }),
                filter.mightMatch(header.logsBloom)
            else { continue }
            out += try matchingLogs(filter, height: height)
            guard out.count <= limits.maxLogResults else {
                throw RPCError.limitExceeded("query returned more than \(limits.maxLogResults) results; narrow the block range or the filter")
            }
        }
        return out
    }

    /// The logs of one block that `filter` matches (its range is not looked at).
    func matchingLogs(_ filter: LogFilter, height: UInt64) throws(RPCError) -> [JSON] {
        guard let block = try read({ () throws(StorageError) in try backend.store.block(atHeight: height) }),
            let receipts = try read({ () throws(StorageError) in try backend.store.receipts(atHeight: height) })
        else { return [] }
        return matchingLogs(filter, block: block, receipts: receipts)
    }

    func matchingLogs(_ filter: LogFilter, block: Block, receipts: [Receipt]) -> [JSON] {
        var out: [JSON] = []
        var logIndex = 0
        for (index, (tx, receipt)) in zip(block.transactions, receipts).enumerated() {
            for log in receipt.logs {
                if filter.matches(log) {
                    out.append(logJSON(log, block: block, transaction: tx.hash, transactionIndex: index, logIndex: logIndex))
                }
                logIndex += 1
            }
        }
        return out
    }

    /// The height a range bound names (above the head allowed).
    func number(_ tag: BlockTag, head: UInt64) -> UInt64 {
        switch tag {
        case .latest, .safe, .finalized, .pending, .hash: return head
        case .earliest: return 0
        case .number(let n): return n
        }
    }

    /// `eth_getFilterChanges`: what happened since the last poll.
    func filterChanges(id: String) throws(RPCError) -> JSON {
        guard let kind = filters.poll(id) else { throw RPCError.server("filter not found") }
        let headHeight = try head().height
        switch kind {
        case .pending(let hashes):
            return .array(hashes.map { .hash($0) })
        case .blocks(let next):
            guard next <= headHeight else { return .array([]) }
            let first = max(next, headHeight >= limits.maxLogRange ? headHeight - limits.maxLogRange + 1 : 0)
            var hashes: [JSON] = []
            for height in first...headHeight {
                if let hash = try read({ () throws(StorageError) in try backend.store.blockHash(atHeight: height) }) { hashes.append(.hash(hash)) }
            }
            filters.advance(id, to: headHeight + 1)
            return .array(hashes)
        case .logs(let filter, let next):
            let found = try logs(filter, from: next)
            filters.advance(id, to: headHeight + 1)
            return .array(found)
        }
    }
}

/// Filters installed with `eth_new…Filter`, polled with `eth_getFilterChanges`; one not polled
/// within `RPCLimits.filterTimeout` is removed.
final class FilterRegistry: Sendable {
    enum Kind: Sendable {
        case logs(LogFilter, next: UInt64)
        case blocks(next: UInt64)
        case pending(hashes: [Hash32])
    }
    private struct Entry {
        var kind: Kind
        var lastPoll: ContinuousClock.Instant
        /// The client that installed it (`RPCCaller.address`), for the per-client cap.
        var owner: String
    }
    private let entries = NIOLockedValueBox([String: Entry]())
    private let limits: RPCLimits
    /// Hashes a pending-transaction filter keeps between polls, at most.
    static let maxPendingHashes = 10_000

    init(events: ChainEvents, limits: RPCLimits) {
        self.limits = limits
        _ = events.observe { [weak self] event in
            guard case .pendingTransactions(let hashes) = event else { return }
            self?.entries.withLockedValue { entries in
                for (id, entry) in entries {
                    guard case .pending(var pending) = entry.kind else { continue }
                    pending += hashes
                    if pending.count > Self.maxPendingHashes { pending.removeFirst(pending.count - Self.maxPendingHashes) }
                    entries[id]!.kind = .pending(hashes: pending)
                }
            }
        }
    }

    /// Installs a filter for `owner`; -32005 when every filter slot is taken, or `owner` holds
    /// `maxFiltersPerIP` (so one client cannot take every slot).
    func install(_ kind: Kind, owner: String) throws(RPCError) -> String {
        let now = ContinuousClock.now
        var bytes = [UInt8](repeating: 0, count: 16)
        var generator = SystemRandomNumberGenerator()
        for i in bytes.indices { bytes[i] = generator.next() }
        let id = Hex.encode(bytes)
        let refusal: RPCError? = entries.withLockedValue { entries in
            entries = entries.filter { now - $0.value.lastPoll < limits.filterTimeout }
            guard entries.count < limits.maxFilters else {
                return RPCError.limitExceeded("too many filters installed (limit \(limits.maxFilters))")
            }
            guard entries.values.lazy.filter({ $0.owner == owner }).count < limits.maxFiltersPerIP else {
                return RPCError.limitExceeded(
                    "too many filters installed by this address (limit \(limits.maxFiltersPerIP) per client); uninstall unused ones")
            }
            entries[id] = Entry(kind: kind, lastPoll: now, owner: owner)
            return nil
        }
        if let refusal { throw refusal }
        return id
    }

    /// How many live filters `owner` holds.
    func count(owner: String) -> Int { entries.withLockedValue { $0.values.lazy.filter { $0.owner == owner }.count } }

    func uninstall(_ id: String) -> Bool { entries.withLockedValue { $0.removeValue(forKey: id.lowercased()) != nil } }

    /// The filter's state for a poll (with `takePending`, pending hashes are handed over and
    /// cleared); nil if unknown or expired.
    func poll(_ id: String, takePending: Bool = true) -> Kind? {
        let now = ContinuousClock.now
        return entries.withLockedValue { entries in
            let id = id.lowercased()
            guard let entry = entries[id] else { return nil }
            guard now - entry.lastPoll < limits.filterTimeout else {
                entries[id] = nil
                return nil
            }
            entries[id]!.lastPoll = now
            if takePending, case .pending = entry.kind { entries[id]!.kind = .pending(hashes: []) }
            return entry.kind
        }
    }

    /// Records that blocks below `next` have been reported.
    func advance(_ id: String, to next: UInt64) {
        entries.withLockedValue { entries in
            let id = id.lowercased()
            switch entries[id]?.kind {
            case .blocks?: entries[id]!.kind = .blocks(next: next)
            case .logs(let filter, _)?: entries[id]!.kind = .logs(filter, next: next)
            default: break
            }
        }
    }

    func logFilter(_ id: String) -> LogFilter? {
        guard case .logs(let filter, _)? = poll(id, takePending: false) else { return nil }
        return filter
    }
}
