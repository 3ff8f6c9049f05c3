import MotePrimitives

/// Vote weights of stake buckets, in integer fixed-point arithmetic so that every node
/// computes the same numbers (no floating point in consensus).
///
/// A bucket of `amount` staked for `days` with auto-stake weighs
/// `amount × (1 + ln(days × (1 + autoStake)) / ln(1.2) / 100)` (IoTeX's formula; a bucket
/// staked for 0 days weighs its amount), and a candidate's self-stake bucket weighs
/// `selfStakeBonusPercent` % more. Logarithms are computed to 18 decimals with the series
/// ln(m) = 2·atanh((m − 1)/(m + 1)) after taking out powers of two; results round down.
public enum VoteWeight {
    /// 10^18: the fixed-point scale.
    public static let one = UInt256(1_000_000_000_000_000_000)
    /// ln 2 × 10^18, rounded down.
    static let ln2 = UInt256(693_147_180_559_945_309)

    /// ln(m) × 10^18 for `m` (scaled by 10^18) in [1, 2).
    static func lnUnit(_ m: UInt256) -> UInt256 {
        let z = (m - one) * one / (m + one)
        let z2 = z * z / one
        var term = z
        var sum = z
        var k: UInt64 = 3
        while true {
            term = term * z2 / one
            if term.isZero { break }
            sum += term / UInt256(k)
            k += 2
        }
        return sum * 2
    }

    /// ln(n) × 10^18 for an integer n ≥ 1.
    public static func ln(_ n: UInt64) -> UInt256 {
        precondition(n >= 1, "ln of 0")
        let k = UInt64(63 - n.leadingZeroBitCount)
        let m = UInt256(n) * one / UInt256(1 << k)
        return UInt256(k) * ln2 + lnUnit(m)
    }

    /// ln(1.2) × 10^18.
    public static let ln12 = lnUnit(UInt256(1_200_000_000_000_000_000))

    /// The multiplier of a bucket × 10^18: 1 + ln(days·(1 + autoStake))/ln(1.2)/100.
    public static func multiplier(days: UInt32, autoStake: Bool) -> UInt256 {
        let x = UInt64(days) * (autoStake ? 2 : 1)
        guard x >= 1 else { return one }
        return one + ln(x) * one / ln12 / 100
    }

    /// The votes of a bucket: its amount times its multiplier, plus the self-stake bonus.
    public static func votes(amount: UInt256, days: UInt32, autoStake: Bool, selfStake: Bool, selfStakeBonusPercent: UInt64) -> UInt256 {
        let (product, overflow) = amount.multipliedReportingOverflow(by: multiplier(days: days, autoStake: autoStake))
        // Amounts are bounded by the supply (far below 2^196), so this never overflows in practice.
        var weight = overflow ? amount : product / one
        if selfStake { weight = weight * UInt256(100 + selfStakeBonusPercent) / 100 }
        return weight
    }
}
