/// Fixed parameters of BN254, precomputed in Montgomery form.
enum BN254Constants {
    /// The BN parameter x: p = 36x⁴+36x³+24x²+6x+1, r = 36x⁴+36x³+18x²+6x+1.
    static let x: UInt64 = 4_965_661_367_192_848_881
    /// The optimal-ate loop count 6x+2 (65 bits): its top bit, then the low 64 bits.
    static let ateLow: UInt64 = 0x9d79_7039_be76_3ba8
    /// The group order r as little-endian limbs.
    static let r: (UInt64, UInt64, UInt64, UInt64) =
        (0x43e1_f593_f000_0001, 0x2833_e848_79b9_7091, 0xb850_45b6_8181_585d, 0x3064_4e72_e131_a029)
    /// 6x² = p − r, the eigenvalue of the twisted Frobenius ψ on G2, as little-endian limbs.
    static let sixXSquared: (UInt64, UInt64, UInt64, UInt64) = (0xf83e_9682_e87c_fd46, 0x6f4d_8248_eeb8_59fb, 0, 0)
    /// b' = 3/ξ, the constant of the twist y² = x³ + b' that holds G2.
    static let twistB = BN254Fp2(
        BN254Fp(0x3bf9_38e3_77b8_02a8, 0x020b_1b27_3633_535d, 0x26b7_edf0_4975_5260, 0x2514_c632_4384_a86d),
        BN254Fp(0x38e7_eccc_d1dc_ff67, 0x65f0_b37d_93ce_0d3e, 0xd749_d0dd_22ac_00aa, 0x0141_b9ce_4a68_8d4d))

    /// ξ^(i(p^k−1)/6) for i = 1...5.
    struct FrobeniusCoefficients {
        let w1, w2, w3, w4, w5: BN254Fp2
    }

    static func frobenius(_ k: Int) -> FrobeniusCoefficients {
        switch k {
        case 1: return frobenius1
        case 2: return frobenius2
        default: return frobenius3
        }
    }

    static let frobenius1 = FrobeniusCoefficients(
        w1: BN254Fp2(BN254Fp(0xaf9b_a696_3314_4907, 0xca6b_1d73_87af_b78a, 0x11bd_ed5e_f08a_2087, 0x02f3_4d75_1a1f_3a7c),
                BN254Fp(0xa222_ae23_4c49_2d72, 0xd00f_02a4_565d_e15b, 0xdc2f_f3a2_53df_c926, 0x10a7_5716_b389_9551)),
        w2: BN254Fp2(BN254Fp(0xb577_3b10_4563_ab30, 0x347f_91c8_a9aa_6454, 0x7a00_7127_242e_0991, 0x1956_bcd8_1182_14ec),
                BN254Fp(0x6e84_9f1e_a0aa_4757, 0xaa1c_7b6d_89f8_9141, 0xb6e7_13cd_fae0_ca3a, 0x2669_4fbb_4e82_ebc3)),
        w3: BN254Fp2(BN254Fp(0xe4bb_dd0c_2936_b629, 0xbb30_f162_e133_bacb, 0x31a9_d1b6_f964_5366, 0x2535_70be_a500_f8dd),
                BN254Fp(0xa1d7_7ce4_5ffe_77c7, 0x07af_fd11_7826_d1db, 0x6d16_bd27_bb7e_dc6b, 0x2c87_2002_85de_fecc)),
        w4: BN254Fp2(BN254Fp(0x7361_d77f_843a_be92, 0xa5bb_2bd3_2734_11fb, 0x9c94_1f31_4b3e_2399, 0x15df_9cdd_bb9f_d3ec),
                BN254Fp(0x5ddd_fd15_4bd8_c949, 0x62cb_29a5_a444_5b60, 0x37bc_870a_0c7d_d2b9, 0x2483_0a9d_3171_f0fd)),
        w5: BN254Fp2(BN254Fp(0xc970_692f_4169_0fe7, 0xe240_3421_2769_4b0b, 0x32be_e66b_83c4_59e8, 0x12aa_bced_0ab0_8841),
                BN254Fp(0x0d48_5d23_40ae_bfa9, 0x0519_3418_ab2f_cc57, 0xd3b0_a40b_8a49_10f5, 0x2f21_ebb5_35d2_925a)))

    static let frobenius2 = FrobeniusCoefficients(
        w1: BN254Fp2(BN254Fp(0xca8d_8005_00fa_1bf2, 0xf0c5_d614_68b3_9769, 0x0e20_1271_ad0d_4418, 0x0429_0f65_bad8_56e6), .zero),
        w2: BN254Fp2(BN254Fp(0x3350_c88e_13e8_0b9c, 0x7dce_557c_db5e_56b9, 0x6001_b4b8_b615_564a, 0x2682_e617_0202_17e0), .zero),
        w3: BN254Fp2(BN254Fp(0x68c3_4889_12ed_efaa, 0x8d08_7f68_72aa_bf4f, 0x51e1_a247_0908_1231, 0x2259_d6b1_4729_c0fa), .zero),
        w4: BN254Fp2(BN254Fp(0x7193_0c11_d782_e155, 0xa6bb_947c_ffbe_3323, 0xaa30_3344_d474_1444, 0x2c3b_3f0d_2659_4943), .zero),
        w5: BN254Fp2(BN254Fp(0x08cf_c388_c494_f1ab, 0x19b3_1514_8d13_73d4, 0x584e_90fd_cb6c_0213, 0x09e1_685b_df2f_8849), .zero))

    static let frobenius3 = FrobeniusCoefficients(
        w1: BN254Fp2(BN254Fp(0x3653_1618_4e46_d97d, 0x0af7_129e_d4c9_6d9f, 0x659d_a72f_ca10_09b5, 0x0811_6d89_83a2_0d23),
                BN254Fp(0xb1df_4af7_c39c_1939, 0x3d9f_0287_8a73_bf7f, 0x9b22_2092_8caf_0ae0, 0x2668_4515_eff0_54a6)),
        w2: BN254Fp2(BN254Fp(0xc9af_22f7_16ad_6bad, 0xb311_782a_4aa6_62b2, 0x19ee_af64_e248_c7f4, 0x2027_3e77_e343_9f82),
                BN254Fp(0xacc0_2860_f7ce_93ac, 0x3933_d581_7ba7_6b4c, 0x69e6_188b_446c_8467, 0x0a46_036d_4417_cc55)),
        w3: BN254Fp2(BN254Fp(0x5764_af0a_af46_471e, 0xdc50_792e_873e_0fc1, 0x86a6_73ff_881d_04f6, 0x0b2e_ddb4_3c30_a74c),
                BN254Fp(0x9a49_0f32_787e_8580, 0x8fd1_6d7f_f04a_f8b1, 0x4b39_888e_c602_7bf2, 0x03dd_2e70_5b52_a15d)),
        w4: BN254Fp2(BN254Fp(0x448a_93a5_7b67_62df, 0xbfd6_2df5_28fd_eadf, 0xd858_f5d0_0e9b_d47a, 0x06b0_3d4d_3476_ec58),
                BN254Fp(0x2b19_daf4_bcc9_36d1, 0xa1a5_4e7a_56f4_299f, 0xb533_eee0_5ade_aef1, 0x170c_812b_84dd_a0b2)),
        w5: BN254Fp2(BN254Fp(0xe0bc_4b22_75cf_559f, 0xc238_b945_c154_e60f, 0x8039_82a5_929a_7d5e, 0x15ce_052d_f7e4_a37e),
                BN254Fp(0x2d28_efbd_bf37_99a7, 0x9b09_7e3c_1ad6_0773, 0x982d_4113_af4a_535b, 0x24e1_8991_e305_6063)))
}
