//! Cryptography: slow and asymmetric work goes through the platform's WebCrypto
//! (`crypto.subtle`, native code in workerd, outside the wasm CPU hot path); cheap hashes
//! (SHA-256, BLAKE2b) run in Rust. Encodings and constant-time comparison live here too.

use base64ct::{Base64, Base64UrlUnpadded, Encoding};
use js_sys::{Array, Object, Reflect, Uint8Array};
use sha2::{Digest, Sha256};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

use crate::platform::error::ApiError;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_namespace = ["crypto", "subtle"], js_name = importKey, catch)]
    fn subtle_import_key(
        format: &str,
        key_data: &Uint8Array,
        algorithm: &JsValue,
        extractable: bool,
        usages: &Array,
    ) -> Result<js_sys::Promise, JsValue>;

    #[wasm_bindgen(js_namespace = ["crypto", "subtle"], js_name = deriveBits, catch)]
    fn subtle_derive_bits(
        algorithm: &JsValue,
        key: &JsValue,
        length: u32,
    ) -> Result<js_sys::Promise, JsValue>;

    #[wasm_bindgen(js_namespace = ["crypto", "subtle"], js_name = verify, catch)]
    fn subtle_verify(
        algorithm: &JsValue,
        key: &JsValue,
        signature: &Uint8Array,
        data: &Uint8Array,
    ) -> Result<js_sys::Promise, JsValue>;

    #[wasm_bindgen(js_namespace = ["crypto", "subtle"], js_name = generateKey, catch)]
    fn subtle_generate_key(
        algorithm: &JsValue,
        extractable: bool,
        usages: &Array,
    ) -> Result<js_sys::Promise, JsValue>;

    #[wasm_bindgen(js_namespace = ["crypto", "subtle"], js_name = exportKey, catch)]
    fn subtle_export_key(format: &str, key: &JsValue) -> Result<js_sys::Promise, JsValue>;

    #[wasm_bindgen(js_namespace = ["crypto", "subtle"], js_name = encrypt, catch)]
    fn subtle_encrypt(
        algorithm: &JsValue,
        key: &JsValue,
        data: &Uint8Array,
    ) -> Result<js_sys::Promise, JsValue>;

}

fn js_err(what: &str) -> impl Fn(JsValue) -> ApiError + '_ {
    move |e| ApiError::internal(format!("webcrypto {what}: {e:?}"))
}

fn algorithm(pairs: &[(&str, JsValue)]) -> Result<JsValue, ApiError> {
    let obj = Object::new();
    for (k, v) in pairs {
        Reflect::set(&obj, &JsValue::from_str(k), v).map_err(js_err("algorithm"))?;
    }
    Ok(obj.into())
}

async fn await_promise(
    p: Result<js_sys::Promise, JsValue>,
    what: &str,
) -> Result<JsValue, ApiError> {
    JsFuture::from(p.map_err(js_err(what))?)
        .await
        .map_err(js_err(what))
}

/// PBKDF2-HMAC-SHA256 through `crypto.subtle.deriveBits`, 32 bytes out.
pub async fn pbkdf2_sha256(
    password: &[u8],
    salt: &[u8],
    iterations: u32,
) -> Result<Vec<u8>, ApiError> {
    let base = await_promise(
        subtle_import_key(
            "raw",
            &Uint8Array::from(password),
            &JsValue::from_str("PBKDF2"),
            false,
            &Array::of1(&JsValue::from_str("deriveBits")),
        ),
        "importKey(PBKDF2)",
    )
    .await?;
    let alg = algorithm(&[
        ("name", "PBKDF2".into()),
        ("hash", "SHA-256".into()),
        ("salt", Uint8Array::from(salt).into()),
        ("iterations", iterations.into()),
    ])?;
    let bits = await_promise(subtle_derive_bits(&alg, &base, 256), "deriveBits").await?;
    Ok(Uint8Array::new(&bits).to_vec())
}

/// Verifies an Ed25519 signature through `crypto.subtle.verify`.
pub async fn ed25519_verify(
    public_key: &[u8; 32],
    message: &[u8],
    signature: &[u8; 64],
) -> Result<bool, ApiError> {
    let alg = algorithm(&[("name", "Ed25519".into())])?;
    let key = match await_promise(
        subtle_import_key(
            "raw",
            &Uint8Array::from(&public_key[..]),
            &alg,
            false,
            &Array::of1(&JsValue::from_str("verify")),
        ),
        "importKey(Ed25519)",
    )
    .await
    {
        Ok(k) => k,
        // Not a valid curve point: not a valid signature either.
        Err(_) => return Ok(false),
    };
    let ok = await_promise(
        subtle_verify(
            &alg,
            &key,
            &Uint8Array::from(&signature[..]),
            &Uint8Array::from(message),
        ),
        "verify(Ed25519)",
    )
    .await?;
    Ok(ok.as_bool().unwrap_or(false))
}

/// A new Ed25519 key pair from WebCrypto: (raw 32-byte public key, PKCS#8 private key).
pub async fn ed25519_generate() -> Result<(Vec<u8>, Vec<u8>), ApiError> {
    let alg = algorithm(&[("name", "Ed25519".into())])?;
    let usages = Array::of2(&JsValue::from_str("sign"), &JsValue::from_str("verify"));
    let pair = await_promise(
        subtle_generate_key(&alg, true, &usages),
        "generateKey(Ed25519)",
    )
    .await?;
    let get =
        |name: &str| Reflect::get(&pair, &JsValue::from_str(name)).map_err(js_err("key pair"));
    let public = await_promise(
        subtle_export_key("raw", &get("publicKey")?),
        "exportKey(raw)",
    )
    .await?;
    let private = await_promise(
        subtle_export_key("pkcs8", &get("privateKey")?),
        "exportKey(pkcs8)",
    )
    .await?;
    Ok((
        Uint8Array::new(&public).to_vec(),
        Uint8Array::new(&private).to_vec(),
    ))
}

async fn aes_key(key: &[u8; 32], usage: &str) -> Result<JsValue, ApiError> {
    await_promise(
        subtle_import_key(
            "raw",
            &Uint8Array::from(&key[..]),
            &JsValue::from_str("AES-GCM"),
            false,
            &Array::of1(&JsValue::from_str(usage)),
        ),
        "importKey(AES-GCM)",
    )
    .await
}

/// AES-256-GCM: returns nonce (12 bytes) ‖ ciphertext+tag.
pub async fn aes_gcm_encrypt(key: &[u8; 32], plaintext: &[u8]) -> Result<Vec<u8>, ApiError> {
    let mut nonce = [0u8; 12];
    crate::platform::ids::random_bytes(&mut nonce)?;
    let k = aes_key(key, "encrypt").await?;
    let alg = algorithm(&[
        ("name", "AES-GCM".into()),
        ("iv", Uint8Array::from(&nonce[..]).into()),
    ])?;
    let ct = await_promise(
        subtle_encrypt(&alg, &k, &Uint8Array::from(plaintext)),
        "encrypt",
    )
    .await?;
    let mut out = nonce.to_vec();
    out.extend(Uint8Array::new(&ct).to_vec());
    Ok(out)
}

pub fn sha256(data: &[u8]) -> [u8; 32] {
    Sha256::digest(data).into()
}

pub fn sha256_hex(data: &[u8]) -> String {
    crate::platform::ids::hex(&sha256(data))
}

/// HMAC-SHA256 (RFC 2104) of `message` under `key`.
pub fn hmac_sha256(key: &[u8], message: &[u8]) -> [u8; 32] {
    const BLOCK: usize = 64;
    let mut k = [0u8; BLOCK];
    if key.len() > BLOCK {
        k[..32].copy_from_slice(&sha256(key));
    } else {
        k[..key.len()].copy_from_slice(key);
    }
    let pad = |byte: u8| k.iter().map(|b| b ^ byte).collect::<Vec<u8>>();
    let mut inner = Sha256::new();
    inner.update(pad(0x36));
    inner.update(message);
    let mut outer = Sha256::new();
    outer.update(pad(0x5c));
    outer.update(inner.finalize());
    outer.finalize().into()
}

/// BLAKE2b with a 256-bit output (Sui addresses and signing digests).
pub fn blake2b_256(parts: &[&[u8]]) -> [u8; 32] {
    let mut h = blake2::Blake2b::<blake2::digest::consts::U32>::new();
    for p in parts {
        h.update(p);
    }
    h.finalize().into()
}

/// Equal-length comparison whose time does not depend on where the inputs differ.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

pub fn b64_encode(data: &[u8]) -> String {
    Base64::encode_string(data)
}

pub fn b64_decode(s: &str) -> Option<Vec<u8>> {
    Base64::decode_vec(s.trim()).ok()
}

pub fn b64url_encode(data: &[u8]) -> String {
    Base64UrlUnpadded::encode_string(data)
}

pub fn b64url_decode(s: &str) -> Option<Vec<u8>> {
    Base64UrlUnpadded::decode_vec(s).ok()
}

/// Random bytes as unpadded base64url (opaque tokens).
pub fn random_token(bytes: usize) -> Result<String, ApiError> {
    let mut buf = vec![0u8; bytes];
    crate::platform::ids::random_bytes(&mut buf)?;
    Ok(b64url_encode(&buf))
}

#[cfg(test)]
mod tests {

    #[test]
    fn hmac_sha256_matches_rfc_4231() {
        let mac = hmac_sha256(&[0x0b; 20], b"Hi There");
        assert_eq!(
            crate::platform::ids::hex(&mac),
            "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"
        );
        let long = hmac_sha256(
            &[0xaa; 131],
            b"Test Using Larger Than Block-Size Key - Hash Key First",
        );
        assert_eq!(
            crate::platform::ids::hex(&long),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"
        );
    }

    use super::*;

    #[test]
    fn sha256_known_vector() {
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn blake2b_256_known_vector() {
        // BLAKE2b-256("abc"), RFC 7693 family test value.
        assert_eq!(
            crate::platform::ids::hex(&blake2b_256(&[b"a", b"bc"])),
            "bddd813c634239723171ef3fee98579b94964e3bb1cb3e427262c8c068d52319"
        );
    }

    #[test]
    fn constant_time_eq_behaves() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"ab"));
    }

    #[test]
    fn base64_round_trips() {
        let data = [0u8, 255, 17, 42, 99];
        assert_eq!(b64_decode(&b64_encode(&data)).as_deref(), Some(&data[..]));
        assert_eq!(
            b64url_decode(&b64url_encode(&data)).as_deref(),
            Some(&data[..])
        );
        assert!(b64url_decode("***").is_none());
    }
}
