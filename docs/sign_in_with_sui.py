# Signs in to edge-api with a Sui (Ed25519) key, as a wallet does.
# pip install pynacl; python3 docs/sign_in_with_sui.py [http://127.0.0.1:8787] [--seed HEX]
# A new key each run, whose seed it prints (to standard error) so that --seed HEX signs in
# again as the same wallet, the same user.
import base64, hashlib, json, sys, urllib.request
from nacl.signing import SigningKey

def post(base, path, body):
    req = urllib.request.Request(base + path, json.dumps(body).encode(), {"Content-Type": "application/json"})
    return json.load(urllib.request.urlopen(req))

def sign_in(base, key):
    pub = bytes(key.verify_key)
    address = "0x" + hashlib.blake2b(b"\x00" + pub, digest_size=32).hexdigest()  # flag 0 = Ed25519
    message = post(base, "/api/auth/wallet/challenge", {"address": address})["message"].encode()
    n, length = len(message), b""  # BCS: the message as vector<u8>, its length in ULEB128
    while True:
        length += bytes([(n & 0x7F) | (0x80 if n > 0x7F else 0)]); n >>= 7
        if not n: break
    digest = hashlib.blake2b(bytes([3, 0, 0]) + length + message, digest_size=32).digest()  # PersonalMessage intent
    signature = base64.b64encode(b"\x00" + key.sign(digest).signature + pub).decode()  # flag ‖ sig ‖ public key
    return address, post(base, "/api/auth/wallet/verify", {"address": address, "signature": signature})

if __name__ == "__main__":
    args = sys.argv[1:]
    seed = None
    if "--seed" in args:
        at = args.index("--seed")
        if at + 1 >= len(args):
            sys.exit("--seed needs the 64 hex digits a previous run printed")
        seed = args[at + 1]
        del args[at:at + 2]
    try:
        key = SigningKey(bytes.fromhex(seed)) if seed else SigningKey.generate()
    except ValueError:
        sys.exit("--seed must be 64 hex digits (32 bytes)")
    address, tokens = sign_in(args[0] if args else "http://127.0.0.1:8787", key)
    print(address, tokens["access_token"][:24] + "…")
    print(f"sign in again as this wallet: --seed {bytes(key).hex()}", file=sys.stderr)
