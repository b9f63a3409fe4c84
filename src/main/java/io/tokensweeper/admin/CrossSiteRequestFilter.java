package io.tokensweeper.admin;

import jakarta.servlet.Filter;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletRequest;
import jakarta.servlet.ServletResponse;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/**
 * Refuses state-changing requests (anything but GET, HEAD, OPTIONS) that a web page could make from an
 * operator's browser: a page on another site can submit a form to 127.0.0.1:8081, and the browser adds
 * cached basic-auth credentials by itself. Browsers mark such requests (Sec-Fetch-Site, Origin), and the
 * only bodies they send cross-site without asking first are form types. curl and scripts send none of
 * these, so they are not affected.
 */
public final class CrossSiteRequestFilter implements Filter {
    private static final Set<String> SAFE_METHODS = Set.of("GET", "HEAD", "OPTIONS");
    private static final Set<String> CROSS_SITE_FETCHES = Set.of("cross-site", "same-site");
    private static final Set<String> FORM_CONTENT_TYPES = Set.of(
            "application/x-www-form-urlencoded", "multipart/form-data", "text/plain");

    @Override
    public void doFilter(ServletRequest request, ServletResponse response, FilterChain chain)
            throws IOException, ServletException {
        HttpServletRequest http = (HttpServletRequest) request;
        Optional<String> refusal = SAFE_METHODS.contains(http.getMethod()) ? Optional.empty() : refusal(http);
        if (refusal.isEmpty()) {
            chain.doFilter(request, response);
            return;
        }
        HttpServletResponse out = (HttpServletResponse) response;
        out.setStatus(HttpServletResponse.SC_FORBIDDEN);
        out.setContentType("text/plain;charset=utf-8");
        out.getWriter().println("refused: " + refusal.get()
                + "; the admin port takes POSTs from scripts (curl) only, never from web pages");
    }

    static Optional<String> refusal(HttpServletRequest request) {
        String fetchSite = request.getHeader("Sec-Fetch-Site");
        if (fetchSite != null && CROSS_SITE_FETCHES.contains(fetchSite.trim().toLowerCase(Locale.ROOT))) {
            return Optional.of("a " + fetchSite.trim() + " request from a browser (Sec-Fetch-Site)");
        }
        String origin = request.getHeader("Origin");
        if (origin != null && !origin.equalsIgnoreCase(ownOrigin(request))) {
            return Optional.of("a request from another origin (Origin: " + printable(origin) + ")");
        }
        String contentType = request.getContentType();
        if (contentType != null && FORM_CONTENT_TYPES.contains(mediaType(contentType))) {
            return Optional.of("a form body (Content-Type: " + mediaType(contentType) + "); send parameters in the URL");
        }
        return Optional.empty();
    }

    private static String ownOrigin(HttpServletRequest request) {
        return request.getScheme() + "://" + request.getHeader("Host");
    }

    private static String mediaType(String contentType) {
        int parameters = contentType.indexOf(';');
        return (parameters < 0 ? contentType : contentType.substring(0, parameters)).trim().toLowerCase(Locale.ROOT);
    }

    /** The header is the caller's text, echoed in a one-line answer: keep it short and on one line. */
    private static String printable(String header) {
        String line = header.replaceAll("[^\\x20-\\x7e]", "?");
        return line.length() > 100 ? line.substring(0, 100) + "..." : line;
    }
}
