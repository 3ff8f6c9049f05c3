import MoteChain
import MotePrimitives

/// The end-of-block settlement of results whose challenge period has ended (called from
/// `EpochTransition.endBlock`): in order of (deadline, result id), at most
/// `settlementsPerBlock` per block, each pending result is paid (rule met, pool has the
/// reward), left unpaid (rule met, pool dry: a state, not an error) or marked noReward, and
/// its poster's bond is unlocked.
enum ProjectSettlement {
    /// Settles what is due at `context.timestamp`; `context` must be the registry's own.
    static func settle(context: SystemCallContext) throws(SystemContractRevert) {
        let book = ProjectBook(context)
        var budget = ProjectRegistryContract.settlementsPerBlock
        for deadline in try book.deadlines() {
            guard deadline <= context.timestamp, budget > 0 else { break }
            let ids = try book.due(deadline)
            let now = ids.prefix(budget)
            for id in now { try settle(id, book: book, context: context) }
            budget -= now.count
            try book.setDue(deadline, Array(ids.dropFirst(now.count)))
        }
    }

    static func settle(_ id: UInt64, book: ProjectBook, context: SystemCallContext) throws(SystemContractRevert) {
        guard var result = try book.result(id), result.status == .pending else { return }
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
        try context.emit(ProjectRegistryContract.resultSettled, [
            .uint(UInt256(id)), .address(owner ?? .zero), .uint(UInt256(UInt64(result.status.rawValue))), .uint(result.paid),
        ])
    }
}
