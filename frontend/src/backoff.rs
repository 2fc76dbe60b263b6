//! The pause between tries to reach the server again (resuming after a dropped socket, rejoining
//! after a restart): growing, and with jitter, so a whole meeting does not knock at the same instant.

/// The pause before try `n` (from 0), in milliseconds: 0.5 s doubling up to 8 s, then 8 s, each
/// scaled by 0.8 to 1.2 from `jitter` (0 to 1).
pub fn pause_ms(n: u32, jitter: f64) -> u32 {
    let base = 500u32 << n.min(4);
    let scaled = f64::from(base) * (0.8 + 0.4 * jitter.clamp(0.0, 1.0));
    // At most 9600: fits.
    scaled as u32
}

#[cfg(test)]
mod tests {
    use super::pause_ms;

    #[test]
    fn pauses_grow_to_eight_seconds_with_a_fifth_of_jitter() {
        assert_eq!(pause_ms(0, 0.5), 500);
        assert_eq!(pause_ms(1, 0.5), 1000);
        assert_eq!(pause_ms(4, 0.5), 8000);
        assert_eq!(pause_ms(40, 0.5), 8000, "no overflow, no growth beyond 8 s");
        assert_eq!(pause_ms(0, 0.0), 400);
        assert_eq!(pause_ms(4, 1.0), 9600);
    }
}
