package io.tokensweeper.db;

/** JDBC URLs as they may be shown: pgjdbc accepts a password as a URL parameter, and it must never be printed. */
final class JdbcUrls {
    private JdbcUrls() {
    }

    static String withoutPassword(String url) {
        return url.replaceAll("(?i)([?&](?:password|sslpassword)=)[^&]*", "$1***");
    }
}
