package io.tokensweeper.purge;

/**
 * Quoting for the few values that end up in SQL text. Only names already found in the catalog and zones
 * already parsed as ZoneIds go through here; nothing from configuration is pasted raw.
 */
final class Sql {
    private Sql() {
    }

    static String identifier(String name) {
        return '"' + name.replace("\"", "\"\"") + '"';
    }

    static String literal(String value) {
        return '\'' + value.replace("'", "''") + '\'';
    }
}
