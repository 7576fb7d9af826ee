//! Sets of addresses and integers that a record's value is looked up in:
//! sorted, merged ranges searched by bisection, so a test against a named
//! list of ten thousand networks costs a record a few comparisons, not ten
//! thousand (docs/local-engine.md, "Lists").

use std::net::IpAddr;

use ipnet::IpNet;

/// Networks and single addresses as sorted, disjoint ranges of IPv4 and of
/// IPv6 addresses. An address is only ever in a range of its own family:
/// Trino's `contains()` is false across families, and in flowq an IPv6
/// network holds no IPv4 address (ir::holds_mapped_v4).
#[derive(Clone, Debug, Default)]
pub(crate) struct NetSet {
    v4: Vec<(u32, u32)>,
    v6: Vec<(u128, u128)>,
}

impl NetSet {
    pub fn new(nets: impl IntoIterator<Item = IpNet>) -> NetSet {
        let mut v4 = Vec::new();
        let mut v6 = Vec::new();
        for net in nets {
            match net {
                IpNet::V4(n) => v4.push((u32::from(n.network()), u32::from(n.broadcast()))),
                IpNet::V6(n) => v6.push((u128::from(n.network()), u128::from(n.broadcast()))),
            }
        }
        NetSet {
            v4: merged(v4),
            v6: merged(v6),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.v4.is_empty() && self.v6.is_empty()
    }

    pub fn contains(&self, address: IpAddr) -> bool {
        match address {
            IpAddr::V4(a) => in_ranges(&self.v4, u32::from(a)),
            IpAddr::V6(a) => in_ranges(&self.v6, u128::from(a)),
        }
    }
}

/// Inclusive integer ranges, sorted and merged.
#[derive(Clone, Debug, Default)]
pub(crate) struct IntSet {
    ranges: Vec<(i64, i64)>,
}

impl IntSet {
    pub fn new(ranges: &[(i64, i64)]) -> IntSet {
        IntSet {
            ranges: merged(ranges.to_vec()),
        }
    }

    pub fn contains(&self, value: i64) -> bool {
        in_ranges(&self.ranges, value)
    }

    /// Whether some value in `[lo, hi]` is in the set: the only range
    /// that can hold one is the first that ends at or after `lo`.
    pub fn overlaps(&self, lo: i64, hi: i64) -> bool {
        let first = self.ranges.partition_point(|&(_, end)| end < lo);
        self.ranges
            .get(first)
            .is_some_and(|&(start, _)| start <= hi)
    }
}

/// Sorts inclusive ranges and merges those that overlap or touch, so that
/// at most one range can hold a value.
fn merged<T: Ord + Copy + Bump>(mut ranges: Vec<(T, T)>) -> Vec<(T, T)> {
    ranges.sort_unstable();
    let mut out: Vec<(T, T)> = Vec::with_capacity(ranges.len());
    for (lo, hi) in ranges {
        match out.last_mut() {
            Some(last) if lo <= last.1.bump() => last.1 = last.1.max(hi),
            _ => out.push((lo, hi)),
        }
    }
    out
}

/// The one range that could hold `value` is the last that starts at or
/// before it.
fn in_ranges<T: Ord + Copy>(ranges: &[(T, T)], value: T) -> bool {
    let after = ranges.partition_point(|(lo, _)| *lo <= value);
    after > 0 && value <= ranges[after - 1].1
}

/// The next value, saturating at the top: ranges that touch merge.
trait Bump {
    fn bump(self) -> Self;
}

impl Bump for u32 {
    fn bump(self) -> Self {
        self.saturating_add(1)
    }
}

impl Bump for u128 {
    fn bump(self) -> Self {
        self.saturating_add(1)
    }
}

impl Bump for i64 {
    fn bump(self) -> Self {
        self.saturating_add(1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_span_overlaps_the_set_only_where_a_range_meets_it() {
        // Row-group statistics ask this: [22, 22] and [80, 443], merged.
        let s = IntSet::new(&[(80, 100), (22, 22), (101, 443)]);
        assert!(s.overlaps(0, 22));
        assert!(s.overlaps(22, 22));
        assert!(!s.overlaps(23, 79));
        assert!(s.overlaps(23, 80));
        assert!(s.overlaps(443, 1000));
        assert!(!s.overlaps(444, 65535));
        assert!(!s.overlaps(0, 21));
        assert!(s.overlaps(i64::MIN, i64::MAX));
        assert!(!IntSet::new(&[]).overlaps(i64::MIN, i64::MAX));
    }

    fn set(nets: &[&str]) -> NetSet {
        NetSet::new(nets.iter().map(|n| n.parse::<IpNet>().unwrap()))
    }

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn addresses_are_in_the_networks_that_hold_them() {
        let s = set(&[
            "10.0.0.0/8",
            "192.168.1.0/24",
            "192.168.2.0/24",
            "2001:db8::/32",
        ]);
        assert!(s.contains(ip("10.255.255.255")));
        assert!(s.contains(ip("10.0.0.0")));
        assert!(!s.contains(ip("11.0.0.0")));
        assert!(!s.contains(ip("9.255.255.255")));
        // Touching networks merge, and both ends stay in.
        assert!(s.contains(ip("192.168.1.0")));
        assert!(s.contains(ip("192.168.2.255")));
        assert!(!s.contains(ip("192.168.3.0")));
        assert!(!s.contains(ip("192.168.0.255")));
        assert!(s.contains(ip("2001:db8:ffff::1")));
        assert!(!s.contains(ip("2001:db9::")));
    }

    #[test]
    fn families_never_mix() {
        // ::/0 holds no IPv4 address; 0.0.0.0/0 holds no IPv6 address.
        assert!(!set(&["::/0"]).contains(ip("10.0.0.1")));
        assert!(!set(&["0.0.0.0/0"]).contains(ip("2001:db8::1")));
        assert!(set(&["0.0.0.0/0"]).contains(ip("255.255.255.255")));
        assert!(set(&["::/0"]).contains(ip("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff")));
    }

    #[test]
    fn nested_and_unsorted_networks_merge() {
        let s = set(&["10.1.2.0/24", "10.0.0.0/8", "10.1.0.0/16", "172.16.0.0/12"]);
        assert_eq!(
            s.v4,
            vec![(0x0a00_0000, 0x0aff_ffff), (0xac10_0000, 0xac1f_ffff)]
        );
        assert!(set(&[]).is_empty());
        assert!(!set(&[]).contains(ip("10.0.0.1")));
    }

    #[test]
    fn integer_ranges_merge_and_bisect() {
        let s = IntSet::new(&[(5985, 5986), (22, 22), (3389, 3389), (21, 23), (5987, 5987)]);
        assert_eq!(s.ranges, vec![(21, 23), (3389, 3389), (5985, 5987)]);
        for (value, inside) in [
            (20, false),
            (21, true),
            (23, true),
            (24, false),
            (3389, true),
            (5987, true),
            (5988, false),
            (-1, false),
        ] {
            assert_eq!(s.contains(value), inside, "{value}");
        }
        let top = IntSet::new(&[(i64::MAX, i64::MAX), (i64::MAX - 1, i64::MAX - 1)]);
        assert!(top.contains(i64::MAX));
    }
}
