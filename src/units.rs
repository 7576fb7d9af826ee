//! Numbers with units as the language writes them: sizes (`10M`, `1.5GiB`)
//! and durations (`90s`, `2h`, `1h30m`).

/// Parses a size: an integer or decimal with an optional unit. K, M, G, T
/// (also KB, MB, GB, TB) are powers of 1000; KiB, MiB, GiB, TiB powers of
/// 1024. Units are case-insensitive. The result must be a whole number of
/// bytes from 0 to i64::MAX; the arithmetic is exact on the digits as
/// written (never floating point), however many there are.
pub fn parse_size(text: &str) -> Result<i64, String> {
    if text.starts_with('-') {
        return Err(format!("'{text}': a size cannot be negative"));
    }
    let split = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let multiplier: u64 = match unit.to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" => 1_000,
        "m" | "mb" => 1_000_000,
        "g" | "gb" => 1_000_000_000,
        "t" | "tb" => 1_000_000_000_000,
        "kib" => 1 << 10,
        "mib" => 1 << 20,
        "gib" => 1 << 30,
        "tib" => 1 << 40,
        _ => {
            return Err(format!(
                "unknown size unit '{unit}' (use K, M, G, T or KiB, MiB, GiB, TiB)"
            ))
        }
    };
    if number.is_empty() {
        return Err("a size starts with a number, e.g. 10M".into());
    }
    let decimal = Decimal::parse(number).ok_or_else(|| format!("'{number}' is not a number"))?;
    let bytes = decimal.times(multiplier);
    let too_large = || {
        format!(
            "'{text}' is too large: a size is at most {} bytes",
            i64::MAX
        )
    };
    let whole = bytes.whole_part().ok_or_else(too_large)?;
    if bytes.is_whole() {
        return Ok(whole);
    }
    let nearest = match whole.checked_add(1) {
        Some(above) => format!("write {whole} or {above}"),
        None => format!("write {whole}"),
    };
    Err(format!(
        "'{text}' is {bytes} bytes, not a whole number: {nearest}"
    ))
}

/// A non-negative decimal number as written: its digits and how many of
/// them follow the point. Exact at any length.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Decimal {
    /// The digits (0-9), most significant first, without the point.
    digits: Vec<u8>,
    /// How many of the digits are after the point.
    scale: usize,
}

impl Decimal {
    /// `12`, `1.5`, `.5` or `5.`; None for anything else.
    fn parse(text: &str) -> Option<Decimal> {
        let (int, frac) = text.split_once('.').unwrap_or((text, ""));
        let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
        if int.is_empty() && frac.is_empty() || !all_digits(int) || !all_digits(frac) {
            return None;
        }
        let digits = int.bytes().chain(frac.bytes()).map(|b| b - b'0').collect();
        Some(Decimal {
            digits,
            scale: frac.len(),
        })
    }

    /// This number times `factor`, exactly.
    fn times(&self, factor: u64) -> Decimal {
        let mut out = Vec::with_capacity(self.digits.len() + 20);
        let mut carry: u128 = 0;
        for &d in self.digits.iter().rev() {
            let v = u128::from(d) * u128::from(factor) + carry;
            out.push((v % 10) as u8);
            carry = v / 10;
        }
        while carry > 0 {
            out.push((carry % 10) as u8);
            carry /= 10;
        }
        // At least one digit before the point.
        while out.len() <= self.scale {
            out.push(0);
        }
        out.reverse();
        Decimal {
            digits: out,
            scale: self.scale,
        }
    }

    fn split(&self) -> (&[u8], &[u8]) {
        self.digits.split_at(self.digits.len() - self.scale)
    }

    fn is_whole(&self) -> bool {
        self.split().1.iter().all(|&d| d == 0)
    }

    /// The part before the point, when it fits an i64.
    fn whole_part(&self) -> Option<i64> {
        self.split()
            .0
            .iter()
            .try_fold(0_i64, |n, &d| n.checked_mul(10)?.checked_add(i64::from(d)))
    }
}

/// `999.99999999999999`: leading zeros of the whole part and trailing
/// zeros of the fraction left out.
impl std::fmt::Display for Decimal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (int, frac) = self.split();
        let int: String = int.iter().map(|d| char::from(b'0' + d)).collect();
        let int = int.trim_start_matches('0');
        f.write_str(if int.is_empty() { "0" } else { int })?;
        let frac: String = frac.iter().map(|d| char::from(b'0' + d)).collect();
        let frac = frac.trim_end_matches('0');
        if !frac.is_empty() {
            write!(f, ".{frac}")?;
        }
        Ok(())
    }
}

/// Parses a duration in seconds: one or more `<number><unit>` parts with
/// units s, m, h, d, w (`90s`, `2h`, `1h30m`). A bare number is refused
/// when `unit_required`, since `last 90` could mean minutes or seconds.
pub fn parse_duration(text: &str, unit_required: bool) -> Result<i64, String> {
    if text.is_empty() {
        return Err("empty duration".into());
    }
    if text.bytes().all(|b| b.is_ascii_digit()) {
        if unit_required {
            return Err(format!(
                "'{text}' needs a unit: {text}s, {text}m, {text}h, {text}d or {text}w"
            ));
        }
        return text.parse().map_err(|_| format!("'{text}' is too large"));
    }
    let mut total: i64 = 0;
    let mut rest = text;
    while !rest.is_empty() {
        let digits = rest
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(rest.len());
        if digits == 0 {
            return Err(format!(
                "'{text}' is not a duration like 90s, 30m, 2h, 1d or 1w"
            ));
        }
        let number: i64 = rest[..digits]
            .parse()
            .map_err(|_| format!("'{text}' is too large"))?;
        if rest[digits..].starts_with('.') {
            return Err(decimal_duration(text));
        }
        let unit_len = rest[digits..]
            .find(|c: char| c.is_ascii_digit())
            .unwrap_or(rest.len() - digits);
        let unit = &rest[digits..digits + unit_len];
        let seconds = match unit.to_ascii_lowercase().as_str() {
            "s" | "sec" | "secs" => 1,
            "m" | "min" | "mins" => 60,
            "h" | "hr" | "hrs" => 3600,
            "d" | "day" | "days" => 86_400,
            "w" | "week" | "weeks" => 604_800,
            "" => return Err(format!("'{text}' needs a unit after {number}")),
            other => {
                return Err(format!(
                    "unknown duration unit '{other}' (use s, m, h, d or w)"
                ))
            }
        };
        total = number
            .checked_mul(seconds)
            .and_then(|s| total.checked_add(s))
            .ok_or_else(|| format!("'{text}' is too long"))?;
        rest = &rest[digits + unit_len..];
    }
    Ok(total)
}

/// Why `1.5h` is refused, with its whole form when it has one: durations
/// take whole numbers of units (`1h30m`).
fn decimal_duration(text: &str) -> String {
    let refused = format!("'{text}': durations take whole numbers of units");
    let split = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let seconds: u64 = match unit.to_ascii_lowercase().as_str() {
        "s" | "sec" | "secs" => 1,
        "m" | "min" | "mins" => 60,
        "h" | "hr" | "hrs" => 3600,
        "d" | "day" | "days" => 86_400,
        "w" | "week" | "weeks" => 604_800,
        _ => return refused,
    };
    let Some(total) = Decimal::parse(number).map(|d| d.times(seconds)) else {
        return refused;
    };
    match total.whole_part() {
        Some(whole) if total.is_whole() => format!("{refused}: write {}", format_duration(whole)),
        Some(_) => format!("{refused}, and {total} s is not a whole number of seconds"),
        None => format!("'{text}' is too long"),
    }
}

/// Prints seconds in the largest units that divide them: `2h`, `1h30m`.
pub fn format_duration(mut seconds: i64) -> String {
    if seconds == 0 {
        return "0s".into();
    }
    let mut out = String::new();
    if seconds < 0 {
        out.push('-');
        seconds = -seconds;
    }
    for (unit, size) in [
        ("w", 604_800),
        ("d", 86_400),
        ("h", 3600),
        ("m", 60),
        ("s", 1),
    ] {
        if seconds >= size {
            out.push_str(&format!("{}{unit}", seconds / size));
            seconds %= size;
        }
    }
    out
}

/// Bytes in human units (powers of 1000, as Athena bills them).
pub fn format_bytes(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KB", "MB", "GB", "TB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1000.0 && unit < UNITS.len() - 1 {
        value /= 1000.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} B")
    } else {
        format!("{value:.2} {}", UNITS[unit])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_use_decimal_and_binary_prefixes() {
        assert_eq!(parse_size("10M"), Ok(10_000_000));
        assert_eq!(parse_size("1.5k"), Ok(1500));
        assert_eq!(parse_size("2KiB"), Ok(2048));
        assert_eq!(parse_size("42"), Ok(42));
        assert!(parse_size("1.5").is_err());
        assert!(parse_size("10Q").unwrap_err().contains("unknown size unit"));
    }

    /// The units and their sizes in bytes, written out independently of
    /// the parser.
    const UNITS: [(&str, i128); 8] = [
        ("K", 1_000),
        ("M", 1_000_000),
        ("G", 1_000_000_000),
        ("T", 1_000_000_000_000),
        ("KiB", 1 << 10),
        ("MiB", 1 << 20),
        ("GiB", 1 << 30),
        ("TiB", 1 << 40),
    ];

    #[test]
    fn every_two_decimal_size_is_exact_or_names_its_nearest_whole_values() {
        let mut refused = 0;
        for hundredths in 1..=999_i128 {
            for (unit, bytes) in UNITS {
                let text = format!("{}.{:02}{unit}", hundredths / 100, hundredths % 100);
                let total = hundredths * bytes;
                match (total % 100, parse_size(&text)) {
                    (0, Ok(n)) => assert_eq!(i128::from(n), total / 100, "{text}"),
                    (0, Err(e)) => panic!("{text} refused: {e}"),
                    (_, Ok(n)) => panic!("{text} accepted as {n}"),
                    (_, Err(e)) => {
                        refused += 1;
                        let (below, above) = (total / 100, total / 100 + 1);
                        assert!(
                            e.contains(&format!("write {below} or {above}")),
                            "{text}: {e}"
                        );
                    }
                }
            }
        }
        // Only the binary units can miss a whole byte: n * 1024^k / 100 is
        // whole when 25 divides n, so 999 - 39 values per binary unit.
        assert_eq!(refused, 4 * (999 - 39));
    }

    #[test]
    fn sizes_are_exact_however_many_digits() {
        assert_eq!(parse_size("2.01K"), Ok(2010));
        assert_eq!(parse_size("1.07G"), Ok(1_070_000_000));
        assert_eq!(
            parse_size("9007199254740993K"),
            Ok(9_007_199_254_740_993_000)
        );
        assert_eq!(parse_size("9223372036854775807"), Ok(i64::MAX));
        assert_eq!(parse_size("9223372036854775.807K"), Ok(i64::MAX));
        assert_eq!(
            parse_size("0009.50000000000000000000000000000000000000K"),
            Ok(9500)
        );
        // 2^-30 GiB is one byte.
        assert_eq!(parse_size("0.000000000931322574615478515625GiB"), Ok(1));
        let e = parse_size("0.99999999999999999K").unwrap_err();
        assert!(
            e.contains("999.99999999999999 bytes") && e.contains("write 999 or 1000"),
            "{e}"
        );
        let e = parse_size("1.5").unwrap_err();
        assert!(e.contains("write 1 or 2"), "{e}");
        for too_large in [
            "9223372036854775808",
            "9223372036854775.808K",
            "9300000000T",
            "99999999999999999999999999999999999999999999T",
        ] {
            let e = parse_size(too_large).unwrap_err();
            assert!(e.contains("too large"), "{too_large}: {e}");
        }
        for (text, says) in [
            ("-5", "cannot be negative"),
            ("1.2.3K", "not a number"),
            (".K", "not a number"),
            ("K", "starts with a number"),
        ] {
            let e = parse_size(text).unwrap_err();
            assert!(e.contains(says), "{text}: {e}");
        }
    }

    #[test]
    fn decimal_durations_are_refused_with_the_whole_form() {
        let e = parse_duration("1.5h", true).unwrap_err();
        assert!(e.contains("write 1h30m"), "{e}");
        let e = parse_duration("0.001m", true).unwrap_err();
        assert!(e.contains("whole number of seconds"), "{e}");
    }

    #[test]
    fn durations_add_up_their_parts() {
        assert_eq!(parse_duration("2h", true), Ok(7200));
        assert_eq!(parse_duration("1h30m", true), Ok(5400));
        assert_eq!(parse_duration("1w", true), Ok(604_800));
        assert_eq!(parse_duration("300", false), Ok(300));
        assert!(parse_duration("90", true)
            .unwrap_err()
            .contains("needs a unit"));
        assert!(parse_duration("2y", true).is_err());
        assert_eq!(format_duration(5400), "1h30m");
    }
}
