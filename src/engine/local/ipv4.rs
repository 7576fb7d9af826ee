//! Parsing an IPv4 address in a line with SSE4.1 where the CPU has it:
//! the dots found at once, the shape of the address (its octets' lengths)
//! looked up by its dots, the digits put in place by one shuffle and
//! summed by two multiply-adds, with no branch on where an octet ends,
//! which the byte loop ([`parse_canonical_ipv4`]) takes at every byte.
//! 6 ns an address where the byte loop takes 20 (and where counting the
//! octets' digits from the dots took 10), in a timing loop over 300,000
//! drawn addresses; with a parse that cost nothing, the address
//! group-bys ran 5% to 7% faster (docs/benchmarks.md, the seventh round).
//! The method is Muła and Lemire's ("Parsing IP addresses crazily fast",
//! 2023); the code is ours.

/// The lengths of an IPv4 address's text: `0.0.0.0` to `255.255.255.255`.
const TEXT_LENGTHS: std::ops::RangeInclusive<usize> = 7..=15;

/// The bytes [`sse::parse`] loads: the longest text and one more.
const WINDOW: usize = 16;

/// [`parse_canonical_ipv4`] of `line[start..end]`, the same answer for
/// every input; with SSE4.1 when the line holds 16 bytes from `start`.
#[inline]
pub(crate) fn parse_canonical_ipv4_at(line: &[u8], start: usize, end: usize) -> Option<u32> {
    let text = &line[start..end];
    #[cfg(target_arch = "x86_64")]
    if TEXT_LENGTHS.contains(&text.len()) {
        if let Some(window) = line.get(start..start + WINDOW) {
            if std::arch::is_x86_feature_detected!("sse4.1") {
                let window: &[u8; WINDOW] = window.try_into().expect("a window's bytes");
                // SAFETY: the CPU has SSE4.1 (checked just above).
                return unsafe { sse::parse(window, text.len()) };
            }
        }
    }
    parse_canonical_ipv4(text)
}

/// The 32 bits of an IPv4 address written the one way `keys::Ipv4Text`
/// writes it back: four decimal octets up to 255, no leading zeros, no sign.
/// Anything else (IPv6, `-`, `010.0.0.1`, `1.2.3`) is `None`.
#[inline]
pub(crate) fn parse_canonical_ipv4(text: &[u8]) -> Option<u32> {
    if !TEXT_LENGTHS.contains(&text.len()) {
        return None;
    }
    let (mut bits, mut octets, mut value, mut digits) = (0u32, 0, 0u32, 0);
    for &b in text {
        if b == b'.' {
            if digits == 0 || octets == 3 || value > 255 {
                return None;
            }
            bits = bits << 8 | value;
            octets += 1;
            (value, digits) = (0, 0);
            continue;
        }
        let digit = b.wrapping_sub(b'0');
        // A zero may only be a whole octet, not lead one.
        if digit > 9 || digits == 3 || (digits == 1 && value == 0) {
            return None;
        }
        value = value * 10 + u32::from(digit);
        digits += 1;
    }
    (octets == 3 && digits > 0 && value <= 255).then_some(bits << 8 | value)
}

#[cfg(target_arch = "x86_64")]
mod sse {
    use std::arch::x86_64::*;

    use super::{TEXT_LENGTHS, WINDOW};

    /// What a shape of address needs: a shape is the four octets' digit
    /// counts `l0..l3` (1 to 3 each), numbered `27 (l0-1) + 9 (l1-1) +
    /// 3 (l2-1) + (l3-1)`.
    struct Shape {
        /// Its dots and its end, as bits of a text's positions: the key
        /// [`shape_of`] finds it by.
        key: u32,
        /// The first bytes of its octets of two or three digits, which may
        /// not be zeros.
        leads: u32,
        /// The shuffle that puts octet `i`'s digits in bytes `4i..4i+3` as
        /// hundreds, tens and ones (a digit it lacks, and byte `4i+3`,
        /// zero: index 0x80).
        shuffle: [u8; 16],
    }

    const SHAPES: [Shape; 81] = shapes();

    const fn shapes() -> [Shape; 81] {
        let mut table = [const {
            Shape {
                key: 0,
                leads: 0,
                shuffle: [0x80; 16],
            }
        }; 81];
        let mut shape = 0;
        while shape < 81 {
            let counts = [
                shape / 27 + 1,
                shape / 9 % 3 + 1,
                shape / 3 % 3 + 1,
                shape % 3 + 1,
            ];
            let mut from = 0;
            let mut octet = 0;
            while octet < 4 {
                let count = counts[octet];
                let mut digit = 0;
                while digit < count {
                    table[shape].shuffle[4 * octet + 3 - count + digit] = (from + digit) as u8;
                    digit += 1;
                }
                if count > 1 {
                    table[shape].leads |= 1 << from;
                }
                // The dot after the octet, or after the last one the end.
                table[shape].key |= 1 << (from + count);
                from += count + 1;
                octet += 1;
            }
            shape += 1;
        }
        table
    }

    /// Where a key lands among [`SLOTS`]: a multiplier and shift under
    /// which the 81 keys fall in distinct slots of 256 (`slots` checks it
    /// as the table is built, so a wrong one fails the build).
    const fn slot_of(key: u32) -> usize {
        ((key.wrapping_mul(3359) >> 7) & 0xFF) as usize
    }

    /// Per slot, the shape whose key lands there, or 0xFF.
    const SLOTS: [u8; 256] = slots();

    const fn slots() -> [u8; 256] {
        let mut slots = [0xFFu8; 256];
        let mut shape = 0;
        while shape < 81 {
            let slot = slot_of(SHAPES[shape].key);
            assert!(slots[slot] == 0xFF, "two shapes of address share a slot");
            slots[slot] = shape as u8;
            shape += 1;
        }
        slots
    }

    /// The shape whose dots and end are `key`'s bits, if any: one
    /// multiply and two loads, where counting the octets' digits from the
    /// dots and checking each took four times the instructions.
    #[inline]
    fn shape_of(key: u32) -> Option<&'static Shape> {
        let shape = SHAPES.get(usize::from(SLOTS[slot_of(key)]))?;
        (shape.key == key).then_some(shape)
    }

    /// The address in the first `len` ([`TEXT_LENGTHS`]) bytes of `window`, if they
    /// are one as `keys::Ipv4Text` writes it:
    /// four octets of 1 to 3 digits, none above 255, no leading zero.
    ///
    /// # Safety
    /// The CPU must have SSE4.1.
    #[target_feature(enable = "sse4.1")]
    pub(super) unsafe fn parse(window: &[u8; WINDOW], len: usize) -> Option<u32> {
        debug_assert!(TEXT_LENGTHS.contains(&len));
        let within = (1u32 << len) - 1;
        // SAFETY: `window` is 16 readable bytes; the load may be unaligned.
        let bytes = unsafe { _mm_loadu_si128(window.as_ptr().cast()) };
        let dots = _mm_movemask_epi8(_mm_cmpeq_epi8(bytes, _mm_set1_epi8(b'.' as i8))) as u32;
        let dots = dots & within;
        // Three dots and the end, each octet 1 to 3 digits long: any other
        // text has no shape.
        let shape = shape_of(dots | 1 << len)?;
        let digits = _mm_sub_epi8(bytes, _mm_set1_epi8(b'0' as i8));
        let is_digit = _mm_cmpeq_epi8(_mm_min_epu8(digits, _mm_set1_epi8(9)), digits);
        // A zero may only be a whole octet, not lead one.
        let zeros = _mm_movemask_epi8(_mm_cmpeq_epi8(digits, _mm_setzero_si128())) as u32;
        if (_mm_movemask_epi8(is_digit) as u32 | dots) & within != within
            || zeros & shape.leads != 0
        {
            return None;
        }
        // SAFETY: a shuffle is 16 readable bytes.
        let shuffle = unsafe { _mm_loadu_si128(shape.shuffle.as_ptr().cast()) };
        let placed = _mm_shuffle_epi8(digits, shuffle);
        let weights = _mm_setr_epi8(100, 10, 1, 0, 100, 10, 1, 0, 100, 10, 1, 0, 100, 10, 1, 0);
        // Per octet, 100 h + 10 t and u + 0 as 16 bits, then their sum as 32.
        let octets = _mm_madd_epi16(_mm_maddubs_epi16(placed, weights), _mm_set1_epi16(1));
        if _mm_movemask_epi8(_mm_cmpgt_epi32(octets, _mm_set1_epi32(255))) != 0 {
            return None;
        }
        let packed = _mm_packus_epi16(_mm_packus_epi32(octets, octets), octets);
        Some((_mm_cvtsi128_si32(packed) as u32).swap_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every shape of address, and every way of breaking one, with other
    /// bytes after it in the line (as the fields after an address are):
    /// the same answer as the byte loop, which is checked against std.
    #[test]
    fn the_shuffled_parse_answers_as_the_byte_loop() {
        let mut next = crate::engine::local::test_draws();
        const BYTES: &[u8] = b"0123456789.0123456789. -/:a\x80";
        let mut parsed = 0;
        for round in 0..300_000 {
            let mut text = Vec::new();
            for octet in 0..4 {
                if octet > 0 {
                    text.push(b'.');
                }
                let digits = 1 + next() % 3;
                text.extend((0..digits).map(|_| b'0' + (next() % 10) as u8));
            }
            if round % 3 == 0 {
                let at = (next() % text.len() as u64) as usize;
                text[at] = BYTES[(next() % BYTES.len() as u64) as usize];
            }
            if round % 7 == 0 {
                text.truncate((next() % (text.len() as u64 + 1)) as usize);
            }
            let end = text.len();
            let mut line = text.clone();
            line.extend((0..16).map(|_| BYTES[(next() % BYTES.len() as u64) as usize]));
            let want = parse_canonical_ipv4(&text);
            parsed += usize::from(want.is_some());
            assert_eq!(
                parse_canonical_ipv4_at(&line, 0, end),
                want,
                "{:?}",
                String::from_utf8_lossy(&text)
            );
            // At a line's end, with no 16 bytes to load: the byte loop.
            assert_eq!(parse_canonical_ipv4_at(&text, 0, end), want);
        }
        assert!(parsed > 30_000, "only {parsed} addresses parsed");
    }

    /// Each of the 81 shapes (digit counts per octet), with octets of 7,
    /// 42 and 201, followed by more of the line.
    #[test]
    fn every_shape_of_address_parses() {
        for shape in 0..81 {
            let counts = [
                shape / 27 + 1,
                shape / 9 % 3 + 1,
                shape / 3 % 3 + 1,
                shape % 3 + 1,
            ];
            let text = counts.map(|count| ["7", "42", "201"][count - 1]).join(".");
            let mut line = text.clone().into_bytes();
            line.extend_from_slice(b" 10.0.0.1 443 ");
            let want = u32::from(text.parse::<std::net::Ipv4Addr>().unwrap());
            assert_eq!(
                parse_canonical_ipv4_at(&line, 0, text.len()),
                Some(want),
                "{text}"
            );
        }
    }
}
