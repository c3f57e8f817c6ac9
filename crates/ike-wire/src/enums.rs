//! Open enumerations: newtypes over the wire integer with the registered values as constants.
//!
//! An unregistered number is a valid value of its type: it parses, prints as the bare number and
//! is emitted again unchanged.

/// Declares an open enumeration over an unsigned integer, with a name for each registered value.
macro_rules! open_enum {
    (
        $(#[$meta:meta])*
        pub struct $name:ident($repr:ty) {
            $( $(#[$cmeta:meta])* $konst:ident = $value:expr => $text:expr, )*
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
        pub struct $name(pub $repr);

        impl $name {
            $( $(#[$cmeta])* pub const $konst: Self = Self($value); )*

            /// Returns the registered name of this value, or `None` for an unregistered number.
            pub fn name(self) -> Option<&'static str> {
                match self.0 {
                    $( $value => Some($text), )*
                    _ => None,
                }
            }

            /// Every registered value, in ascending order of the number.
            pub const KNOWN: &'static [Self] = &[ $( Self($value), )* ];
        }

        impl core::fmt::Display for $name {
            fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                match self.name() {
                    Some(text) => f.write_str(text),
                    None => write!(f, "{}", self.0),
                }
            }
        }

        impl core::fmt::Debug for $name {
            fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                match self.name() {
                    Some(text) => write!(f, "{}({} {})", stringify!($name), self.0, text),
                    None => write!(f, "{}({})", stringify!($name), self.0),
                }
            }
        }

        impl From<$repr> for $name {
            fn from(value: $repr) -> Self {
                Self(value)
            }
        }

        impl From<$name> for $repr {
            fn from(value: $name) -> Self {
                value.0
            }
        }
    };
}

open_enum! {
    /// ISAKMP exchange type (RFC 2408 3.1, RFC 2409 5 and 6; Transaction from the Mode Config
    /// draft).
    pub struct ExchangeType(u8) {
        NONE = 0 => "NONE",
        BASE = 1 => "Base",
        /// Main Mode in IKE.
        IDENTITY_PROTECTION = 2 => "Identity Protection (Main Mode)",
        AUTHENTICATION_ONLY = 3 => "Authentication Only",
        /// Aggressive Mode in IKE.
        AGGRESSIVE = 4 => "Aggressive",
        INFORMATIONAL = 5 => "Informational",
        /// Mode Config and XAUTH (draft-dukes-ike-mode-cfg).
        TRANSACTION = 6 => "Transaction (Mode Config)",
        QUICK_MODE = 32 => "Quick Mode",
        NEW_GROUP_MODE = 33 => "New Group Mode",
    }
}

open_enum! {
    /// Next Payload type (RFC 2408 3.1; NAT-T numbers from RFC 3947 and its drafts; fragmentation
    /// from the IKEv1 fragmentation extension).
    pub struct PayloadType(u8) {
        NONE = 0 => "NONE",
        SECURITY_ASSOCIATION = 1 => "Security Association",
        PROPOSAL = 2 => "Proposal",
        TRANSFORM = 3 => "Transform",
        KEY_EXCHANGE = 4 => "Key Exchange",
        IDENTIFICATION = 5 => "Identification",
        CERTIFICATE = 6 => "Certificate",
        CERTIFICATE_REQUEST = 7 => "Certificate Request",
        HASH = 8 => "Hash",
        SIGNATURE = 9 => "Signature",
        NONCE = 10 => "Nonce",
        NOTIFICATION = 11 => "Notification",
        DELETE = 12 => "Delete",
        VENDOR_ID = 13 => "Vendor ID",
        /// Mode Config attribute payload.
        ATTRIBUTE = 14 => "Attribute",
        NAT_D = 20 => "NAT-D",
        NAT_OA = 21 => "NAT-OA",
        /// NAT-D number used by draft-ietf-ipsec-nat-t-ike-02 and -03.
        NAT_D_DRAFT = 130 => "NAT-D (draft)",
        /// NAT-OA number used by draft-ietf-ipsec-nat-t-ike-02 and -03.
        NAT_OA_DRAFT = 131 => "NAT-OA (draft)",
        /// IKEv1 fragment (Cisco's fragmentation extension, also spoken by strongSwan and Libreswan).
        FRAGMENT = 132 => "Fragment",
    }
}

open_enum! {
    /// Notify Message Type (RFC 2408 3.14.1, RFC 2407 4.6.3, RFC 3706).
    pub struct NotifyType(u16) {
        INVALID_PAYLOAD_TYPE = 1 => "INVALID-PAYLOAD-TYPE",
        DOI_NOT_SUPPORTED = 2 => "DOI-NOT-SUPPORTED",
        SITUATION_NOT_SUPPORTED = 3 => "SITUATION-NOT-SUPPORTED",
        INVALID_COOKIE = 4 => "INVALID-COOKIE",
        INVALID_MAJOR_VERSION = 5 => "INVALID-MAJOR-VERSION",
        INVALID_MINOR_VERSION = 6 => "INVALID-MINOR-VERSION",
        INVALID_EXCHANGE_TYPE = 7 => "INVALID-EXCHANGE-TYPE",
        INVALID_FLAGS = 8 => "INVALID-FLAGS",
        INVALID_MESSAGE_ID = 9 => "INVALID-MESSAGE-ID",
        INVALID_PROTOCOL_ID = 10 => "INVALID-PROTOCOL-ID",
        INVALID_SPI = 11 => "INVALID-SPI",
        INVALID_TRANSFORM_ID = 12 => "INVALID-TRANSFORM-ID",
        ATTRIBUTES_NOT_SUPPORTED = 13 => "ATTRIBUTES-NOT-SUPPORTED",
        NO_PROPOSAL_CHOSEN = 14 => "NO-PROPOSAL-CHOSEN",
        BAD_PROPOSAL_SYNTAX = 15 => "BAD-PROPOSAL-SYNTAX",
        PAYLOAD_MALFORMED = 16 => "PAYLOAD-MALFORMED",
        INVALID_KEY_INFORMATION = 17 => "INVALID-KEY-INFORMATION",
        INVALID_ID_INFORMATION = 18 => "INVALID-ID-INFORMATION",
        INVALID_CERT_ENCODING = 19 => "INVALID-CERT-ENCODING",
        INVALID_CERTIFICATE = 20 => "INVALID-CERTIFICATE",
        CERT_TYPE_UNSUPPORTED = 21 => "CERT-TYPE-UNSUPPORTED",
        INVALID_CERT_AUTHORITY = 22 => "INVALID-CERT-AUTHORITY",
        INVALID_HASH_INFORMATION = 23 => "INVALID-HASH-INFORMATION",
        AUTHENTICATION_FAILED = 24 => "AUTHENTICATION-FAILED",
        INVALID_SIGNATURE = 25 => "INVALID-SIGNATURE",
        ADDRESS_NOTIFICATION = 26 => "ADDRESS-NOTIFICATION",
        NOTIFY_SA_LIFETIME = 27 => "NOTIFY-SA-LIFETIME",
        CERTIFICATE_UNAVAILABLE = 28 => "CERTIFICATE-UNAVAILABLE",
        UNSUPPORTED_EXCHANGE_TYPE = 29 => "UNSUPPORTED-EXCHANGE-TYPE",
        UNEQUAL_PAYLOAD_LENGTHS = 30 => "UNEQUAL-PAYLOAD-LENGTHS",
        CONNECTED = 16384 => "CONNECTED",
        RESPONDER_LIFETIME = 24576 => "RESPONDER-LIFETIME",
        REPLAY_STATUS = 24577 => "REPLAY-STATUS",
        INITIAL_CONTACT = 24578 => "INITIAL-CONTACT",
        R_U_THERE = 36136 => "R-U-THERE",
        R_U_THERE_ACK = 36137 => "R-U-THERE-ACK",
    }
}

impl NotifyType {
    /// Reports whether this is an error type: RFC 2408 3.14.1 reserves 1 to 16383 for errors.
    pub fn is_error(self) -> bool {
        (1..16384).contains(&self.0)
    }
}

open_enum! {
    /// Domain of Interpretation (RFC 2408 3.4; the IPsec DOI is RFC 2407).
    pub struct Doi(u32) {
        /// The generic ISAKMP DOI, used by Phase 1 SAs of some implementations.
        ISAKMP = 0 => "ISAKMP",
        IPSEC = 1 => "IPSEC",
    }
}

open_enum! {
    /// Protocol identifier of a proposal, notification or delete (RFC 2407 4.4.1).
    pub struct ProtocolId(u8) {
        NONE = 0 => "NONE",
        ISAKMP = 1 => "PROTO_ISAKMP",
        IPSEC_AH = 2 => "PROTO_IPSEC_AH",
        IPSEC_ESP = 3 => "PROTO_IPSEC_ESP",
        IPCOMP = 4 => "PROTO_IPCOMP",
    }
}

open_enum! {
    /// Transform identifier of an ISAKMP (Phase 1) proposal (RFC 2407 4.4.2).
    pub struct IkeTransformId(u8) {
        KEY_IKE = 1 => "KEY_IKE",
    }
}

open_enum! {
    /// Transform identifier of an AH proposal (RFC 2407 4.4.3, RFC 4868).
    pub struct AhTransformId(u8) {
        MD5 = 2 => "AH_MD5",
        SHA = 3 => "AH_SHA",
        DES = 4 => "AH_DES",
        SHA2_256 = 5 => "AH_SHA2-256",
        SHA2_384 = 6 => "AH_SHA2-384",
        SHA2_512 = 7 => "AH_SHA2-512",
    }
}

open_enum! {
    /// Transform identifier of an ESP proposal (RFC 2407 4.4.4 and the IANA registry).
    pub struct EspTransformId(u8) {
        DES_IV64 = 1 => "ESP_DES_IV64",
        DES = 2 => "ESP_DES",
        TRIPLE_DES = 3 => "ESP_3DES",
        RC5 = 4 => "ESP_RC5",
        IDEA = 5 => "ESP_IDEA",
        CAST = 6 => "ESP_CAST",
        BLOWFISH = 7 => "ESP_BLOWFISH",
        TRIPLE_IDEA = 8 => "ESP_3IDEA",
        DES_IV32 = 9 => "ESP_DES_IV32",
        RC4 = 10 => "ESP_RC4",
        NULL = 11 => "ESP_NULL",
        AES_CBC = 12 => "ESP_AES-CBC",
        AES_CTR = 13 => "ESP_AES-CTR",
        AES_CCM_8 = 14 => "ESP_AES-CCM_8",
        AES_CCM_12 = 15 => "ESP_AES-CCM_12",
        AES_CCM_16 = 16 => "ESP_AES-CCM_16",
        AES_GCM_8 = 18 => "ESP_AES-GCM_8",
        AES_GCM_12 = 19 => "ESP_AES-GCM_12",
        AES_GCM_16 = 20 => "ESP_AES-GCM_16",
        SEED_CBC = 21 => "ESP_SEED_CBC",
        CAMELLIA = 22 => "ESP_CAMELLIA",
        NULL_AUTH_AES_GMAC = 23 => "ESP_NULL_AUTH_AES-GMAC",
    }
}

open_enum! {
    /// Transform identifier of an IPCOMP proposal (RFC 2407 4.4.5).
    pub struct IpcompTransformId(u8) {
        OUI = 1 => "IPCOMP_OUI",
        DEFLATE = 2 => "IPCOMP_DEFLATE",
        LZS = 3 => "IPCOMP_LZS",
        LZJH = 4 => "IPCOMP_LZJH",
    }
}

open_enum! {
    /// Identification type of the IPsec DOI (RFC 2407 4.6.2.1).
    pub struct IdType(u8) {
        IPV4_ADDR = 1 => "ID_IPV4_ADDR",
        FQDN = 2 => "ID_FQDN",
        USER_FQDN = 3 => "ID_USER_FQDN",
        IPV4_ADDR_SUBNET = 4 => "ID_IPV4_ADDR_SUBNET",
        IPV6_ADDR = 5 => "ID_IPV6_ADDR",
        IPV6_ADDR_SUBNET = 6 => "ID_IPV6_ADDR_SUBNET",
        IPV4_ADDR_RANGE = 7 => "ID_IPV4_ADDR_RANGE",
        IPV6_ADDR_RANGE = 8 => "ID_IPV6_ADDR_RANGE",
        DER_ASN1_DN = 9 => "ID_DER_ASN1_DN",
        DER_ASN1_GN = 10 => "ID_DER_ASN1_GN",
        KEY_ID = 11 => "ID_KEY_ID",
    }
}

open_enum! {
    /// Certificate encoding of a CERT or CR payload (RFC 2408 3.9).
    pub struct CertEncoding(u8) {
        NONE = 0 => "NONE",
        PKCS7 = 1 => "PKCS #7 wrapped X.509 certificate",
        PGP = 2 => "PGP Certificate",
        DNS_SIGNED_KEY = 3 => "DNS Signed Key",
        X509_SIGNATURE = 4 => "X.509 Certificate - Signature",
        X509_KEY_EXCHANGE = 5 => "X.509 Certificate - Key Exchange",
        KERBEROS = 6 => "Kerberos Tokens",
        CRL = 7 => "Certificate Revocation List (CRL)",
        ARL = 8 => "Authority Revocation List (ARL)",
        SPKI = 9 => "SPKI Certificate",
        X509_ATTRIBUTE = 10 => "X.509 Certificate - Attribute",
    }
}

open_enum! {
    /// Phase 1 (ISAKMP SA) attribute class (RFC 2409 appendix A).
    pub struct IkeAttributeType(u16) {
        ENCRYPTION_ALGORITHM = 1 => "Encryption Algorithm",
        HASH_ALGORITHM = 2 => "Hash Algorithm",
        AUTHENTICATION_METHOD = 3 => "Authentication Method",
        GROUP_DESCRIPTION = 4 => "Group Description",
        GROUP_TYPE = 5 => "Group Type",
        GROUP_PRIME = 6 => "Group Prime/Irreducible Polynomial",
        GROUP_GENERATOR_ONE = 7 => "Group Generator One",
        GROUP_GENERATOR_TWO = 8 => "Group Generator Two",
        GROUP_CURVE_A = 9 => "Group Curve A",
        GROUP_CURVE_B = 10 => "Group Curve B",
        LIFE_TYPE = 11 => "Life Type",
        LIFE_DURATION = 12 => "Life Duration",
        PRF = 13 => "PRF",
        KEY_LENGTH = 14 => "Key Length",
        FIELD_SIZE = 15 => "Field Size",
        GROUP_ORDER = 16 => "Group Order",
    }
}

open_enum! {
    /// Phase 1 encryption algorithm (RFC 2409 appendix A, RFC 3602, RFC 4312).
    pub struct EncryptionAlgorithm(u16) {
        DES_CBC = 1 => "DES-CBC",
        IDEA_CBC = 2 => "IDEA-CBC",
        BLOWFISH_CBC = 3 => "Blowfish-CBC",
        RC5_R16_B64_CBC = 4 => "RC5-R16-B64-CBC",
        TRIPLE_DES_CBC = 5 => "3DES-CBC",
        CAST_CBC = 6 => "CAST-CBC",
        AES_CBC = 7 => "AES-CBC",
        CAMELLIA_CBC = 8 => "CAMELLIA-CBC",
    }
}

open_enum! {
    /// Phase 1 hash algorithm (RFC 2409 appendix A, RFC 4868 values from the IANA registry).
    pub struct HashAlgorithm(u16) {
        MD5 = 1 => "MD5",
        SHA = 2 => "SHA1",
        TIGER = 3 => "Tiger",
        SHA2_256 = 4 => "SHA2-256",
        SHA2_384 = 5 => "SHA2-384",
        SHA2_512 = 6 => "SHA2-512",
    }
}

open_enum! {
    /// Phase 1 authentication method (RFC 2409 appendix A, RFC 4754, the XAUTH draft).
    pub struct AuthMethod(u16) {
        PRE_SHARED_KEY = 1 => "pre-shared key",
        DSS_SIGNATURES = 2 => "DSS signatures",
        RSA_SIGNATURES = 3 => "RSA signatures",
        RSA_ENCRYPTION = 4 => "Encryption with RSA",
        REVISED_RSA_ENCRYPTION = 5 => "Revised encryption with RSA",
        ECDSA_SHA256_P256 = 9 => "ECDSA with SHA-256 on the P-256 curve",
        ECDSA_SHA384_P384 = 10 => "ECDSA with SHA-384 on the P-384 curve",
        ECDSA_SHA512_P521 = 11 => "ECDSA with SHA-512 on the P-521 curve",
        HYBRID_INIT_RSA = 64221 => "HybridInitRSA",
        HYBRID_RESP_RSA = 64222 => "HybridRespRSA",
        XAUTH_INIT_PRE_SHARED = 65001 => "XAUTHInitPreShared",
        XAUTH_RESP_PRE_SHARED = 65002 => "XAUTHRespPreShared",
        XAUTH_INIT_DSS = 65003 => "XAUTHInitDSS",
        XAUTH_RESP_DSS = 65004 => "XAUTHRespDSS",
        XAUTH_INIT_RSA = 65005 => "XAUTHInitRSA",
        XAUTH_RESP_RSA = 65006 => "XAUTHRespRSA",
        XAUTH_INIT_RSA_ENCRYPTION = 65007 => "XAUTHInitRSAEncryption",
        XAUTH_RESP_RSA_ENCRYPTION = 65008 => "XAUTHRespRSAEncryption",
        XAUTH_INIT_RSA_REVISED_ENCRYPTION = 65009 => "XAUTHInitRSARevisedEncryption",
        XAUTH_RESP_RSA_REVISED_ENCRYPTION = 65010 => "XAUTHRespRSARevisedEncryption",
    }
}

open_enum! {
    /// Diffie-Hellman group number, shared by the Phase 1 Group Description attribute and the
    /// IPsec DOI Group Description attribute (RFC 2409 6, RFC 3526, RFC 5903, RFC 5114, RFC 8031).
    pub struct GroupDescription(u16) {
        MODP768 = 1 => "MODP768",
        MODP1024 = 2 => "MODP1024",
        EC2N155 = 3 => "EC2N155",
        EC2N185 = 4 => "EC2N185",
        MODP1536 = 5 => "MODP1536",
        MODP2048 = 14 => "MODP2048",
        MODP3072 = 15 => "MODP3072",
        MODP4096 = 16 => "MODP4096",
        MODP6144 = 17 => "MODP6144",
        MODP8192 = 18 => "MODP8192",
        ECP256 = 19 => "ECP256",
        ECP384 = 20 => "ECP384",
        ECP521 = 21 => "ECP521",
        MODP1024_S160 = 22 => "MODP1024-S160",
        MODP2048_S224 = 23 => "MODP2048-S224",
        MODP2048_S256 = 24 => "MODP2048-S256",
        ECP192 = 25 => "ECP192",
        ECP224 = 26 => "ECP224",
        BRAINPOOL_P224R1 = 27 => "BRAINPOOLP224R1",
        BRAINPOOL_P256R1 = 28 => "BRAINPOOLP256R1",
        BRAINPOOL_P384R1 = 29 => "BRAINPOOLP384R1",
        BRAINPOOL_P512R1 = 30 => "BRAINPOOLP512R1",
        CURVE25519 = 31 => "CURVE25519",
        CURVE448 = 32 => "CURVE448",
    }
}

open_enum! {
    /// Phase 1 Group Type (RFC 2409 appendix A).
    pub struct GroupType(u16) {
        MODP = 1 => "MODP",
        ECP = 2 => "ECP",
        EC2N = 3 => "EC2N",
    }
}

open_enum! {
    /// Unit of a life duration, for both the Phase 1 Life Type and the IPsec DOI SA Life Type
    /// (RFC 2409 appendix A, RFC 2407 4.5).
    pub struct LifeType(u16) {
        SECONDS = 1 => "seconds",
        KILOBYTES = 2 => "kilobytes",
    }
}

open_enum! {
    /// IPsec DOI SA attribute class (RFC 2407 4.5, RFC 3168 for ECN, RFC 4304 for ESN).
    pub struct IpsecAttributeType(u16) {
        SA_LIFE_TYPE = 1 => "SA Life Type",
        SA_LIFE_DURATION = 2 => "SA Life Duration",
        GROUP_DESCRIPTION = 3 => "Group Description",
        ENCAPSULATION_MODE = 4 => "Encapsulation Mode",
        AUTHENTICATION_ALGORITHM = 5 => "Authentication Algorithm",
        KEY_LENGTH = 6 => "Key Length",
        KEY_ROUNDS = 7 => "Key Rounds",
        COMPRESS_DICTIONARY_SIZE = 8 => "Compress Dictionary Size",
        COMPRESS_PRIVATE_ALGORITHM = 9 => "Compress Private Algorithm",
        ECN_TUNNEL = 10 => "ECN Tunnel",
        EXTENDED_SEQUENCE_NUMBER = 11 => "Extended (64-bit) Sequence Number",
    }
}

open_enum! {
    /// IPsec DOI Authentication Algorithm attribute value (RFC 2407 4.5, RFC 4868, RFC 4543).
    pub struct AuthAlgorithm(u16) {
        HMAC_MD5 = 1 => "HMAC-MD5",
        HMAC_SHA = 2 => "HMAC-SHA",
        DES_MAC = 3 => "DES-MAC",
        KPDK = 4 => "KPDK",
        HMAC_SHA2_256 = 5 => "HMAC-SHA2-256",
        HMAC_SHA2_384 = 6 => "HMAC-SHA2-384",
        HMAC_SHA2_512 = 7 => "HMAC-SHA2-512",
        HMAC_RIPEMD = 8 => "HMAC-RIPEMD",
        AES_XCBC_MAC = 9 => "AES-XCBC-MAC",
        SIG_RSA = 10 => "SIG-RSA",
        AES_128_GMAC = 11 => "AES-128-GMAC",
        AES_192_GMAC = 12 => "AES-192-GMAC",
        AES_256_GMAC = 13 => "AES-256-GMAC",
    }
}

open_enum! {
    /// IPsec DOI Encapsulation Mode attribute value (RFC 2407 4.5, RFC 3947 5.1, and the values
    /// of draft-ietf-ipsec-nat-t-ike-02/03 that older peers still send).
    pub struct EncapsulationMode(u16) {
        TUNNEL = 1 => "Tunnel",
        TRANSPORT = 2 => "Transport",
        UDP_TUNNEL = 3 => "UDP-Encapsulated-Tunnel",
        UDP_TRANSPORT = 4 => "UDP-Encapsulated-Transport",
        UDP_TUNNEL_DRAFT = 61443 => "UDP-Encapsulated-Tunnel (draft)",
        UDP_TRANSPORT_DRAFT = 61444 => "UDP-Encapsulated-Transport (draft)",
    }
}

impl EncapsulationMode {
    /// Reports whether the mode carries ESP in UDP (RFC 3948), under either numbering.
    pub fn is_udp_encapsulated(self) -> bool {
        matches!(
            self,
            Self::UDP_TUNNEL
                | Self::UDP_TRANSPORT
                | Self::UDP_TUNNEL_DRAFT
                | Self::UDP_TRANSPORT_DRAFT
        )
    }

    /// Reports whether the mode is transport mode, plain or in UDP under either numbering.
    pub fn is_transport(self) -> bool {
        matches!(
            self,
            Self::TRANSPORT | Self::UDP_TRANSPORT | Self::UDP_TRANSPORT_DRAFT
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encapsulation_mode_kinds() {
        let cases = [
            (EncapsulationMode::TUNNEL, false, false),
            (EncapsulationMode::TRANSPORT, true, false),
            (EncapsulationMode::UDP_TUNNEL, false, true),
            (EncapsulationMode::UDP_TRANSPORT, true, true),
            (EncapsulationMode::UDP_TUNNEL_DRAFT, false, true),
            (EncapsulationMode::UDP_TRANSPORT_DRAFT, true, true),
        ];
        for (mode, transport, udp) in cases {
            assert_eq!(mode.is_transport(), transport, "{mode}");
            assert_eq!(mode.is_udp_encapsulated(), udp, "{mode}");
        }
    }

    #[test]
    fn known_value_displays_name() {
        assert_eq!(ExchangeType::QUICK_MODE.to_string(), "Quick Mode");
        assert_eq!(EncryptionAlgorithm::TRIPLE_DES_CBC.to_string(), "3DES-CBC");
    }

    #[test]
    fn unknown_value_displays_number() {
        assert_eq!(PayloadType(200).to_string(), "200");
        assert_eq!(format!("{:?}", NotifyType(9999)), "NotifyType(9999)");
    }

    #[test]
    fn notify_error_range() {
        assert!(NotifyType::NO_PROPOSAL_CHOSEN.is_error());
        assert!(!NotifyType::R_U_THERE.is_error());
    }
}
