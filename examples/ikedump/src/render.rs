//! Text and JSON renderings of parsed messages.

use std::fmt::Write as _;

use ike_wire::*;
use serde_json::{json, Value};

use crate::describe::*;

/// A parsed record: a whole message (plain or encrypted) or a bare payload chain.
pub enum Parsed<'a> {
    Message(IsakmpMessage<'a>),
    /// A payload chain without a header (a decrypted body), and the bytes after its last payload.
    Chain {
        payloads: Vec<Payload>,
        padding: &'a [u8],
    },
}

fn hex_or_none(bytes: &[u8]) -> String {
    if bytes.is_empty() {
        "(none)".to_owned()
    } else {
        hex::encode(bytes)
    }
}

/// Renders the header and payloads as indented text, one field group per line.
pub fn text(parsed: &Parsed<'_>) -> String {
    let mut out = String::new();
    match parsed {
        Parsed::Message(message) => {
            let header = message.header();
            let _ = writeln!(
                out,
                "  ISAKMP {} (exchange {}), version {}.{}, flags {}, message ID {:#010x}, length {}",
                header.exchange_type,
                header.exchange_type.0,
                header.version >> 4,
                header.version & 0x0f,
                header.flags,
                header.message_id,
                header.length,
            );
            let _ = writeln!(
                out,
                "  cookies {} {}",
                hex::encode(header.initiator_cookie),
                hex::encode(header.responder_cookie)
            );
            match message {
                IsakmpMessage::Plain(plain) => {
                    payloads_text(&mut out, &plain.payloads);
                    if !plain.trailing.is_empty() {
                        let _ = writeln!(out, "  trailing bytes: {}", hex::encode(&plain.trailing));
                    }
                }
                IsakmpMessage::Encrypted(encrypted) => {
                    let _ = writeln!(
                        out,
                        "  encrypted body: {} bytes, first payload {}",
                        encrypted.body.len(),
                        payload_name(header.next_payload)
                    );
                }
            }
        }
        Parsed::Chain { payloads, padding } => {
            let _ = writeln!(out, "  payload chain without header");
            payloads_text(&mut out, payloads);
            if !padding.is_empty() {
                let _ = writeln!(out, "  padding: {}", hex::encode(padding));
            }
        }
    }
    out
}

fn payloads_text(out: &mut String, payloads: &[Payload]) {
    for payload in payloads {
        let name = payload_name(payload.payload_type());
        let _ = write!(out, "  {name}");
        if payload.reserved() != 0 {
            let _ = write!(out, " [RESERVED {:#04x}]", payload.reserved());
        }
        let _ = match payload {
            Payload::Sa(sa) => {
                let _ = writeln!(
                    out,
                    ": DOI {}, situation {}",
                    sa.doi,
                    situation(sa.situation)
                );
                sa_text(out, sa);
                Ok(())
            }
            Payload::Ke(p) => writeln!(out, ": {} bytes {}", p.data.len(), hex::encode(&p.data)),
            Payload::Id(p) => writeln!(
                out,
                ": {} {}, protocol {}, port {}",
                p.id_type,
                id_data(p.id_type, &p.data),
                p.protocol_id,
                p.port
            ),
            Payload::Cert(p) => writeln!(out, ": {}, {} bytes", p.encoding, p.data.len()),
            Payload::CertReq(p) => writeln!(
                out,
                ": {}, authority {}",
                p.encoding,
                hex_or_none(&p.authority)
            ),
            Payload::Hash(p) => writeln!(out, ": {}", hex::encode(&p.data)),
            Payload::Sig(p) => writeln!(out, ": {} bytes {}", p.data.len(), hex::encode(&p.data)),
            Payload::Nonce(p) => writeln!(out, ": {} bytes {}", p.data.len(), hex::encode(&p.data)),
            Payload::Notify(p) => writeln!(
                out,
                ": {} ({}), DOI {}, protocol {}, SPI {}, data {}",
                p.notify_type,
                p.notify_type.0,
                p.doi,
                p.protocol,
                hex_or_none(&p.spi),
                hex_or_none(&p.data)
            ),
            Payload::Delete(p) => {
                let spis: Vec<String> = p.spis.iter().map(hex::encode).collect();
                writeln!(
                    out,
                    ": DOI {}, protocol {}, SPI size {}, SPIs [{}]",
                    p.doi,
                    p.protocol,
                    p.spi_size,
                    spis.join(", ")
                )
            }
            Payload::VendorId(p) => writeln!(out, ": {}", hex::encode(&p.data)),
            Payload::NatD(p) => writeln!(out, ": {}", hex::encode(&p.hash)),
            Payload::NatOa(p) => {
                writeln!(out, ": {} {}", p.id_type, id_data(p.id_type, &p.address))
            }
            Payload::Fragment(p) => writeln!(
                out,
                ": ID {}, number {}{}, {} bytes",
                p.fragment_id,
                p.fragment_number,
                if p.flags & Fragment::LAST != 0 {
                    " (last)"
                } else {
                    ""
                },
                p.data.len()
            ),
            Payload::Unknown(p) => {
                writeln!(out, ": {} bytes {}", p.body.len(), hex::encode(&p.body))
            }
        };
    }
}

fn sa_text(out: &mut String, sa: &Sa) {
    for proposal in &sa.proposals {
        let _ = writeln!(
            out,
            "    Proposal #{}: {}, SPI {}, {} transform(s)",
            proposal.number,
            proposal.protocol,
            hex_or_none(&proposal.spi),
            proposal.transforms.len()
        );
        let space = AttributeSpace::for_protocol(proposal.protocol);
        for transform in &proposal.transforms {
            let _ = writeln!(
                out,
                "      Transform #{}: {}",
                transform.number,
                transform_name(proposal.protocol, transform.transform_id)
            );
            let mut life_type = LifeType(0);
            for attribute in &transform.attributes {
                let _ = writeln!(
                    out,
                    "        {}: {}",
                    attribute_name(space, attribute.kind),
                    attribute_value(space, attribute, life_type)
                );
                if let Some(kind) = life_type_of(space, attribute) {
                    life_type = kind;
                }
            }
        }
    }
}

/// Renders the header and payloads as a JSON object. Numbers are kept beside their names.
pub fn json(parsed: &Parsed<'_>) -> Value {
    match parsed {
        Parsed::Message(message) => {
            let header = message.header();
            let mut object = json!({
                "header": {
                    "initiator_cookie": hex::encode(header.initiator_cookie),
                    "responder_cookie": hex::encode(header.responder_cookie),
                    "next_payload": header.next_payload.0,
                    "version": format!("{}.{}", header.version >> 4, header.version & 0x0f),
                    "exchange_type": header.exchange_type.0,
                    "exchange_name": header.exchange_type.to_string(),
                    "flags": header.flags.0,
                    "message_id": header.message_id,
                    "length": header.length,
                },
            });
            match message {
                IsakmpMessage::Plain(plain) => {
                    object["payloads"] = payloads_json(&plain.payloads);
                    object["trailing"] = json!(hex::encode(&plain.trailing));
                }
                IsakmpMessage::Encrypted(encrypted) => {
                    object["encrypted_body"] = json!(hex::encode(encrypted.body));
                }
            }
            object
        }
        Parsed::Chain { payloads, padding } => json!({
            "payloads": payloads_json(payloads),
            "padding": hex::encode(padding),
        }),
    }
}

fn payloads_json(payloads: &[Payload]) -> Value {
    Value::Array(payloads.iter().map(payload_json).collect())
}

fn payload_json(payload: &Payload) -> Value {
    let mut object = match payload {
        Payload::Sa(sa) => json!({
            "doi": sa.doi.0,
            "situation": sa.situation,
            "proposals": sa.proposals.iter().map(proposal_json).collect::<Vec<_>>(),
        }),
        Payload::Ke(p) => json!({ "data": hex::encode(&p.data) }),
        Payload::Id(p) => json!({
            "id_type": p.id_type.0,
            "id_type_name": p.id_type.to_string(),
            "protocol_id": p.protocol_id,
            "port": p.port,
            "data": hex::encode(&p.data),
            "identity": id_data(p.id_type, &p.data),
        }),
        Payload::Cert(p) => json!({ "encoding": p.encoding.0, "data": hex::encode(&p.data) }),
        Payload::CertReq(p) => {
            json!({ "encoding": p.encoding.0, "authority": hex::encode(&p.authority) })
        }
        Payload::Hash(p) => json!({ "data": hex::encode(&p.data) }),
        Payload::Sig(p) => json!({ "data": hex::encode(&p.data) }),
        Payload::Nonce(p) => json!({ "data": hex::encode(&p.data) }),
        Payload::Notify(p) => json!({
            "doi": p.doi.0,
            "protocol": p.protocol.0,
            "notify_type": p.notify_type.0,
            "notify_name": p.notify_type.to_string(),
            "spi": hex::encode(&p.spi),
            "data": hex::encode(&p.data),
        }),
        Payload::Delete(p) => json!({
            "doi": p.doi.0,
            "protocol": p.protocol.0,
            "spi_size": p.spi_size,
            "spis": p.spis.iter().map(hex::encode).collect::<Vec<_>>(),
        }),
        Payload::VendorId(p) => json!({ "data": hex::encode(&p.data) }),
        Payload::NatD(p) => json!({ "hash": hex::encode(&p.hash) }),
        Payload::NatOa(p) => json!({
            "id_type": p.id_type.0,
            "reserved2": hex::encode(p.reserved2),
            "address": hex::encode(&p.address),
        }),
        Payload::Fragment(p) => json!({
            "fragment_id": p.fragment_id,
            "fragment_number": p.fragment_number,
            "flags": p.flags,
            "data": hex::encode(&p.data),
        }),
        Payload::Unknown(p) => json!({ "body": hex::encode(&p.body) }),
    };
    object["type"] = json!(payload.payload_type().0);
    object["type_name"] = json!(payload_name(payload.payload_type()));
    object["reserved"] = json!(payload.reserved());
    object
}

fn proposal_json(proposal: &Proposal) -> Value {
    let space = AttributeSpace::for_protocol(proposal.protocol);
    let transforms: Vec<Value> = proposal
        .transforms
        .iter()
        .map(|transform| {
            let mut life_type = LifeType(0);
            let attributes: Vec<Value> = transform
                .attributes
                .iter()
                .map(|attribute| {
                    let value = match &attribute.value {
                        AttributeValue::Basic(value) => json!(value),
                        AttributeValue::Variable(bytes) => json!(hex::encode(bytes)),
                    };
                    let object = json!({
                        "type": attribute.kind,
                        "name": attribute_name(space, attribute.kind),
                        "format": match attribute.value {
                            AttributeValue::Basic(_) => "TV",
                            AttributeValue::Variable(_) => "TLV",
                        },
                        "value": value,
                        "description": attribute_value(space, attribute, life_type),
                    });
                    if let Some(kind) = life_type_of(space, attribute) {
                        life_type = kind;
                    }
                    object
                })
                .collect();
            json!({
                "number": transform.number,
                "transform_id": transform.transform_id,
                "transform_name": transform_name(proposal.protocol, transform.transform_id),
                "reserved": transform.reserved,
                "reserved2": transform.reserved2,
                "attributes": attributes,
            })
        })
        .collect();
    json!({
        "number": proposal.number,
        "protocol": proposal.protocol.0,
        "protocol_name": proposal.protocol.to_string(),
        "spi": hex::encode(&proposal.spi),
        "reserved": proposal.reserved,
        "transforms": transforms,
    })
}
