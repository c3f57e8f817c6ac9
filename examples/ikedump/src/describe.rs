//! Human-readable names and values for payload fields, shared by the text and JSON output.

use std::net::{Ipv4Addr, Ipv6Addr};

use ike_wire::*;

/// Attribute numbering in force for a transform, from its proposal's protocol.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttributeSpace {
    /// Phase 1 attributes (RFC 2409 appendix A) in a PROTO_ISAKMP proposal.
    Phase1,
    /// IPsec DOI attributes (RFC 2407 4.5) in an AH, ESP or IPCOMP proposal.
    Ipsec,
}

impl AttributeSpace {
    pub fn for_protocol(protocol: ProtocolId) -> Self {
        if protocol == ProtocolId::ISAKMP {
            AttributeSpace::Phase1
        } else {
            AttributeSpace::Ipsec
        }
    }
}

/// Names a transform ID according to the proposal's protocol.
pub fn transform_name(protocol: ProtocolId, transform_id: u8) -> String {
    match protocol {
        ProtocolId::ISAKMP => IkeTransformId(transform_id).to_string(),
        ProtocolId::IPSEC_AH => AhTransformId(transform_id).to_string(),
        ProtocolId::IPSEC_ESP => EspTransformId(transform_id).to_string(),
        ProtocolId::IPCOMP => IpcompTransformId(transform_id).to_string(),
        _ => transform_id.to_string(),
    }
}

/// Names an attribute type.
pub fn attribute_name(space: AttributeSpace, kind: u16) -> String {
    match space {
        AttributeSpace::Phase1 => IkeAttributeType(kind).to_string(),
        AttributeSpace::Ipsec => IpsecAttributeType(kind).to_string(),
    }
}

/// Describes an attribute's value: the registered name for enumerated classes, the number with
/// its unit for life durations (`life_type` is the transform's preceding Life Type), and hex for
/// long values.
pub fn attribute_value(
    space: AttributeSpace,
    attribute: &Attribute,
    life_type: LifeType,
) -> String {
    let number = match (&attribute.value, attribute.as_u64()) {
        (_, Some(number)) => number,
        (AttributeValue::Variable(bytes), None) => return format!("0x{}", hex::encode(bytes)),
        (AttributeValue::Basic(value), None) => u64::from(*value),
    };
    let short = u16::try_from(number).ok();

    let name = match (space, short) {
        (AttributeSpace::Phase1, Some(value)) => match IkeAttributeType(attribute.kind) {
            IkeAttributeType::ENCRYPTION_ALGORITHM => EncryptionAlgorithm(value).name(),
            IkeAttributeType::HASH_ALGORITHM | IkeAttributeType::PRF => HashAlgorithm(value).name(),
            IkeAttributeType::AUTHENTICATION_METHOD => AuthMethod(value).name(),
            IkeAttributeType::GROUP_DESCRIPTION => GroupDescription(value).name(),
            IkeAttributeType::GROUP_TYPE => GroupType(value).name(),
            IkeAttributeType::LIFE_TYPE => LifeType(value).name(),
            _ => None,
        },
        (AttributeSpace::Ipsec, Some(value)) => match IpsecAttributeType(attribute.kind) {
            IpsecAttributeType::SA_LIFE_TYPE => LifeType(value).name(),
            IpsecAttributeType::GROUP_DESCRIPTION => GroupDescription(value).name(),
            IpsecAttributeType::ENCAPSULATION_MODE => EncapsulationMode(value).name(),
            IpsecAttributeType::AUTHENTICATION_ALGORITHM => AuthAlgorithm(value).name(),
            _ => None,
        },
        (_, None) => None,
    };
    if let Some(name) = name {
        return name.to_owned();
    }

    let is_duration = match space {
        AttributeSpace::Phase1 => attribute.kind == IkeAttributeType::LIFE_DURATION.0,
        AttributeSpace::Ipsec => attribute.kind == IpsecAttributeType::SA_LIFE_DURATION.0,
    };
    match (is_duration, life_type) {
        (true, LifeType::SECONDS) => format!("{number} s"),
        (true, LifeType::KILOBYTES) => format!("{number} kB"),
        _ => number.to_string(),
    }
}

/// Returns the life type that an attribute sets, if it is a Life Type attribute.
pub fn life_type_of(space: AttributeSpace, attribute: &Attribute) -> Option<LifeType> {
    let is_life_type = match space {
        AttributeSpace::Phase1 => attribute.kind == IkeAttributeType::LIFE_TYPE.0,
        AttributeSpace::Ipsec => attribute.kind == IpsecAttributeType::SA_LIFE_TYPE.0,
    };
    let value = attribute.as_u64().and_then(|v| u16::try_from(v).ok())?;
    is_life_type.then_some(LifeType(value))
}

/// Describes identification data by its ID type (RFC 2407 4.6.2): addresses, subnets and
/// ranges in the usual notation, names as text, everything else (and malformed data) as hex.
pub fn id_data(id_type: IdType, data: &[u8]) -> String {
    let v4 = |bytes: &[u8]| <[u8; 4]>::try_from(bytes).ok().map(Ipv4Addr::from);
    let v6 = |bytes: &[u8]| <[u8; 16]>::try_from(bytes).ok().map(Ipv6Addr::from);

    let described = match id_type {
        IdType::IPV4_ADDR => v4(data).map(|a| a.to_string()),
        IdType::IPV6_ADDR => v6(data).map(|a| a.to_string()),
        IdType::IPV4_ADDR_SUBNET if data.len() == 8 => v4(&data[..4])
            .zip(v4(&data[4..]))
            .map(|(a, m)| format!("{a}/{m}")),
        IdType::IPV4_ADDR_RANGE if data.len() == 8 => v4(&data[..4])
            .zip(v4(&data[4..]))
            .map(|(a, b)| format!("{a}-{b}")),
        IdType::IPV6_ADDR_SUBNET if data.len() == 32 => v6(&data[..16])
            .zip(v6(&data[16..]))
            .map(|(a, m)| format!("{a}/{m}")),
        IdType::IPV6_ADDR_RANGE if data.len() == 32 => v6(&data[..16])
            .zip(v6(&data[16..]))
            .map(|(a, b)| format!("{a}-{b}")),
        IdType::FQDN | IdType::USER_FQDN => std::str::from_utf8(data)
            .ok()
            .filter(|text| text.chars().all(|c| !c.is_control()))
            .map(|text| format!("{text:?}")),
        _ => None,
    };
    described.unwrap_or_else(|| format!("0x{}", hex::encode(data)))
}

/// Describes the SA situation bitmap of the IPsec DOI (RFC 2407 4.6.1).
pub fn situation(value: u32) -> String {
    let names = [
        (1, "SIT_IDENTITY_ONLY"),
        (2, "SIT_SECRECY"),
        (4, "SIT_INTEGRITY"),
    ];
    let mut parts: Vec<String> = names
        .iter()
        .filter(|(bit, _)| value & bit != 0)
        .map(|(_, name)| (*name).to_owned())
        .collect();
    let unknown = value & !0x7;
    if unknown != 0 || parts.is_empty() {
        parts.push(format!("{unknown:#x}"));
    }
    parts.join("|")
}

/// Names a payload for display: the registered name, or "payload type N".
pub fn payload_name(payload_type: PayloadType) -> String {
    match payload_type.name() {
        Some(name) => name.to_owned(),
        None => format!("payload type {}", payload_type.0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn life_duration_in_seconds() {
        let duration = Attribute::variable(IkeAttributeType::LIFE_DURATION, vec![0, 0, 0x70, 0x80]);
        let text = attribute_value(AttributeSpace::Phase1, &duration, LifeType::SECONDS);
        assert_eq!(text, "28800 s");
    }

    #[test]
    fn ipsec_encapsulation_named() {
        let mode = Attribute::basic(IpsecAttributeType::ENCAPSULATION_MODE, 61443u16);
        let text = attribute_value(AttributeSpace::Ipsec, &mode, LifeType(0));
        assert_eq!(text, "UDP-Encapsulated-Tunnel (draft)");
    }

    #[test]
    fn long_attribute_as_hex() {
        let prime = Attribute::variable(IkeAttributeType::GROUP_PRIME, vec![0xff; 9]);
        let text = attribute_value(AttributeSpace::Phase1, &prime, LifeType(0));
        assert_eq!(text, "0xffffffffffffffffff");
    }

    #[test]
    fn id_subnet_and_fqdn() {
        let subnet = [192, 168, 1, 0, 255, 255, 255, 0];
        assert_eq!(
            id_data(IdType::IPV4_ADDR_SUBNET, &subnet),
            "192.168.1.0/255.255.255.0"
        );
        assert_eq!(id_data(IdType::FQDN, b"gw.example"), "\"gw.example\"");
        assert_eq!(id_data(IdType::IPV4_ADDR, &[1, 2, 3]), "0x010203");
    }

    #[test]
    fn situation_bits() {
        assert_eq!(situation(1), "SIT_IDENTITY_ONLY");
        assert_eq!(situation(0), "0x0");
        assert_eq!(situation(0x11), "SIT_IDENTITY_ONLY|0x10");
    }
}
