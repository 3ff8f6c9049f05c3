/// Mutation-based fuzzing of Mote's decoders: start from valid encodings, mutate them (flip,
/// insert, delete, duplicate, splice, dictionary tokens, boundary integers) or draw random
/// bytes, hand each input to the real decoder, and check what comes back. A decoder that traps
/// kills the process (that is the crash a fuzzer looks for); a decoded value that does not
/// re-encode to the same bytes, where the format is canonical, is reported as a failure.
///
/// Everything is deterministic for a seed: the same target, seed and run count give the same
/// inputs in the same order, so a failure found in a long run is reproduced by its seed.

/// What a target made of one input.
public enum FuzzOutcome: Sendable, Equatable {
    /// The decoder accepted the input (and every check on the result passed).
    case accepted
    /// The decoder refused the input with an error.
    case rejected
    /// The decoder accepted it but a check failed (a round trip that does not hold, …).
    case failure(String)
}

/// One decoder under test: its seed inputs, the tokens mutations splice in, and the check.
public struct FuzzTarget: Sendable {
    /// The name `mote fuzz` takes.
    public let name: String
    /// What it decodes, for `mote fuzz --list` and reports.
    public let summary: String
    /// Valid encodings mutations start from (each is also run as is).
    public let seeds: [[UInt8]]
    /// Byte strings a mutation may insert or overwrite with (format keywords, headers, …).
    public let dictionary: [[UInt8]]
    /// The largest input generated.
    public let maxInputSize: Int
    /// Decodes one input and checks the result.
    public let check: @Sendable ([UInt8]) async -> FuzzOutcome

    public init(
        name: String, summary: String, seeds: [[UInt8]], dictionary: [[UInt8]] = [], maxInputSize: Int = 4_096,
        check: @escaping @Sendable ([UInt8]) async -> FuzzOutcome
    ) {
        precondition(!seeds.isEmpty, "a fuzz target needs at least one seed")
        self.name = name
        self.summary = summary
        self.seeds = seeds
        self.dictionary = dictionary
        self.maxInputSize = max(1, maxInputSize)
        self.check = check
    }
}

/// An input that failed a check.
public struct FuzzFailure: Sendable, Equatable {
    /// The run (0-based) that produced it.
    public let run: Int
    public let input: [UInt8]
    public let message: String
}

/// The counts of a fuzz session.
public struct FuzzReport: Sendable {
    public let target: String
    public let seed: UInt64
    public var runs = 0
    public var accepted = 0
    public var rejected = 0
    /// Every failure counted; the first `FuzzEngine.keptFailures` kept with their inputs.
    public var failureCount = 0
    public var failures: [FuzzFailure] = []
    /// Distinct inputs the mutation corpus grew to (seeds included).
    public var corpusSize = 0
    public var seconds = 0.0

    public var succeeded: Bool { failureCount == 0 }
}

/// A deterministic pseudo-random generator: SplitMix64 (Steele, Lea, Flood 2014). Not for
/// keys; for reproducible fuzz inputs.
public struct FuzzRandom: RandomNumberGenerator, Sendable {
    private var state: UInt64

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A number in `0..<bound` (`bound` ≥ 1).
    public mutating func below(_ bound: Int) -> Int { Int(next() % UInt64(max(bound, 1))) }

    /// True with probability `1/n`.
    public mutating func oneIn(_ n: Int) -> Bool { below(n) == 0 }
}

/// Byte-level mutations in the manner of libFuzzer's.
public struct FuzzMutator: Sendable {
    /// Bytes at the edges of encodings: RLP header boundaries, sign bits, all-ones.
    static let interestingBytes: [UInt8] = [0x00, 0x01, 0x7F, 0x80, 0x81, 0xB7, 0xB8, 0xBF, 0xC0, 0xF7, 0xF8, 0xFE, 0xFF]
    /// Integers at the edges of 8-, 16-, 32- and 64-bit ranges.
    static let interestingIntegers: [UInt64] = [
        0, 1, 0x7F, 0x80, 0xFF, 0x100, 0x7FFF, 0x8000, 0xFFFF, 0x1_0000, 0x7FFF_FFFF, 0x8000_0000, 0xFFFF_FFFF,
        0x1_0000_0000, 0x7FFF_FFFF_FFFF_FFFF, 0x8000_0000_0000_0000, 0xFFFF_FFFF_FFFF_FFFF,
    ]

    let dictionary: [[UInt8]]
    let maxSize: Int

    public init(dictionary: [[UInt8]], maxSize: Int) {
        self.dictionary = dictionary
        self.maxSize = max(1, maxSize)
    }

    /// `input` changed by 1 to 4 stacked mutations; `other` is a second corpus entry to splice from.
    public func mutate(_ input: [UInt8], other: [UInt8], random: inout FuzzRandom) -> [UInt8] {
        var bytes = input
        for _ in 0...random.below(4) { mutateOnce(&bytes, other: other, random: &random) }
        if bytes.count > maxSize { bytes.removeLast(bytes.count - maxSize) }
        return bytes
    }

    /// Random bytes of a random length up to `maxSize` (mostly short).
    public func randomBytes(random: inout FuzzRandom) -> [UInt8] {
        let limit = random.oneIn(8) ? maxSize : min(maxSize, 64)
        return (0..<random.below(limit + 1)).map { _ in UInt8(truncatingIfNeeded: random.next()) }
    }

    private func mutateOnce(_ bytes: inout [UInt8], other: [UInt8], random: inout FuzzRandom) {
        switch random.below(bytes.isEmpty ? 3 : 12) {
        case 0:  // insert random bytes
            let count = 1 + random.below(8)
            let at = random.below(bytes.count + 1)
            bytes.insert(contentsOf: (0..<count).map { _ in UInt8(truncatingIfNeeded: random.next()) }, at: at)
        case 1:  // insert a dictionary token
            guard !dictionary.isEmpty else { return }
            bytes.insert(contentsOf: dictionary[random.below(dictionary.count)], at: random.below(bytes.count + 1))
        case 2:  // splice: a piece of another input
            guard !other.isEmpty else { return }
            let start = random.below(other.count)
            let piece = other[start..<min(other.count, start + 1 + random.below(other.count - start))]
            if random.oneIn(2), !bytes.isEmpty {
                let at = random.below(bytes.count)
                bytes.replaceSubrange(at..<min(bytes.count, at + piece.count), with: piece)
            } else {
                bytes.insert(contentsOf: piece, at: random.below(bytes.count + 1))
            }
        case 3:  // flip a bit
            let at = random.below(bytes.count)
            bytes[at] ^= 1 << UInt8(random.below(8))
        case 4:  // set a random byte
            bytes[random.below(bytes.count)] = UInt8(truncatingIfNeeded: random.next())
        case 5:  // set an interesting byte
            bytes[random.below(bytes.count)] = Self.interestingBytes[random.below(Self.interestingBytes.count)]
        case 6:  // add or subtract a little
            let at = random.below(bytes.count)
            bytes[at] = random.oneIn(2) ? bytes[at] &+ UInt8(1 + random.below(16)) : bytes[at] &- UInt8(1 + random.below(16))
        case 7:  // delete a range
            let at = random.below(bytes.count)
            bytes.removeSubrange(at..<min(bytes.count, at + 1 + random.below(16)))
        case 8:  // duplicate a range somewhere else
            let at = random.below(bytes.count)
            let piece = Array(bytes[at..<min(bytes.count, at + 1 + random.below(32))])
            bytes.insert(contentsOf: piece, at: random.below(bytes.count + 1))
        case 9:  // overwrite with a boundary integer, big-endian, 1/2/4/8 bytes
            let width = [1, 2, 4, 8][random.below(4)]
            let value = Self.interestingIntegers[random.below(Self.interestingIntegers.count)]
            let at = random.below(bytes.count)
            for i in 0..<width where at + i < bytes.count {
                bytes[at + i] = UInt8(truncatingIfNeeded: value >> UInt64(8 * (width - 1 - i)))
            }
        case 10:  // overwrite with a dictionary token
            guard !dictionary.isEmpty else { return }
            let token = dictionary[random.below(dictionary.count)]
            let at = random.below(bytes.count)
            bytes.replaceSubrange(at..<min(bytes.count, at + token.count), with: token)
        default:  // truncate
            bytes.removeLast(random.below(bytes.count) + 1)
        }
    }
}

/// Runs a target: seeds first, then mutants of the corpus (mostly) and random inputs.
public enum FuzzEngine {
    /// How many failures a report keeps with their inputs.
    public static let keptFailures = 10
    /// The most inputs the corpus grows to; accepted mutants join it until then.
    public static let maxCorpus = 512

    /// Runs `target` for `runs` inputs from `seed`. `progress`, when given, is called every
    /// `progressInterval` runs with the report so far; `observe` sees every input just before
    /// it is decoded (`mote fuzz` keeps it for a crash report).
    public static func run(
        _ target: FuzzTarget, runs: Int, seed: UInt64, progressInterval: Int = 100_000,
        progress: ((FuzzReport) -> Void)? = nil, observe: (([UInt8]) -> Void)? = nil
    ) async -> FuzzReport {
        var report = FuzzReport(target: target.name, seed: seed)
        var random = FuzzRandom(seed: seed)
        let mutator = FuzzMutator(dictionary: target.dictionary, maxSize: target.maxInputSize)
        var corpus = target.seeds.map { Array($0.prefix(target.maxInputSize)) }
        var known = Set(corpus)
        let clock = ContinuousClock()
        let started = clock.now
        for run in 0..<max(0, runs) {
            let input: [UInt8]
            if run < corpus.count && run < target.seeds.count {
                input = corpus[run]
            } else if random.oneIn(20) {
                input = mutator.randomBytes(random: &random)
            } else {
                let base = corpus[random.below(corpus.count)]
                input = mutator.mutate(base, other: corpus[random.below(corpus.count)], random: &random)
            }
            observe?(input)
            let outcome = await target.check(input)
            report.runs += 1
            switch outcome {
            case .accepted:
                report.accepted += 1
                if corpus.count < maxCorpus, !known.contains(input) {
                    known.insert(input)
                    corpus.append(input)
                }
            case .rejected:
                report.rejected += 1
            case .failure(let message):
                report.failureCount += 1
                if report.failures.count < keptFailures { report.failures.append(FuzzFailure(run: run, input: input, message: message)) }
            }
            if let progress, progressInterval > 0, (run + 1) % progressInterval == 0 {
                report.corpusSize = corpus.count
                report.seconds = seconds(clock.now - started)
                progress(report)
            }
        }
        report.corpusSize = corpus.count
        report.seconds = seconds(clock.now - started)
        return report
    }

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }
}
