import MoteCrypto
import MotePrimitives
import MoteTransactions

/// A call or creation as the EVM runs it.
struct Message {
    var caller: Address
    /// The account whose storage and balance the code acts on (ADDRESS).
    var target: Address
    /// Where the code came from (differs from `target` for CALLCODE and DELEGATECALL).
    var codeAddress: Address
    /// CALLVALUE.
    var value: UInt256
    /// False for DELEGATECALL (value is inherited, not moved).
    var transfersValue: Bool
    var input: [UInt8]
    var gas: Int
    var depth: Int
    var isStatic: Bool
    var code: [UInt8]
    /// The code's hash for deployed code (caches the jump table); nil for initcode.
    var codeHash: Hash32?
}

/// How a frame ended and what it left.
struct FrameResult {
    var status: ExecutionStatus
    var gasLeft: Int
    var output: [UInt8]

    static func halt(_ reason: ExceptionalHalt) -> FrameResult { FrameResult(status: .halted(reason), gasLeft: 0, output: []) }
}

/// The Ethereum virtual machine for one transaction: frames, calls, creations, precompiles.
/// No I/O, no clock: everything it reads comes from the state and the environments.
public final class EVM {
    public let fork: Fork
    public let block: BlockEnvironment
    public let state: EVMState
    var origin: Address = .zero
    var gasPrice: UInt256 = .zero
    var blobHashes: [Hash32] = []
    let opcodes: UnsafePointer<OpcodeInfo>
    private var jumpTables: [Hash32: JumpTable] = [:]
    private var stacks: [UnsafeMutablePointer<UInt256>] = []
    private var memories: [Memory] = []

    /// True for the forks this EVM implements: Paris and later.
    public static func supports(_ fork: Fork) -> Bool { fork >= .paris }

    public init(fork: Fork, block: BlockEnvironment, state: EVMState) {
        precondition(Self.supports(fork), "MoteEVM implements Paris and later, not \(fork.rawValue)")
        self.fork = fork
        self.block = block
        self.state = state
        self.opcodes = Opcodes.table(for: fork)
    }

    deinit {
        for stack in stacks { stack.deallocate() }
    }

    // MARK: Messages

    /// Runs a call: moves the value, runs the precompile or code, reverts everything on failure.
    func processMessage(_ message: Message) -> FrameResult {
        let checkpoint = state.checkpoint()
        let target = state.account(message.target)
        if message.transfersValue {
            state.transfer(from: state.account(message.caller), to: target, value: message.value)
        }
        let result: FrameResult
        if let number = Precompiles.number(of: message.codeAddress, fork: fork) {
            if !target.exists { state.ensureExists(target) }
            switch Precompiles.run(number, input: message.input, gasLimit: UInt64(max(0, message.gas))) {
            case .success(let used, let output) where used <= UInt64(max(0, message.gas)):
                result = FrameResult(status: .success, gasLeft: message.gas - Int(used), output: output)
            case .success:
                result = .halt(.outOfGas)
            case .failure:
                result = .halt(.precompileFailure)
            }
        } else {
            result = interpret(message)
        }
        if !result.status.isSuccess { state.revert(to: checkpoint) }
        return result
    }

    /// Runs a creation at `message.target`: fresh account, initcode, then the deposited code.
    func processCreate(_ message: Message) -> FrameResult {
        let checkpoint = state.checkpoint()
        let account = state.account(message.target)
        state.markCreated(account)
        state.setNonce(account, account.nonce + 1)
        state.transfer(from: state.account(message.caller), to: account, value: message.value)
        var result = interpret(message)
        if result.status.isSuccess {
            let code = result.output
            let depositCost = code.count * GasCost.codeDeposit
            if fork >= .paris, code.first == 0xef {
                result = .halt(.invalidContractPrefix)
            } else if result.gasLeft < depositCost {
                result = .halt(.outOfGas)
            } else if code.count > GasCost.maxCodeSize {
                result = .halt(.codeSizeExceeded)
            } else {
                result.gasLeft -= depositCost
                state.setCode(account, code)
                result.output = []
            }
        }
        if !result.status.isSuccess { state.revert(to: checkpoint) }
        return result
    }

    // MARK: Buffers

    private func stack(depth: Int) -> UnsafeMutablePointer<UInt256> {
        while stacks.count <= depth { stacks.append(.allocate(capacity: 1024)) }
        return stacks[depth]
    }

    private func memory(depth: Int) -> Memory {
        while memories.count <= depth { memories.append(Memory()) }
        let memory = memories[depth]
        memory.reset()
        return memory
    }

    private func jumpTable(for message: Message, code: UnsafeBufferPointer<UInt8>) -> JumpTable {
        guard let hash = message.codeHash else { return JumpTable(code: code) }
        if let table = jumpTables[hash] { return table }
        let table = JumpTable(code: code)
        jumpTables[hash] = table
        return table
    }

    // MARK: Addresses

    /// CREATE's address: keccak256(rlp([sender, nonce]))[12...].
    static func createAddress(sender: Address, nonce: UInt64) -> Address {
        Address(suffixOf: Keccak256.hash(RLP.encode(.list([.address(sender), .uint(nonce)]))))
    }

    /// CREATE2's address: keccak256(0xff ‖ sender ‖ salt ‖ keccak256(initcode))[12...].
    static func create2Address(sender: Address, salt: UInt256, initCode: [UInt8]) -> Address {
        var bytes: [UInt8] = [0xff]
        bytes += sender.bytes
        bytes += salt.bigEndianBytes
        bytes += Keccak256.hash(initCode).bytes
        return Address(suffixOf: Keccak256.hash(bytes))
    }

    // MARK: The interpreter

    func interpret(_ message: Message) -> FrameResult {
        if message.code.isEmpty { return FrameResult(status: .success, gasLeft: message.gas, output: []) }
        let stack = self.stack(depth: message.depth)
        let memory = self.memory(depth: message.depth)
        defer { memory.reset() }
        return message.code.withUnsafeBufferPointer { code in
            run(message, code: code, stack: stack, memory: memory)
        }
    }

    // swiftlint:disable:next function_body_length cyclomatic_complexity
    private func run(
        _ message: Message, code: UnsafeBufferPointer<UInt8>, stack: UnsafeMutablePointer<UInt256>, memory: Memory
    ) -> FrameResult {
        let ops = opcodes
        let codeBase = code.baseAddress!
        let codeCount = code.count
        var jumps: JumpTable? = nil
        var gas = message.gas
        var pc = 0
        var sp = 0
        var returnData: [UInt8] = []
        let selfObject = state.account(message.target)

        /// Charges memory expansion to cover `size` bytes at `offset`; false when out of gas.
        @inline(__always) func expand(_ offset: UInt256, _ size: UInt256) -> Bool {
            if size.isZero { return true }
            // Memory past 64 GiB is out of gas: its quadratic cost (over 2^53 gas) is beyond any real
            // gas limit, no machine could hold it, and the word arithmetic below stays far from
            // overflow. (geth caps near 128 GiB; only a test granting over 2^53 gas could tell.)
            guard let s = size.intBelow(1 << 36), let o = offset.intBelow(1 << 36), o + s <= 1 << 36 else { return false }
            let end = o + s
            if end <= memory.count { return true }
            let newWords = (end + 31) / 32
            let cost = Memory.cost(words: newWords) - Memory.cost(words: memory.words)
            if gas < cost { return false }
            gas -= cost
            memory.grow(to: newWords * 32)
            return true
        }

        /// Words (32-byte) in `size` bytes, for per-word costs; nil if absurdly large.
        @inline(__always) func words(_ size: UInt256) -> Int? {
            guard let s = size.intBelow(1 << 37) else { return nil }
            return (s + 31) / 32
        }

        @inline(__always) func charge(_ cost: Int) -> Bool {
            if gas < cost { return false }
            gas -= cost
            return true
        }

        /// Account access cost (EIP-2929): warm 100, cold 2600.
        @inline(__always) func accessCost(_ object: AccountObject) -> Int {
            state.warm(object) ? GasCost.coldAccountAccess : GasCost.warmAccess
        }

        @inline(__always) func push(_ value: UInt256) {
            stack[sp] = value
            sp += 1
        }

        @inline(__always) func pop() -> UInt256 {
            sp -= 1
            return stack[sp]
        }

        while true {
            if pc >= codeCount { return FrameResult(status: .success, gasLeft: gas, output: []) }
            let op = codeBase[pc]
            let info = ops[Int(op)]
            if !info.defined { return .halt(.invalidOpcode) }
            if sp < Int(info.minStack) { return .halt(.stackUnderflow) }
            if sp > Int(info.maxStack) { return .halt(.stackOverflow) }
            gas -= Int(info.baseGas)
            if gas < 0 { return .halt(.outOfGas) }

            switch op {
            case 0x00:
                return FrameResult(status: .success, gasLeft: gas, output: [])
            case 0x01:
                stack[sp - 2] = stack[sp - 1] &+ stack[sp - 2]; sp -= 1
            case 0x02:
                stack[sp - 2] = UInt256.wrappingProduct(stack[sp - 1], stack[sp - 2]); sp -= 1
            case 0x03:
                stack[sp - 2] = stack[sp - 1] &- stack[sp - 2]; sp -= 1
            case 0x04:
                stack[sp - 2] = UInt256.evmDivide(stack[sp - 1], stack[sp - 2]); sp -= 1
            case 0x05:
                stack[sp - 2] = UInt256.evmSignedDivide(stack[sp - 1], stack[sp - 2]); sp -= 1
            case 0x06:
                stack[sp - 2] = UInt256.evmModulo(stack[sp - 1], stack[sp - 2]); sp -= 1
            case 0x07:
                stack[sp - 2] = UInt256.evmSignedModulo(stack[sp - 1], stack[sp - 2]); sp -= 1
            case 0x08:
                stack[sp - 3] = UInt256.evmAddMod(stack[sp - 1], stack[sp - 2], stack[sp - 3]); sp -= 2
            case 0x09:
                stack[sp - 3] = UInt256.evmMulMod(stack[sp - 1], stack[sp - 2], stack[sp - 3]); sp -= 2
            case 0x0a:
                let exponent = stack[sp - 2]
                if !charge(GasCost.expByte * exponent.byteLength) { return .halt(.outOfGas) }
                stack[sp - 2] = UInt256.evmPower(stack[sp - 1], exponent); sp -= 1
            case 0x0b:
                stack[sp - 2] = UInt256.evmSignExtend(stack[sp - 1], stack[sp - 2]); sp -= 1
            case 0x10:
                stack[sp - 2] = UInt256.unsignedLess(stack[sp - 1], stack[sp - 2]) ? .one : .zero; sp -= 1
            case 0x11:
                stack[sp - 2] = UInt256.unsignedLess(stack[sp - 2], stack[sp - 1]) ? .one : .zero; sp -= 1
            case 0x12:
                stack[sp - 2] = UInt256.signedLess(stack[sp - 1], stack[sp - 2]) ? .one : .zero; sp -= 1
            case 0x13:
                stack[sp - 2] = UInt256.signedLess(stack[sp - 2], stack[sp - 1]) ? .one : .zero; sp -= 1
            case 0x14:
                stack[sp - 2] = stack[sp - 1] == stack[sp - 2] ? .one : .zero; sp -= 1
            case 0x15:
                stack[sp - 1] = stack[sp - 1].isZero ? .one : .zero
            case 0x16:
                let a = stack[sp - 1], b = stack[sp - 2]
                stack[sp - 2] = UInt256(limbs: a.l0 & b.l0, a.l1 & b.l1, a.l2 & b.l2, a.l3 & b.l3); sp -= 1
            case 0x17:
                let a = stack[sp - 1], b = stack[sp - 2]
                stack[sp - 2] = UInt256(limbs: a.l0 | b.l0, a.l1 | b.l1, a.l2 | b.l2, a.l3 | b.l3); sp -= 1
            case 0x18:
                let a = stack[sp - 1], b = stack[sp - 2]
                stack[sp - 2] = UInt256(limbs: a.l0 ^ b.l0, a.l1 ^ b.l1, a.l2 ^ b.l2, a.l3 ^ b.l3); sp -= 1
            case 0x19:
                let a = stack[sp - 1]
                stack[sp - 1] = UInt256(limbs: ~a.l0, ~a.l1, ~a.l2, ~a.l3)
            case 0x1a:
                stack[sp - 2] = UInt256.evmByte(stack[sp - 1], stack[sp - 2]); sp -= 1
            case 0x1b:
                stack[sp - 2] = stack[sp - 2].shiftedLeft(stack[sp - 1].shiftAmount); sp -= 1
            case 0x1c:
                stack[sp - 2] = stack[sp - 2].shiftedRight(stack[sp - 1].shiftAmount); sp -= 1
            case 0x1d:
                stack[sp - 2] = UInt256.evmArithmeticShiftRight(stack[sp - 1], stack[sp - 2]); sp -= 1
            case 0x20:
                let offset = pop(), size = stack[sp - 1]
                guard let w = words(size), charge(GasCost.keccakWord * w), expand(offset, size) else { return .halt(.outOfGas) }
                let hash: Hash32
                if size.isZero {
                    hash = EVMAccount.emptyCodeHash
                } else {
                    hash = Keccak256.hash(memory.bytes(at: Int(offset.l0), count: Int(size.l0)))
                }
                stack[sp - 1] = UInt256(hash: hash)
            case 0x30:
                push(UInt256(address: message.target))
            case 0x31:
                let object = state.account(stack[sp - 1].asAddress)
                if !charge(accessCost(object)) { return .halt(.outOfGas) }
                stack[sp - 1] = object.balance
            case 0x32:
                push(UInt256(address: origin))
            case 0x33:
                push(UInt256(address: message.caller))
            case 0x34:
                push(message.value)
            case 0x35:
                let offset = stack[sp - 1]
                stack[sp - 1] = message.input.withUnsafeBytes { Self.loadWord($0, offset) }
            case 0x36:
                push(UInt256(UInt64(message.input.count)))
            case 0x37, 0x39, 0x3e:
                let memOffset = pop(), dataOffset = pop(), size = pop()
                guard let w = words(size), charge(GasCost.copyWord * w), expand(memOffset, size) else { return .halt(.outOfGas) }
                if op == 0x3e {
                    let (end, overflow) = dataOffset.addingReportingOverflow(size)
                    if overflow || UInt256.unsignedLess(UInt256(UInt64(returnData.count)), end) {
                        return .halt(.returnDataOutOfBounds)
                    }
                }
                if !size.isZero {
                    let dest = Int(memOffset.l0), count = Int(size.l0)
                    switch op {
                    case 0x37: message.input.withUnsafeBytes { memory.write($0, sourceOffset: dataOffset, at: dest, count: count) }
                    case 0x39: memory.write(UnsafeRawBufferPointer(code), sourceOffset: dataOffset, at: dest, count: count)
                    default: returnData.withUnsafeBytes { memory.write($0, sourceOffset: dataOffset, at: dest, count: count) }
                    }
                }
            case 0x38:
                push(UInt256(UInt64(codeCount)))
            case 0x3a:
                push(gasPrice)
            case 0x3b:
                let object = state.account(stack[sp - 1].asAddress)
                if !charge(accessCost(object)) { return .halt(.outOfGas) }
                stack[sp - 1] = UInt256(UInt64(object.code.count))
            case 0x3c:
                let object = state.account(pop().asAddress)
                let memOffset = pop(), codeOffset = pop(), size = pop()
                guard let w = words(size), charge(accessCost(object) + GasCost.copyWord * w), expand(memOffset, size) else {
                    return .halt(.outOfGas)
                }
                if !size.isZero {
                    object.code.withUnsafeBytes {
                        memory.write($0, sourceOffset: codeOffset, at: Int(memOffset.l0), count: Int(size.l0))
                    }
                }
            case 0x3d:
                push(UInt256(UInt64(returnData.count)))
            case 0x3f:
                let object = state.account(stack[sp - 1].asAddress)
                if !charge(accessCost(object)) { return .halt(.outOfGas) }
                stack[sp - 1] = object.isAlive ? UInt256(hash: object.codeHash) : .zero
            case 0x40:
                let number = stack[sp - 1]
                var result = UInt256.zero
                if let n = number.uint64, n < block.number, block.number - n <= 256, let hash = block.blockHash(n) {
                    result = UInt256(hash: hash)
                }
                stack[sp - 1] = result
            case 0x41:
                push(UInt256(address: block.coinbase))
            case 0x42:
                push(UInt256(block.timestamp))
            case 0x43:
                push(UInt256(block.number))
            case 0x44:
                push(block.prevRandao)
            case 0x45:
                push(UInt256(block.gasLimit))
            case 0x46:
                push(block.chainID)
            case 0x47:
                push(selfObject.balance)
            case 0x48:
                push(block.baseFee)
            case 0x49:
                let index = stack[sp - 1]
                if let i = index.intBelow(UInt64(blobHashes.count)) {
                    stack[sp - 1] = UInt256(hash: blobHashes[i])
                } else {
                    stack[sp - 1] = .zero
                }
            case 0x4a:
                push(block.blobBaseFee)
            case 0x50:
                sp -= 1
            case 0x51:
                let offset = stack[sp - 1]
                if !expand(offset, UInt256(32)) { return .halt(.outOfGas) }
                stack[sp - 1] = UInt256(bigEndianFrom: memory.base + Int(offset.l0))
            case 0x52:
                let offset = pop(), value = pop()
                if !expand(offset, UInt256(32)) { return .halt(.outOfGas) }
                value.store(bigEndianInto: memory.base + Int(offset.l0))
            case 0x53:
                let offset = pop(), value = pop()
                if !expand(offset, UInt256.one) { return .halt(.outOfGas) }
                memory.base.storeBytes(of: UInt8(truncatingIfNeeded: value.l0), toByteOffset: Int(offset.l0), as: UInt8.self)
            case 0x54:
                let key = stack[sp - 1]
                let cost = state.warm(selfObject, slot: key) ? GasCost.coldSload : GasCost.warmAccess
                if !charge(cost) { return .halt(.outOfGas) }
                stack[sp - 1] = state.storage(selfObject, message.target, key)
            case 0x55:
                if gas <= GasCost.callStipend { return .halt(.outOfGas) }
                let key = pop(), new = pop()
                let original = state.originalStorage(selfObject, message.target, key)
                let current = state.storage(selfObject, message.target, key)
                var cost = state.warm(selfObject, slot: key) ? GasCost.coldSload : 0
                if original == current && current != new {
                    cost += original.isZero ? GasCost.storageSet : GasCost.storageUpdate - GasCost.coldSload
                } else {
                    cost += GasCost.warmAccess
                }
                if !charge(cost) { return .halt(.outOfGas) }
                if message.isStatic { return .halt(.writeInStaticContext) }
                if current != new {
                    var refund: Int64 = 0
                    if !original.isZero && !current.isZero && new.isZero { refund += GasCost.storageClearRefund }
                    if !original.isZero && current.isZero { refund -= GasCost.storageClearRefund }
                    if original == new {
                        if original.isZero {
                            refund += Int64(GasCost.storageSet - GasCost.warmAccess)
                        } else {
                            refund += Int64(GasCost.storageUpdate - GasCost.coldSload - GasCost.warmAccess)
                        }
                    }
                    if refund != 0 { state.addRefund(refund) }
                    state.setStorage(selfObject, key, new)
                }
            case 0x56:
                let destination = pop()
                if jumps == nil { jumps = jumpTable(for: message, code: code) }
                guard let d = destination.intBelow(UInt64(codeCount)), jumps!.isValid(d) else { return .halt(.invalidJump) }
                pc = d
                continue
            case 0x57:
                let destination = pop(), condition = pop()
                if !condition.isZero {
                    if jumps == nil { jumps = jumpTable(for: message, code: code) }
                    guard let d = destination.intBelow(UInt64(codeCount)), jumps!.isValid(d) else { return .halt(.invalidJump) }
                    pc = d
                    continue
                }
            case 0x58:
                push(UInt256(UInt64(pc)))
            case 0x59:
                push(UInt256(UInt64(memory.count)))
            case 0x5a:
                push(UInt256(UInt64(gas)))
            case 0x5b:
                break
            case 0x5c:
                stack[sp - 1] = state.transientStorage(selfObject, stack[sp - 1])
            case 0x5d:
                if message.isStatic { return .halt(.writeInStaticContext) }
                let key = pop(), value = pop()
                state.setTransientStorage(selfObject, key, value)
            case 0x5e:
                let destination = pop(), source = pop(), size = pop()
                guard let w = words(size), charge(GasCost.copyWord * w) else { return .halt(.outOfGas) }
                if !size.isZero {
                    let farther = UInt256.unsignedLess(destination, source) ? source : destination
                    guard expand(farther, size) else { return .halt(.outOfGas) }
                    (memory.base + Int(destination.l0)).copyMemory(from: memory.base + Int(source.l0), byteCount: Int(size.l0))
                }
            case 0x5f:
                push(.zero)
            case 0x60:
                let value: UInt64 = pc + 1 < codeCount ? UInt64(codeBase[pc + 1]) : 0
                push(UInt256(value))
                pc += 2
                continue
            case 0x61...0x7f:
                let n = Int(op) - 0x5f
                push(Self.pushValue(codeBase, codeCount, pc + 1, n))
                pc += n + 1
                continue
            case 0x80...0x8f:
                let n = Int(op) - 0x7f
                stack[sp] = stack[sp - n]
                sp += 1
            case 0x90...0x9f:
                let n = Int(op) - 0x8f
                let top = stack[sp - 1]
                stack[sp - 1] = stack[sp - 1 - n]
                stack[sp - 1 - n] = top
            case 0xa0...0xa4:
                let topicCount = Int(op) - 0xa0
                let offset = pop(), size = pop()
                if message.isStatic { return .halt(.writeInStaticContext) }
                guard let s = size.intBelow(1 << 37), charge(GasCost.logByte * s), expand(offset, size) else {
                    return .halt(.outOfGas)
                }
                var topics: [Hash32] = []
                topics.reserveCapacity(topicCount)
                for _ in 0..<topicCount { topics.append(pop().asHash) }
                state.logs.append(EVMLog(address: message.target, topics: topics, data: memory.bytes(at: s == 0 ? 0 : Int(offset.l0), count: s)))
            case 0xf0, 0xf5:
                let value = pop(), offset = pop(), size = pop()
                let salt = op == 0xf5 ? pop() : .zero
                guard let w = words(size) else { return .halt(.outOfGas) }
                var cost = GasCost.initCodeWord * (fork >= .shanghai ? w : 0)
                if op == 0xf5 { cost += GasCost.keccakWord * w }
                guard charge(cost), expand(offset, size) else { return .halt(.outOfGas) }
                if fork >= .shanghai && Int(size.l0) > GasCost.maxInitCodeSize { return .halt(.outOfGas) }
                let childGas = gas - gas / 64
                gas -= childGas
                if message.isStatic { return .halt(.writeInStaticContext) }
                returnData = []
                let initCode = size.isZero ? [] : memory.bytes(at: Int(offset.l0), count: Int(size.l0))
                if selfObject.balance < value || selfObject.nonce == UInt64.max || message.depth + 1 > GasCost.maxCallDepth {
                    gas += childGas
                    push(.zero)
                    break
                }
                let address = op == 0xf0
                    ? Self.createAddress(sender: message.target, nonce: selfObject.nonce)
                    : Self.create2Address(sender: message.target, salt: salt, initCode: initCode)
                let newAccount = state.account(address)
                _ = state.warm(newAccount)
                if newAccount.hasCodeOrNonce || state.hasStorage(newAccount, address) {
                    state.setNonce(selfObject, selfObject.nonce + 1)
                    push(.zero)
                    break
                }
                state.setNonce(selfObject, selfObject.nonce + 1)
                let child = processCreate(Message(
                    caller: message.target, target: address, codeAddress: address, value: value, transfersValue: true,
                    input: [], gas: childGas, depth: message.depth + 1, isStatic: false, code: initCode, codeHash: nil))
                gas += child.gasLeft
                if child.status.isSuccess {
                    push(UInt256(address: address))
                } else {
                    returnData = child.output
                    push(.zero)
                }
            case 0xf1, 0xf2, 0xf4, 0xfa:
                let requestedGas = pop()
                let to = pop().asAddress
                let value = (op == 0xf1 || op == 0xf2) ? pop() : .zero
                let inOffset = pop(), inSize = pop(), outOffset = pop(), outSize = pop()
                // Memory for both regions, charged together with the call.
                let memoryBefore = gas
                guard expand(inOffset, inSize), expand(outOffset, outSize) else { return .halt(.outOfGas) }
                let memoryCost = memoryBefore - gas
                gas = memoryBefore
                let target = state.account(to)
                var extra = accessCost(target)
                if op == 0xf1 && !value.isZero && !target.isAlive { extra += GasCost.newAccount }
                if !value.isZero { extra += GasCost.callValue }
                var childGas: Int
                if gas < extra + memoryCost {
                    return .halt(.outOfGas)
                } else {
                    let available = gas - memoryCost - extra
                    let cap = available - available / 64
                    childGas = requestedGas.intBelow(UInt64(cap)) ?? cap
                }
                if !charge(childGas + extra + memoryCost) { return .halt(.outOfGas) }
                if message.isStatic && op == 0xf1 && !value.isZero { return .halt(.writeInStaticContext) }
                if !value.isZero { childGas += GasCost.callStipend }
                returnData = []
                if (op == 0xf1 || op == 0xf2) && selfObject.balance < value {
                    gas += childGas
                    push(.zero)
                    break
                }
                if message.depth + 1 > GasCost.maxCallDepth {
                    gas += childGas
                    push(.zero)
                    break
                }
                let input = inSize.isZero ? [] : memory.bytes(at: Int(inOffset.l0), count: Int(inSize.l0))
                let child: Message
                switch op {
                case 0xf1:
                    child = Message(
                        caller: message.target, target: to, codeAddress: to, value: value, transfersValue: true,
                        input: input, gas: childGas, depth: message.depth + 1, isStatic: message.isStatic,
                        code: target.code, codeHash: target.codeHash)
                case 0xf2:
                    child = Message(
                        caller: message.target, target: message.target, codeAddress: to, value: value, transfersValue: true,
                        input: input, gas: childGas, depth: message.depth + 1, isStatic: message.isStatic,
                        code: target.code, codeHash: target.codeHash)
                case 0xf4:
                    child = Message(
                        caller: message.caller, target: message.target, codeAddress: to, value: message.value,
                        transfersValue: false, input: input, gas: childGas, depth: message.depth + 1,
                        isStatic: message.isStatic, code: target.code, codeHash: target.codeHash)
                default:
                    child = Message(
                        caller: message.target, target: to, codeAddress: to, value: .zero, transfersValue: true,
                        input: input, gas: childGas, depth: message.depth + 1, isStatic: true,
                        code: target.code, codeHash: target.codeHash)
                }
                let result = processMessage(child)
                gas += result.gasLeft
                returnData = result.output
                push(result.status.isSuccess ? .one : .zero)
                if !outSize.isZero, !returnData.isEmpty {
                    let n = min(Int(outSize.l0), returnData.count)
                    returnData.withUnsafeBytes { (memory.base + Int(outOffset.l0)).copyMemory(from: $0.baseAddress!, byteCount: n) }
                }
            case 0xf3, 0xfd:
                let offset = pop(), size = pop()
                if !expand(offset, size) { return .halt(.outOfGas) }
                let output = size.isZero ? [] : memory.bytes(at: Int(offset.l0), count: Int(size.l0))
                return FrameResult(status: op == 0xf3 ? .success : .reverted, gasLeft: gas, output: output)
            case 0xff:
                let beneficiaryAddress = pop().asAddress
                let beneficiary = state.account(beneficiaryAddress)
                var cost = state.warm(beneficiary) ? GasCost.coldAccountAccess : 0
                if !beneficiary.isAlive && !selfObject.balance.isZero { cost += GasCost.selfDestructNewAccount }
                if !charge(cost) { return .halt(.outOfGas) }
                if message.isStatic { return .halt(.writeInStaticContext) }
                let balance = selfObject.balance
                if beneficiaryAddress != message.target {
                    if !balance.isZero { state.setBalance(selfObject, .zero) }
                    state.setBalance(beneficiary, beneficiary.balance &+ balance)
                }
                if fork < .cancun || selfObject.createdInTransaction {
                    if !balance.isZero { state.setBalance(selfObject, .zero) }
                    state.markSelfDestructed(selfObject)
                }
                return FrameResult(status: .success, gasLeft: gas, output: [])
            default:
                return .halt(.invalidOpcode)
            }
            pc += 1
        }
    }

    /// The 32-byte big-endian word at `offset` of `data`, zero-padded past its end.
    static func loadWord(_ data: UnsafeRawBufferPointer, _ offset: UInt256) -> UInt256 {
        guard let start = offset.intBelow(UInt64(data.count)), let base = data.baseAddress else { return .zero }
        if start + 32 <= data.count { return UInt256(bigEndianFrom: base + start) }
        var buffer: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
        return withUnsafeMutableBytes(of: &buffer) { raw in
            raw.baseAddress!.copyMemory(from: base + start, byteCount: data.count - start)
            return UInt256(bigEndianFrom: raw.baseAddress!)
        }
    }

    /// PUSHn's immediate: `n` bytes at `start`, zero-padded past the end of the code.
    @inline(__always) static func pushValue(_ code: UnsafePointer<UInt8>, _ count: Int, _ start: Int, _ n: Int) -> UInt256 {
        var buffer: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
        return withUnsafeMutableBytes(of: &buffer) { raw in
            let available = max(0, min(n, count - start))
            if available > 0 {
                (raw.baseAddress! + (32 - n)).copyMemory(from: code + start, byteCount: available)
            }
            return UInt256(bigEndianFrom: raw.baseAddress!)
        }
    }
}
