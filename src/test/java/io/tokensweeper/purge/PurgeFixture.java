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
}
