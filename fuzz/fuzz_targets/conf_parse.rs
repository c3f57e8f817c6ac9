//! ipsec.conf parsing: arbitrary text never panics, and the canonical writer's output of
//! whatever model was read parses back without errors to the same model.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    // A name in a directory with no files, so `include` lines find nothing on disk.
    let parsed = ipsec_conf::parse_str(&text, "/nonexistent-fuzz-dir/ipsec.conf");
    if parsed.has_errors() {
        return;
    }
    let written = ipsec_conf::write_config(&parsed.value);
    let again = ipsec_conf::parse_str(&written, "/nonexistent-fuzz-dir/canonical.conf");
    assert!(
        !again.has_errors(),
        "canonical output has errors: {:?}\n{written}",
        again.diagnostics
    );
    assert_eq!(
        again.value, parsed.value,
        "canonical output reads back differently:\n{written}"
    );
});
