-- Sign-in sessions and their refresh tokens live in D1, where rotation is one conditional
-- UPDATE: of simultaneous refreshes with the same token exactly one wins. KV keeps only
-- revocation markers for the per-request access-token check.
CREATE TABLE auth_sessions (
    id         TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    revoked_at TEXT
);
CREATE INDEX auth_sessions_expiry ON auth_sessions (expires_at);

CREATE TABLE refresh_tokens (
    token_hash TEXT PRIMARY KEY,           -- SHA-256 of the token
    session_id TEXT NOT NULL REFERENCES auth_sessions (id) ON DELETE CASCADE,
    user_id    TEXT NOT NULL,
    created_at TEXT NOT NULL,
    rotated_at TEXT                        -- set once: presenting it again is reuse
);
CREATE INDEX refresh_tokens_session ON refresh_tokens (session_id);

-- Wallet sign-in challenges: several may be pending per address, each single use.
CREATE TABLE wallet_challenges (
    nonce      TEXT PRIMARY KEY,
    address    TEXT NOT NULL,
    message    TEXT NOT NULL,
    expires_at TEXT NOT NULL
);
CREATE INDEX wallet_challenges_address ON wallet_challenges (address, expires_at);

-- Withdrawals on chain are requests for the operator's signer until it sends them.
ALTER TABLE suiftly_escrow_transactions ADD COLUMN status TEXT NOT NULL DEFAULT 'completed' CHECK (status IN ('completed', 'pending'));

-- Money cannot be overdrawn or spent past the monthly limit, whatever the interleaving:
-- a debit that would do either aborts its whole batch.
CREATE TRIGGER suiftly_no_overdraft BEFORE UPDATE OF current_balance_usd_cents ON suiftly_customers
WHEN NEW.current_balance_usd_cents < 0 AND NEW.current_balance_usd_cents < OLD.current_balance_usd_cents
BEGIN
    SELECT RAISE(ABORT, 'insufficient_balance');
END;

CREATE TRIGGER suiftly_monthly_limit BEFORE UPDATE OF current_month_charged_usd_cents ON suiftly_customers
WHEN NEW.current_month_charged_usd_cents > OLD.current_month_charged_usd_cents
 AND NEW.current_month_charged_usd_cents > NEW.max_monthly_usd_cents
BEGIN
    SELECT RAISE(ABORT, 'monthly_limit_exceeded');
END;
