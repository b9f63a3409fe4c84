package io.tokensweeper;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.tokensweeper.testing.NodeProcess;
import io.tokensweeper.testing.PostgresExtension;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * deploy/healthcheck.sh, the image's HEALTHCHECK and the Kubernetes readiness probe, against a real node
 * whose admin port requires a password: it passes with the node's credentials only.
 */
class HealthCheckScriptIT {
    private static final String ADMIN_PASSWORD = "probe-\"pw\"-4711";

    @RegisterExtension
    static final PostgresExtension POSTGRES = new PostgresExtension().withSetup("db/demo/auth-schema.sql");

    @TempDir
    Path logs;

    @Test
    void passesWithTheNodesCredentialsAndFailsWithout() throws Exception {
        Map<String, String> environment = Map.of("ADMIN_PASSWORD", ADMIN_PASSWORD.replace("\"", "\\\""));
        NodeProcess node = NodeProcess.start("probed", POSTGRES.database(), environment, Map.of(), logs);
        try {
            node.awaitUp(Duration.ofSeconds(90));
            String port = Integer.toString(node.adminPort);

            assertThat(awaitPass(Map.of("ADMIN_PORT", port, "ADMIN_PASSWORD", ADMIN_PASSWORD)))
                    .as(node.tail()).isZero();
            assertThat(check(Map.of("ADMIN_PORT", port, "ADMIN_PASSWORD", "wrong"))).isNotZero();
            assertThat(check(Map.of("ADMIN_PORT", port))).isNotZero();
        } finally {
            node.close();
        }
    }

    private static int awaitPass(Map<String, String> environment) {
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(500))
                .until(() -> check(environment) == 0);
        return 0;
    }

    private static int check(Map<String, String> environment) throws Exception {
        ProcessBuilder builder = new ProcessBuilder("bash", "deploy/healthcheck.sh").redirectErrorStream(true);
        builder.environment().remove("ADMIN_PASSWORD");
        builder.environment().putAll(environment);
        Process process = builder.start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!process.waitFor(20, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new AssertionError("healthcheck.sh still running after 20 s: " + output);
        }
        return process.exitValue();
    }
}
