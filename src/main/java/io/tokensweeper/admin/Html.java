package io.tokensweeper.admin;

import com.google.common.html.HtmlEscapers;

/** Escaping for text placed in HTML; everything that comes from the database goes through it. */
final class Html {
    private Html() {
    }

    /** Guava's escaper (quotes included, so the text is safe in attributes too); null is empty. */
    static String escape(Object value) {
        return value == null ? "" : HtmlEscapers.htmlEscaper().escape(value.toString());
    }
}
