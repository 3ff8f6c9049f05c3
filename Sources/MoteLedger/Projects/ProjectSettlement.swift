import MoteChain
import MoteContracts
import MotePrimitives

/// The settlement of results whose challenge period has ended: each pending result is paid
/// (rule met, pool has the reward), left unpaid (rule met, pool dry: a state, not an error) or
/// marked noReward, and its poster's bond is unlocked.
///
/// At the end of every block (`EpochTransition.endBlock`) settlement walks the ring of projects
/// with queued results round-robin, from where the last block stopped: each visit handles the
/// head of one project's queue (posting order, which is that project's deadline order) — settles
/// it if due, drops it if no longer pending — and moves on to the next project. At most
/// `settlementsPerBlock` results and `settlementVisitsPerBlock` visits per block. So one
/// project's flood takes one turn in each round like any other: with R projects queued, the due
/// head of every project is settled within ⌈R / settlementsPerBlock⌉ blocks. `settleResult`
/// settles any single due result at once, for whoever pays its gas.
enum ProjectSettlement {
    /// Settles what is due at `context.timestamp`; `context` must be the registry's own.
    static func settle(context: SystemCallContext) throws(SystemContractRevert) {
        let book = ProjectBook(context)
        var count = try book.ringCount()
        guard count > 0 else { return }
        var cursor = try book.ringCursor()
        if cursor >= count { cursor = 0 }
        var settled = 0, visits = 0
        // Visits in a row that changed nothing; a whole round of them ends the block's work.
        var idle: UInt64 = 0
        while count > 0, settled < ProjectRegistryContract.settlementsPerBlock,
            visits < ProjectRegistryContract.settlementVisitsPerBlock, idle < count
        {
            visits += 1
            let project = try book.ring(at: cursor)
            guard let id = try book.queueHead(project) else {
                // Nothing queued: out of the ring (the last project takes this place, visited next).
                try book.removeFromRing(at: cursor)
                count -= 1
                if cursor >= count { cursor = 0 }
                continue
            }
            if let result = try book.result(id), result.status == .pending {
                guard result.challengeEndsAt <= context.timestamp else {
                    idle += 1
                    cursor = (cursor + 1) % count
                    continue
                }
                try settle(result, book: book, context: context)
                settled += 1
            }
            // Settled now, or earlier by `settleResult`, or reverted by a challenge: off the queue.
            try book.popQueue(project)
            idle = 0
            cursor = (cursor + 1) % count
        }
        try book.setRingCursor(count == 0 ? 0 : cursor)
    }

    /// Settles one pending result whose challenge period has ended.
    static func settle(_ pending: ResultRecord, book: ProjectBook, context: SystemCallContext) throws(SystemContractRevert) {
        var result = pending
        var project = try book.existingProject(result.projectID)
        let reward = project.rewardPerResult
        let owner = try DeviceBook(context).device(result.deviceID)?.owner
        if !result.meetsRule {
            result.status = .noReward
        } else if let owner, result.reserved || project.freePool >= reward {
            if !result.reserved { project.reserved += reward }
            project.reserved -= reward
            project.pool -= reward
            try book.update(project)
            try context.transfer(to: owner, amount: reward)
            (result.status, result.paid) = (.paid, reward)
        } else {
            if result.reserved { try ProjectRegistryContract.release(&project, reward, book: book, context: context) }
            result.status = .unpaid
        }
        result.reserved = false
        try book.update(result)
        var bond = try book.bond(result.poster)
        bond.locked -= result.bond
        try book.setBond(result.poster, bond)
        try context.emit(ProjectRegistryABI.resultSettled, [
            .uint(UInt256(result.id)), .address(owner ?? .zero), .uint(UInt256(UInt64(result.status.rawValue))), .uint(result.paid),
        ])
    }
}
