package io.tokensweeper.admin;

import ch.qos.logback.access.jetty.RequestLogImpl;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.util.component.LifeCycle;

/**
 * Keeps logback-access from printing its own status lines to stdout when the server starts (it warns
 * about a version mismatch inside Dropwizard's BOM at every start). Those plain-text lines would break
 * one-JSON-object-per-line logging; real request-log problems still surface through the appenders.
 */
public final class QuietRequestLogStartup implements LifeCycle.Listener {
    @Override
    public void lifeCycleStarting(LifeCycle event) {
        if (event instanceof Server server && server.getRequestLog() instanceof RequestLogImpl requestLog) {
            requestLog.setQuiet(true);
        }
    }
}
