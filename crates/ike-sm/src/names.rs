//! Openswan 2.6's names for states, algorithms and notifications, as its status lines print them.

use ike_wire::NotifyType;

use crate::config::{DhGroupId, EspCipher, EspIntegrity, IkeCipher, IkeHash};

/// Openswan's state numbers (FreeS/WAN numbering, which Openswan 2.x kept): the whack code of a
/// "new state" line is 100 plus this number, so STATE_MAIN_I1 prints as 104.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum StateName {
    MainR0 = 3,
    MainI1 = 4,
    MainR1 = 5,
    MainI2 = 6,
    MainR2 = 7,
    MainI3 = 8,
    MainR3 = 9,
    MainI4 = 10,
    QuickR0 = 11,
    QuickI1 = 12,
    QuickR1 = 13,
    QuickI2 = 14,
    QuickR2 = 15,
}

impl StateName {
    /// Returns the state's name, e.g. `STATE_MAIN_I1`.
    pub(crate) fn name(self) -> &'static str {
        match self {
            StateName::MainR0 => "STATE_MAIN_R0",
            StateName::MainI1 => "STATE_MAIN_I1",
            StateName::MainR1 => "STATE_MAIN_R1",
            StateName::MainI2 => "STATE_MAIN_I2",
            StateName::MainR2 => "STATE_MAIN_R2",
            StateName::MainI3 => "STATE_MAIN_I3",
            StateName::MainR3 => "STATE_MAIN_R3",
            StateName::MainI4 => "STATE_MAIN_I4",
            StateName::QuickR0 => "STATE_QUICK_R0",
            StateName::QuickI1 => "STATE_QUICK_I1",
            StateName::QuickR1 => "STATE_QUICK_R1",
            StateName::QuickI2 => "STATE_QUICK_I2",
            StateName::QuickR2 => "STATE_QUICK_R2",
        }
    }

    /// Returns Openswan's description of the state, as `ipsec auto --status` prints it.
    pub(crate) fn story(self) -> &'static str {
        match self {
            StateName::MainR0 => "expecting MI1",
            StateName::MainI1 => "sent MI1, expecting MR1",
            StateName::MainR1 => "sent MR1, expecting MI2",
            StateName::MainI2 => "sent MI2, expecting MR2",
            StateName::MainR2 => "sent MR2, expecting MI3",
            StateName::MainI3 => "sent MI3, expecting MR3",
            StateName::MainR3 => "sent MR3, ISAKMP SA established",
            StateName::MainI4 => "ISAKMP SA established",
            StateName::QuickR0 => "expecting QI1",
            StateName::QuickI1 => "sent QI1, expecting QR1",
            StateName::QuickR1 => "sent QR1, inbound IPsec SA installed, expecting QI2",
            StateName::QuickI2 => "sent QI2, IPsec SA established",
            StateName::QuickR2 => "IPsec SA established",
        }
    }

    /// Returns the whack code of the line announcing this state.
    pub(crate) fn code(self) -> u16 {
        100 + self as u16
    }
}

/// Returns Openswan's name of a phase 1 cipher as the `cipher=` field prints it.
pub(crate) fn ike_cipher(cipher: IkeCipher) -> String {
    match cipher {
        IkeCipher::TripleDesCbc => "oakley_3des_cbc_192".to_owned(),
        IkeCipher::AesCbc { key_bits } => format!("aes_{key_bits}"),
    }
}

/// Returns Openswan's name of a phase 1 hash as the `prf=` field prints it.
pub(crate) fn ike_prf(hash: IkeHash) -> &'static str {
    match hash {
        IkeHash::Md5 => "oakley_md5",
        IkeHash::Sha1 => "oakley_sha",
        IkeHash::Sha2_256 => "oakley_sha2_256",
        IkeHash::Sha2_384 => "oakley_sha2_384",
        IkeHash::Sha2_512 => "oakley_sha2_512",
    }
}

/// Returns Openswan's name of a DH group as the `group=` field prints it.
pub(crate) fn group(group: DhGroupId) -> &'static str {
    match group {
        DhGroupId::Modp1024 => "modp1024",
        DhGroupId::Modp1536 => "modp1536",
        DhGroupId::Modp2048 => "modp2048",
        DhGroupId::Modp3072 => "modp3072",
        DhGroupId::Modp4096 => "modp4096",
        DhGroupId::Ecp256 => "ecp256",
        DhGroupId::Ecp384 => "ecp384",
        DhGroupId::Curve25519 => "curve25519",
    }
}

/// Returns the `IKE algorithm newest` form, e.g. `AES_CBC_128-SHA1-MODP2048`.
pub(crate) fn ike_algorithm(cipher: IkeCipher, hash: IkeHash, dh: DhGroupId) -> String {
    let cipher = match cipher {
        IkeCipher::TripleDesCbc => "3DES_CBC_192".to_owned(),
        IkeCipher::AesCbc { key_bits } => format!("AES_CBC_{key_bits}"),
    };
    let hash = match hash {
        IkeHash::Md5 => "MD5",
        IkeHash::Sha1 => "SHA1",
        IkeHash::Sha2_256 => "SHA2_256",
        IkeHash::Sha2_384 => "SHA2_384",
        IkeHash::Sha2_512 => "SHA2_512",
    };
    format!("{cipher}-{hash}-{}", group(dh).to_uppercase())
}

/// Returns the `xfrm=` form of an ESP suite, e.g. `AES_128-HMAC_SHA1` or `3DES_0-HMAC_MD5`.
pub(crate) fn esp_xfrm(cipher: EspCipher, integrity: EspIntegrity) -> String {
    let cipher = match cipher {
        EspCipher::TripleDesCbc => "3DES_0".to_owned(),
        EspCipher::AesCbc { key_bits } => format!("AES_{key_bits}"),
        EspCipher::Null => "NULL_0".to_owned(),
        EspCipher::AesGcm16 { key_bits } => format!("AES_GCM_16_{key_bits}"),
    };
    let integrity = match integrity {
        EspIntegrity::HmacMd5 => "HMAC_MD5",
        EspIntegrity::HmacSha1 => "HMAC_SHA1",
        EspIntegrity::HmacSha2_256 => "HMAC_SHA2_256",
        EspIntegrity::HmacSha2_384 => "HMAC_SHA2_384",
        EspIntegrity::HmacSha2_512 => "HMAC_SHA2_512",
        EspIntegrity::None => "NONE",
    };
    format!("{cipher}-{integrity}")
}

/// Returns Openswan's name of a notification type, e.g. `INVALID_KEY_INFORMATION`.
pub(crate) fn notify(notify_type: NotifyType) -> String {
    notify_type.to_string().replace('-', "_")
}
