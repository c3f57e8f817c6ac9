//! ike-wire parse and emit of a Main Mode message 1 and a Quick Mode message 1.
//!
//! Main Mode message 1 is strongSwan 5.9.8's (176 bytes: an SA with one 3DES/MD5/MODP1024
//! transform and five Vendor IDs). Quick Mode message 1 is the plaintext of a typical one (172
//! bytes: HASH, an ESP SA with one AES-CBC/HMAC-SHA2-256 transform, Nonce and two subnet IDs),
//! sent here without the E flag. Copying the bytes into a new `Vec` runs in the same group as a
//! floor to compare against.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use ike_wire::*;

const MAIN_MODE_I1: &str = concat!(
    "be424e4ce3b29e1c00000000000000000110020000000000000000b00d00003400000001000000010000002801",
    "010001000000200101000080010005800200018004000280030001800b0001800c0e100d00000c09002689dfd6",
    "b7120d000014afcad71368a1f1c96b8696fc775701000d0000184048b7d56ebce88525e7de7f00d6c2d3800000",
    "000d0000144a131c81070358455c5728f20e95452f0000001490cb80913ebb696e086381b5ec427b1f",
);

fn quick_mode_i1() -> Message {
    use IpsecAttributeType as A;
    let transform = Transform {
        reserved: 0,
        number: 1,
        transform_id: EspTransformId::AES_CBC.0,
        reserved2: 0,
        attributes: vec![
            Attribute::basic(A::SA_LIFE_TYPE, LifeType::SECONDS),
            Attribute::basic(A::SA_LIFE_DURATION, 3600u16),
            Attribute::basic(A::ENCAPSULATION_MODE, EncapsulationMode::UDP_TUNNEL),
            Attribute::basic(A::AUTHENTICATION_ALGORITHM, AuthAlgorithm::HMAC_SHA2_256),
            Attribute::basic(A::KEY_LENGTH, 128u16),
        ],
    };
    let id = |subnet: [u8; 8]| {
        Payload::Id(Identification {
            reserved: 0,
            id_type: IdType::IPV4_ADDR_SUBNET,
            protocol_id: 0,
            port: 0,
            data: subnet.to_vec(),
        })
    };
    Message {
        header: Header {
            initiator_cookie: [0xbe, 0x42, 0x4e, 0x4c, 0xe3, 0xb2, 0x9e, 0x1c],
            responder_cookie: [0x7f, 0x43, 0xb4, 0xe5, 0x0f, 0x3b, 0xa7, 0xbb],
            next_payload: PayloadType::HASH,
            version: ISAKMP_VERSION_1_0,
            exchange_type: ExchangeType::QUICK_MODE,
            flags: Flags::default(),
            message_id: 0x1e0f_0c0a,
            length: 0,
        },
        payloads: vec![
            Payload::Hash(Hash::new([0xa5; 32])),
            Payload::Sa(Sa {
                reserved: 0,
                doi: Doi::IPSEC,
                situation: Sa::SIT_IDENTITY_ONLY,
                proposals: vec![Proposal {
                    reserved: 0,
                    number: 1,
                    protocol: ProtocolId::IPSEC_ESP,
                    spi: vec![0xc8, 0x1d, 0x2e, 0x3f],
                    transforms: vec![transform],
                }],
            }),
            Payload::Nonce(Nonce::new([0x5a; 32])),
            id([10, 1, 0, 0, 255, 255, 255, 0]),
            id([10, 2, 0, 0, 255, 255, 255, 0]),
        ],
        trailing: Vec::new(),
    }
}

fn from_hex(digits: &str) -> Vec<u8> {
    (0..digits.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&digits[i..i + 2], 16).expect("hex digits"))
        .collect()
}

fn bench_message(c: &mut Criterion, name: &str, bytes: &[u8]) {
    let message = Message::parse(bytes).expect("benchmark message parses");
    assert_eq!(message.to_vec().unwrap(), bytes);

    let mut group = c.benchmark_group(name);
    group.throughput(Throughput::Bytes(bytes.len() as u64));
    group.bench_function("parse", |b| b.iter(|| Message::parse(black_box(bytes))));
    group.bench_function("emit", |b| b.iter(|| black_box(&message).to_vec()));
    group.bench_function("copy (floor)", |b| b.iter(|| black_box(bytes).to_vec()));
    group.finish();
}

fn wire(c: &mut Criterion) {
    let main_mode = from_hex(MAIN_MODE_I1);
    bench_message(c, "main_mode_i1", &main_mode);

    let quick_mode = quick_mode_i1().to_vec().unwrap();
    bench_message(c, "quick_mode_i1", &quick_mode);
}

criterion_group!(benches, wire);
criterion_main!(benches);
