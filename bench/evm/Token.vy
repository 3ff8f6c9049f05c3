# pragma version 0.4.3
"""
@title Benchmark ERC-20 token
@notice A plain ERC-20 (balances, allowances, Transfer/Approval events) plus
        benchmark entry points that drive it with external calls to itself,
        each touching fresh storage slots.
"""

event Transfer:
    sender: indexed(address)
    receiver: indexed(address)
    amount: uint256

event Approval:
    owner: indexed(address)
    spender: indexed(address)
    amount: uint256

name: public(String[32])
symbol: public(String[8])
decimals: public(uint8)
totalSupply: public(uint256)
balanceOf: public(HashMap[address, uint256])
allowance: public(HashMap[address, HashMap[address, uint256]])
minter: public(address)

# The token's own ERC-20 surface, for external calls to itself.
interface Self:
    def transfer(receiver: address, amount: uint256) -> bool: nonpayable
    def approve(spender: address, amount: uint256) -> bool: nonpayable
    def transferFrom(sender: address, receiver: address, amount: uint256) -> bool: nonpayable
    def mint(receiver: address, amount: uint256) -> bool: nonpayable
    def balanceOf(holder: address) -> uint256: view
    def allowance(owner: address, spender: address) -> uint256: view

MAX_ROUNDS: constant(uint256) = 10000
FIRST_HOLDER: constant(uint256) = 2**20


@deploy
def __init__():
    self.name = "Mote Bench Token"
    self.symbol = "MBT"
    self.decimals = 18
    # The token mints to and transfers from itself, so that the benchmark
    # entry points can call the ERC-20 functions externally (msg.sender == self).
    self.minter = self
    self._mint(self, 10**27)


@internal
def _mint(receiver: address, amount: uint256):
    self.totalSupply += amount
    self.balanceOf[receiver] += amount
    log Transfer(sender=empty(address), receiver=receiver, amount=amount)


@internal
def _transfer(sender: address, receiver: address, amount: uint256):
    assert receiver != empty(address), "transfer to the zero address"
    self.balanceOf[sender] -= amount
    self.balanceOf[receiver] += amount
    log Transfer(sender=sender, receiver=receiver, amount=amount)


@external
def transfer(receiver: address, amount: uint256) -> bool:
    self._transfer(msg.sender, receiver, amount)
    return True


@external
def approve(spender: address, amount: uint256) -> bool:
    self.allowance[msg.sender][spender] = amount
    log Approval(owner=msg.sender, spender=spender, amount=amount)
    return True


@external
def transferFrom(sender: address, receiver: address, amount: uint256) -> bool:
    self.allowance[sender][msg.sender] -= amount
    self._transfer(sender, receiver, amount)
    return True


@external
def mint(receiver: address, amount: uint256) -> bool:
    assert msg.sender == self.minter, "only the minter"
    self._mint(receiver, amount)
    return True


@internal
@pure
def _holder(i: uint256) -> address:
    return convert(convert(FIRST_HOLDER + i, uint160), address)


@external
def benchTransfer(n: uint256) -> uint256:
    """
    @notice n transfers from the token's own balance to n new holders.
    @return the sum of the receivers' balances
    """
    total: uint256 = 0
    for i: uint256 in range(n, bound=MAX_ROUNDS):
        receiver: address = self._holder(i)
        assert extcall Self(self).transfer(receiver, 1000 + i)
        total += staticcall Self(self).balanceOf(receiver)
    return total


@external
def benchMint(n: uint256) -> uint256:
    """
    @notice n mints to n new holders.
    @return the total supply afterwards
    """
    for i: uint256 in range(n, bound=MAX_ROUNDS):
        assert extcall Self(self).mint(self._holder(MAX_ROUNDS + i), 500 + i)
    return self.totalSupply


@external
def benchApproveTransferFrom(n: uint256) -> uint256:
    """
    @notice n rounds of approve then transferFrom (the token approves itself
            and spends the whole allowance), each to a new holder.
    @return the sum of the receivers' balances
    """
    total: uint256 = 0
    for i: uint256 in range(n, bound=MAX_ROUNDS):
        receiver: address = self._holder(2 * MAX_ROUNDS + i)
        assert extcall Self(self).approve(self, 300 + i)
        assert extcall Self(self).transferFrom(self, receiver, 300 + i)
        assert staticcall Self(self).allowance(self, self) == 0
        total += staticcall Self(self).balanceOf(receiver)
    return total
