# pragma version 0.4.3
"""
@title Chained keccak256
@notice h_0 = seed, h_{i+1} = keccak256(h_i); returns h_n.
"""

MAX_ROUNDS: constant(uint256) = 1000000


@external
@pure
def chain(seed: bytes32, n: uint256) -> bytes32:
    h: bytes32 = seed
    for i: uint256 in range(n, bound=MAX_ROUNDS):
        h = keccak256(h)
    return h
