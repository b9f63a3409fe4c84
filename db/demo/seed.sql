-- Seeds a realistic mix into the demo tables, only when they are empty (a restart keeps the data).
-- Refresh tokens: about 55% live, 25% expired, 15% revoked but unexpired, 5% revoked and expired.
-- Password resets: about 30% live, 40% used, 30% expired. Parameters: :refresh_tokens, :password_resets.
INSERT INTO public.refresh_tokens (user_id, token_hash, expires_at, revoked, created_at)
SELECT md5((i % 5000)::text)::uuid,
       encode(sha256(('rt-' || i || '-' || clock_timestamp())::bytea), 'hex'),
       CASE WHEN r < 0.55 OR (r >= 0.80 AND r < 0.95) THEN now() + (1 + random() * 29) * interval '1 day'
            ELSE now() - (1 + random() * 89) * interval '1 day' END,
       r >= 0.80,
       now() - random() * interval '90 days'
FROM (SELECT i, random() AS r FROM generate_series(1, :refresh_tokens) AS i) s
WHERE NOT EXISTS (SELECT 1 FROM public.refresh_tokens);

INSERT INTO public.password_resets (user_id, token_hash, expires_at, used, created_at)
SELECT md5((i % 5000)::text)::uuid,
       encode(sha256(('pr-' || i || '-' || clock_timestamp())::bytea), 'hex'),
       CASE WHEN r < 0.70 THEN now() + random() * interval '1 hour'
            ELSE now() - (1 + random() * 29) * interval '1 day' END,
       r >= 0.30 AND r < 0.70,
       now() - random() * interval '30 days'
FROM (SELECT i, random() AS r FROM generate_series(1, :password_resets) AS i) s
WHERE NOT EXISTS (SELECT 1 FROM public.password_resets);
