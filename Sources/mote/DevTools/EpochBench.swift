import ArgumentParser
import Foundation
import MoteLedger

/// `mote bench epoch`: the end of an epoch (rewards, election, witness weights) on a state
/// with many candidates and witnesses — its worst-case block.
struct EpochBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "epoch",
        abstract: "Time the end-of-block work of an epoch's last block with N candidates and M witnesses.")

    @Option(help: "Registered candidates (0 to 1000000).") var candidates: Int = 100_000
    @Option(help: "Witnesses in the pool (0 to 10000000).") var witnesses: Int = 1_000_000
    @Option(help: "Candidates on probation (0 to 10000).") var onProbation: Int = 72
    @Option(help: "Epoch ends to time (1 to 20).") var epochs: Int = 3
    @Flag(help: "Print JSON instead of text.") var json = false

    func validate() throws {
        guard (0...1_000_000).contains(candidates) else { throw ValidationError("--candidates must be in 0...1000000") }
        guard (0...10_000_000).contains(witnesses) else { throw ValidationError("--witnesses must be in 0...10000000") }
        guard (0...10_000).contains(onProbation) else { throw ValidationError("--on-probation must be in 0...10000") }
        guard (1...20).contains(epochs) else { throw ValidationError("--epochs must be in 1...20") }
    }

    func run() throws {
        let clock = ContinuousClock()
        func log(_ text: String) { if !json { print(text) } }
        log("mote bench epoch: \(candidates) candidates (\(onProbation) on probation), \(witnesses) witnesses, default parameters")

        let setupStart = clock.now
        let load = try EpochTransitionLoad()
        try load.addCandidates(candidates, onProbation: min(onProbation, candidates))
        try load.addWitnesses(witnesses)
        let setup = seconds(clock.now - setupStart)
        log(String(format: "state built in %.1f s", setup))

        var rows: [[String: Any]] = []
        for _ in 0..<epochs {
            load.skipToEpochEnd()
            let start = clock.now
            let gas = try load.finishEpoch()
            let ms = seconds(clock.now - start) * 1_000
            let epoch = load.height / load.genesis.parameters.epochLength
            let seats = try load.delegates(ofEpoch: epoch + 1).count
            log(String(format: "end of epoch %llu (block %llu): %.2f ms, %llu gas of storage and transfers, %d seats elected",
                       epoch, load.height, ms, gas, seats))
            rows.append(["epoch": epoch, "height": load.height, "ms": ms, "gas": gas, "seats": seats])
        }
        // For comparison: only the reads of the old end of epoch, which walked every candidate
        // and every witness ever registered (and wrote a weight for every active witness).
        let scanStart = clock.now
        let scanned = try load.readEveryCandidateAndWitness()
        let scanMs = seconds(clock.now - scanStart) * 1_000
        log(String(format: "for comparison, reading every candidate and witness once (what the old end of epoch read): %.0f ms for %d records",
                   scanMs, scanned))
        if json {
            let out: [String: Any] = [
                "candidates": candidates, "witnesses": witnesses, "onProbation": onProbation, "setupSeconds": setup, "epochEnds": rows,
                "fullScanMs": scanMs,
            ]
            print(String(decoding: try JSONSerialization.data(withJSONObject: out, options: [.sortedKeys]), as: UTF8.self))
        }
    }
}
