//! Payload chains as found in a decrypted body: the first byte is the type of the first payload
//! (the header's Next Payload), the rest is the chain with any padding. Parsing never panics, and
//! an accepted chain re-emits to the same bytes.
#![no_main]
use ike_wire::{
    check_payloads, emit_payloads, parse_payload_chain_with_padding, ExchangeType, PayloadType,
};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&first, chain)) = data.split_first() else {
        return;
    };

    match parse_payload_chain_with_padding(PayloadType(first), chain) {
        Ok((payloads, padding)) => {
            let mut emitted = emit_payloads(&payloads).expect("a parsed chain emits");
            emitted.extend_from_slice(padding);
            assert_eq!(emitted, chain, "re-emitted chain differs");

            for payload in &payloads {
                let body = payload.body_to_vec().expect("a parsed payload body emits");
                assert_eq!(body.len(), payload.body_len().unwrap());
            }
            for exchange in [ExchangeType::IDENTITY_PROTECTION, ExchangeType::QUICK_MODE] {
                let _ = check_payloads(exchange, &payloads, 28);
            }
        }
        Err(error) => assert!(
            error.offset <= chain.len(),
            "{error} past {} bytes",
            chain.len()
        ),
    }
});
