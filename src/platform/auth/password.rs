//! Password hashing: PBKDF2-HMAC-SHA256 through WebCrypto, stored as
//! `pbkdf2-sha256$<iterations>$<salt b64>$<hash b64>` so the cost can be raised later and
//! old hashes upgraded at the next login.

use crate::platform::crypto;
use crate::platform::error::ApiError;
use crate::platform::ids;

/// Current cost: workerd's cap for PBKDF2.
pub const ITERATIONS: u32 = 100_000;
const SALT_LEN: usize = 16;
const ALG: &str = "pbkdf2-sha256";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PasswordHash {
    pub iterations: u32,
    pub salt: Vec<u8>,
    pub hash: Vec<u8>,
}

impl PasswordHash {
    pub fn parse(s: &str) -> Option<Self> {
        let mut parts = s.split('$');
        if parts.next()? != ALG {
            return None;
        }
        let iterations: u32 = parts.next()?.parse().ok()?;
        let salt = crypto::b64_decode(parts.next()?)?;
        let hash = crypto::b64_decode(parts.next()?)?;
        if parts.next().is_some() || iterations == 0 || salt.is_empty() || hash.len() != 32 {
            return None;
        }
        Some(Self {
            iterations,
            salt,
            hash,
        })
    }

    pub fn encode(&self) -> String {
        format!(
            "{ALG}${}${}${}",
            self.iterations,
            crypto::b64_encode(&self.salt),
            crypto::b64_encode(&self.hash)
        )
    }

    /// Whether this hash was made with less than today's cost.
    pub fn needs_upgrade(&self) -> bool {
        self.iterations < ITERATIONS
    }
}

/// Hashes a new password with a fresh random salt.
pub async fn hash(password: &str) -> Result<String, ApiError> {
    let mut salt = [0u8; SALT_LEN];
    ids::random_bytes(&mut salt)?;
    let hash = crypto::pbkdf2_sha256(password.as_bytes(), &salt, ITERATIONS).await?;
    Ok(PasswordHash {
        iterations: ITERATIONS,
        salt: salt.to_vec(),
        hash,
    }
    .encode())
}

/// Checks a password against a stored hash in constant time. A stored value that does not
/// parse never matches.
pub async fn verify(password: &str, stored: &str) -> Result<bool, ApiError> {
    let Some(parsed) = PasswordHash::parse(stored) else {
        return Ok(false);
    };
    let computed =
        crypto::pbkdf2_sha256(password.as_bytes(), &parsed.salt, parsed.iterations).await?;
    Ok(crypto::constant_time_eq(&computed, &parsed.hash))
}

/// Spends the same work as a real verification, for unknown accounts, so response time
/// does not tell whether an email is registered.
pub async fn burn(password: &str) -> Result<(), ApiError> {
    crypto::pbkdf2_sha256(password.as_bytes(), &[0u8; SALT_LEN], ITERATIONS).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn format_round_trips() {
        let h = PasswordHash {
            iterations: 100_000,
            salt: vec![7; 16],
            hash: vec![9; 32],
        };
        let s = h.encode();
        assert!(s.starts_with("pbkdf2-sha256$100000$"));
        assert_eq!(s.split('$').count(), 4);
        assert_eq!(PasswordHash::parse(&s), Some(h));
    }

    #[test]
    fn malformed_hashes_do_not_parse() {
        for bad in [
            "",
            "bcrypt$10$x$y",
            "pbkdf2-sha256$0$BwcHBwcHBwcHBwcHBwcHBw==$CQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQk=",
            "pbkdf2-sha256$abc$BwcH$CQkJ",
            "pbkdf2-sha256$1000$BwcHBwcHBwcHBwcHBwcHBw==$CQkJ",
            "pbkdf2-sha256$1000$BwcHBwcHBwcHBwcHBwcHBw==$CQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQk=$extra",
        ] {
            assert_eq!(PasswordHash::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn old_costs_are_upgraded() {
        let mut h = PasswordHash {
            iterations: 10_000,
            salt: vec![1; 16],
            hash: vec![2; 32],
        };
        assert!(h.needs_upgrade());
        h.iterations = ITERATIONS;
        assert!(!h.needs_upgrade());
    }
}
