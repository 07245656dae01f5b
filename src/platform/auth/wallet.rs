//! Sui wallet login (what @mysten/dapp-kit's `signPersonalMessage` produces):
//! address = `0x` + hex(blake2b-256(0x00 ‖ public_key));
//! signature = base64(0x00 ‖ 64-byte Ed25519 signature ‖ 32-byte public key);
//! signed bytes = blake2b-256([3, 0, 0] ‖ BCS(message as vector<u8>)).

use crate::platform::crypto::{self, blake2b_256};
use crate::platform::ids::hex;

/// Ed25519 is signature scheme 0 in Sui's flag byte.
const ED25519_FLAG: u8 = 0x00;
/// Intent for personal messages: scope 3, version 0, app id 0.
const PERSONAL_MESSAGE_INTENT: [u8; 3] = [3, 0, 0];

/// A parsed `0x` + 64 lower-case hex address.
pub fn parse_address(s: &str) -> Option<String> {
    let s = s.trim().to_ascii_lowercase();
    let hex_part = s.strip_prefix("0x")?;
    (hex_part.len() == 64 && hex_part.bytes().all(|b| b.is_ascii_hexdigit())).then_some(s)
}

pub fn address_of(public_key: &[u8; 32]) -> String {
    format!("0x{}", hex(&blake2b_256(&[&[ED25519_FLAG], public_key])))
}

/// A Sui serialized signature, split into its parts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SuiSignature {
    pub signature: [u8; 64],
    pub public_key: [u8; 32],
}

pub fn parse_signature(b64: &str) -> Option<SuiSignature> {
    let raw = crypto::b64_decode(b64)?;
    if raw.len() != 97 || raw[0] != ED25519_FLAG {
        return None;
    }
    Some(SuiSignature {
        signature: raw[1..65].try_into().ok()?,
        public_key: raw[65..97].try_into().ok()?,
    })
}

/// ULEB128, as BCS encodes vector lengths.
fn uleb128(mut n: usize, out: &mut Vec<u8>) {
    loop {
        let byte = (n & 0x7f) as u8;
        n >>= 7;
        if n == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

/// The 32 bytes a wallet signs for a personal message.
pub fn personal_message_digest(message: &[u8]) -> [u8; 32] {
    let mut bcs = Vec::with_capacity(message.len() + 5);
    uleb128(message.len(), &mut bcs);
    bcs.extend_from_slice(message);
    blake2b_256(&[&PERSONAL_MESSAGE_INTENT, &bcs])
}

/// The sign-in message (SIWE-like): names the domain, address, nonce and validity window.
pub fn challenge_message(
    domain: &str,
    address: &str,
    nonce: &str,
    issued_at: &str,
    expires_at: &str,
) -> String {
    format!(
        "{domain} wants you to sign in with your Sui account:\n{address}\n\n\
         Sign in to edge-api. This request will not trigger a transaction or cost any fees.\n\n\
         URI: https://{domain}\nVersion: 1\nNonce: {nonce}\nIssued At: {issued_at}\nExpiration Time: {expires_at}"
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use ed25519_dalek::{Signer, SigningKey};

    /// Fixed test vector from the seed [1u8; 32], computed once with an independent
    /// implementation (Python hashlib.blake2b + cryptography Ed25519) and pinned.
    const SEED: [u8; 32] = [1u8; 32];

    #[test]
    fn address_of_known_key_is_pinned() {
        let pk = SigningKey::from_bytes(&SEED).verifying_key().to_bytes();
        assert_eq!(
            hex(&pk),
            "8a88e3dd7409f195fd52db2d3cba5d72ca6709bf1d94121bf3748801b40f6f5c"
        );
        assert_eq!(
            address_of(&pk),
            "0x29dfbf688abce7ab43bb8e70cae158ae961196e721440f515482f8ba1684390f"
        );
    }

    #[test]
    fn personal_message_digest_is_pinned() {
        assert_eq!(
            hex(&personal_message_digest(b"hello")),
            "e0ea06e183a8984cd8dd072440ae2a8c21125d994a9435b7c8c61886bc087d6a"
        );
    }

    #[test]
    fn uleb128_lengths() {
        let mut v = Vec::new();
        uleb128(127, &mut v);
        assert_eq!(v, [0x7f]);
        v.clear();
        uleb128(128, &mut v);
        assert_eq!(v, [0x80, 0x01]);
        v.clear();
        uleb128(300, &mut v);
        assert_eq!(v, [0xac, 0x02]);
    }

    #[test]
    fn signature_parts_and_address_agree() {
        let key = SigningKey::from_bytes(&SEED);
        let digest = personal_message_digest(b"sign me");
        let sig = key.sign(&digest);
        let mut raw = vec![0u8];
        raw.extend(sig.to_bytes());
        raw.extend(key.verifying_key().to_bytes());
        let parsed = parse_signature(&crypto::b64_encode(&raw)).expect("parses");
        assert_eq!(parsed.public_key, key.verifying_key().to_bytes());
        assert!(key.verifying_key().verify_strict(&digest, &sig).is_ok());
        raw[0] = 1; // secp256k1 flag: not supported
        assert!(parse_signature(&crypto::b64_encode(&raw)).is_none());
        assert!(parse_signature("AAAA").is_none());
    }

    #[test]
    fn addresses_are_normalised() {
        let a = format!("0x{}", "AB".repeat(32));
        assert_eq!(parse_address(&a), Some(format!("0x{}", "ab".repeat(32))));
        assert!(parse_address("0x1234").is_none());
        assert!(parse_address(&"ab".repeat(32)).is_none());
        assert!(parse_address(&format!("0x{}", "zz".repeat(32))).is_none());
    }

    #[test]
    fn challenge_names_domain_address_nonce_and_window() {
        let m = challenge_message(
            "api.example",
            "0xabc",
            "n1",
            "2026-01-01T00:00:00Z",
            "2026-01-01T00:05:00Z",
        );
        for part in [
            "api.example",
            "0xabc",
            "Nonce: n1",
            "Issued At: 2026-01-01T00:00:00Z",
            "Expiration Time: 2026-01-01T00:05:00Z",
        ] {
            assert!(m.contains(part), "{part}");
        }
    }
}
