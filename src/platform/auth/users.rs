//! The `users` table: email/password and wallet accounts.

use serde::{Deserialize, Serialize};
use worker::D1Database;

use crate::platform::db::nullable;
use crate::platform::error::{ApiError, FieldError};
use crate::platform::ids;

/// What clients see of a user.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct User {
    pub id: String,
    pub email: Option<String>,
    /// Whether the email's owner has proved it (a verification or reset link).
    #[serde(deserialize_with = "crate::platform::db::flag")]
    pub email_verified: bool,
    pub name: Option<String>,
    pub wallet_address: Option<String>,
    pub created_at: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct UserWithHash {
    #[serde(flatten)]
    pub user: User,
    pub password_hash: Option<String>,
}

const COLUMNS: &str =
    "id, email, email_verified_at IS NOT NULL AS email_verified, name, wallet_address, created_at";

/// A trimmed, lower-cased address that looks like an email.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        let s = raw.trim().to_lowercase();
        let bad = || FieldError::new("email", "must be a valid email address");
        if s.len() < 3 || s.len() > 254 || s.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(bad());
        }
        let (local, domain) = s.rsplit_once('@').ok_or_else(bad)?;
        if local.is_empty() || local.len() > 64 || local.contains('@') {
            return Err(bad());
        }
        let labels: Vec<&str> = domain.split('.').collect();
        if labels.len() < 2
            || labels.iter().any(|l| {
                l.is_empty()
                    || l.starts_with('-')
                    || l.ends_with('-')
                    || !l.chars().all(|c| c.is_alphanumeric() || c == '-')
            })
        {
            return Err(bad());
        }
        Ok(Self(s))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// 8 to 128 characters.
pub fn check_password(p: &str) -> Result<(), FieldError> {
    let n = p.chars().count();
    if !(8..=128).contains(&n) {
        return Err(FieldError::new("password", "must be 8 to 128 characters"));
    }
    Ok(())
}

pub fn check_name(n: Option<&str>) -> Result<Option<String>, FieldError> {
    match n.map(str::trim) {
        None | Some("") => Ok(None),
        Some(n) if n.chars().count() > 100 => {
            Err(FieldError::new("name", "must be at most 100 characters"))
        }
        Some(n) => Ok(Some(n.to_string())),
    }
}

pub async fn create_with_password(
    db: &D1Database,
    email: &Email,
    name: Option<&str>,
    password_hash: &str,
) -> Result<User, ApiError> {
    let user = User {
        id: ids::new_id()?,
        email: Some(email.as_str().to_string()),
        email_verified: false,
        name: name.map(str::to_string),
        wallet_address: None,
        created_at: ids::now_rfc3339(),
    };
    db.prepare(
        "INSERT INTO users (id, email, name, password_hash, created_at, is_active) \
         VALUES (?1, ?2, ?3, ?4, ?5, 1)",
    )
    .bind(&[
        user.id.as_str().into(),
        email.as_str().into(),
        nullable(name),
        password_hash.into(),
        user.created_at.as_str().into(),
    ])?
    .run()
    .await
    .map_err(|e| match ApiError::from(e) {
        ApiError::Conflict(_) => ApiError::Conflict("email is already registered".into()),
        other => other,
    })?;
    Ok(user)
}

pub async fn find_by_email(
    db: &D1Database,
    email: &Email,
) -> Result<Option<UserWithHash>, ApiError> {
    Ok(db
        .prepare(format!(
            "SELECT {COLUMNS}, password_hash FROM users WHERE email = ?1 AND is_active = 1"
        ))
        .bind(&[email.as_str().into()])?
        .first(None)
        .await?)
}

pub async fn get(db: &D1Database, id: &str) -> Result<Option<User>, ApiError> {
    Ok(select(db, id)?.first(None).await?)
}

/// The statement that reads an active user (for a batch; [`from_result`] reads its answer).
pub fn select(db: &D1Database, id: &str) -> Result<worker::D1PreparedStatement, ApiError> {
    Ok(db
        .prepare(format!(
            "SELECT {COLUMNS} FROM users WHERE id = ?1 AND is_active = 1"
        ))
        .bind(&[id.into()])?)
}

/// The user a [`select`] found, if any.
pub fn from_result(r: Option<&worker::D1Result>) -> Result<Option<User>, ApiError> {
    Ok(match r {
        Some(r) => r.results::<User>()?.pop(),
        None => None,
    })
}

pub async fn set_password_hash(db: &D1Database, id: &str, hash: &str) -> Result<(), ApiError> {
    db.prepare("UPDATE users SET password_hash = ?1 WHERE id = ?2")
        .bind(&[hash.into(), id.into()])?
        .run()
        .await?;
    Ok(())
}

/// The user of a wallet address, if it ever signed in, and whether it is active.
pub async fn by_wallet(db: &D1Database, address: &str) -> Result<Option<(User, bool)>, ApiError> {
    #[derive(Deserialize)]
    struct Row {
        #[serde(flatten)]
        user: User,
        is_active: i64,
    }
    let row: Option<Row> = db
        .prepare(format!(
            "SELECT {COLUMNS}, is_active FROM users WHERE wallet_address = ?1"
        ))
        .bind(&[address.into()])?
        .first(None)
        .await?;
    Ok(row.map(|r| (r.user, r.is_active == 1)))
}

/// The statement that creates the user of a wallet address at its first sign-in. Two
/// first sign-ins at once: one INSERT fails (`wallet_address` is UNIQUE), and its batch
/// with it.
pub fn insert_wallet(
    db: &D1Database,
    id: &str,
    address: &str,
) -> Result<worker::D1PreparedStatement, ApiError> {
    Ok(db
        .prepare(
            "INSERT INTO users (id, wallet_address, created_at, is_active) VALUES (?1, ?2, ?3, 1)",
        )
        .bind(&[id.into(), address.into(), ids::now_rfc3339().into()])?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_trimmed_lowercased_and_checked() {
        assert_eq!(
            Email::parse("  Ada@Example.COM ").map(|e| e.0),
            Ok("ada@example.com".into())
        );
        for bad in [
            "",
            "ada",
            "ada@",
            "@example.com",
            "ada@example",
            "a da@example.com",
            "ada@exa_mple.com",
            "ada@.com",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn password_length_counts_characters() {
        assert!(check_password("12345678").is_ok());
        assert!(check_password("1234567").is_err());
        assert!(check_password(&"é".repeat(128)).is_ok());
        assert!(check_password(&"x".repeat(129)).is_err());
    }

    #[test]
    fn names_are_optional_and_bounded() {
        assert_eq!(check_name(None), Ok(None));
        assert_eq!(check_name(Some("  ")), Ok(None));
        assert_eq!(check_name(Some(" Ada ")), Ok(Some("Ada".into())));
        assert!(check_name(Some(&"x".repeat(101))).is_err());
    }
}
