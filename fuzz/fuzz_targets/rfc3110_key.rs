//! Fuzzes RFC 3110 key parsing: `0s`/`0x`/`dns:0s` text, binary blobs and the Openswan RSA
//! block, checking that every key that decodes re-encodes to text that decodes to it again.
#![no_main]
use keystore::{PublicKey, RsaBlock};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(key) = PublicKey::from_rfc3110(data) {
        let blob = key.to_rfc3110();
        assert_eq!(PublicKey::from_rfc3110(&blob).as_ref(), Ok(&key));
        assert_eq!(key.to_rfc3110_0s().parse::<PublicKey>().as_ref(), Ok(&key));
    }

    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(key) = text.parse::<PublicKey>() {
        assert_eq!(key.to_rfc3110_0x().parse::<PublicKey>().as_ref(), Ok(&key));
        assert_eq!(key.to_strongswan_dns().parse::<PublicKey>().as_ref(), Ok(&key));
    }
    let _ = keystore::rfc3110::decode_number_text(text);
    let _ = RsaBlock::parse(text);
});
