//! The terminal stdout is on: how wide it is, for the timechart chart.
//! Only the command line decides anything about the terminal.

/// The width to draw a chart at: `COLUMNS` when it is a number above zero
/// (the user's explicit choice, e.g. `COLUMNS=120 flowq run ...`), else
/// the terminal's own width, else 80. The chart keeps a minimum of its
/// own (`engine::chart::MIN_WIDTH`).
pub fn chart_width() -> usize {
    pick_width(std::env::var("COLUMNS").ok().as_deref(), stdout_columns())
}

/// `COLUMNS` over the terminal's size over 80: the pure part of
/// [`chart_width`].
pub fn pick_width(columns_env: Option<&str>, terminal: Option<usize>) -> usize {
    columns_env
        .and_then(|c| c.trim().parse::<usize>().ok())
        .filter(|&w| w > 0)
        .or(terminal.filter(|&w| w > 0))
        .unwrap_or(80)
}

/// Columns of the terminal on stdout; None when stdout is not a terminal.
#[cfg(unix)]
fn stdout_columns() -> Option<usize> {
    let mut size = libc::winsize {
        ws_row: 0,
        ws_col: 0,
        ws_xpixel: 0,
        ws_ypixel: 0,
    };
    // SAFETY: TIOCGWINSZ writes one `winsize` through its third argument,
    // which points to a live, writable `winsize` owned by this frame and
    // outliving the call; on a descriptor that is not a terminal (or is
    // closed) the call fails with ENOTTY/EBADF and writes nothing.
    let status = unsafe { libc::ioctl(libc::STDOUT_FILENO, libc::TIOCGWINSZ, &mut size) };
    (status == 0 && size.ws_col > 0).then_some(usize::from(size.ws_col))
}

#[cfg(not(unix))]
fn stdout_columns() -> Option<usize> {
    None
}

// The ioctl itself needs a real terminal on stdout, which a test under
// cargo does not have; what is tested is the order of the three sources.
#[cfg(test)]
mod tests {
    use super::pick_width;

    #[test]
    fn columns_wins_over_the_terminal_size() {
        assert_eq!(pick_width(Some("132"), Some(100)), 132);
        assert_eq!(pick_width(Some(" 90 "), None), 90);
    }

    #[test]
    fn a_bad_or_zero_columns_falls_back_to_the_terminal_size() {
        assert_eq!(pick_width(Some("wide"), Some(100)), 100);
        assert_eq!(pick_width(Some("0"), Some(100)), 100);
        assert_eq!(pick_width(Some("-5"), Some(100)), 100);
        assert_eq!(pick_width(Some(""), Some(100)), 100);
        assert_eq!(pick_width(None, Some(100)), 100);
    }

    #[test]
    fn without_either_the_width_is_80() {
        assert_eq!(pick_width(None, None), 80);
        assert_eq!(pick_width(Some("wide"), None), 80);
        assert_eq!(pick_width(None, Some(0)), 80);
    }
}
