//! SA payloads: building our offers and choosing from the peer's (RFC 2408 3.4-3.6, RFC 2409
//! appendix A, RFC 2407 4.5).

use std::time::Duration;

use ike_wire::{
    Attribute, AuthMethod, Doi, EncapsulationMode, EncryptionAlgorithm, EspTransformId,
    HashAlgorithm, IkeAttributeType, IkeTransformId, IpsecAttributeType, LifeType, Proposal,
    ProtocolId, Sa, Transform,
};

use crate::config::{
    DhGroupId, EspCipher, EspIntegrity, EspProposal, IkeCipher, IkeHash, IkeProposal,
};

/// Phase 1 authentication method of a connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AuthKind {
    Psk,
    RsaSig,
}

impl AuthKind {
    fn method(self) -> AuthMethod {
        match self {
            AuthKind::Psk => AuthMethod::PRE_SHARED_KEY,
            AuthKind::RsaSig => AuthMethod::RSA_SIGNATURES,
        }
    }

    /// Returns the `auth=` field of Openswan's established line.
    pub(crate) fn openswan_name(self) -> &'static str {
        match self {
            AuthKind::Psk => "OAKLEY_PRESHARED_KEY",
            AuthKind::RsaSig => "OAKLEY_RSA_SIG",
        }
    }
}

/// Returns the phase 1 hash attribute value.
pub(crate) fn hash_attribute(hash: IkeHash) -> u16 {
    match hash {
        IkeHash::Md5 => HashAlgorithm::MD5.0,
        IkeHash::Sha1 => HashAlgorithm::SHA.0,
        IkeHash::Sha2_256 => HashAlgorithm::SHA2_256.0,
        IkeHash::Sha2_384 => HashAlgorithm::SHA2_384.0,
        IkeHash::Sha2_512 => HashAlgorithm::SHA2_512.0,
    }
}

fn hash_from_attribute(value: u64) -> Option<IkeHash> {
    Some(match u16::try_from(value).ok()? {
        1 => IkeHash::Md5,
        2 => IkeHash::Sha1,
        4 => IkeHash::Sha2_256,
        5 => IkeHash::Sha2_384,
        6 => IkeHash::Sha2_512,
        _ => return None,
    })
}

/// Returns the (Encryption Algorithm, Key Length) attribute values of a phase 1 cipher.
pub(crate) fn cipher_attributes(cipher: IkeCipher) -> (u16, Option<u16>) {
    match cipher {
        IkeCipher::TripleDesCbc => (EncryptionAlgorithm::TRIPLE_DES_CBC.0, None),
        IkeCipher::AesCbc { key_bits } => (EncryptionAlgorithm::AES_CBC.0, Some(key_bits)),
    }
}

/// Builds the phase 1 SA payload offering `proposals` (one proposal, one transform each).
pub(crate) fn ike_offer(proposals: &[IkeProposal], auth: AuthKind, lifetime: Duration) -> Sa {
    let transforms = proposals
        .iter()
        .enumerate()
        .map(|(index, proposal)| {
            ike_transform(
                u8::try_from(index + 1).unwrap_or(u8::MAX),
                proposal,
                auth,
                lifetime,
            )
        })
        .collect();
    Sa {
        reserved: 0,
        doi: Doi::IPSEC,
        situation: Sa::SIT_IDENTITY_ONLY,
        proposals: vec![Proposal {
            reserved: 0,
            number: 1,
            protocol: ProtocolId::ISAKMP,
            spi: Vec::new(),
            transforms,
        }],
    }
}

fn ike_transform(
    number: u8,
    proposal: &IkeProposal,
    auth: AuthKind,
    lifetime: Duration,
) -> Transform {
    let (encryption, key_len) = cipher_attributes(proposal.cipher);
    let mut attributes = vec![Attribute::basic(
        IkeAttributeType::ENCRYPTION_ALGORITHM.0,
        encryption,
    )];
    if let Some(bits) = key_len {
        attributes.push(Attribute::basic(IkeAttributeType::KEY_LENGTH.0, bits));
    }
    attributes.extend([
        Attribute::basic(
            IkeAttributeType::HASH_ALGORITHM.0,
            hash_attribute(proposal.hash),
        ),
        Attribute::basic(IkeAttributeType::AUTHENTICATION_METHOD.0, auth.method().0),
        Attribute::basic(
            IkeAttributeType::GROUP_DESCRIPTION.0,
            proposal.group.number(),
        ),
        Attribute::basic(IkeAttributeType::LIFE_TYPE.0, LifeType::SECONDS.0),
        Attribute::number(IkeAttributeType::LIFE_DURATION.0, lifetime.as_secs()),
    ]);
    Transform {
        reserved: 0,
        number,
        transform_id: IkeTransformId::KEY_IKE.0,
        reserved2: 0,
        attributes,
    }
}

/// A phase 1 transform read from the peer's SA payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct IkeChoice {
    pub(crate) proposal: IkeProposal,
    pub(crate) auth: AuthKind,
    pub(crate) lifetime: Option<Duration>,
}

/// Reads one phase 1 transform. Returns `None` when it names an algorithm or attribute this
/// engine does not implement, so that the transform is skipped.
pub(crate) fn read_ike_transform(transform: &Transform) -> Option<IkeChoice> {
    if transform.transform_id != IkeTransformId::KEY_IKE.0 {
        return None;
    }
    let (mut encryption, mut key_len, mut hash, mut auth, mut group) =
        (None, None, None, None, None);
    let mut life_type = LifeType::SECONDS.0;
    let mut lifetime = None;
    for attribute in &transform.attributes {
        let value = attribute.as_u64()?;
        match IkeAttributeType(attribute.kind) {
            IkeAttributeType::ENCRYPTION_ALGORITHM => encryption = Some(value),
            IkeAttributeType::KEY_LENGTH => key_len = Some(value),
            IkeAttributeType::HASH_ALGORITHM => hash = hash_from_attribute(value),
            IkeAttributeType::AUTHENTICATION_METHOD => auth = Some(value),
            IkeAttributeType::GROUP_DESCRIPTION => {
                group = DhGroupId::from_number(u16::try_from(value).ok()?)
            }
            IkeAttributeType::LIFE_TYPE => life_type = u16::try_from(value).ok()?,
            IkeAttributeType::LIFE_DURATION => {
                if life_type == LifeType::SECONDS.0 {
                    lifetime = Some(Duration::from_secs(value));
                }
            }
            _ => return None,
        }
    }
    let cipher = match (encryption?, key_len) {
        (5, None | Some(192)) => IkeCipher::TripleDesCbc,
        (7, Some(bits @ (128 | 192 | 256))) => IkeCipher::AesCbc {
            key_bits: bits as u16,
        },
        // RFC 3602 leaves the default AES key length to the peer; every implementation uses 128.
        (7, None) => IkeCipher::AesCbc { key_bits: 128 },
        _ => return None,
    };
    let auth = match auth? {
        1 => AuthKind::Psk,
        3 => AuthKind::RsaSig,
        _ => return None,
    };
    Some(IkeChoice {
        proposal: IkeProposal {
            cipher,
            hash: hash?,
            group: group?,
        },
        auth,
        lifetime,
    })
}

/// Chooses the first transform of the peer's phase 1 SA that `acceptable` allows, returning it
/// with the reply SA payload (the chosen transform as received). `None` means
/// NO_PROPOSAL_CHOSEN.
pub(crate) fn choose_ike(
    offer: &Sa,
    auth: AuthKind,
    acceptable: &dyn Fn(&IkeProposal) -> bool,
) -> Option<(IkeChoice, Sa)> {
    if offer.doi != Doi::IPSEC || offer.situation != Sa::SIT_IDENTITY_ONLY {
        return None;
    }
    for proposal in &offer.proposals {
        if proposal.protocol != ProtocolId::ISAKMP {
            continue;
        }
        for transform in &proposal.transforms {
            let Some(choice) = read_ike_transform(transform) else {
                continue;
            };
            if choice.auth != auth || !acceptable(&choice.proposal) {
                continue;
            }
            let reply = Sa {
                reserved: 0,
                doi: Doi::IPSEC,
                situation: Sa::SIT_IDENTITY_ONLY,
                proposals: vec![Proposal {
                    reserved: 0,
                    number: proposal.number,
                    protocol: ProtocolId::ISAKMP,
                    spi: proposal.spi.clone(),
                    transforms: vec![transform.clone()],
                }],
            };
            return Some((choice, reply));
        }
    }
    None
}

/// Returns the IPsec DOI Authentication Algorithm of an ESP integrity algorithm.
fn integrity_from_attribute(value: u64) -> Option<EspIntegrity> {
    Some(match value {
        1 => EspIntegrity::HmacMd5,
        2 => EspIntegrity::HmacSha1,
        5 => EspIntegrity::HmacSha2_256,
        6 => EspIntegrity::HmacSha2_384,
        7 => EspIntegrity::HmacSha2_512,
        _ => return None,
    })
}

/// Phase 2 settings common to every transform of an offer.
#[derive(Debug, Clone, Copy)]
pub(crate) struct EspOfferParams {
    pub(crate) spi: u32,
    pub(crate) lifetime: Duration,
    pub(crate) mode: EncapsulationMode,
    pub(crate) pfs_group: Option<DhGroupId>,
}

/// Builds the Quick Mode SA payload offering `proposals` for ESP.
pub(crate) fn esp_offer(proposals: &[EspProposal], params: EspOfferParams) -> Sa {
    let transforms = proposals
        .iter()
        .enumerate()
        .map(|(index, proposal)| {
            esp_transform(u8::try_from(index + 1).unwrap_or(u8::MAX), proposal, params)
        })
        .collect();
    Sa {
        reserved: 0,
        doi: Doi::IPSEC,
        situation: Sa::SIT_IDENTITY_ONLY,
        proposals: vec![Proposal {
            reserved: 0,
            number: 1,
            protocol: ProtocolId::IPSEC_ESP,
            spi: params.spi.to_be_bytes().to_vec(),
            transforms,
        }],
    }
}

fn esp_transform(number: u8, proposal: &EspProposal, params: EspOfferParams) -> Transform {
    let mut attributes = vec![
        Attribute::basic(IpsecAttributeType::SA_LIFE_TYPE.0, LifeType::SECONDS.0),
        Attribute::number(
            IpsecAttributeType::SA_LIFE_DURATION.0,
            params.lifetime.as_secs(),
        ),
    ];
    if let Some(group) = params.pfs_group {
        attributes.push(Attribute::basic(
            IpsecAttributeType::GROUP_DESCRIPTION.0,
            group.number(),
        ));
    }
    attributes.push(Attribute::basic(
        IpsecAttributeType::ENCAPSULATION_MODE.0,
        params.mode.0,
    ));
    if let Some(value) = proposal.integrity.attribute_value() {
        attributes.push(Attribute::basic(
            IpsecAttributeType::AUTHENTICATION_ALGORITHM.0,
            value,
        ));
    }
    if let EspCipher::AesCbc { key_bits } | EspCipher::AesGcm16 { key_bits } = proposal.cipher {
        attributes.push(Attribute::basic(IpsecAttributeType::KEY_LENGTH.0, key_bits));
    }
    Transform {
        reserved: 0,
        number,
        transform_id: proposal.cipher.transform_id(),
        reserved2: 0,
        attributes,
    }
}

/// An ESP transform read from a Quick Mode SA payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct EspChoice {
    pub(crate) proposal: EspProposal,
    pub(crate) spi: u32,
    pub(crate) lifetime: Option<Duration>,
    pub(crate) mode: EncapsulationMode,
    pub(crate) pfs_group: Option<DhGroupId>,
}

/// Reads one ESP transform; `None` for anything this engine does not implement.
pub(crate) fn read_esp_transform(spi: &[u8], transform: &Transform) -> Option<EspChoice> {
    let spi = u32::from_be_bytes(spi.try_into().ok()?);
    let (mut integrity, mut key_len, mut group) = (None, None, None);
    let mut mode = EncapsulationMode::TUNNEL;
    let mut life_type = LifeType::SECONDS.0;
    let mut lifetime = None;
    for attribute in &transform.attributes {
        let value = attribute.as_u64()?;
        match IpsecAttributeType(attribute.kind) {
            IpsecAttributeType::SA_LIFE_TYPE => life_type = u16::try_from(value).ok()?,
            IpsecAttributeType::SA_LIFE_DURATION => {
                if life_type == LifeType::SECONDS.0 {
                    lifetime = Some(Duration::from_secs(value));
                }
            }
            IpsecAttributeType::GROUP_DESCRIPTION => {
                group = Some(DhGroupId::from_number(u16::try_from(value).ok()?)?)
            }
            IpsecAttributeType::ENCAPSULATION_MODE => {
                mode = EncapsulationMode(u16::try_from(value).ok()?)
            }
            IpsecAttributeType::AUTHENTICATION_ALGORITHM => {
                integrity = Some(integrity_from_attribute(value)?)
            }
            IpsecAttributeType::KEY_LENGTH => key_len = Some(value),
            _ => return None,
        }
    }
    let cipher = match (EspTransformId(transform.transform_id), key_len) {
        (EspTransformId::TRIPLE_DES, None | Some(192)) => EspCipher::TripleDesCbc,
        (EspTransformId::AES_CBC, Some(bits @ (128 | 192 | 256))) => EspCipher::AesCbc {
            key_bits: bits as u16,
        },
        (EspTransformId::AES_CBC, None) => EspCipher::AesCbc { key_bits: 128 },
        (EspTransformId::NULL, None) => EspCipher::Null,
        // RFC 4106: the Key Length attribute is required.
        (EspTransformId::AES_GCM_16, Some(bits @ (128 | 256))) => EspCipher::AesGcm16 {
            key_bits: bits as u16,
        },
        _ => return None,
    };
    // An AEAD transform must not carry an Authentication Algorithm (RFC 4106);
    // every other one needs it.
    let integrity = match (cipher.is_aead(), integrity) {
        (true, None) => EspIntegrity::None,
        (false, Some(integrity)) => integrity,
        _ => return None,
    };
    Some(EspChoice {
        proposal: EspProposal { cipher, integrity },
        spi,
        lifetime,
        mode,
        pfs_group: group,
    })
}

/// Chooses the first ESP transform of a Quick Mode offer that `acceptable` allows, returning it
/// and the reply SA payload carrying `our_spi`.
pub(crate) fn choose_esp(
    offer: &Sa,
    our_spi: u32,
    acceptable: &dyn Fn(&EspChoice) -> bool,
) -> Option<(EspChoice, Sa)> {
    if offer.doi != Doi::IPSEC || offer.situation != Sa::SIT_IDENTITY_ONLY {
        return None;
    }
    for proposal in &offer.proposals {
        if proposal.protocol != ProtocolId::IPSEC_ESP {
            continue;
        }
        for transform in &proposal.transforms {
            let Some(choice) = read_esp_transform(&proposal.spi, transform) else {
                continue;
            };
            if !acceptable(&choice) {
                continue;
            }
            let reply = Sa {
                reserved: 0,
                doi: Doi::IPSEC,
                situation: Sa::SIT_IDENTITY_ONLY,
                proposals: vec![Proposal {
                    reserved: 0,
                    number: proposal.number,
                    protocol: ProtocolId::IPSEC_ESP,
                    spi: our_spi.to_be_bytes().to_vec(),
                    transforms: vec![transform.clone()],
                }],
            };
            return Some((choice, reply));
        }
    }
    None
}

/// Reports whether a phase 1 proposal is one this engine implements and accepts from a peer
/// when the connection lists no `ike=` (every supported cipher, hash and group).
pub(crate) fn ike_supported(_proposal: &IkeProposal) -> bool {
    true
}
