//! Handshakes over a network that loses, duplicates and reorders 30 % of datagrams.

mod util;

use std::time::Duration;

use ike_sm::{DhGroupId, Event, IkeCipher, IkeHash, IkeProposal};
use util::{psk_config, Impairments, Pair, Side};

/// Runs of the lossy test; each is a whole Main Mode and Quick Mode negotiation.
const RUNS: u64 = 1000;

/// Openswan's budget: the first transmission waits 10 s, then 20 s and 40 s after the two
/// retransmissions.
const BUDGET: Duration = Duration::from_secs(70);

/// Checks every retransmission-budget line of `side`: the message it gave up on was first sent
/// exactly `BUDGET` before the line.
fn check_budget_lines(side: &Side, seed: u64) -> usize {
    let mut failures = 0;
    for (index, event) in side.events.iter().enumerate() {
        let Event::Status(line) = event else { continue };
        if line.code != 31 {
            continue;
        }
        failures += 1;
        assert!(
            line.text
                .starts_with("max number of retransmissions (2) reached STATE_"),
            "seed {seed}: {line}"
        );
        let failed_at = side.event_at[index];
        let first_sent = failed_at - BUDGET;
        assert!(
            side.sent_at.contains(&first_sent),
            "seed {seed}: {line} at {failed_at:?} without a first transmission 70 s before"
        );
    }
    failures
}

#[test]
fn thousand_lossy_runs() {
    let proposal = IkeProposal {
        cipher: IkeCipher::AesCbc { key_bits: 128 },
        hash: IkeHash::Sha1,
        group: DhGroupId::Curve25519,
    };
    let (mut completed, mut failed) = (0, 0);
    for seed in 0..RUNS {
        let mut left = psk_config(true, false, false);
        let mut right = psk_config(false, false, false);
        for config in [&mut left, &mut right] {
            config.ike_proposals = vec![proposal];
            config.keying_tries = 1;
        }
        let mut pair = Pair::new(left, right, seed);
        pair.impairments = Impairments {
            loss: 0.3,
            duplicate: 0.3,
            reorder: 0.3,
        };
        pair.initiate();
        pair.drive(Duration::from_secs(600));

        let left_children = pair.left.children();
        let right_children = pair.right.children();
        let budget_lines =
            check_budget_lines(&pair.left, seed) + check_budget_lines(&pair.right, seed);
        if left_children.len() == 1 && right_children.len() == 1 {
            assert_eq!(
                left_children[0].outbound.spi, right_children[0].inbound.spi,
                "seed {seed}"
            );
            assert_eq!(
                *left_children[0].outbound.enc_key, *right_children[0].inbound.enc_key,
                "seed {seed}"
            );
            assert_eq!(
                budget_lines, 0,
                "seed {seed}: completed runs report no failure"
            );
            completed += 1;
        } else {
            assert!(
                budget_lines >= 1,
                "seed {seed}: neither completed nor failed\nleft: {:#?}\nright: {:#?}",
                pair.left.status_lines(),
                pair.right.status_lines()
            );
            assert!(
                left_children.len() <= 1 && right_children.len() <= 1,
                "seed {seed}"
            );
            failed += 1;
        }
    }
    println!("{completed} completed, {failed} failed with the retransmission budget");
    assert_eq!(completed + failed, RUNS);
    assert!(completed > RUNS / 2, "most runs complete: {completed}");
}
