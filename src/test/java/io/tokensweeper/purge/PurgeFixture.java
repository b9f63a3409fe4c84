package io.tokensweeper.purge;

import com.codahale.metrics.MetricRegistry;
import io.tokensweeper.db.Migrations;
import io.tokensweeper.testing.TestDatabase;
import java.time.Clock;
import java.time.Duration;

/** Builds a purge service on a test database, as a node would, with settings a test chooses. */
final class PurgeFixture {
    static final BatchSettings SMALL_BATCHES = new BatchSettings(100, Duration.ZERO, Duration.ofSeconds(2),
            Duration.ofSeconds(30), Duration.ofMinutes(5));

    private PurgeFixture() {
    }

    /** Appends {@code rows} tokens to public.refresh_tokens (id, tag, expires_at, revoked): expired a day ago or valid a day. */
    static void seedTokens(TestDatabase db, String tag, int rows, boolean doomed) {
        db.execute("INSERT INTO public.refresh_tokens (tag, expires_at) SELECT '" + tag + "', now() "
                + (doomed ? "-" : "+") + " interval '1 day' FROM generate_series(1, " + rows + ")");
    }

    static long countTokens(TestDatabase db, String where) {
        return db.queryLong("SELECT count(*) FROM public.refresh_tokens WHERE " + where);
    }

    static void migrate(TestDatabase db) {
        new Migrations(db.dataSource(), "sweeper").migrate();
    }

    static PurgeService start(TestDatabase db, CleanupFactory config, BatchSettings batch) {
        PurgeService service = new PurgeService(config, batch, db.dataSource(), "sweeper", new MetricRegistry(),
                "test-node", Clock.systemUTC());
        service.start();
        return service;
    }

    static CleanupFactory refreshTokensOnly(String schema, String table, String expiresAt, String revoked) {
        CleanupFactory config = new CleanupFactory();
        config.getRefreshTokens().setSchema(schema);
        config.getRefreshTokens().setTable(table);
        config.getRefreshTokens().setExpiresAtColumn(expiresAt);
        config.getRefreshTokens().setRevokedColumn(revoked);
        config.getPasswordResets().setEnabled(false);
        return config;
    }

    static CleanupFactory passwordResetsOnly(String schema, String table, String expiresAt, String used) {
        CleanupFactory config = new CleanupFactory();
        config.getPasswordResets().setSchema(schema);
        config.getPasswordResets().setTable(table);
        config.getPasswordResets().setExpiresAtColumn(expiresAt);
        config.getPasswordResets().setUsedColumn(used);
        config.getRefreshTokens().setEnabled(false);
        return config;
    }

    /** A login role with what a purge of public.refresh_tokens needs (db/least-privilege.sql's grants, in short). */
    static void grantPurge(TestDatabase admin, String role, String password) {
        admin.execute("DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '" + role + "') THEN"
                + " CREATE ROLE " + role + " LOGIN PASSWORD '" + password + "'; END IF; END $$;"
                + " GRANT SELECT, DELETE ON public.refresh_tokens TO " + role + ";"
                + " GRANT USAGE ON SCHEMA sweeper TO " + role + ";"
                + " GRANT SELECT, INSERT, UPDATE ON sweeper.cleanup_runs TO " + role);
    }

    static void revokePurge(TestDatabase admin, String role) {
        admin.execute("REVOKE ALL ON public.refresh_tokens FROM " + role + "; REVOKE ALL ON sweeper.cleanup_runs FROM "
                + role + "; REVOKE USAGE ON SCHEMA sweeper FROM " + role);
    }
}
