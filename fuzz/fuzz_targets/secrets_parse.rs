//! ipsec.secrets parsing: no text makes the parser, the lookups or the `Debug` output of the
//! entries panic.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let parsed = ipsec_conf::parse_secrets_str(&text, "/nonexistent-fuzz-dir/ipsec.secrets");
    let local = ipsec_conf::Id::parse("192.0.2.1");
    let remote = ipsec_conf::Id::parse("192.0.2.2");
    let _ = parsed.value.psk(&local, &remote);
    let _ = parsed.value.rsa(&local, &remote);
    for entry in &parsed.value.entries {
        let _ = format!("{entry:?}");
    }
});
