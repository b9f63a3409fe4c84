package io.tokensweeper;

import java.util.List;
import java.util.Optional;

/** {@code -v}/{@code --version}: the name and the version from the jar's manifest (Implementation-Version). */
final class Version {
    private static final List<String> FLAGS = List.of("-v", "--version");

    private Version() {
    }

    static boolean isAsked(String[] arguments) {
        return arguments.length == 1 && FLAGS.contains(arguments[0]);
    }

    static String line() {
        return "token-sweeper " + Optional.ofNullable(Version.class.getPackage().getImplementationVersion())
                .orElse("(unknown version: not run from the built jar)");
    }
}
