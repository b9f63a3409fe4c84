package io.tokensweeper.db;

/**
 * JDBC URLs as they may be shown: pgjdbc accepts a password as a URL parameter, and one may be written as
 * user:password@host (which pgjdbc does not read); neither must ever be printed.
 */
final class JdbcUrls {
    private JdbcUrls() {
    }

    static String withoutPassword(String url) {
        return url.replaceAll("(?i)([?&](?:password|sslpassword)=)[^&]*", "$1***")
                .replaceAll("^(jdbc:postgresql://)[^/]*@", "$1***@");
    }
}
