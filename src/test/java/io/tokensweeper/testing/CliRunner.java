package io.tokensweeper.testing;

import io.dropwizard.core.cli.CheckCommand;
import io.dropwizard.core.cli.Cli;
import io.dropwizard.core.setup.Bootstrap;
import io.dropwizard.util.JarLocation;
import io.tokensweeper.TokenSweeperApplication;
import io.tokensweeper.TokenSweeperConfiguration;
import io.tokensweeper.cli.NodeServerCommand;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Runs a command of the application's CLI in this JVM, as {@code java -jar} would, and captures its output.
 * System.out and System.err are swapped for the run, as logback's console appenders write to whichever is
 * current: {@code stderr} holds the CLI's own messages and the log, as a process's stderr would.
 */
public final class CliRunner {
    private CliRunner() {
    }

    public record Outcome(boolean succeeded, String stdout, String stderr, Throwable error) {
        public String output() {
            return stdout + stderr;
        }
    }

    public static synchronized Outcome run(String... arguments) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        PrintStream originalOut = System.out;
        PrintStream originalErr = System.err;
        PrintStream capturedOut = new PrintStream(out, true, StandardCharsets.UTF_8);
        System.setOut(capturedOut);
        try (PrintStream stdErr = new PrintStream(err, true, StandardCharsets.UTF_8)) {
            System.setErr(stdErr);
            TokenSweeperApplication application = new TokenSweeperApplication();
            Bootstrap<TokenSweeperConfiguration> bootstrap = new Bootstrap<>(application);
            bootstrap.addCommand(new NodeServerCommand(application));
            bootstrap.addCommand(new CheckCommand<>(application));
            application.initialize(bootstrap);
            Cli cli = new Cli(new JarLocation(CliRunner.class), bootstrap, capturedOut, stdErr);
            Optional<Throwable> failure = cli.run(arguments);
            return new Outcome(failure.isEmpty(), out.toString(StandardCharsets.UTF_8),
                    err.toString(StandardCharsets.UTF_8), failure.orElse(null));
        } finally {
            System.setOut(originalOut);
            System.setErr(originalErr);
        }
    }

    /** Writes a config file: the given YAML, which must include a database block. */
    public static Path writeConfig(Path directory, String yaml) throws IOException {
        Path file = Files.createTempFile(directory, "config", ".yml");
        Files.writeString(file, yaml);
        return file;
    }

    /** A minimal config pointing at a test database. */
    public static String databaseYaml(TestDatabase database) {
        return "database:\n"
                + "  url: " + database.url() + "\n"
                + "  user: " + database.user() + "\n"
                + "  password: \"" + database.password() + "\"\n";
    }
}
