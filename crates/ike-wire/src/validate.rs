//! Payload rules per exchange type (RFC 2408 4 and 5.2, RFC 2409 5), checked after parsing.
//!
//! [`Message::parse`] accepts any well-formed payload chain, so that a capture of an unusual peer
//! still round-trips. [`Message::check`] and [`check_payloads`] then reject what an IKEv1
//! receiver must drop: payload types IKEv1 does not define, payloads that do not belong to the
//! exchange, and payloads out of the order RFC 2409 requires.

use crate::enums::{ExchangeType, PayloadType};
use crate::error::{ParseError, ParseErrorKind};
use crate::types::{Message, Payload, GENERIC_HEADER_LEN, HEADER_LEN};

/// Payloads of the Phase 1 exchanges (Main Mode, Aggressive Mode, and ISAKMP's Base and
/// Authentication Only exchanges).
const PHASE1_PAYLOADS: &[PayloadType] = &[
    PayloadType::SECURITY_ASSOCIATION,
    PayloadType::KEY_EXCHANGE,
    PayloadType::IDENTIFICATION,
    PayloadType::CERTIFICATE,
    PayloadType::CERTIFICATE_REQUEST,
    PayloadType::HASH,
    PayloadType::SIGNATURE,
    PayloadType::NONCE,
    PayloadType::NOTIFICATION,
    PayloadType::VENDOR_ID,
    PayloadType::NAT_D,
    PayloadType::NAT_D_DRAFT,
];

/// Payloads of Quick Mode (RFC 2409 5.5 and 5.6, RFC 3947 5.2 for NAT-OA).
const QUICK_MODE_PAYLOADS: &[PayloadType] = &[
    PayloadType::HASH,
    PayloadType::SECURITY_ASSOCIATION,
    PayloadType::NONCE,
    PayloadType::KEY_EXCHANGE,
    PayloadType::IDENTIFICATION,
    PayloadType::NOTIFICATION,
    PayloadType::VENDOR_ID,
    PayloadType::NAT_OA,
    PayloadType::NAT_OA_DRAFT,
];

/// Payloads of an Informational exchange: "HDR*, HASH(1), N/D" (RFC 2409 5.7).
const INFORMATIONAL_PAYLOADS: &[PayloadType] = &[
    PayloadType::HASH,
    PayloadType::NOTIFICATION,
    PayloadType::DELETE,
    PayloadType::VENDOR_ID,
];

/// Payloads of a Transaction exchange (Mode Config and XAUTH).
const TRANSACTION_PAYLOADS: &[PayloadType] = &[
    PayloadType::HASH,
    PayloadType::ATTRIBUTE,
    PayloadType::NOTIFICATION,
];

/// Payloads of New Group Mode: "HDR*, HASH(1), SA" (RFC 2409 6).
const NEW_GROUP_PAYLOADS: &[PayloadType] = &[PayloadType::HASH, PayloadType::SECURITY_ASSOCIATION];

impl Message {
    /// Checks the payload rules of the message's exchange type (see [`check_payloads`]), and
    /// that the first message of a Phase 1 exchange, recognised by its zero responder cookie,
    /// starts with an SA payload.
    pub fn check(&self) -> Result<(), ParseError> {
        check_payloads(self.header.exchange_type, &self.payloads, HEADER_LEN)?;

        let exchange = self.header.exchange_type;
        let first = self.payloads.first().map(Payload::payload_type);
        if is_phase1(exchange)
            && self.header.responder_cookie == [0; 8]
            && first != Some(PayloadType::SECURITY_ASSOCIATION)
        {
            return Err(ParseError::new(
                HEADER_LEN,
                first,
                ParseErrorKind::UnexpectedPayload {
                    exchange,
                    reason: "the first message of a Phase 1 exchange starts with an SA payload",
                },
            ));
        }
        Ok(())
    }
}

fn is_phase1(exchange: ExchangeType) -> bool {
    matches!(
        exchange,
        ExchangeType::IDENTITY_PROTECTION
            | ExchangeType::AGGRESSIVE
            | ExchangeType::BASE
            | ExchangeType::AUTHENTICATION_ONLY
    )
}

/// Checks a payload chain against the rules of `exchange`. `offset` is where the chain starts
/// in the message (28 after the header), so that errors name the failing payload's offset.
///
/// Rejects an exchange type IKEv1 does not define, a payload type outside the exchange's set,
/// and a fragment payload that is not alone. Also rejects an SA payload after another payload
/// in Phase 1 ("The SA payload must precede all other payloads in a phase 1 exchange", RFC 2409
/// 5). After Phase 1 a HASH payload must come first, and Quick Mode and New Group Mode messages
/// must start with one.
pub fn check_payloads(
    exchange: ExchangeType,
    payloads: &[Payload],
    offset: usize,
) -> Result<(), ParseError> {
    let allowed = match exchange {
        ExchangeType::IDENTITY_PROTECTION
        | ExchangeType::AGGRESSIVE
        | ExchangeType::BASE
        | ExchangeType::AUTHENTICATION_ONLY => PHASE1_PAYLOADS,
        ExchangeType::QUICK_MODE => QUICK_MODE_PAYLOADS,
        ExchangeType::INFORMATIONAL => INFORMATIONAL_PAYLOADS,
        ExchangeType::TRANSACTION => TRANSACTION_PAYLOADS,
        ExchangeType::NEW_GROUP_MODE => NEW_GROUP_PAYLOADS,
        _ => {
            return Err(ParseError::new(
                18,
                None,
                ParseErrorKind::InvalidValue {
                    field: "exchange type",
                    value: u32::from(exchange.0),
                    expected: "an IKEv1 exchange (1 to 6, 32 or 33)",
                },
            ))
        }
    };

    let mut payload_offset = offset;
    for (index, payload) in payloads.iter().enumerate() {
        let payload_type = payload.payload_type();
        let unexpected = |reason| {
            Err(ParseError::new(
                payload_offset,
                Some(payload_type),
                ParseErrorKind::UnexpectedPayload { exchange, reason },
            ))
        };

        if payload_type == PayloadType::FRAGMENT {
            if payloads.len() != 1 {
                return unexpected("a fragment payload is the only payload of its message");
            }
        } else if !allowed.contains(&payload_type) {
            return unexpected("the payload type is not used in this exchange");
        }

        if is_phase1(exchange) && payload_type == PayloadType::SECURITY_ASSOCIATION && index != 0 {
            return unexpected("the SA payload precedes all other payloads in Phase 1");
        }
        let hash_first = matches!(
            exchange,
            ExchangeType::QUICK_MODE | ExchangeType::NEW_GROUP_MODE
        );
        if hash_first && index == 0 && payload_type != PayloadType::HASH {
            return unexpected("the HASH payload immediately follows the header");
        }
        if payload_type == PayloadType::HASH && index != 0 && !is_phase1(exchange) {
            return unexpected("the HASH payload immediately follows the header");
        }
        if exchange == ExchangeType::QUICK_MODE
            && payload_type == PayloadType::SECURITY_ASSOCIATION
            && index != 1
        {
            return unexpected("the SA payload immediately follows the HASH in Quick Mode");
        }

        payload_offset += GENERIC_HEADER_LEN + payload.body_len().unwrap_or(0);
    }
    Ok(())
}
