//! Anti-replay window (RFC 4303 3.4.3 and Appendix A): edges, duplicates, far-old and
//! far-future numbers, ESN wrap-around, and a property test against a plain model.

use std::collections::BTreeSet;

use esp::{EspError, ReplayWindow};
use proptest::prelude::*;

/// Infers, checks and (if `authentic`) accepts a received 32-bit number.
fn receive(window: &mut ReplayWindow, seq_low: u32, authentic: bool) -> Result<u64, EspError> {
    let seq = window.infer(seq_low)?;
    window.check(seq)?;
    if authentic {
        window.accept(seq);
    }
    Ok(seq)
}

#[test]
fn window_edges() {
    let mut w = ReplayWindow::new(64, false).unwrap();
    for seq in [1, 100] {
        assert_eq!(receive(&mut w, seq, true), Ok(u64::from(seq)));
    }
    // 100 - 63 = 37 is the oldest number inside a 64-packet window; 36 is outside.
    assert_eq!(receive(&mut w, 37, true), Ok(37));
    assert_eq!(
        receive(&mut w, 36, true),
        Err(EspError::Stale {
            seq: 36,
            highest: 100
        })
    );
    assert_eq!(receive(&mut w, 99, true), Ok(99));
    assert_eq!(receive(&mut w, 101, true), Ok(101));
    // The window slid by one: 37 is now outside.
    assert_eq!(
        receive(&mut w, 37, true),
        Err(EspError::Stale {
            seq: 37,
            highest: 101
        })
    );
    assert_eq!(receive(&mut w, 38, true), Ok(38));
}

#[test]
fn duplicates_are_replays() {
    let mut w = ReplayWindow::new(32, false).unwrap();
    for seq in [5, 3, 4, 1] {
        receive(&mut w, seq, true).unwrap();
    }
    for seq in [5, 3, 4, 1] {
        assert_eq!(
            receive(&mut w, seq, true),
            Err(EspError::Replay {
                seq: u64::from(seq)
            })
        );
    }
    assert_eq!(receive(&mut w, 2, true), Ok(2));
}

#[test]
fn zero_is_never_valid() {
    let mut w = ReplayWindow::new(64, false).unwrap();
    assert!(matches!(
        receive(&mut w, 0, true),
        Err(EspError::Stale { seq: 0, .. })
    ));
}

#[test]
fn far_future_then_far_old() {
    let mut w = ReplayWindow::new(4096, false).unwrap();
    receive(&mut w, 10, true).unwrap();
    assert_eq!(receive(&mut w, 4_000_000_000, true), Ok(4_000_000_000));
    // Everything before the jump is now far old; the bitmap words were cleared, so numbers
    // just below the new top are fresh.
    assert!(matches!(
        receive(&mut w, 10, true),
        Err(EspError::Stale { .. })
    ));
    assert_eq!(
        receive(&mut w, 4_000_000_000 - 4095, true),
        Ok(4_000_000_000 - 4095)
    );
    assert!(matches!(
        receive(&mut w, 4_000_000_000 - 4096, true),
        Err(EspError::Stale { .. })
    ));
    assert_eq!(
        receive(&mut w, 4_000_000_000 - 1, true),
        Ok(4_000_000_000 - 1)
    );
}

#[test]
fn forged_packets_do_not_move_the_window() {
    let mut w = ReplayWindow::new(64, false).unwrap();
    receive(&mut w, 10, true).unwrap();
    // A packet that fails its ICV is checked but never accepted.
    assert_eq!(receive(&mut w, 1_000_000, false), Ok(1_000_000));
    assert_eq!(w.highest(), 10);
    assert_eq!(receive(&mut w, 11, true), Ok(11));
}

#[test]
fn esn_wraps_into_the_next_subspace() {
    let mut w = ReplayWindow::new(64, true).unwrap();
    w.reset(u64::from(u32::MAX) - 10);
    // Low numbers after the top's low half belong to the next 2^32 block.
    assert_eq!(receive(&mut w, 5, true), Ok((1 << 32) | 5));
    // Numbers just below the old top still land in the old block, inside the window.
    assert_eq!(
        receive(&mut w, u32::MAX - 20, true),
        Ok(u64::from(u32::MAX) - 20)
    );
    assert_eq!(receive(&mut w, u32::MAX, true), Ok(u64::from(u32::MAX)));
    assert_eq!(
        receive(&mut w, u32::MAX, true),
        Err(EspError::Replay {
            seq: u64::from(u32::MAX)
        })
    );
    // The window now spans the boundary (case B of Appendix A2.2).
    assert_eq!(receive(&mut w, 6, true), Ok((1 << 32) | 6));
    assert_eq!(
        receive(&mut w, 5, true),
        Err(EspError::Replay { seq: (1 << 32) | 5 })
    );
}

#[test]
fn esn_window_at_the_start_never_goes_negative() {
    let mut w = ReplayWindow::new(64, true).unwrap();
    // With top 0 the window spans "below zero": such numbers cannot be valid.
    assert!(matches!(
        receive(&mut w, u32::MAX, true),
        Err(EspError::Stale { .. })
    ));
    assert_eq!(receive(&mut w, 1, true), Ok(1));
}

#[test]
fn esn_top_of_the_number_space() {
    let mut w = ReplayWindow::new(64, true).unwrap();
    w.reset(u64::MAX - 1);
    assert_eq!(receive(&mut w, u32::MAX, true), Ok(u64::MAX));
    // A next block would exceed 2^64 - 1.
    assert!(matches!(
        receive(&mut w, 3, true),
        Err(EspError::Stale { .. })
    ));
}

#[test]
fn window_size_limits() {
    assert!(ReplayWindow::new(esp::MAX_REPLAY_WINDOW, true).is_ok());
    assert!(ReplayWindow::new(esp::MAX_REPLAY_WINDOW + 1, true).is_err());
    let mut w = ReplayWindow::new(0, false).unwrap();
    receive(&mut w, 5, true).unwrap();
    // A disabled window accepts duplicates.
    assert_eq!(receive(&mut w, 5, true), Ok(5));
}

/// The plain model: a set of accepted numbers and the top.
struct Model {
    size: u64,
    esn: bool,
    top: u64,
    seen: BTreeSet<u64>,
}

impl Model {
    fn receive(&mut self, seq_low: u32, authentic: bool) -> Result<u64, &'static str> {
        let seq = if self.esn {
            // The full number is the one candidate in [bottom, bottom + 2^32).
            let bottom = i128::from(self.top) - i128::from(self.size.max(1)) + 1;
            let offset = (i128::from(seq_low) - bottom).rem_euclid(1 << 32);
            let seq = bottom + offset;
            if seq < 0 || seq > i128::from(u64::MAX) {
                return Err("stale");
            }
            seq as u64
        } else {
            u64::from(seq_low)
        };
        if seq == 0 {
            return Err("stale");
        }
        if self.size > 0 && seq <= self.top {
            if self.top - seq >= self.size {
                return Err("stale");
            }
            if self.seen.contains(&seq) {
                return Err("replay");
            }
        }
        if authentic {
            self.seen.insert(seq);
            self.top = self.top.max(seq);
        }
        Ok(seq)
    }
}

fn kind(result: Result<u64, EspError>) -> Result<u64, &'static str> {
    match result {
        Ok(seq) => Ok(seq),
        Err(EspError::Stale { .. }) => Err("stale"),
        Err(EspError::Replay { .. }) => Err("replay"),
        Err(other) => panic!("unexpected error {other}"),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn window_matches_model(
        size in prop::sample::select(vec![0u32, 1, 2, 32, 64, 100, 1024, 4096]),
        esn in any::<bool>(),
        start in prop::sample::select(vec![0u64, 1000, u64::from(u32::MAX) - 300, (7u64 << 32) + 50, u64::MAX - 2000]),
        steps in prop::collection::vec((-5000i64..5000, any::<bool>(), 0u8..10), 1..300),
    ) {
        let start = if esn { start } else { start & 0xffff_ffff };
        let mut window = ReplayWindow::new(size, esn).unwrap();
        window.reset(start);
        let mut model = Model { size: u64::from(size), esn, top: start, seen: BTreeSet::new() };
        for (delta, authentic, far) in steps {
            // Mostly near the top, sometimes anywhere in the 32-bit space.
            let seq_low = if far == 0 {
                (delta as u32).wrapping_mul(2_654_435_761)
            } else {
                (model.top as i64).wrapping_add(delta) as u32
            };
            let expected = model.receive(seq_low, authentic);
            let actual = kind(receive(&mut window, seq_low, authentic));
            prop_assert_eq!(actual, expected, "seq_low {} top {}", seq_low, model.top);
            prop_assert_eq!(window.highest(), model.top);
        }
    }
}
