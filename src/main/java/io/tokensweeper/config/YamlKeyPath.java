package io.tokensweeper.config;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The dotted key of a line of a YAML block mapping ({@code database.password}), found from the keys and
 * indentation of the lines above it. Reads keys only, never values.
 */
final class YamlKeyPath {
    private static final Pattern KEY = Pattern.compile("^(\\s*)(?:-\\s+)?([A-Za-z0-9_.\\-]+)\\s*:(\\s|$)");

    private YamlKeyPath() {
    }

    /** {@code lineNumber} counts from 1; empty when the line holds no key. */
    static Optional<String> at(List<String> lines, int lineNumber) {
        if (lineNumber < 1 || lineNumber > lines.size()) {
            return Optional.empty();
        }
        Matcher own = KEY.matcher(lines.get(lineNumber - 1));
        if (!own.find()) {
            return Optional.empty();
        }
        Deque<String> path = new ArrayDeque<>(List.of(own.group(2)));
        int indent = own.group(1).length();
        for (int i = lineNumber - 2; i >= 0 && indent > 0; i--) {
            Matcher parent = KEY.matcher(lines.get(i));
            if (parent.find() && parent.group(1).length() < indent) {
                path.addFirst(parent.group(2));
                indent = parent.group(1).length();
            }
        }
        return Optional.of(String.join(".", path));
    }
}
