-- AnoMed submissions: the secret in the challenge URL each app is started
-- with identifies it (only its SHA-256 is stored), and the figures our own
-- utility routes measured for it (never what the app or a challenge claims).

CREATE TABLE anomed_links (
    token_hash TEXT PRIMARY KEY,
    submission_id TEXT NOT NULL UNIQUE REFERENCES submissions (id),
    challenge_id TEXT NOT NULL REFERENCES challenges (id),
    created_at BIGINT NOT NULL
);

-- One row per submission and round; 'validation' is written once.
CREATE TABLE anomed_results (
    submission_id TEXT NOT NULL REFERENCES submissions (id),
    data_split TEXT NOT NULL,
    metrics_json TEXT NOT NULL,
    calls BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (submission_id, data_split)
);
