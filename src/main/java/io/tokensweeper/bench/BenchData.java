package io.tokensweeper.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * One table the benchmark seeds into a template database: refresh tokens issued at a steady rate with a
 * fixed lifetime of {@value #LIFETIME_DAYS} days, placed in the heap in one of two {@link Layout}s, in one
 * of two {@link State}s. Both layouts of a state hold exactly the same rows; only their heap order differs.
 * No row expires within 3 hours of seeding, so every scenario cloned from a template finds the same doomed
 * rows (the live workload's revocations aside).
 */
record BenchData(Layout layout, State state, long rows) {
    /** The auth service's refresh tokens, as the benchmark seeds them. */
    private static final String TABLE = """
            CREATE TABLE public.refresh_tokens (
              id          BIGINT       NOT NULL,
              user_id     UUID         NOT NULL,
              token_hash  VARCHAR(128) NOT NULL,
              expires_at  TIMESTAMPTZ  NOT NULL,
              revoked     BOOLEAN      NOT NULL DEFAULT false,
              created_at  TIMESTAMPTZ  NOT NULL DEFAULT now()
            )""";
    static final int LIFETIME_DAYS = 90;
    static final int PARTITION_DAYS = 7;

    /** What the partitioned layout's table is, for the report. */
    static final String PARTITIONED_TABLE = "One partition per " + PARTITION_DAYS + " days of expires_at (bounds"
            + " aligned on the seeding time, so every partition below it expired whole), no default partition; the"
            + " indexes created on the parent, so on every partition: primary key (id, expires_at), unique"
            + " (token_hash, expires_at) (a unique index on a partitioned table must hold the partition key),"
            + " user_id, expires_at. Rows removed are what each purge reports: the DELETE's row count, token-sweeper's"
            + " rows deleted, which counts a dropped partition's rows (counted just before its DROP). Dead tuples left:"
            + " n_dead_tup summed over the partitions left, after the purge (autovacuum off).";

    /** Where the rows sit in the heap. */
    enum Layout {
        /** Appended in creation order, as an auth service inserts them: expired rows cluster at the front. */
        CREATION_ORDERED("creation-ordered"),
        /** The same rows in a pseudo-random heap order: doomed rows scattered through every part of the heap. */
        SCATTERED("scattered"),
        /**
         * Creation-ordered, in a table {@code PARTITION BY RANGE (expires_at)} with one partition per
         * {@value #PARTITION_DAYS} days of expiry, bounds aligned on the seeding time: in the backlog every partition
         * below it wholly expired, the rest live but for their revoked rows. No default partition. Not in the
         * matrix's loop over layouts: a case of its own ({@link BenchPlan#partitioned}).
         */
        PARTITIONED("partitioned by expiry (weekly, creation-ordered)");

        private final String label;

        Layout(String label) {
            this.label = label;
        }

        String label() {
            return label;
        }
    }

    /** How much of the table is doomed, and which indexes it has. */
    enum State {
        /**
         * The first run on a table never purged: tokens issued over two lifetimes, so the older half has
         * expired, plus 2% revoked anywhere. The four indexes an auth service has anyway.
         */
        BACKLOG("backlog", 2 * LIFETIME_DAYS * 86_400L, 0.02, false),
        /**
         * Every day after: the purge ran yesterday, so the table holds one lifetime and one day of tokens;
         * those issued in that extra day expired since the last run (1/91 of the table), plus 0.1% revoked
         * anywhere. The auth service's four indexes plus the recommended partial index on revoked rows
         * (db/recommended-indexes.sql; its expiry index is one of the four).
         */
        STEADY_STATE("steady state", (LIFETIME_DAYS + 1) * 86_400L, 0.001, true);

        private final String label;
        private final long spanSeconds;
        private final double revokedFraction;
        private final boolean recommendedIndexes;

        State(String label, long spanSeconds, double revokedFraction, boolean recommendedIndexes) {
            this.label = label;
            this.spanSeconds = spanSeconds;
            this.revokedFraction = revokedFraction;
            this.recommendedIndexes = recommendedIndexes;
        }

        String label() {
            return label;
        }

        boolean recommendedIndexes() {
            return recommendedIndexes;
        }

        String indexes() {
            return recommendedIndexes
                    ? "five indexes: primary key, token_hash, user_id, expires_at, and the recommended"
                      + " (expires_at) WHERE revoked"
                    : "four indexes: primary key, token_hash, user_id, expires_at";
        }

        /** What the data is, for the report. */
        String description() {
            return this == BACKLOG
                    ? String.format(Locale.ROOT, "tokens issued over %d days (two lifetimes): the older half has expired,"
                            + " plus %.0f%% revoked anywhere", spanSeconds / 86_400, revokedFraction * 100)
                    : String.format(Locale.ROOT, "tokens issued over %d days (a lifetime and the day since the last"
                            + " purge): 1/%d expired in the last day, plus %.1f%% revoked anywhere",
                            spanSeconds / 86_400, spanSeconds / 86_400, revokedFraction * 100);
        }
    }

    BenchData {
        if (rows < 1) {
            throw new IllegalArgumentException("rows must be positive, was " + rows);
        }
    }

    String label() {
        return layout.label() + ", " + state.label() + ", " + String.format(Locale.ROOT, "%,d", rows) + " rows";
    }

    /** The statements that create and fill public.refresh_tokens in an empty database, in order. */
    List<String> seedStatements() {
        List<String> statements = new ArrayList<>();
        statements.add("SET maintenance_work_mem = '512MB'");
        statements.add("SET work_mem = '512MB'");
        // Autovacuum is off on the benchmark's table: a vacuum that started in the middle of one scenario and
        // not of the other would make their times and page counts incomparable.
        if (layout == Layout.PARTITIONED) {
            statements.addAll(partitionedTable());
        } else {
            statements.add(TABLE + " WITH (autovacuum_enabled = false)");
        }
        statements.add("CREATE SEQUENCE public.refresh_tokens_id_seq START " + (rows + 1));
        statements.add("ALTER TABLE public.refresh_tokens ALTER COLUMN id SET DEFAULT"
                + " nextval('public.refresh_tokens_id_seq')");
        // Token i (1 = the oldest) was issued at an even pace over the state's span and lives LIFETIME_DAYS.
        // A token that would expire within 3 hours of now expires in 3 hours instead, so no row turns
        // doomed while the benchmark runs. Revocations are a hash of i: anywhere in time and in the heap.
        String order = layout == Layout.SCATTERED ? " ORDER BY hashint8extended(i, 1)" : "";
        long revokedBelow = Math.round(state.revokedFraction * 1_000_000);
        statements.add(String.format(Locale.ROOT, """
                INSERT INTO public.refresh_tokens (id, user_id, token_hash, expires_at, revoked, created_at)
                SELECT i, md5((i %% 100000)::text)::uuid, 't' || i,
                       CASE WHEN issued + lifetime < t0 THEN issued + lifetime
                            ELSE greatest(issued + lifetime, t0 + interval '3 hours') END,
                       abs(hashint8extended(i, 2) %% 1000000) < %d,
                       issued
                FROM (SELECT i FROM generate_series(1, %d) AS i%s) AS g,
                     (SELECT now() AS t0, interval '1 second' * %d AS lifetime) AS t,
                     LATERAL (SELECT t0 - interval '1 second' * (%d - (i - 0.5) * %s::float8) AS issued) AS c""",
                revokedBelow, rows, order, LIFETIME_DAYS * 86_400L, state.spanSeconds,
                Double.toString((double) state.spanSeconds / rows)));
        // A unique index on a partitioned table must hold its partition key.
        String key = layout == Layout.PARTITIONED ? ", expires_at" : "";
        statements.add("ALTER TABLE public.refresh_tokens ADD PRIMARY KEY (id" + key + ")");
        statements.add("CREATE UNIQUE INDEX refresh_tokens_token_hash_idx ON public.refresh_tokens (token_hash"
                + key + ")");
        statements.add("CREATE INDEX refresh_tokens_user_id_idx ON public.refresh_tokens (user_id)");
        statements.add("CREATE INDEX refresh_tokens_expires_at_idx ON public.refresh_tokens (expires_at)");
        if (state.recommendedIndexes) {
            // Exactly as db/recommended-indexes.sql has it (built without CONCURRENTLY: nobody else is here).
            statements.add("CREATE INDEX refresh_tokens_revoked_idx ON public.refresh_tokens (expires_at) WHERE revoked");
        }
        statements.add("VACUUM (ANALYZE) public.refresh_tokens");
        return statements;
    }

    /**
     * The partitioned parent and its partitions: {@value #PARTITION_DAYS}-day ranges of expires_at from before the
     * oldest expiry (the span before the seeding time) to past the newest (a lifetime after it), aligned on the
     * seeding time. The INSERT's own now() is a few milliseconds later, so a row expired by then is in a partition
     * below it or in the one that starts at it (with live rows): every partition below is wholly expired.
     */
    private List<String> partitionedTable() {
        long below = (state.spanSeconds - LIFETIME_DAYS * 86_400L) / (PARTITION_DAYS * 86_400L) + 1;
        long above = (long) LIFETIME_DAYS / PARTITION_DAYS + 1;
        // Storage parameters go on the partitions: a partitioned table has none.
        return List.of(TABLE + " PARTITION BY RANGE (expires_at)", String.format(Locale.ROOT, """
                DO $$
                DECLARE
                  t0 timestamptz := now();
                  k int;
                BEGIN
                  FOR k IN -%d .. %d LOOP
                    EXECUTE format('CREATE TABLE public.refresh_tokens_p%%s PARTITION OF public.refresh_tokens'
                        || ' FOR VALUES FROM (%%L) TO (%%L) WITH (autovacuum_enabled = false)',
                        lpad((k + %d)::text, 2, '0'), t0 + make_interval(days => k * %d), t0 + make_interval(days => (k + 1) * %d));
                  END LOOP;
                END
                $$""", below, above - 1, below, PARTITION_DAYS, PARTITION_DAYS));
    }
}
