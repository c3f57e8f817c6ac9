//! After warm-up, encapsulating and decapsulating a packet allocates nothing.
//!
//! A counting global allocator wraps the system allocator for this test binary only. The
//! binary has no test harness (`harness = false`), so no harness thread allocates while the
//! packets are counted.

mod common;

use std::alloc::System;
use std::time::Instant;

use common::*;
use esp::{Mode, PacketBuf, SaConfig, Spd, Suite, UdpEncap, MAX_HEADROOM};
use stats_alloc::{Region, StatsAlloc, INSTRUMENTED_SYSTEM};

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

fn main() {
    no_allocation_per_packet();
    println!("alloc: 1 passed, 0 failed");
}

fn no_allocation_per_packet() {
    let now = Instant::now();
    let inner = ipv4_udp([10, 1, 0, 1], [10, 2, 0, 1], 1000);
    let mut storage = vec![0u8; MAX_HEADROOM + inner.len() + 128];
    let mut spd = Spd::new();
    spd.push(
        esp::Selector::between(
            "10.1.0.0/16".parse().unwrap(),
            "10.2.0.0/16".parse().unwrap(),
        ),
        esp::PolicyAction::Protect(0usize),
    );

    for &(cipher, integrity) in SUITES {
        let suite = Suite::new(cipher, integrity).unwrap();
        for (mode, esn, udp) in [
            (Mode::Tunnel, false, false),
            (Mode::Tunnel, true, true),
            (Mode::Transport, false, false),
        ] {
            let mut config = SaConfig::new(0x77, suite, mode, v4(192, 0, 2, 1), v4(192, 0, 2, 2));
            config.esn = esn;
            config.udp_encap = udp.then_some(UdpEncap::NAT_T);
            let keys = keys_for(suite, 1);
            let (mut outbound, mut inbound) = sa_pair(config, &keys, now);

            let mut run = |storage: &mut Vec<u8>| {
                assert!(matches!(
                    spd.lookup(&inner),
                    Ok(esp::PolicyAction::Protect(0))
                ));
                storage[MAX_HEADROOM..MAX_HEADROOM + inner.len()].copy_from_slice(&inner);
                let mut buf = PacketBuf::new(storage, MAX_HEADROOM, inner.len());
                let sent = outbound.encapsulate(now, &mut buf).unwrap();
                let mut buf = PacketBuf::new(storage, sent.esp.start, sent.esp.len());
                inbound.decapsulate(now, &mut buf).unwrap();
                // A failing packet too: errors must not allocate either.
                let mut buf = PacketBuf::new(storage, sent.esp.start, sent.esp.len());
                assert!(inbound.decapsulate(now, &mut buf).is_err());
            };

            // Warm-up.
            for _ in 0..3 {
                run(&mut storage);
            }
            let region = Region::new(GLOBAL);
            for _ in 0..200 {
                run(&mut storage);
            }
            let stats = region.change();
            assert_eq!(stats.allocations, 0, "{suite} {mode:?}: {stats:?}");
            assert_eq!(stats.reallocations, 0, "{suite} {mode:?}: {stats:?}");
        }
    }
}
