//! Constant-time modular exponentiation for the MODP groups, on fixed-size arrays of 64-bit limbs.
//!
//! A [`ModpContext<N, D>`] contains one odd modulus of `N` little-endian limbs (`D = 2N` sizes the
//! double-width product of a squaring) and its Montgomery constants, with R = 2^(64N):
//! - multiplication is CIOS (coarsely integrated operand scanning: one multiply row, then one
//!   reduction row, per limb of the multiplier), u64 limbs with u128 products;
//! - squaring computes each cross product a_i * a_j once, doubles them, adds the squares a_i^2
//!   and then runs a separate Montgomery reduction, which takes about 3N^2/2 limb products
//!   against 2N^2 for a multiplication;
//! - both end with a final subtraction of the modulus chosen by a mask, without a branch.
//!
//! [`ModpContext::pow`] raises a public base to a secret exponent with a fixed window of
//! [`WINDOW_BITS`] bits. The exponent is processed for its full public bit length, and every
//! table lookup reads all entries and keeps one through a mask, so neither the sequence of
//! operations nor the memory addresses depend on the exponent's value.
//!
//! [`ModpContext::pow_generator`] computes 2^x with a fixed-base table built once per group: row
//! j contains 2^(d * 2^(5j)) for every 5-bit digit d, so 2^x is the product of one entry per row
//! and needs no squarings. The rows cover the group's private exponent length, so the table takes
//! 360 KiB for group 14 and 1040 KiB for group 16. A longer exponent (only
//! [`DhPrivate::from_bytes`](super::DhPrivate::from_bytes) builds one) falls back to
//! [`ModpContext::pow`] with base 2.
//!
//! Choices, measured as the minimum of 400 calls of `DhGroup::generate` and
//! `DhPrivate::shared_secret` for MODP2048 with a 225-bit exponent (release build, one core of
//! the 2-CPU development VM at load 2.4-2.7, December 2026):
//! - variable-base window of 4, 5 or 6 bits: 323, 322 and 358 us per shared secret. Five bits.
//! - the dedicated squaring against `mul(a, a)`: 322 against 374 us per shared secret.
//! - key generation with the fixed-base table of 3, 4, 5 or 6-bit rows: 95, 75, 66 and 61 us.
//!   Five bits, because six bits take 1.7 times the memory of five for 5 us. A square-and-double
//!   ladder for base 2 (a modular doubling chosen by mask after every squaring) took 237 us.
//! - crypto-bigint 0.6 `BoxedMontyForm::pow_bounded_exp`, used before, spent 10.5M
//!   instructions (callgrind) on one 320-bit exponentiation against 5.5M for this module's
//!   225-bit one.

use std::sync::OnceLock;

use subtle::{Choice, ConstantTimeEq};
use zeroize::Zeroize;

/// Bits per window of the variable-base exponentiation: a table of 2^5 = 32 powers.
pub(super) const WINDOW_BITS: u32 = 5;

/// Bits per row of the fixed-base table for generator 2: 32 entries a row.
const FIXED_BASE_WINDOW_BITS: u32 = 5;

/// Montgomery constants for one odd modulus of `N` limbs. `D` must be `2 * N`.
pub(super) struct ModpContext<const N: usize, const D: usize> {
    /// The modulus p, little-endian limbs.
    modulus: [u64; N],
    /// -p^-1 mod 2^64.
    modulus_neg_inv: u64,
    /// R mod p, the Montgomery form of 1.
    one: [u64; N],
    /// R^2 mod p, which converts into Montgomery form.
    r_squared: [u64; N],
    /// Private exponent length in bits that the fixed-base table covers.
    fixed_base_bits: u32,
    /// Fixed-base table for generator 2, built on first use.
    generator_table: OnceLock<Vec<[u64; N]>>,
}

/// Computes a + b * c + d as a (low, high) pair of limbs. The u128 sum cannot overflow: with
/// every input at most 2^64 - 1, it is at most 2^128 - 1.
#[inline(always)]
fn mul_add(a: u64, b: u64, c: u64, d: u64) -> (u64, u64) {
    let wide = (a as u128) + (b as u128) * (c as u128) + (d as u128);
    (wide as u64, (wide >> 64) as u64)
}

/// a - b - borrow as (difference, borrow out), with borrow in and out 0 or 1.
#[inline(always)]
fn sub_borrow(a: u64, b: u64, borrow: u64) -> (u64, u64) {
    let (d1, b1) = a.overflowing_sub(b);
    let (d2, b2) = d1.overflowing_sub(borrow);
    (d2, (b1 | b2) as u64)
}

/// Returns an all-ones mask when `choice` is true and zero otherwise.
#[inline(always)]
fn mask(choice: Choice) -> u64 {
    0u64.wrapping_sub(u64::from(choice.unwrap_u8()))
}

impl<const N: usize, const D: usize> ModpContext<N, D> {
    /// Fails the build of any instance whose `D` is not `2 * N`.
    const DOUBLE_WIDTH: () = assert!(D == 2 * N && N > 0);

    /// Builds the constants for an odd modulus given big-endian, `8 * N` bytes long, whose top
    /// bit is set. `fixed_base_bits` is the exponent length the generator table covers.
    ///
    /// Runs in variable time: the modulus is public.
    pub(super) fn new(modulus_be: &[u8], fixed_base_bits: u32) -> Self {
        let () = Self::DOUBLE_WIDTH;
        assert_eq!(modulus_be.len(), 8 * N, "modulus length");
        let modulus = limbs_from_be::<N>(modulus_be);
        assert!(modulus[0] & 1 == 1, "the modulus is odd");
        assert!(modulus[N - 1] >> 63 == 1, "the modulus has its top bit set");

        // Newton's iteration doubles the number of correct low bits each step: 1, 2, 4, ... 64.
        let mut inverse = 1u64;
        for _ in 0..6 {
            inverse = inverse.wrapping_mul(2u64.wrapping_sub(modulus[0].wrapping_mul(inverse)));
        }

        // R mod p = R - p because p > R/2, then R^2 mod p by 64N modular doublings.
        let mut one = [0u64; N];
        let mut borrow = 0;
        for (limb, &p) in one.iter_mut().zip(&modulus) {
            (*limb, borrow) = sub_borrow(0, p, borrow);
        }
        let mut context = Self {
            modulus,
            modulus_neg_inv: inverse.wrapping_neg(),
            one,
            r_squared: [0; N],
            fixed_base_bits,
            generator_table: OnceLock::new(),
        };
        let mut r_squared = one;
        for _ in 0..64 * N {
            r_squared = context.add(&r_squared, &r_squared);
        }
        context.r_squared = r_squared;
        context
    }

    /// Returns the modulus as big-endian bytes.
    #[cfg(test)]
    pub(super) fn modulus_be(&self) -> Vec<u8> {
        limbs_to_be(&self.modulus)
    }

    /// Returns whether 1 < y < p - 1 for a big-endian value of at most `8 * N` bytes. Runs in
    /// variable time: it checks the peer's public value.
    pub(super) fn is_valid_public(&self, value_be: &[u8]) -> bool {
        if value_be.len() > 8 * N {
            return false;
        }
        let value = limbs_from_be::<N>(value_be);
        let mut p_minus_1 = self.modulus;
        p_minus_1[0] -= 1; // p is odd, so no borrow.
        let mut one = [0u64; N];
        one[0] = 1;
        less_than(&one, &value) && less_than(&value, &p_minus_1)
    }

    /// Computes base^exponent mod p for a public `base` below p, given big-endian, and a secret
    /// exponent whose value is below 2^exponent_bits. Returns the result big-endian, `8 * N`
    /// bytes long.
    ///
    /// Constant time with respect to the exponent's value for a given `exponent_bits`.
    pub(super) fn pow(&self, base_be: &[u8], exponent: &[u64], exponent_bits: u32) -> Vec<u8> {
        let base = limbs_from_be::<N>(base_be);
        debug_assert!(less_than(&base, &self.modulus), "the base is reduced");
        let base_monty = self.mul(&base, &self.r_squared);

        // table[d] = base^d in Montgomery form, the even entries by squaring.
        let size = 1usize << WINDOW_BITS;
        let mut table = vec![[0u64; N]; size];
        table[0] = self.one;
        table[1] = base_monty;
        for d in 2..size {
            table[d] = if d % 2 == 0 {
                self.square(&table[d / 2])
            } else {
                self.mul(&table[d - 1], &base_monty)
            };
        }

        let windows = exponent_bits.div_ceil(WINDOW_BITS).max(1);
        let mut digit = window(exponent, (windows - 1) * WINDOW_BITS, WINDOW_BITS);
        let mut accumulator = select_entry(&table, digit);
        for k in (0..windows - 1).rev() {
            for _ in 0..WINDOW_BITS {
                accumulator = self.square(&accumulator);
            }
            digit = window(exponent, k * WINDOW_BITS, WINDOW_BITS);
            let mut entry = select_entry(&table, digit);
            accumulator = self.mul(&accumulator, &entry);
            entry.zeroize();
        }
        digit.zeroize();

        let result = self.leave_montgomery(&accumulator);
        accumulator.zeroize();
        table.zeroize();
        result
    }

    /// Computes 2^exponent mod p, big-endian, `8 * N` bytes long, for a secret exponent below
    /// 2^exponent_bits. Uses the fixed-base table when `exponent_bits` is within the group's
    /// private exponent length and [`Self::pow`] otherwise.
    ///
    /// Constant time with respect to the exponent's value for a given `exponent_bits`.
    pub(super) fn pow_generator(&self, exponent: &[u64], exponent_bits: u32) -> Vec<u8> {
        if exponent_bits > self.fixed_base_bits {
            let mut two = vec![0u8; 8 * N];
            two[8 * N - 1] = 2;
            return self.pow(&two, exponent, exponent_bits);
        }

        let entries = 1usize << FIXED_BASE_WINDOW_BITS;
        let table = self.generator_table();
        let rows = exponent_bits.div_ceil(FIXED_BASE_WINDOW_BITS).max(1);
        let mut digit = window(exponent, 0, FIXED_BASE_WINDOW_BITS);
        let mut accumulator = select_entry(&table[..entries], digit);
        for row in 1..rows {
            digit = window(
                exponent,
                row * FIXED_BASE_WINDOW_BITS,
                FIXED_BASE_WINDOW_BITS,
            );
            let start = row as usize * entries;
            let mut entry = select_entry(&table[start..start + entries], digit);
            accumulator = self.mul(&accumulator, &entry);
            entry.zeroize();
        }
        digit.zeroize();

        let result = self.leave_montgomery(&accumulator);
        accumulator.zeroize();
        result
    }

    /// Returns the fixed-base table, building it on first use. Row j, entry d is 2^(d * 2^(5j))
    /// in Montgomery form.
    fn generator_table(&self) -> &[[u64; N]] {
        self.generator_table.get_or_init(|| {
            let entries = 1usize << FIXED_BASE_WINDOW_BITS;
            let rows = self.fixed_base_bits.div_ceil(FIXED_BASE_WINDOW_BITS) as usize;
            let mut table = Vec::with_capacity(rows * entries);
            let mut row_base = self.add(&self.one, &self.one); // 2 in Montgomery form
            for _ in 0..rows {
                let mut power = self.one;
                for _ in 0..entries {
                    table.push(power);
                    power = self.mul(&power, &row_base);
                }
                for _ in 0..FIXED_BASE_WINDOW_BITS {
                    row_base = self.square(&row_base);
                }
            }
            table
        })
    }

    /// a + b mod p for a, b < p.
    fn add(&self, a: &[u64; N], b: &[u64; N]) -> [u64; N] {
        let mut sum = [0u64; N];
        let mut carry = 0u64;
        for i in 0..N {
            let (low, high) = mul_add(a[i], b[i], 1, carry);
            sum[i] = low;
            carry = high;
        }
        self.subtract_modulus_if_needed(sum, carry)
    }

    /// Montgomery product a * b / R mod p for a, b < p (CIOS).
    fn mul(&self, a: &[u64; N], b: &[u64; N]) -> [u64; N] {
        let mut t = [0u64; N];
        let mut t_high = 0u64;
        for &b_i in b {
            // t += a * b_i
            let mut carry = 0u64;
            for j in 0..N {
                (t[j], carry) = mul_add(t[j], a[j], b_i, carry);
            }
            let (sum, overflow) = t_high.overflowing_add(carry);
            t_high = sum;
            let t_top = overflow as u64;

            // t = (t + m * p) / 2^64, with m chosen so that the low limb becomes zero.
            let m = t[0].wrapping_mul(self.modulus_neg_inv);
            let (_, mut carry) = mul_add(t[0], m, self.modulus[0], 0);
            for j in 1..N {
                (t[j - 1], carry) = mul_add(t[j], m, self.modulus[j], carry);
            }
            let (sum, overflow) = t_high.overflowing_add(carry);
            t[N - 1] = sum;
            t_high = t_top + overflow as u64;
        }
        self.subtract_modulus_if_needed(t, t_high)
    }

    /// Montgomery square a^2 / R mod p for a < p.
    fn square(&self, a: &[u64; N]) -> [u64; N] {
        let mut product = [0u64; D];

        // The cross products a_i * a_j with i < j, each once. Row i adds a_i * a[i+1..] at
        // product[2i+1..] and stores its carry at product[i+N]. Slices instead of indices let
        // the compiler drop the bounds checks, because it does not know that D = 2N.
        for (i, &a_i) in a.iter().enumerate() {
            let mut carry = 0u64;
            for (limb, &a_j) in product[2 * i + 1..i + N].iter_mut().zip(&a[i + 1..]) {
                (*limb, carry) = mul_add(*limb, a_i, a_j, carry);
            }
            product[i + N] = carry;
        }

        // Doubled: shift the whole product left by one bit.
        let mut shifted_out = 0u64;
        for limb in product.iter_mut() {
            let next = *limb >> 63;
            *limb = (*limb << 1) | shifted_out;
            shifted_out = next;
        }

        // Plus the squares a_i^2 on the diagonal.
        let mut carry = 0u64;
        for (pair, &a_i) in product.chunks_exact_mut(2).zip(a) {
            let (low, high) = mul_add(0, a_i, a_i, 0);
            let (sum, c) = mul_add(pair[0], low, 1, carry);
            pair[0] = sum;
            let (sum, c) = mul_add(pair[1], high, 1, c);
            pair[1] = sum;
            carry = c;
        }

        let result = self.reduce(&mut product);
        product.zeroize();
        result
    }

    /// Montgomery reduction t / R mod p of a double-width t < p * R, which it overwrites.
    fn reduce(&self, t: &mut [u64; D]) -> [u64; N] {
        let mut top_carry = 0u64;
        for i in 0..N {
            let row = &mut t[i..i + N + 1];
            let m = row[0].wrapping_mul(self.modulus_neg_inv);
            let mut carry = 0u64;
            for (limb, &p) in row[..N].iter_mut().zip(&self.modulus) {
                (*limb, carry) = mul_add(*limb, m, p, carry);
            }
            let (sum, c1) = row[N].overflowing_add(carry);
            let (sum, c2) = sum.overflowing_add(top_carry);
            row[N] = sum;
            top_carry = (c1 | c2) as u64;
        }
        let mut high = [0u64; N];
        high.copy_from_slice(&t[N..]);
        self.subtract_modulus_if_needed(high, top_carry)
    }

    /// Converts out of Montgomery form (a / R mod p) and encodes big-endian.
    fn leave_montgomery(&self, a: &[u64; N]) -> Vec<u8> {
        let mut wide = [0u64; D];
        wide[..N].copy_from_slice(a);
        let mut result = self.reduce(&mut wide);
        wide.zeroize();
        let bytes = limbs_to_be(&result);
        result.zeroize();
        bytes
    }

    /// Reduces t + carry * R, known to be below 2p, to below p: subtracts p unless t < p and
    /// carry is 0, choosing by mask.
    fn subtract_modulus_if_needed(&self, t: [u64; N], carry: u64) -> [u64; N] {
        let mut difference = [0u64; N];
        let mut borrow = 0u64;
        for i in 0..N {
            (difference[i], borrow) = sub_borrow(t[i], self.modulus[i], borrow);
        }
        let keep = mask(Choice::from((borrow & !carry & 1) as u8));
        let mut result = [0u64; N];
        for i in 0..N {
            result[i] = (t[i] & keep) | (difference[i] & !keep);
        }
        result
    }
}

/// Bits [start, start + width) of a little-endian limb array, zero beyond its end. The positions
/// are public; the bits read may be secret.
fn window(exponent: &[u64], start: u32, width: u32) -> u32 {
    let limb = (start / 64) as usize;
    let shift = start % 64;
    let mut bits = exponent.get(limb).map_or(0, |&l| l >> shift);
    if shift + width > 64 {
        bits |= exponent.get(limb + 1).map_or(0, |&l| l << (64 - shift));
    }
    (bits & ((1 << width) - 1)) as u32
}

/// Returns table[index], reading every entry and keeping one through a mask, so that the memory
/// accessed does not depend on `index`.
fn select_entry<const N: usize>(table: &[[u64; N]], index: u32) -> [u64; N] {
    let mut selected = [0u64; N];
    for (i, entry) in table.iter().enumerate() {
        let keep = mask((i as u32).ct_eq(&index));
        for (out, &limb) in selected.iter_mut().zip(entry) {
            *out |= limb & keep;
        }
    }
    selected
}

/// Big-endian bytes, at most `8 * N` of them, to little-endian limbs.
fn limbs_from_be<const N: usize>(bytes: &[u8]) -> [u64; N] {
    let mut limbs = [0u64; N];
    for (i, chunk) in bytes.rchunks(8).enumerate() {
        let mut buffer = [0u8; 8];
        buffer[8 - chunk.len()..].copy_from_slice(chunk);
        limbs[i] = u64::from_be_bytes(buffer);
    }
    limbs
}

/// Little-endian limbs to big-endian bytes, `8 * N` of them.
fn limbs_to_be<const N: usize>(limbs: &[u64; N]) -> Vec<u8> {
    limbs
        .iter()
        .rev()
        .flat_map(|limb| limb.to_be_bytes())
        .collect()
}

/// a < b, in variable time: only for public values.
fn less_than<const N: usize>(a: &[u64; N], b: &[u64; N]) -> bool {
    for i in (0..N).rev() {
        if a[i] != b[i] {
            return a[i] < b[i];
        }
    }
    false
}

/// The operations [`super::DhGroup`] needs from a [`ModpContext`] of any size.
pub(super) trait ModpArithmetic: Send + Sync {
    /// Returns the prime as big-endian bytes.
    #[cfg(test)]
    fn modulus_be(&self) -> Vec<u8>;
    /// Returns whether a big-endian value satisfies 1 < y < p - 1.
    fn is_valid_public(&self, value_be: &[u8]) -> bool;
    /// Computes base^exponent mod p, see [`ModpContext::pow`].
    fn pow(&self, base_be: &[u8], exponent: &[u64], exponent_bits: u32) -> Vec<u8>;
    /// Computes 2^exponent mod p, see [`ModpContext::pow_generator`].
    fn pow_generator(&self, exponent: &[u64], exponent_bits: u32) -> Vec<u8>;
}

impl<const N: usize, const D: usize> ModpArithmetic for ModpContext<N, D> {
    #[cfg(test)]
    fn modulus_be(&self) -> Vec<u8> {
        ModpContext::modulus_be(self)
    }

    fn is_valid_public(&self, value_be: &[u8]) -> bool {
        ModpContext::is_valid_public(self, value_be)
    }

    fn pow(&self, base_be: &[u8], exponent: &[u64], exponent_bits: u32) -> Vec<u8> {
        ModpContext::pow(self, base_be, exponent, exponent_bits)
    }

    fn pow_generator(&self, exponent: &[u64], exponent_bits: u32) -> Vec<u8> {
        ModpContext::pow_generator(self, exponent, exponent_bits)
    }
}

/// Big-endian bytes of a secret exponent to little-endian limbs, as many as the bytes need.
pub(super) fn exponent_limbs(bytes: &[u8]) -> Vec<u64> {
    bytes
        .rchunks(8)
        .map(|chunk| {
            let mut buffer = [0u8; 8];
            buffer[8 - chunk.len()..].copy_from_slice(chunk);
            let limb = u64::from_be_bytes(buffer);
            buffer.zeroize();
            limb
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use num_bigint::BigUint;
    use proptest::prelude::*;

    use super::super::{decode_hex_prime, primes};
    use super::*;

    type Modp768 = ModpContext<12, 24>;
    type Modp2048 = ModpContext<32, 64>;

    fn modp768() -> Modp768 {
        ModpContext::new(&decode_hex_prime(primes::MODP_768), 160)
    }

    fn modp2048() -> Modp2048 {
        ModpContext::new(&decode_hex_prime(primes::MODP_2048), 225)
    }

    fn big(bytes: &[u8]) -> BigUint {
        BigUint::from_bytes_be(bytes)
    }

    fn limbs_big<const N: usize>(limbs: &[u64; N]) -> BigUint {
        big(&limbs_to_be(limbs))
    }

    /// `bytes` reduced modulo p, as limbs.
    fn reduced<const N: usize, const D: usize>(
        context: &ModpContext<N, D>,
        bytes: &[u8],
    ) -> [u64; N] {
        let p = big(&context.modulus_be());
        let value = (big(bytes) % p).to_bytes_be();
        limbs_from_be::<N>(&value)
    }

    /// num-bigint's `modpow`, encoded like `pow`'s output.
    fn reference_pow(base: &BigUint, exponent: &[u8], p: &BigUint) -> Vec<u8> {
        let result = base.modpow(&big(exponent), p).to_bytes_be();
        let len = p.to_bytes_be().len();
        let mut padded = vec![0u8; len - result.len()];
        padded.extend_from_slice(&result);
        padded
    }

    /// Truncates `bytes` to the length of a `bits`-bit exponent and clears the top byte's bits
    /// above `bits`.
    fn masked_exponent(mut bytes: Vec<u8>, bits: u32) -> Vec<u8> {
        let len = bits.div_ceil(8) as usize;
        bytes.truncate(len);
        if !bits.is_multiple_of(8) {
            bytes[0] &= 0xff >> (8 - bits % 8);
        }
        bytes
    }

    #[test]
    fn constants_match_num_bigint() {
        let context = modp2048();
        let p = big(&context.modulus_be());
        let r: BigUint = BigUint::from(1u8) << (64 * 32usize);
        assert_eq!(limbs_big(&context.one), &r % &p, "R mod p");
        assert_eq!(limbs_big(&context.r_squared), (&r * &r) % &p, "R^2 mod p");
        let product = BigUint::from(context.modulus[0]) * BigUint::from(context.modulus_neg_inv);
        assert_eq!(
            (product + 1u8) % (BigUint::from(1u8) << 64),
            BigUint::from(0u8),
            "p * -p^-1 = -1 mod 2^64"
        );
    }

    #[test]
    fn edge_bases_and_exponents() {
        let context = modp2048();
        let p = big(&context.modulus_be());
        let p_minus_1 = (&p - 1u8).to_bytes_be();
        let mut one = vec![0u8; 256];
        one[255] = 1;
        let all_ones_225 = masked_exponent(vec![0xff; 29], 225);

        for (name, base) in [("1", &one), ("p-1", &p_minus_1)] {
            for (exponent_name, exponent, bits) in [
                ("0", vec![0u8], 1),
                ("1", vec![1u8], 1),
                ("2", vec![2u8], 2),
                ("2^225-1", all_ones_225.clone(), 225),
                ("p-1", p_minus_1.clone(), 2048),
            ] {
                let ours = context.pow(base, &exponent_limbs(&exponent), bits);
                let expected = reference_pow(&big(base), &exponent, &p);
                assert_eq!(ours, expected, "base {name}, exponent {exponent_name}");
            }
        }

        let ours = context.pow_generator(&exponent_limbs(&all_ones_225), 225);
        let expected = reference_pow(&BigUint::from(2u8), &all_ones_225, &p);
        assert_eq!(ours, expected, "2^(2^225-1) from the fixed-base table");
        let ours = context.pow_generator(&[0], 225);
        assert_eq!(ours, one, "2^0 from the fixed-base table");
    }

    #[test]
    fn window_reads_across_limbs() {
        let exponent = [0x8000_0000_0000_0000u64, 0b1011];
        assert_eq!(window(&exponent, 63, 5), 0b10111);
        assert_eq!(window(&exponent, 60, 4), 0b1000);
        assert_eq!(window(&exponent, 128, 5), 0, "beyond the last limb");
        assert_eq!(window(&exponent, 125, 5), 0, "straddling the end");
    }

    #[test]
    fn public_value_range() {
        let context = modp768();
        let p = context.modulus_be();
        let mut p_minus_1 = p.clone();
        *p_minus_1.last_mut().unwrap() -= 1;
        let mut p_minus_2 = p.clone();
        *p_minus_2.last_mut().unwrap() -= 2;
        assert!(!context.is_valid_public(&[0]), "0");
        assert!(!context.is_valid_public(&[1]), "1");
        assert!(context.is_valid_public(&[2]), "2");
        assert!(context.is_valid_public(&p_minus_2), "p-2");
        assert!(!context.is_valid_public(&p_minus_1), "p-1");
        assert!(!context.is_valid_public(&p), "p");
        assert!(!context.is_valid_public(&[0xff; 96]), "2^768-1");
        assert!(!context.is_valid_public(&[1; 97]), "longer than p");
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(48))]

        #[test]
        fn mul_and_square_match_num_bigint(
            a in proptest::collection::vec(any::<u8>(), 256),
            b in proptest::collection::vec(any::<u8>(), 256),
        ) {
            let context = modp2048();
            let p = big(&context.modulus_be());
            let r: BigUint = BigUint::from(1u8) << (64 * 32usize);
            let r_inverse = r.modpow(&(&p - 2u8), &p);
            let a = reduced(&context, &a);
            let b = reduced(&context, &b);

            let product = limbs_big(&context.mul(&a, &b));
            let expected = (limbs_big(&a) * limbs_big(&b) * &r_inverse) % &p;
            prop_assert_eq!(product, expected, "a * b / R");

            let square = limbs_big(&context.square(&a));
            let expected = (limbs_big(&a) * limbs_big(&a) * &r_inverse) % &p;
            prop_assert_eq!(square, expected, "a^2 / R");
        }

        #[test]
        fn pow_matches_num_bigint(
            base in proptest::collection::vec(any::<u8>(), 96),
            exponent in proptest::collection::vec(any::<u8>(), 1..=40),
            extra_bits in 0u32..70,
        ) {
            let context = modp768();
            let p = big(&context.modulus_be());
            let base = limbs_to_be(&reduced(&context, &base));
            // Any public bound at or above the exponent's length gives the same value.
            let bits = 8 * exponent.len() as u32 + extra_bits;
            let ours = context.pow(&base, &exponent_limbs(&exponent), bits);
            prop_assert_eq!(ours, reference_pow(&big(&base), &exponent, &p));
        }

        #[test]
        fn pow_2048_matches_num_bigint(
            base in proptest::collection::vec(any::<u8>(), 256),
            exponent in proptest::collection::vec(any::<u8>(), 29),
            bits in 1u32..=225,
        ) {
            let context = modp2048();
            let p = big(&context.modulus_be());
            let base = limbs_to_be(&reduced(&context, &base));
            let exponent = masked_exponent(exponent, bits);
            let ours = context.pow(&base, &exponent_limbs(&exponent), bits);
            prop_assert_eq!(ours, reference_pow(&big(&base), &exponent, &p));
        }

        #[test]
        fn generator_matches_num_bigint(
            exponent in proptest::collection::vec(any::<u8>(), 40),
            bits in 1u32..=320,
        ) {
            // Up to 225 bits from the fixed-base table, beyond it from `pow`.
            let context = modp2048();
            let p = big(&context.modulus_be());
            let exponent = masked_exponent(exponent, bits);
            let ours = context.pow_generator(&exponent_limbs(&exponent), bits);
            prop_assert_eq!(ours, reference_pow(&BigUint::from(2u8), &exponent, &p));
        }
    }
}
