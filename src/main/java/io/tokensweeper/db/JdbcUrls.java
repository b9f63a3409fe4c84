package io.tokensweeper.db;

/**
 * JDBC URLs as they may be shown: pgjdbc accepts a password as a URL parameter, and one may be written as
 * user:password@host (which pgjdbc does not read, and check refuses); neither must ever be printed.
 */
final class JdbcUrls {
    private JdbcUrls() {
    }

    static String withoutPassword(String url) {
        // Up to the last @, whatever the scheme: a password may itself hold / ? or @.
        return url.replaceAll("(?i)([?&](?:password|sslpassword)=)[^&]*", "$1***")
                .replaceAll("^([^/]*//)?.*@", "$1***@");
    }
}
