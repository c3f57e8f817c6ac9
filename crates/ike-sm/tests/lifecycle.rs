//! Rekeying, expiry and dead peer detection over long simulated runs.

mod util;

use std::time::Duration;

use ike_sm::{DpdAction, DpdConfig, Event};
use util::{psk_config, Pair};

#[test]
fn rekey_overlaps_old_and_new() {
    let mut left = psk_config(true, false, false);
    let mut right = psk_config(false, false, false);
    for config in [&mut left, &mut right] {
        config.ike_lifetime = Duration::from_secs(600);
        config.sa_lifetime = Duration::from_secs(120);
        config.rekey_margin = Duration::from_secs(30);
    }
    let mut pair = Pair::new(left, right, 31);
    pair.initiate();
    pair.drive(Duration::from_secs(3600));

    for (name, side) in [("left", &pair.left), ("right", &pair.right)] {
        // Replay the events to find, at every moment, how many pairs are installed.
        let mut live = std::collections::BTreeSet::new();
        let mut established = 0;
        let mut gap = false;
        for (event, at) in side.events.iter().zip(&side.event_at) {
            match event {
                Event::IpsecSaEstablished(child) => {
                    live.insert(child.serial);
                    established += 1;
                }
                Event::IpsecSaDeleted { serial, .. } => {
                    live.remove(serial);
                    if live.is_empty() && *at < pair.now - Duration::from_secs(1) {
                        gap = true;
                    }
                }
                _ => {}
            }
        }
        assert!(
            established >= 30,
            "{name}: an SA of 120 s is replaced about every 60-90 s, got {established}"
        );
        assert!(
            !gap,
            "{name}: the old pair was deleted before its replacement was installed"
        );
        let isakmp = side
            .events
            .iter()
            .filter(|e| matches!(e, Event::IsakmpSaEstablished { .. }))
            .count();
        assert!(
            isakmp >= 5,
            "{name}: ISAKMP SAs of 600 s are replaced, got {isakmp}"
        );
        let states = side.endpoint.status().states;
        assert!(
            states.len() <= 6,
            "{name}: expired states are removed, {} remain",
            states.len()
        );
    }
    let replaced = pair
        .left
        .children()
        .iter()
        .filter(|c| c.replaces.is_some())
        .count();
    assert!(replaced >= 29);
}

#[test]
fn dpd_declares_silent_peer_dead() {
    for action in [DpdAction::Hold, DpdAction::Clear, DpdAction::Restart] {
        let mut left = psk_config(true, false, false);
        left.dpd = Some(DpdConfig {
            delay: Duration::from_secs(30),
            timeout: Duration::from_secs(120),
            action,
        });
        let mut pair = Pair::new(left, psk_config(false, false, false), 32);
        pair.initiate();
        pair.drive(Duration::from_secs(300));
        let dead = |pair: &Pair| {
            pair.left
                .events
                .iter()
                .any(|e| matches!(e, Event::DpdDead { .. }))
        };
        assert!(!dead(&pair), "an answering peer is alive");

        pair.blackhole = true;
        let silent_since = pair.now;
        pair.drive(Duration::from_secs(300));
        let index = pair
            .left
            .events
            .iter()
            .position(|e| matches!(e, Event::DpdDead { .. }))
            .expect("peer declared dead");
        let Event::DpdDead {
            action: reported, ..
        } = &pair.left.events[index]
        else {
            unreachable!()
        };
        assert_eq!(*reported, action);
        let elapsed = pair.left.event_at[index] - silent_since;
        assert!(
            elapsed >= Duration::from_secs(120) && elapsed <= Duration::from_secs(150),
            "dead after {elapsed:?}"
        );
        assert!(pair
            .left
            .status_lines()
            .iter()
            .any(|l| l.ends_with("DPD: No response from peer - declaring peer dead")));
    }
}
