package io.tokensweeper;

import static org.assertj.core.api.Assertions.assertThat;

import io.tokensweeper.testing.CliRunner;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.io.TempDir;

/** {@code check config.yml}: bad values fail with a message that names the key. */
class ConfigurationCheckTest {
    /** A password some rows put where a careless message would print it. */
    private static final String SECRET = "s3cret-pw";

    @TempDir
    Path tmp;

    @Test
    void theShippedConfigurationIsValid() throws Exception {
        CliRunner.Outcome outcome = CliRunner.run("check", "config.yml");

        assertThat(outcome.succeeded()).as(outcome.output()).isTrue();
    }

    static Stream<Arguments> badConfigurations() {
        return Stream.of(
                Arguments.of("database:\n  maximumPoolSize: -1\n", "database.maximumPoolSize"),
                Arguments.of("database:\n  url: postgres://db.example/auth\n", "database.url"),
                Arguments.of("database:\n  url: jdbc:mysql://db.example/auth\n", "database.url"),
                Arguments.of("database:\n  schema: \"sweeper; drop schema public\"\n", "database.schema"),
                Arguments.of("cleanup:\n  timeZone: Mars/Olympus_Mons\n", "cleanup.timeZone"),
                Arguments.of("cleanup:\n  batch:\n    size: -5\n", "cleanup.batch.size"),
                Arguments.of("cleanup:\n  batch:\n    lockTimeout: 0ms\n", "cleanup.batch.lockTimeout"),
                Arguments.of("cleanup:\n  refreshTokens:\n    retention: -1 day\n", "cleanup.refreshTokens.retention"),
                Arguments.of("cleanup:\n  refreshTokens:\n    vacuumMinDeletedFraction: 1.5\n",
                        "cleanup.refreshTokens.vacuumMinDeletedFraction must be less than or equal to 1.0"),
                Arguments.of("cleanup:\n  passwordResets:\n    vacuumTimeout: 0s\n",
                        "cleanup.passwordResets.vacuumTimeout must be greater than or equal to 1 SECONDS"),
                Arguments.of("cleanup:\n  refreshTokens:\n    cron: \"0 3 1-5-9 * *\"\n",
                        "cleanup.refreshTokens.cron is not a valid cron expression '0 3 1-5-9 * *':"
                                + " day-of-month '1-5-9' is not a valid range"),
                Arguments.of("cleanup:\n  passwordResets:\n    enabled: false\n    cron: \"{cron}${1+1} 3 * * *\"\n",
                        "cleanup.passwordResets.cron is not a valid cron expression '{cron}${1+1} 3 * * *': minute"),
                Arguments.of("cleanup:\n  passwordResets:\n    timestampZone: Nowhere/Land\n",
                        "cleanup.passwordResets.timestampZone"),
                Arguments.of("environment: tset\n", "environment"),
                Arguments.of("database:\n  maximumPoolSize: 4\nscheduler:\n  threadCount: 2\n",
                        "database.maximumPoolSize 4 must be at least scheduler.threadCount + 3 (5)"),
                Arguments.of("cleanup:\n  batch:\n    method: fast\n", "cleanup.batch.method must be auto, heap or index"),
                Arguments.of("cleanup:\n  batch:\n    workers: 0\n", "cleanup.batch.workers"),
                Arguments.of("cleanup:\n  batch:\n    workers: 8\n",
                        "database.maximumPoolSize 10 must be at least 19 with cleanup.batch.workers 8"),
                // Values check used to accept that then failed at start or in a run:
                Arguments.of("nodeId: \"" + "n".repeat(83) + "\"\n", "nodeId '" + "n".repeat(83) + "' is 83 characters"),
                Arguments.of("nodeId: \"{max}${1+1}" + "n".repeat(75) + "\"\n",
                        "nodeId '{max}${1+1}" + "n".repeat(75) + "' is 86 characters"),
                Arguments.of("nodeId: AUTO\n", "nodeId 'AUTO' is a word Quartz reserves"),
                Arguments.of("nodeId: SYS_PROP\n", "nodeId 'SYS_PROP' is a word Quartz reserves"),
                Arguments.of("cleanup:\n  refreshTokens:\n    cron: \"0 0 0 1 1 ? 2020\"\n",
                        "cleanup.refreshTokens.cron '0 0 0 1 1 ? 2020' never fires again, read in UTC"
                                + " (REFRESH_TOKEN_CLEANUP_CRON)"),
                Arguments.of("cleanup:\n  timeZone: Europe/Berlin\n  passwordResets:\n    cron: \"0 3 31 2 *\"\n",
                        "cleanup.passwordResets.cron '0 3 31 2 *' never fires again, read in Europe/Berlin"),
                Arguments.of("cleanup:\n  timeZone: UTC+05:30\n",
                        "cleanup.timeZone 'UTC+05:30' would be read by Quartz as GMT; write the offset as +05:30"),
                Arguments.of("cleanup:\n  batch:\n    lockTimeout: 30 days\n    statementTimeout: 31 days\n",
                        "cleanup.batch.lockTimeout must be at most 2147483647ms (24 days), PostgreSQL's limit"),
                Arguments.of("cleanup:\n  batch:\n    statementTimeout: 25 days\n",
                        "cleanup.batch.statementTimeout must be at most 2147483647ms (24 days), PostgreSQL's limit"),
                Arguments.of("cleanup:\n  batch:\n    lockTimeout: 2s\n    statementTimeout: 1s\n",
                        "cleanup.batch.statementTimeout 1 second must be longer than lockTimeout 2 seconds"),
                Arguments.of("cleanup:\n  pacing:\n    latencyFactor: 1.2\n",
                        "cleanup.pacing.latencyFactor 1.2 must be 0 (batch latency not watched) or from 1.5 to 100"),
                Arguments.of("cleanup:\n  pacing:\n    maxPause: 0ms\n", "cleanup.pacing.maxPause must be at least 10ms"),
                Arguments.of("cleanup:\n  pacing:\n    maxWalPerSecond: 512KiB\n",
                        "cleanup.pacing.maxWalPerSecond 512 kibibytes must be 0 (no WAL budget) or at least 1MiB"),
                Arguments.of("cleanup:\n  pacing:\n    enabled: false\n    maxWalPerSecond: 32MiB\n",
                        "cleanup.pacing.maxWalPerSecond 32 mebibytes needs pacing: with cleanup.pacing.enabled: false"
                                + " nothing is measured; set enabled: true or maxWalPerSecond: 0"),
                Arguments.of("cleanup:\n  pacing:\n    maxWalPerSecond: 200GiB\n",
                        "cleanup.pacing.maxWalPerSecond must be at most 100GiB"),
                Arguments.of("cleanup:\n  pacing:\n    maxWalPerSecond: fast\n", "cleanup.pacing.maxWalPerSecond"),
                Arguments.of("cleanup:\n  pacing:\n    probeInterval: 2 hours\n",
                        "cleanup.pacing.probeInterval must be at most 1 minute"),
                Arguments.of("cleanup:\n  pacing:\n    maxReplicationLag: -1s\n", "cleanup.pacing.maxReplicationLag"),
                Arguments.of("cleanup:\n  batch:\n    pause: 10s\n  pacing:\n    maxPause: 2s\n",
                        "cleanup.pacing.maxPause 2 seconds must be at least batch.pause 10 seconds, the pause it grows from"),
                // Found by an adversarial try: 150000d was taken as 292 years (a count of nanoseconds saturates),
                // deleting a row expired 300 years ago that the setting keeps.
                Arguments.of("cleanup:\n  refreshTokens:\n    retention: 150000d\n",
                        "cleanup.refreshTokens.retention 150000 days is longer than 36500 days, the longest retention"
                                + " taken"),
                Arguments.of("cleanup:\n  passwordResets:\n    retention: 9223372036854775807d\n",
                        "cleanup.passwordResets.retention 9223372036854775807 days is longer than 36500 days"),
                Arguments.of("cleanup:\n  passwordResets:\n    table: refresh_tokens\n",
                        "cleanup.passwordResets.table public.refresh_tokens is also refreshTokens.table"),
                Arguments.of("scheduler:\n  checkinInterval: 110000000000 days\n",
                        "scheduler.checkinInterval must be at most 1 day"),
                Arguments.of("database:\n  connectionTimeout: 4294967296 seconds\n",
                        "database.connectionTimeout must be less than 2147483647ms (24 days)"),
                Arguments.of("database:\n  url: jdbc:postgresql://sweeper:" + SECRET + "@db.example/auth\n",
                        "database.url 'jdbc:postgresql://***@db.example/auth' holds credentials"),
                Arguments.of("database:\n  url: jdbc:postgresql://db.example:99999/auth?password=" + SECRET + "\n",
                        "database.url 'jdbc:postgresql://db.example:99999/auth?password=***' has a host that is not"),
                Arguments.of("database:\n  url: jdbc:postgresql://db1:5432,:5433/auth\n", "database.url"),
                Arguments.of("database:\n  url: \"postgres://sweeper:" + SECRET + "/?@x@db.example/auth\"\n",
                        "database.url 'postgres://***@db.example/auth' is not 'embedded' or a jdbc:postgresql://"),
                Arguments.of("database:\n  url: \"jdbc:postgresql://db.example/auth?password=" + SECRET + "&x=%zz\"\n",
                        "database.url 'jdbc:postgresql://db.example/auth?password=***&x=%zz' is not a URL the"),
                Arguments.of("database:\n  embedded:\n    dataDirectory: \"./da\\0ta\"\n",
                        "database.embedded.dataDirectory is not a path: Nul character not allowed"),
                Arguments.of("database:\n  schema: user\n", "database.schema 'user' is a PostgreSQL reserved word"),
                Arguments.of("database:\n  schema: pg_sweeper\n",
                        "database.schema 'pg_sweeper' starts with pg_, which PostgreSQL reserves"),
                Arguments.of("server:\n  applicationConnectors:\n    - type: http\n      port: 18480\n"
                                + "  adminConnectors:\n    - type: http\n      bindHost: 127.0.0.1\n      port: 18480\n",
                        "server.adminConnectors[0].port 18480 is also the port of server.applicationConnectors[0]"));
    }

    /** The edges of the rules above: each of these works at start and in a run, so check must accept it. */
    static Stream<String> workingConfigurations() {
        return Stream.of(
                "nodeId: \"" + "n".repeat(82) + "\"\n",
                "nodeId: \"  node-1  \"\n",
                "cleanup:\n  refreshTokens:\n    cron: \"0 0 0 1 1 ? 2099\"\n  passwordResets:\n    cron: \"@daily\"\n",
                "cleanup:\n  refreshTokens:\n    enabled: false\n    cron: \"0 0 0 1 1 ? 2020\"\n",
                "cleanup:\n  refreshTokens:\n    vacuumAfterPurge: true\n    vacuumMinDeletedFraction: 0\n"
                        + "    vacuumTimeout: 24 days\n",
                "cleanup:\n  refreshTokens:\n    retention: 36500d\n  passwordResets:\n    retention: 1999ms\n",
                "cleanup:\n  passwordResets:\n    enabled: false\n    table: refresh_tokens\n",
                "cleanup:\n  timeZone: \"+05:30\"\n",
                "cleanup:\n  timeZone: GMT+05:30\n",
                "cleanup:\n  timeZone: Z\n",
                "cleanup:\n  timeZone: UT\n",
                "cleanup:\n  timeZone: Etc/GMT-5\n",
                "cleanup:\n  batch:\n    lockTimeout: 24 days\n    statementTimeout: 2147483647ms\n",
                "cleanup:\n  pacing:\n    latencyFactor: 0\n    maxReplicationLag: 0s\n    maxWait: 0s\n",
                "cleanup:\n  pacing:\n    maxWalPerSecond: 32MB\n",
                "cleanup:\n  pacing:\n    enabled: false\n    maxWalPerSecond: 0KiB\n",
                "cleanup:\n  pacing:\n    maxWalPerSecond: 0\n",
                "cleanup:\n  batch:\n    pause: 10s\n  pacing:\n    enabled: false\n    maxPause: 2s\n",
                "scheduler:\n  checkinInterval: 1 day\n",
                "database:\n  url: \"jdbc:postgresql://db1:5432,db2:5433/auth?targetServerType=primary&password="
                        + SECRET + "\"\n",
                "database:\n  url: jdbc:postgresql://[::1]:5432/auth\n",
                "database:\n  schema: int\n",
                "admin:\n  username: \"ops:team\"\n",
                "server:\n  applicationConnectors:\n    - type: http\n      bindHost: 127.0.0.1\n      port: 18480\n"
                        + "  adminConnectors:\n    - type: http\n      bindHost: 127.0.0.2\n      port: 18480\n");
    }

    @ParameterizedTest
    @MethodSource("workingConfigurations")
    void acceptsWhatWorks(String yaml) throws Exception {
        Path config = CliRunner.writeConfig(tmp, yaml);

        CliRunner.Outcome outcome = CliRunner.run("check", config.toString());

        assertThat(outcome.succeeded()).as(outcome.output()).isTrue();
        assertThat(outcome.output()).doesNotContain(SECRET);
    }

    @ParameterizedTest
    @MethodSource("badConfigurations")
    void rejectsNamingTheKey(String yaml, String key) throws Exception {
        Path config = CliRunner.writeConfig(tmp, yaml);

        CliRunner.Outcome outcome = CliRunner.run("check", config.toString());

        assertThat(outcome.succeeded()).isFalse();
        assertThat(outcome.output()).contains(key);
        assertThat(outcome.output()).doesNotContain(SECRET).doesNotContain("\tat ");
    }
}
