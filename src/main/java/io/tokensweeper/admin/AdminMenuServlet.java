package io.tokensweeper.admin;

import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;

/** The admin port's front page: Dropwizard's operational menu, plus the dashboard and the tasks. */
public final class AdminMenuServlet extends HttpServlet {
    private static final long serialVersionUID = 1L;

    @Override
    protected void doGet(HttpServletRequest request, HttpServletResponse response) throws IOException {
        response.setContentType("text/html;charset=utf-8");
        response.getWriter().write("""
                <!DOCTYPE html>
                <html lang="en"><head><meta charset="utf-8"><title>token-sweeper admin</title>
                <style>body{font:14px system-ui,sans-serif;margin:24px}li{margin:4px 0}code{font-size:13px}</style>
                </head><body><h1>token-sweeper admin</h1><ul>
                <li><a href="dashboard">Dashboard</a>: nodes, jobs, recent runs</li>
                <li><a href="healthcheck?pretty=true">Health checks</a></li>
                <li><a href="metrics?pretty=true">Metrics</a> (JSON) and <a href="prometheus">Prometheus</a></li>
                <li><a href="ping">Ping</a>, <a href="threads">Threads</a></li>
                </ul><h2>Tasks (POST)</h2><ul>
                <li><code>POST /tasks/run-cleanup?job=refresh-tokens|password-resets|all&amp;dryRun=&amp;wait=</code></li>
                <li><code>POST /tasks/pause-cleanup?job=</code>, <code>POST /tasks/resume-cleanup?job=</code></li>
                </ul></body></html>
                """);
    }
}
