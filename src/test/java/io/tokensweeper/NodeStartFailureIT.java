package io.tokensweeper;

import static org.assertj.core.api.Assertions.assertThat;

import io.tokensweeper.testing.NodeProcess;
import io.tokensweeper.testing.TestDatabase;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code java -jar token-sweeper.jar} as a supervisor sees it when it cannot start, and its version. */
class NodeStartFailureIT {
    private static final String SECRET = "pw-SECRET-0815";

    @TempDir
    Path logs;

    @Test
    void aNodeWhoseDatabaseIsDownSaysSoInOneLineAndExitsNonZero() throws Exception {
        String url = "jdbc:postgresql://127.0.0.1:" + closedPort() + "/auth";
        TestDatabase down = new TestDatabase(url + "?password=" + SECRET, "token_sweeper", SECRET);

        NodeProcess node = NodeProcess.start("down", down, Map.of("database.connectionTimeout", "1s"), logs);
        try {
            int exit = node.awaitExit(Duration.ofSeconds(60));
            List<String> lines = Files.readAllLines(node.log);
            String output = String.join("\n", lines);

            assertThat(exit).as(output).isNotZero();
            assertThat(lines).as(output).filteredOn(line -> line.contains(url)).singleElement().asString()
                    .startsWith("token-sweeper cannot start: Cannot connect to the database " + url
                            + "?password=*** as user token_sweeper: Connection to 127.0.0.1:")
                    .contains("refused").endsWith("Start the database or correct DATABASE_URL; token-sweeper exits now.");
            assertThat(output).doesNotContain(SECRET).doesNotContain("\tat ").doesNotContain("! at ")
                    .doesNotContain("Caused by");
            assertThat(lines).as(output).hasSizeLessThan(8);
        } finally {
            node.close();
        }
    }

    @Test
    void printsItsVersion() throws Exception {
        Process process = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-jar", System.getProperty("sweeper.jar", "target/token-sweeper.jar"), "--version")
                .redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes()).strip();

        assertThat(process.waitFor()).isZero();
        assertThat(output).matches("token-sweeper \\d+\\.\\d+\\.\\d+(-SNAPSHOT)?");
    }

    private static int closedPort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }
}
