//! Whole ISAKMP datagrams: parsing never panics, a rejected input names an offset inside it, and
//! an accepted one re-emits to the same bytes and parses again to the same value.
#![no_main]
use ike_wire::{split_udp4500, IsakmpMessage, Message};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    match IsakmpMessage::parse(data) {
        Ok(IsakmpMessage::Plain(message)) => {
            let _ = message.check();
            let emitted = message.to_vec().expect("a parsed message emits");
            assert_eq!(emitted, data, "re-emitted bytes differ");
            assert_eq!(Message::parse(&emitted).as_ref(), Ok(&message));
        }
        Ok(IsakmpMessage::Encrypted(message)) => {
            let mut emitted = message.header.to_bytes().to_vec();
            emitted.extend_from_slice(message.body);
            assert_eq!(emitted, data, "re-emitted encrypted message differs");
        }
        Err(error) => assert!(
            error.offset <= data.len(),
            "{error} past {} bytes",
            data.len()
        ),
    }

    let _ = split_udp4500(data);
});
