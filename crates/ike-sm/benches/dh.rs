//! Diffie-Hellman cost per group: key generation (one exponentiation or scalar multiplication
//! plus encoding) and shared secret computation (peer value checks plus one exponentiation).
//!
//! `benches/ike-vs-openssl.sh` runs this bench and `openssl speed` in the same run and prints
//! the ratio. The benchmark IDs (`dh/<group>/shared_secret`) are read by that script.

use criterion::{black_box, criterion_group, criterion_main, Criterion};
use ike_sm::crypto::DhGroup;
use rand_chacha::rand_core::SeedableRng;
use rand_chacha::ChaCha20Rng;

/// Groups measured by default. `IKE_DH_BENCH_ALL=1` adds every other supported group.
const DEFAULT_GROUPS: [DhGroup; 2] = [DhGroup::Modp2048, DhGroup::Curve25519];

fn bench_dh(c: &mut Criterion) {
    let groups: Vec<DhGroup> = if std::env::var_os("IKE_DH_BENCH_ALL").is_some() {
        DhGroup::ALL.to_vec()
    } else {
        DEFAULT_GROUPS.to_vec()
    };
    let mut rng = ChaCha20Rng::seed_from_u64(0x1ce);

    for group in groups {
        let name = group.to_string().to_lowercase();
        let mut bench_group = c.benchmark_group(format!("dh/{name}"));

        bench_group.bench_function("generate", |b| {
            b.iter(|| black_box(group.generate(&mut rng)));
        });

        let (ours, _) = group.generate(&mut rng);
        let (_, peer_public) = group.generate(&mut rng);
        bench_group.bench_function("shared_secret", |b| {
            b.iter(|| black_box(ours.shared_secret(black_box(&peer_public)).unwrap()));
        });
        bench_group.finish();
    }
}

criterion_group!(benches, bench_dh);
criterion_main!(benches);
