package io.tokensweeper.db;

import static org.assertj.core.api.Assertions.assertThat;

import io.tokensweeper.testing.CliRunner;
import io.tokensweeper.testing.PostgresExtension;
import io.tokensweeper.testing.TestDatabase;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

class MigrationsTest {
    @RegisterExtension
    static final PostgresExtension POSTGRES = new PostgresExtension();

    /** Every versioned script in db/migration. */
    private static final long MIGRATIONS = countMigrations();

    @TempDir
    Path tmp;

    private static long countMigrations() {
        try (var files = java.nio.file.Files.list(Path.of("db/migration"))) {
            return files.filter(f -> f.getFileName().toString().matches("V\\d+__.*\\.sql")).count();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Test
    void migrateCommandTwiceIsHarmless() throws Exception {
        TestDatabase db = POSTGRES.database();
        Path config = CliRunner.writeConfig(tmp, CliRunner.databaseYaml(db));

        CliRunner.Outcome first = CliRunner.run("migrate", config.toString());
        CliRunner.Outcome second = CliRunner.run("migrate", config.toString());

        assertThat(first.succeeded()).as(first.output()).isTrue();
        assertThat(second.succeeded()).as(second.output()).isTrue();
        assertThat(second.stdout()).contains("Migrations of schema sweeper are applied");
        assertThat(db.queryLong("SELECT count(*) FROM sweeper.flyway_schema_history WHERE success AND type = 'SQL'")).isEqualTo(MIGRATIONS);
        assertThat(db.queryLong("SELECT count(*) FROM sweeper.flyway_schema_history WHERE NOT success")).isZero();
    }

    @Test
    void concurrentMigrationsOfAnEmptyDatabaseEndInOneConsistentSchema() throws Exception {
        TestDatabase db = POSTGRES.newDatabase();
        int nodes = 4;
        CyclicBarrier together = new CyclicBarrier(nodes);
        ExecutorService pool = Executors.newFixedThreadPool(nodes);
        List<TestDatabase> connections = new ArrayList<>();
        List<Future<?>> runs = new ArrayList<>();
        try {
            for (int i = 0; i < nodes; i++) {
                TestDatabase own = POSTGRES.reconnect(db);
                connections.add(own);
                runs.add(pool.submit(() -> {
                    together.await(10, TimeUnit.SECONDS);
                    return new Migrations(own.dataSource(), "sweeper").migrate();
                }));
            }
            for (Future<?> run : runs) {
                run.get(60, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
            connections.forEach(TestDatabase::close);
        }

        assertThat(db.queryLong("SELECT count(*) FROM sweeper.flyway_schema_history WHERE success AND type = 'SQL'")).isEqualTo(MIGRATIONS);
        assertThat(db.queryLong("SELECT count(*) FROM sweeper.flyway_schema_history WHERE type = 'SQL'")).isEqualTo(MIGRATIONS);
        assertThat(db.queryLong("SELECT count(*) FROM information_schema.tables WHERE table_schema = 'sweeper'"
                + " AND table_name LIKE 'qrtz%'")).isEqualTo(11);
        assertThat(db.queryLong("SELECT count(*) FROM sweeper.cleanup_runs")).isZero();
        db.close();
    }
}
