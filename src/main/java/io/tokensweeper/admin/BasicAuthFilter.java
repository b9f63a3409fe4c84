package io.tokensweeper.admin;

import jakarta.servlet.Filter;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletRequest;
import jakarta.servlet.ServletResponse;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;

/**
 * HTTP basic authentication for everything on the admin port but {@code /ping} (liveness probes).
 * Credentials are compared as SHA-256 digests with {@link MessageDigest#isEqual}, so the time taken
 * says nothing about how much of a guess was right.
 */
public final class BasicAuthFilter implements Filter {
    private static final String OPEN_PATH = "/ping";

    private final byte[] expected;

    public BasicAuthFilter(String username, String password) {
        this.expected = digest(username + ":" + password);
    }

    @Override
    public void doFilter(ServletRequest request, ServletResponse response, FilterChain chain)
            throws IOException, ServletException {
        HttpServletRequest http = (HttpServletRequest) request;
        if (OPEN_PATH.equals(path(http)) || authorized(http.getHeader("Authorization"))) {
            chain.doFilter(request, response);
            return;
        }
        HttpServletResponse out = (HttpServletResponse) response;
        out.setStatus(HttpServletResponse.SC_UNAUTHORIZED);
        out.setHeader("WWW-Authenticate", "Basic realm=\"token-sweeper admin\", charset=\"UTF-8\"");
        out.setContentType("text/plain;charset=utf-8");
        out.getWriter().println("authentication required");
    }

    private boolean authorized(String header) {
        if (header == null || !header.regionMatches(true, 0, "Basic ", 0, 6)) {
            return false;
        }
        String credentials;
        try {
            credentials = new String(Base64.getDecoder().decode(header.substring(6).trim()), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            return false;
        }
        return MessageDigest.isEqual(expected, digest(credentials));
    }

    private static String path(HttpServletRequest request) {
        String servletPath = request.getServletPath() == null ? "" : request.getServletPath();
        String pathInfo = request.getPathInfo() == null ? "" : request.getPathInfo();
        return servletPath + pathInfo;
    }

    private static byte[] digest(String text) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }
}
