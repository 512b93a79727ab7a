-- The platform's tables. Portable SQL: the same text runs on SQLite and
-- PostgreSQL (TEXT ids made in Rust, BIGINT times in Unix milliseconds,
-- JSON kept as TEXT), so there is one migration set and one SQL code path.
-- Never edit this file once shipped; add a new numbered migration instead.

CREATE TABLE users (
    id TEXT PRIMARY KEY,
    username TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    role TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

-- Browser sessions and API tokens; only a SHA-256 of each secret is stored.
CREATE TABLE credentials (
    token_hash TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users (id),
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    csrf_token TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX credentials_user ON credentials (user_id);

-- Uploaded tables; the contents live encrypted in vault_objects under the same id.
CREATE TABLE datasets (
    id TEXT PRIMARY KEY,
    owner_id TEXT NOT NULL REFERENCES users (id),
    name TEXT NOT NULL,
    row_count BIGINT NOT NULL,
    header_json TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    size_bytes BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE TABLE challenges (
    id TEXT PRIMARY KEY,
    slug TEXT NOT NULL UNIQUE,
    title TEXT NOT NULL,
    description TEXT NOT NULL,
    owner_id TEXT NOT NULL REFERENCES users (id),
    dataset_id TEXT NOT NULL REFERENCES datasets (id),
    spec_json TEXT NOT NULL,
    version BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE submissions (
    id TEXT PRIMARY KEY,
    owner_id TEXT NOT NULL REFERENCES users (id),
    name TEXT NOT NULL,
    role TEXT NOT NULL,
    implementation_json TEXT NOT NULL,
    visibility TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

-- One utility run per (challenge, anonymizer) with attack_id = '', and one
-- privacy run per (challenge, anonymizer, attack).
CREATE TABLE evaluations (
    id TEXT PRIMARY KEY,
    challenge_id TEXT NOT NULL REFERENCES challenges (id),
    anonymizer_id TEXT NOT NULL REFERENCES submissions (id),
    attack_id TEXT NOT NULL,
    state TEXT NOT NULL,
    seed BIGINT NOT NULL,
    metrics_json TEXT,
    error TEXT,
    release_sha256 TEXT,
    versions_json TEXT NOT NULL,
    attempts BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    started_at BIGINT,
    finished_at BIGINT,
    UNIQUE (challenge_id, anonymizer_id, attack_id)
);
CREATE INDEX evaluations_challenge ON evaluations (challenge_id, state);

-- The durable job queue: claimed with a lease, retried after a crash.
CREATE TABLE jobs (
    id TEXT PRIMARY KEY,
    evaluation_id TEXT NOT NULL REFERENCES evaluations (id),
    state TEXT NOT NULL,
    attempts BIGINT NOT NULL,
    max_attempts BIGINT NOT NULL,
    run_after BIGINT NOT NULL,
    lease_owner TEXT,
    lease_until BIGINT,
    last_error TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX jobs_ready ON jobs (state, run_after);

-- Encrypted objects (datasets, releases): XChaCha20-Poly1305 under the vault
-- key, which is never stored here. Kept in the database so that workers on other
-- machines reach them through the same connection.
CREATE TABLE vault_objects (
    name TEXT PRIMARY KEY,
    nonce BYTEA NOT NULL,
    ciphertext BYTEA NOT NULL,
    sha256 TEXT NOT NULL,
    size_bytes BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);

-- Append-only and hash-chained: entry n carries HMAC(key, hash of n-1 || entry n).
CREATE TABLE audit_log (
    seq BIGINT PRIMARY KEY,
    at BIGINT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    target TEXT NOT NULL,
    outcome TEXT NOT NULL,
    detail TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);
