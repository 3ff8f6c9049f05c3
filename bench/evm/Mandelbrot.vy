# pragma version 0.4.3
"""
@title Fixed-point Mandelbrot
@notice Renders the Mandelbrot set in signed 32.32 fixed point. Each row is
        computed by an external call to this contract (returning the row's
        escape counts as a memory array), each pixel by an internal function;
        the caller folds the rows into a histogram and a keccak256 checksum.
"""

FRAC_BITS: constant(uint256) = 32
ONE: constant(int256) = 1 << 32
FOUR: constant(int256) = 4 << 32
MAX_WIDTH: constant(uint256) = 256
MAX_HEIGHT: constant(uint256) = 256
MAX_ITER: constant(uint256) = 1024
BUCKETS: constant(uint256) = 16

# This contract's row renderer, for external calls to itself.
interface Self:
    def row(py: uint256, width: uint256, height: uint256, max_iter: uint256) -> DynArray[uint256, 256]: view

# The view: x in [-2.25, 0.75), y in [-1.25, 1.25).
X_MIN: constant(int256) = -(9 << 30)
X_SPAN: constant(int256) = 3 << 32
Y_MIN: constant(int256) = -(5 << 30)
Y_SPAN: constant(int256) = 5 << 31


@internal
@pure
def _escape(cx: int256, cy: int256, max_iter: uint256) -> uint256:
    """
    @notice Iterations of z -> z^2 + c before |z|^2 > 4 (max_iter if never).
    """
    x: int256 = 0
    y: int256 = 0
    for i: uint256 in range(max_iter, bound=MAX_ITER):
        xx: int256 = (x * x) >> FRAC_BITS
        yy: int256 = (y * y) >> FRAC_BITS
        if xx + yy > FOUR:
            return i
        y = ((2 * x * y) >> FRAC_BITS) + cy
        x = xx - yy + cx
    return max_iter


@external
@view
def row(py: uint256, width: uint256, height: uint256, max_iter: uint256) -> DynArray[uint256, MAX_WIDTH]:
    """
    @notice The escape counts of row py of a width x height image.
    """
    cy: int256 = Y_MIN + Y_SPAN * convert(py, int256) // convert(height, int256)
    counts: DynArray[uint256, MAX_WIDTH] = []
    for px: uint256 in range(width, bound=MAX_WIDTH):
        cx: int256 = X_MIN + X_SPAN * convert(px, int256) // convert(width, int256)
        counts.append(self._escape(cx, cy, max_iter))
    return counts


@external
@view
def render(width: uint256, height: uint256, max_iter: uint256) -> (bytes32, uint256, uint256[BUCKETS]):
    """
    @notice Renders the image row by row.
    @return a keccak256 chain over the rows, the total iteration count, and a
            histogram of escape counts (bucket = count * BUCKETS // (max_iter + 1))
    """
    assert width <= MAX_WIDTH and height <= MAX_HEIGHT and max_iter <= MAX_ITER
    checksum: bytes32 = empty(bytes32)
    total: uint256 = 0
    histogram: uint256[BUCKETS] = empty(uint256[BUCKETS])
    for py: uint256 in range(height, bound=MAX_HEIGHT):
        counts: DynArray[uint256, MAX_WIDTH] = staticcall Self(self).row(py, width, height, max_iter)
        for c: uint256 in counts:
            total += c
            histogram[c * BUCKETS // (max_iter + 1)] += 1
        checksum = keccak256(concat(checksum, keccak256(abi_encode(counts))))
    return checksum, total, histogram
