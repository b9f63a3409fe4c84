package io.tokensweeper.admin;

import io.tokensweeper.purge.BatchSettings;
import io.tokensweeper.purge.DeleteSideEffect;
import io.tokensweeper.purge.RunRecord;
import io.tokensweeper.purge.RunSpace;
import io.tokensweeper.purge.RunVacuum;
import io.tokensweeper.purge.pacing.Durations;
import io.tokensweeper.purge.pacing.PacingSettings;
import io.tokensweeper.scheduler.ClusterState;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.List;

/** Renders the dashboard: plain HTML and an inline SVG chart, no JavaScript, nothing fetched from elsewhere. */
final class DashboardPage {
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss 'UTC'")
            .withZone(ZoneOffset.UTC);
    private static final int CHART_WIDTH = 640;
    private static final int CHART_HEIGHT = 120;

    /** {@code lastSpace}: the job's newest run that recorded its table's space, or null. */
    record JobRow(String name, boolean enabled, boolean paused, String cron, String quartzCron, String zone,
                  Instant nextFireTime, RunRecord lastRun, List<DeleteSideEffect> sideEffects, RunRecord lastSpace) {
    }

    private DashboardPage() {
    }

    static String render(String nodeId, String clusterName, boolean schedulerRunning, List<ClusterState.Node> nodes,
                         List<JobRow> jobs, List<RunRecord> runs, BatchSettings batch, Instant now) {
        StringBuilder html = new StringBuilder(8192);
        html.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">")
                .append("<meta http-equiv=\"refresh\" content=\"30\">")
                .append("<title>token-sweeper: ").append(Html.escape(clusterName)).append("</title>")
                .append("<style>").append(STYLE).append("</style></head><body>");
        html.append("<h1>token-sweeper</h1><p class=\"sub\">cluster <b>").append(Html.escape(clusterName))
                .append("</b>, page served by node <b>").append(Html.escape(nodeId)).append("</b> at ")
                .append(time(now)).append(schedulerRunning ? "" : " &mdash; <b>this node runs no scheduler</b>")
                .append(" &middot; refreshes every 30 s</p>");
        nodes(html, nodes, now);
        jobs(html, jobs);
        space(html, jobs);
        sideEffects(html, jobs);
        chart(html, runs);
        runs(html, runs);
        settings(html, batch);
        return html.append("</body></html>\n").toString();
    }

    private static void nodes(StringBuilder html, List<ClusterState.Node> nodes, Instant now) {
        html.append("<h2>Nodes</h2><table><tr><th>node</th><th>last check-in</th><th>state</th></tr>");
        if (nodes.isEmpty()) {
            html.append("<tr><td colspan=\"3\">no node has checked in</td></tr>");
        }
        for (ClusterState.Node node : nodes) {
            html.append("<tr><td>").append(Html.escape(node.id())).append("</td><td>")
                    .append(Duration.between(node.lastCheckin(), now).toMillis()).append(" ms ago</td><td class=\"")
                    .append(node.presumedDead() ? "bad\">presumed dead" : "ok\">alive").append("</td></tr>");
        }
        html.append("</table>");
    }

    private static void jobs(StringBuilder html, List<JobRow> jobs) {
        html.append("<h2>Jobs</h2><table><tr><th>job</th><th>state</th><th>cron</th><th>Quartz cron</th>")
                .append("<th>zone</th><th>next run</th><th>last run</th></tr>");
        for (JobRow job : jobs) {
            String state = !job.enabled() ? "<td class=\"muted\">disabled</td>"
                    : job.paused() ? "<td class=\"warn\">paused</td>" : "<td class=\"ok\">scheduled</td>";
            html.append("<tr><td>").append(Html.escape(job.name())).append("</td>").append(state)
                    .append("<td><code>").append(Html.escape(job.cron())).append("</code></td><td><code>")
                    .append(Html.escape(job.quartzCron())).append("</code></td><td>").append(Html.escape(job.zone()))
                    .append("</td><td>").append(job.nextFireTime() == null ? "" : time(job.nextFireTime()))
                    .append("</td><td>").append(job.lastRun() == null ? "never" : lastRun(job.lastRun()))
                    .append("</td></tr>");
        }
        html.append("</table>");
    }

    /** Each job's table as its newest run left it, and a warning above the table when autovacuum is far behind. */
    private static void space(StringBuilder html, List<JobRow> jobs) {
        html.append("<h2>Table space after the last run</h2>");
        List<JobRow> measured = jobs.stream().filter(job -> job.lastSpace() != null).toList();
        if (measured.isEmpty()) {
            html.append("<p class=\"muted\">no run has read its table's space yet</p>");
            return;
        }
        for (JobRow job : measured) {
            RunSpace space = job.lastSpace().space();
            if (space.autovacuumWarning() != null) {
                html.append("<p class=\"warn\"><b>autovacuum is far behind</b> (").append(Html.escape(job.name()))
                        .append(", run ").append(job.lastSpace().id()).append("): ")
                        .append(Html.escape(space.autovacuumWarning())).append("</p>");
            }
        }
        html.append("<table><tr><th>job</th><th>run</th><th>size (heap)</th><th>live tuples</th><th>dead tuples</th>")
                .append("<th>autovacuum above</th><th>last autovacuum</th><th>last vacuum</th>")
                .append("<th>VACUUM after the run</th></tr>");
        for (JobRow job : measured) {
            RunRecord run = job.lastSpace();
            RunSpace space = run.space();
            html.append("<tr><td>").append(Html.escape(job.name())).append("</td><td>").append(run.id())
                    .append("</td><td class=\"num\">").append(RunSpace.bytes(space.tableBytes())).append(" (")
                    .append(RunSpace.bytes(space.heapBytes())).append(")</td><td class=\"num\">")
                    .append(space.liveTuples()).append("</td><td class=\"num")
                    .append(space.autovacuumWarning() != null ? " warn" : "").append("\">").append(space.deadTuples())
                    .append("</td><td class=\"num\">").append(space.autovacuumThreshold()).append("</td><td>")
                    .append(space.lastAutovacuum() == null ? "never" : time(space.lastAutovacuum())).append("</td><td>")
                    .append(space.lastVacuum() == null ? "never" : time(space.lastVacuum())).append("</td><td>")
                    .append(vacuum(run.vacuum())).append("</td></tr>");
        }
        html.append("</table>");
    }

    private static String vacuum(RunVacuum vacuum) {
        if (vacuum == null) {
            return "<span class=\"muted\">not opted in</span>";
        }
        if (vacuum.ran()) {
            return "<span class=\"ok\">ran, " + vacuum.durationMs() + " ms</span>"
                    + (vacuum.deadTuplesAfter() == null ? "" : ", " + vacuum.deadTuplesAfter() + " dead tuples after");
        }
        boolean notDue = vacuum.note() != null && vacuum.note().startsWith("not due");
        return "<span class=\"" + (notDue ? "muted" : "warn") + "\">" + Html.escape(vacuum.note()) + "</span>";
    }

    private static void sideEffects(StringBuilder html, List<JobRow> jobs) {
        html.append("<h2>What the purges' DELETEs also reach</h2>");
        if (jobs.stream().allMatch(job -> job.sideEffects().isEmpty())) {
            html.append("<p class=\"muted\">no foreign key into a target, no DELETE trigger or rule on one</p>");
            return;
        }
        html.append("<table><tr><th>job</th><th>kind</th><th>name</th><th>other table</th><th>action</th>")
                .append("<th>what it does</th></tr>");
        for (JobRow job : jobs) {
            for (DeleteSideEffect effect : job.sideEffects()) {
                html.append("<tr><td>").append(Html.escape(job.name())).append("</td><td>")
                        .append(Html.escape(effect.kind().id())).append("</td><td>").append(Html.escape(effect.name()))
                        .append("</td><td>").append(Html.escape(effect.otherTable())).append("</td><td class=\"")
                        .append(effect.warrantsWarning() ? "warn" : "muted").append("\">")
                        .append(Html.escape(effect.action())).append("</td><td>")
                        .append(Html.escape(effect.description())).append("</td></tr>");
            }
        }
        html.append("</table>");
    }

    /** This node's batch and pacing settings, under their config.yml keys. */
    private static void settings(StringBuilder html, BatchSettings batch) {
        PacingSettings pacing = batch.pacing();
        html.append("<h2>Purge settings of this node</h2><p class=\"muted\">pacing ")
                .append(Html.escape(pacing.describe())).append("</p><table><tr><th>key</th><th>value</th></tr>");
        setting(html, "cleanup.batch.size", Integer.toString(batch.size()));
        setting(html, "cleanup.batch.pause", Durations.text(batch.pause()));
        setting(html, "cleanup.batch.lockTimeout", Durations.text(batch.lockTimeout()));
        setting(html, "cleanup.batch.statementTimeout", Durations.text(batch.statementTimeout()));
        setting(html, "cleanup.batch.maxRunTime", Durations.text(batch.maxRunTime()));
        setting(html, "cleanup.pacing.enabled", Boolean.toString(pacing.enabled()));
        setting(html, "cleanup.pacing.maxPause", Durations.text(pacing.maxPause()));
        setting(html, "cleanup.pacing.maxWait", Durations.text(pacing.maxWait()));
        setting(html, "cleanup.pacing.probeInterval", Durations.text(pacing.probeInterval()));
        setting(html, "cleanup.pacing.latencyFactor", Double.toString(pacing.latencyFactor()));
        setting(html, "cleanup.pacing.maxReplicationLag", Durations.text(pacing.maxReplicationLag()));
        setting(html, "cleanup.pacing.checkpoints", Boolean.toString(pacing.checkpoints()));
        setting(html, "cleanup.pacing.maxWalPerSecond", pacing.maxWalPerSecond() == 0 ? "0 (no WAL budget)"
                : PacingSettings.sizeText(pacing.maxWalPerSecond()));
        html.append("</table>");
    }

    private static void setting(StringBuilder html, String key, String value) {
        html.append("<tr><td><code>").append(key).append("</code></td><td>").append(Html.escape(value))
                .append("</td></tr>");
    }

    private static String lastRun(RunRecord run) {
        return "<span class=\"" + statusClass(run) + "\">" + Html.escape(run.status().id()) + "</span> "
                + time(run.startedAt()) + ", " + run.rowsDeleted() + " rows";
    }

    private static void chart(StringBuilder html, List<RunRecord> runs) {
        List<RunRecord> real = new java.util.ArrayList<>(runs.stream().filter(r -> !r.dryRun()).limit(40).toList());
        java.util.Collections.reverse(real);
        html.append("<h2>Rows deleted per run</h2>");
        if (real.isEmpty()) {
            html.append("<p class=\"muted\">no runs yet</p>");
            return;
        }
        long max = Math.max(1, real.stream().mapToLong(RunRecord::rowsDeleted).max().orElse(1));
        double slot = (double) CHART_WIDTH / real.size();
        html.append("<svg class=\"chart\" role=\"img\" aria-label=\"rows deleted per run, oldest left\" width=\"")
                .append(CHART_WIDTH).append("\" height=\"").append(CHART_HEIGHT + 16).append("\" viewBox=\"0 0 ")
                .append(CHART_WIDTH).append(' ').append(CHART_HEIGHT + 16).append("\">");
        for (int i = 0; i < real.size(); i++) {
            RunRecord run = real.get(i);
            double height = Math.max(1, (double) run.rowsDeleted() / max * CHART_HEIGHT);
            html.append(String.format(java.util.Locale.ROOT,
                    "<rect class=\"%s\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\"><title>%s</title></rect>",
                    run.job().startsWith("refresh") ? "rt" : "pr", i * slot + 1, CHART_HEIGHT - height,
                    Math.max(1, slot - 2), height,
                    Html.escape("run " + run.id() + " " + run.job() + " " + run.status().id() + ": " + run.rowsDeleted()
                            + " rows on " + run.nodeId())));
        }
        html.append("<text x=\"0\" y=\"").append(CHART_HEIGHT + 13).append("\">max ").append(max)
                .append(" rows; blue: refresh-tokens, orange: password-resets</text></svg>");
    }

    private static void runs(StringBuilder html, List<RunRecord> runs) {
        html.append("<h2>Recent runs</h2><table><tr><th>run</th><th>started</th><th>job</th><th>node</th>")
                .append("<th>trigger</th><th>rows</th><th>skipped</th><th>batches</th><th>method</th><th>duration</th>")
                .append("<th>dead tuples after</th><th>status</th><th>error</th></tr>");
        for (RunRecord run : runs) {
            html.append("<tr><td>").append(run.id()).append("</td><td>").append(time(run.startedAt()))
                    .append("</td><td>").append(Html.escape(run.job())).append("</td><td>")
                    .append(Html.escape(run.nodeId())).append("</td><td>").append(Html.escape(run.trigger()))
                    .append(run.dryRun() ? " (dry run)" : "").append("</td><td class=\"num\">").append(run.rowsDeleted())
                    .append("</td><td class=\"num\">").append(skipped(run))
                    .append("</td><td class=\"num\">").append(run.batches()).append("</td><td title=\"")
                    .append(Html.escape(run.methodReason())).append("\">")
                    .append(run.method() == null ? "" : run.method().id() + " walk").append("</td><td class=\"num\">")
                    .append(run.finishedAt() == null ? "" : Duration.between(run.startedAt(), run.finishedAt()).toMillis()
                            + " ms").append("</td><td class=\"num\">").append(deadTuples(run))
                    .append("</td><td class=\"").append(statusClass(run)).append("\">")
                    .append(Html.escape(run.status().id())).append("</td><td class=\"error\">")
                    .append(Html.escape(run.error())).append("</td></tr>");
        }
        html.append("</table>");
    }

    /** The table's dead tuples after the run (after its VACUUM, when one ran), marked when autovacuum is behind. */
    private static String deadTuples(RunRecord run) {
        if (run.space() == null) {
            return "";
        }
        long dead = run.vacuum() != null && run.vacuum().deadTuplesAfter() != null ? run.vacuum().deadTuplesAfter()
                : run.space().deadTuples();
        String cell = run.space().autovacuumWarning() == null ? Long.toString(dead)
                : "<span class=\"warn\" title=\"" + Html.escape(run.space().autovacuumWarning()) + "\">" + dead
                + " (autovacuum behind)</span>";
        return run.vacuum() != null && run.vacuum().ran() ? cell + "<br><small>VACUUM " + run.vacuum().durationMs()
                + " ms</small>" : cell;
    }

    /** The count, and under it each reason with example keys. */
    private static String skipped(RunRecord run) {
        if (run.rowsSkipped() == 0) {
            return "0";
        }
        StringBuilder cell = new StringBuilder("<span class=\"warn\">").append(run.rowsSkipped()).append("</span>");
        run.skipped().forEach(g -> cell.append("<br><small>").append(Html.escape(g.rows() + ": " + g.reason()
                + (g.examples().isEmpty() ? "" : ", e.g. " + String.join(" / ", g.examples())))).append("</small>"));
        return cell.toString();
    }

    private static String statusClass(RunRecord run) {
        return switch (run.status()) {
            case SUCCEEDED -> "ok";
            case RUNNING -> "warn";
            case INTERRUPTED, PARTIAL -> "warn";
            case FAILED -> "bad";
        };
    }

    private static String time(Instant instant) {
        return instant == null ? "" : TIME.format(instant);
    }

    private static final String STYLE = "body{font:14px system-ui,sans-serif;margin:24px;color:#222}"
            + "h1{margin:0}h2{margin:24px 0 8px;font-size:16px}.sub{color:#666;margin:4px 0 0}"
            + "table{border-collapse:collapse}td,th{border-bottom:1px solid #ddd;padding:4px 10px;text-align:left}"
            + "th{background:#f4f4f4}.num{text-align:right}.ok{color:#1a7f37}.warn{color:#9a6700}.bad{color:#cf222e}"
            + ".muted{color:#888}.error{color:#cf222e;max-width:420px}code{font-size:13px}"
            + ".chart rect.rt{fill:#0969da}.chart rect.pr{fill:#e16f24}.chart text{font-size:11px;fill:#666}";
}
