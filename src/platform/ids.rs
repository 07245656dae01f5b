//! Opaque identifiers and randomness. IDs are UUIDv7: time-ordered, so D1 indexes on
//! them stay append-mostly and `ORDER BY id` is creation order.

use crate::platform::error::ApiError;

/// Fills `buf` from the platform's CSPRNG (WebCrypto on workerd, the OS natively).
pub fn random_bytes(buf: &mut [u8]) -> Result<(), ApiError> {
    getrandom::fill(buf).map_err(|e| ApiError::internal(format!("getrandom: {e}")))
}

/// A new UUIDv7 string for the current time.
pub fn new_id() -> Result<String, ApiError> {
    new_id_at(now_ms())
}

/// A new UUIDv7 string for `unix_ms`, a time the caller has already read (a row's id and
/// its timestamps from one clock read).
pub fn new_id_at(unix_ms: u64) -> Result<String, ApiError> {
    let mut rand = [0u8; 10];
    pooled_random(&mut rand)?;
    Ok(uuid_v7(unix_ms, rand))
}

/// The current time, read through [`now_ms`]. On workerd `chrono::Utc::now()` builds a
/// JavaScript `Date` object to read it, which profiles showed costing about 0.1 ms of CPU
/// on the first call of a request; `Date.now` returns a number for a fraction of that.
/// Clippy refuses `Utc::now()` in this crate (clippy.toml) so every read comes here.
pub fn now() -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::from_timestamp_millis(now_ms() as i64).unwrap_or_default()
}

/// Milliseconds since the Unix epoch (one platform call on workerd: `Date.now`).
pub fn now_ms() -> u64 {
    #[cfg(target_arch = "wasm32")]
    {
        js_sys::Date::now() as u64
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        #[allow(clippy::disallowed_methods)] // natively chrono reads the system clock
        let now = chrono::Utc::now();
        now.timestamp_millis().max(0) as u64
    }
}

thread_local! {
    /// CSPRNG bytes not handed out yet, and how many of them are used: ids take their
    /// random bits from here, one platform call per 25 ids instead of one each.
    static POOL: std::cell::RefCell<([u8; 250], usize)> =
        const { std::cell::RefCell::new(([0; 250], 250)) };
}

/// Fills `out` with CSPRNG bytes from [`POOL`] (straight from the platform when it is
/// larger than the pool); bytes handed out are wiped from it.
fn pooled_random(out: &mut [u8]) -> Result<(), ApiError> {
    POOL.with(|pool| {
        let mut pool = pool.borrow_mut();
        let (bytes, used) = &mut *pool;
        if out.len() > bytes.len() {
            return random_bytes(out);
        }
        if *used + out.len() > bytes.len() {
            random_bytes(bytes)?;
            *used = 0;
        }
        let taken = &mut bytes[*used..*used + out.len()];
        out.copy_from_slice(taken);
        taken.fill(0);
        *used += out.len();
        Ok(())
    })
}

/// Formats a UUIDv7 from a millisecond timestamp and 10 random bytes (RFC 9562 §5.7).
pub fn uuid_v7(unix_ms: u64, rand: [u8; 10]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut b = [0u8; 16];
    b[..6].copy_from_slice(&unix_ms.to_be_bytes()[2..]);
    b[6..].copy_from_slice(&rand);
    b[6] = (b[6] & 0x0f) | 0x70; // version 7
    b[8] = (b[8] & 0x3f) | 0x80; // RFC 4122 variant
    let mut s = String::with_capacity(36);
    for (i, byte) in b.iter().enumerate() {
        if matches!(i, 4 | 6 | 8 | 10) {
            s.push('-');
        }
        s.push(DIGITS[usize::from(byte >> 4)] as char);
        s.push(DIGITS[usize::from(byte & 0x0f)] as char);
    }
    s
}

pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(DIGITS[(b >> 4) as usize] as char);
        s.push(DIGITS[(b & 0x0f) as usize] as char);
    }
    s
}

/// Current time as an RFC 3339 UTC string with millisecond precision.
pub fn now_rfc3339() -> String {
    rfc3339(now())
}

pub fn rfc3339(t: chrono::DateTime<chrono::Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uuid_v7_layout() {
        let id = uuid_v7(0x0190_0000_0001, [0xff; 10]);
        assert_eq!(id.len(), 36);
        assert_eq!(&id[14..15], "7", "version nibble");
        assert!(matches!(&id[19..20], "8" | "9" | "a" | "b"), "variant");
        assert!(id.starts_with("01900000-0001"));
    }

    #[test]
    fn uuid_v7_sorts_by_time() {
        let a = uuid_v7(1_700_000_000_000, [0xff; 10]);
        let b = uuid_v7(1_700_000_000_001, [0x00; 10]);
        assert!(a < b);
    }

    #[test]
    fn now_is_the_clock_in_milliseconds() {
        let before = now_ms() as i64;
        let t = now();
        let after = now_ms() as i64;
        assert!((before..=after).contains(&t.timestamp_millis()));
        assert_eq!(t.timestamp_subsec_nanos() % 1_000_000, 0);
        assert!(t.timestamp() > 1_700_000_000);
    }

    #[test]
    fn new_ids_differ() {
        assert_ne!(new_id().expect("rng"), new_id().expect("rng"));
    }

    #[test]
    fn uuid_v7_groups() {
        let id = uuid_v7(0x0123_4567_89ab, [0x5a; 10]);
        assert_eq!(id, "01234567-89ab-7a5a-9a5a-5a5a5a5a5a5a");
    }

    #[test]
    fn pooled_ids_stay_distinct_across_refills() {
        // 250 bytes serve 25 ids: 100 ids cross three refills.
        let ids: std::collections::HashSet<String> =
            (0..100).map(|_| new_id().expect("rng")).collect();
        assert_eq!(ids.len(), 100);
        let mut a = [0u8; 10];
        let mut b = [0u8; 10];
        pooled_random(&mut a).expect("rng");
        pooled_random(&mut b).expect("rng");
        assert_ne!(a, b);
        let mut large = [0u8; 300];
        pooled_random(&mut large).expect("larger than the pool");
        assert!(large.iter().any(|&x| x != 0));
    }
}
