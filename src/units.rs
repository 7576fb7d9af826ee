//! Numbers with units as the language writes them: sizes (`10M`, `1.5GiB`)
//! and durations (`90s`, `2h`, `1h30m`).

/// Parses a size: an integer or decimal with an optional unit. K, M, G, T
/// (also KB, MB, GB, TB) are powers of 1000; KiB, MiB, GiB, TiB powers of
/// 1024. Units are case-insensitive. The result must be a whole number.
pub fn parse_size(text: &str) -> Result<i64, String> {
    let split = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let multiplier: f64 = match unit.to_ascii_lowercase().as_str() {
        "" | "b" => 1.0,
        "k" | "kb" => 1e3,
        "m" | "mb" => 1e6,
        "g" | "gb" => 1e9,
        "t" | "tb" => 1e12,
        "kib" => 1024.0,
        "mib" => 1024f64.powi(2),
        "gib" => 1024f64.powi(3),
        "tib" => 1024f64.powi(4),
        _ => {
            return Err(format!(
                "unknown size unit '{unit}' (use K, M, G, T or KiB, MiB, GiB, TiB)"
            ))
        }
    };
    if number.is_empty() {
        return Err("a size starts with a number, e.g. 10M".into());
    }
    if multiplier == 1.0 && !number.contains('.') {
        // Exact integers need no floating point, however large.
        return number
            .parse::<i64>()
            .map_err(|_| format!("'{number}' is too large"));
    }
    let value: f64 = number
        .parse()
        .map_err(|_| format!("'{number}' is not a number"))?;
    let total = value * multiplier;
    if total.fract() != 0.0 {
        return Err(format!("'{text}' is not a whole number of units"));
    }
    if total > i64::MAX as f64 {
        return Err(format!("'{text}' is too large"));
    }
    Ok(total as i64)
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
