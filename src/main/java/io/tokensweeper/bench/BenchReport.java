package io.tokensweeper.bench;

import io.tokensweeper.bench.BenchData.State;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import javax.imageio.ImageIO;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.lines.SeriesLines;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * Writes RESULTS.md (a table per case, the growth table, the scheduler's cost, how long the run took),
 * latency.png (the live workload's latency around each purge, one panel per case with the workload) and
 * cost-by-size.png (seconds and pages per deleted row against table size).
 */
final class BenchReport {
    /** One case as run: the template's facts and every scenario's result, the no-purge baseline first. */
    record CaseResult(BenchCase benchCase, BenchDatabase.Template template, List<ScenarioResult> results) {
        Optional<ScenarioResult> result(String name) {
            return results.stream().filter(r -> r.name().equals(name)).findFirst();
        }
    }

    /** One point of the growth study: a state at a size, the single DELETE and token-sweeper's defaults. */
    record GrowthRow(State state, long rows, long doomed, ScenarioResult single, ScenarioResult sweeper) {
    }

    /** How long one part of the run took. */
    record Part(String name, double seconds) {
    }

    record Report(String setup, List<CaseResult> cases, List<GrowthRow> growth, String clusterCost, List<Part> parts) {
    }

    private BenchReport() {
    }

    static void write(Path directory, Report report) throws IOException {
        Files.createDirectories(directory);
        Files.writeString(directory.resolve("RESULTS.md"), markdown(report));
        List<CaseResult> withWorkload = report.cases().stream().filter(c -> c.benchCase().workload()).toList();
        if (!withWorkload.isEmpty()) {
            stacked(directory.resolve("latency.png"), withWorkload.stream().map(BenchReport::latencyChart).toList(), 1);
        }
        if (!report.growth().isEmpty()) {
            stacked(directory.resolve("cost-by-size.png"), costCharts(report.growth()), 2);
        }
    }

    static String markdown(Report report) {
        StringBuilder md = new StringBuilder("# token-sweeper benchmark results\n\n")
                .append("Written by `java -jar target/token-sweeper.jar bench config.yml`; do not edit by hand. What"
                        + " helped and what did not, found while tuning, is in [FINDINGS.md](FINDINGS.md) next to this"
                        + " file in the repository (bench/).\n\n")
                .append(report.setup()).append("\n\n");
        for (CaseResult c : report.cases()) {
            md.append("## ").append(caseHeading(c)).append("\n\n")
                    .append(capitalized(c.benchCase().data().state().description())).append("; ")
                    .append(c.benchCase().data().state().indexes()).append(". ")
                    .append(c.benchCase().workload() ? "Live workload running." : "No other traffic.");
            if (c.benchCase().data().layout() == BenchData.Layout.PARTITIONED) {
                md.append(' ').append(BenchData.PARTITIONED_TABLE).append("\n\n")
                        .append(partitionedTable(c.results())).append('\n');
            } else {
                md.append("\n\n").append(caseTable(c.results())).append('\n');
            }
        }
        if (report.cases().stream().anyMatch(c -> c.benchCase().workload())) {
            md.append("![live workload latency around each purge](latency.png)\n\n");
        }
        if (!report.growth().isEmpty()) {
            md.append("## How cost grows with the table\n\n")
                    .append("The creation-ordered table at each size of `--sizes`, each state as above (the backlog under"
                            + " the live workload, the steady state without).\n\n")
                    .append(growthTable(report.growth())).append('\n')
                    .append(growthStatements(report.growth())).append('\n')
                    .append("![seconds and pages per deleted row against table size](cost-by-size.png)\n\n");
        }
        md.append(report.clusterCost()).append('\n');
        md.append("## How long this run took\n\n| part | seconds |\n|---|---:|\n");
        double total = 0;
        for (Part part : report.parts()) {
            md.append(String.format(Locale.ROOT, "| %s | %.0f |%n", part.name(), part.seconds()));
            total += part.seconds();
        }
        md.append(String.format(Locale.ROOT, "| **total** | **%.0f** |%n", total));
        return md.toString();
    }

    static String caseHeading(CaseResult c) {
        long rows = c.benchCase().data().rows();
        return String.format(Locale.ROOT, "%s: %,d of %,d rows doomed (%s)", c.benchCase().title(), c.template().doomed(),
                rows, percent((double) c.template().doomed() / rows));
    }

    /** A case's table; the live workload's columns only where it ran. */
    static String caseTable(List<ScenarioResult> results) {
        boolean workload = results.stream().anyMatch(ScenarioResult::workload);
        ScenarioResult single = results.stream().filter(r -> r.name().equals(Scenario.SINGLE_DELETE)).findFirst()
                .orElse(null);
        ScenarioResult baseline = results.stream().filter(r -> r.name().equals(BenchScenarios.BASELINE)).findFirst()
                .orElse(null);
        StringBuilder md = new StringBuilder("| scenario | how it found the rows | rows deleted | seconds | rows/s |"
                + " × single DELETE | pages/row | pages/row × single DELETE | pages: heap + index |");
        StringBuilder align = new StringBuilder("|---|---|---:|---:|---:|---:|---:|---:|---:|");
        if (workload) {
            md.append(" live p50 ms | live p99 ms | live max ms | p99 × no purge | longest purge tx ms |"
                    + " longest live lock wait ms | WAL MiB |");
            align.append("---:|---:|---:|---:|---:|---:|---:|");
        } else {
            md.append(" longest purge tx ms | WAL MiB |");
            align.append("---:|---:|");
        }
        md.append('\n').append(align).append('\n');
        for (ScenarioResult r : results) {
            boolean purged = r.rowsDeleted() > 0;
            md.append(String.format(Locale.ROOT, "| %s | %s | %,d | %.2f | %,.0f | %s | %s | %s | %s |", r.name(), r.how(),
                    r.rowsDeleted(), r.seconds(), r.rowsPerSecond(),
                    single == null || !purged ? "" : ratio(r.rowsPerSecond(), single.rowsPerSecond()),
                    purged ? pagesPerRow(r.pagesPerRow()) : "",
                    single == null || !purged ? "" : ratio(r.pagesPerRow(), single.pagesPerRow()),
                    purged ? pages(r.pages()) : ""));
            if (workload) {
                md.append(String.format(Locale.ROOT, " %s | %s | %s | %s | %.0f | %.0f | %.1f |", number("%.2f", r.p50Ms()),
                        number("%.2f", r.p99Ms()), number("%.1f", r.maxMs()),
                        baseline == null ? "" : ratio(r.p99Ms(), baseline.p99Ms()),
                        r.longestPurgeTransactionMs(), r.longestLockWaitMs(), r.walBytes() / 1048576.0));
            } else {
                md.append(String.format(Locale.ROOT, " %.0f | %.1f |", r.longestPurgeTransactionMs(),
                        r.walBytes() / 1048576.0));
            }
            md.append('\n');
        }
        int errors = results.stream().mapToInt(ScenarioResult::workloadErrors).sum();
        if (errors > 0) {
            md.append(String.format(Locale.ROOT, "%nThe live workload lost %d of its connections to errors in this case:"
                    + " its latencies are of the statements that ran.%n", errors));
        }
        return md.toString();
    }

    /**
     * The partitioned case's table: row deletion against partition drops. No page columns: a dropped partition
     * takes its page counters with it. The ratio is of seconds (the same rows go in every scenario).
     */
    static String partitionedTable(List<ScenarioResult> results) {
        ScenarioResult single = results.stream().filter(r -> r.name().equals(Scenario.SINGLE_DELETE)).findFirst()
                .orElse(null);
        StringBuilder md = new StringBuilder("| scenario | how it found the rows | rows removed | seconds |"
                + " × single DELETE (seconds) | longest purge tx ms | WAL MiB | dead tuples left | partitions left |\n"
                + "|---|---|---:|---:|---:|---:|---:|---:|---:|\n");
        for (ScenarioResult r : results) {
            md.append(String.format(Locale.ROOT, "| %s | %s | %,d | %.2f | %s | %.0f | %.1f | %s | %s |%n", r.name(),
                    r.how(), r.rowsDeleted(), r.seconds(), single == null ? "" : ratio(r.seconds(), single.seconds()),
                    r.longestPurgeTransactionMs(), r.walBytes() / 1048576.0,
                    r.deadTuples() < 0 ? "" : String.format(Locale.ROOT, "%,d", r.deadTuples()),
                    r.partitions() < 0 ? "" : Long.toString(r.partitions())));
        }
        return md.toString();
    }

    static String growthTable(List<GrowthRow> growth) {
        StringBuilder md = new StringBuilder("| table rows | case | rows deleted | single DELETE s | token-sweeper s |"
                + " × single DELETE (rows/s) | single DELETE pages/row | token-sweeper pages/row |"
                + " pages/row × single DELETE |\n|---:|---|---:|---:|---:|---:|---:|---:|---:|\n");
        for (GrowthRow g : sorted(growth)) {
            md.append(String.format(Locale.ROOT, "| %,d | %s | %,d | %.2f | %.2f | %s | %s | %s | %s |%n", g.rows(),
                    g.state().label(), g.sweeper().rowsDeleted(), g.single().seconds(), g.sweeper().seconds(),
                    ratio(g.sweeper().rowsPerSecond(), g.single().rowsPerSecond()),
                    pagesPerRow(g.single().pagesPerRow()), pagesPerRow(g.sweeper().pagesPerRow()),
                    ratio(g.sweeper().pagesPerRow(), g.single().pagesPerRow())));
        }
        return md.toString();
    }

    /** One sentence per state and purge: how its time and pages per deleted row grew from the smallest size. */
    static String growthStatements(List<GrowthRow> growth) {
        StringBuilder md = new StringBuilder();
        for (State state : State.values()) {
            List<GrowthRow> rows = sorted(growth).stream().filter(g -> g.state() == state).toList();
            if (rows.size() < 2) {
                continue;
            }
            GrowthRow first = rows.get(0);
            GrowthRow last = rows.get(rows.size() - 1);
            double size = (double) last.rows() / first.rows();
            md.append(String.format(Locale.ROOT, "- %s, from %,d to %,d rows (×%.1f):", capitalized(state.label()),
                    first.rows(), last.rows(), size));
            md.append(growthOf(" single DELETE", first.single(), last.single(), size)).append(';');
            md.append(growthOf(" token-sweeper", first.sweeper(), last.sweeper(), size)).append(".\n");
        }
        return md.length() == 0 ? "Only one size was measured: no growth to state.\n" : md.toString();
    }

    private static String growthOf(String who, ScenarioResult first, ScenarioResult last, double size) {
        double time = last.seconds() / first.seconds();
        return String.format(Locale.ROOT, "%s time ×%.1f (∝ rows^%.2f), pages per deleted row ×%.2f", who, time,
                Math.log(time) / Math.log(size), last.pagesPerRow() / first.pagesPerRow());
    }

    private static List<GrowthRow> sorted(List<GrowthRow> growth) {
        return growth.stream().sorted(Comparator.comparing(GrowthRow::state).thenComparingLong(GrowthRow::rows)).toList();
    }

    /** a / b to two decimals, blank when b is zero or either is not a number. */
    static String ratio(double a, double b) {
        return b == 0 ? "" : number("%.2f", a / b);
    }

    /** Blank for NaN (no live statement ran during the purge). */
    static String number(String format, double value) {
        return Double.isNaN(value) ? "" : String.format(Locale.ROOT, format, value);
    }

    static String pagesPerRow(double value) {
        return String.format(Locale.ROOT, value < 1 ? "%.3f" : value < 100 ? "%.2f" : "%.0f", value);
    }

    static String pages(PageCount pages) {
        return String.format(Locale.ROOT, "%,d + %,d", pages.heap(), pages.index())
                + (pages.toast() == 0 ? "" : String.format(Locale.ROOT, " + %,d TOAST", pages.toast()));
    }

    static String percent(double fraction) {
        return String.format(Locale.ROOT, fraction < 0.1 ? "%.2f%%" : "%.1f%%", fraction * 100);
    }

    static String capitalized(String text) {
        return text.isEmpty() ? text : Character.toUpperCase(text.charAt(0)) + text.substring(1);
    }

    private static XYChart latencyChart(CaseResult c) {
        XYChart chart = new XYChartBuilder().width(1000).height(420).title(caseHeading(c))
                .xAxisTitle("seconds since the purge started").yAxisTitle("live latency, ms, max per 250 ms (log)").build();
        chart.getStyler().setYAxisLogarithmic(true);
        chart.getStyler().setMarkerSize(3);
        for (ScenarioResult r : c.results()) {
            Map<Long, Long> buckets = new TreeMap<>();
            for (LiveWorkload.Sample s : r.samples()) {
                buckets.merge(Math.floorDiv(s.atMillis() - r.purgeStartMs(), 250), s.latencyMicros(), Math::max);
            }
            List<Double> x = new ArrayList<>();
            List<Double> y = new ArrayList<>();
            buckets.forEach((bucket, micros) -> {
                x.add(bucket * 0.25);
                y.add(Math.max(0.01, micros / 1000.0));
            });
            if (!x.isEmpty()) {
                chart.addSeries(r.name(), x, y).setMarker(SeriesMarkers.NONE);
            }
        }
        return chart;
    }

    private static List<XYChart> costCharts(List<GrowthRow> growth) {
        XYChart seconds = new XYChartBuilder().width(700).height(480).title("Purge time against table size")
                .xAxisTitle("table rows (log)").yAxisTitle("seconds (log)").build();
        XYChart pages = new XYChartBuilder().width(700).height(480).title("Pages per deleted row against table size")
                .xAxisTitle("table rows (log)").yAxisTitle("page accesses per deleted row").build();
        for (XYChart chart : List.of(seconds, pages)) {
            chart.getStyler().setXAxisLogarithmic(true);
            chart.getStyler().setMarkerSize(8);
            chart.getStyler().setXAxisDecimalPattern("#,###");
        }
        seconds.getStyler().setYAxisLogarithmic(true);
        pages.getStyler().setYAxisMin(0.0);
        for (State state : State.values()) {
            List<GrowthRow> rows = sorted(growth).stream().filter(g -> g.state() == state).toList();
            if (rows.isEmpty()) {
                continue;
            }
            List<Double> x = rows.stream().map(g -> (double) g.rows()).toList();
            for (boolean single : new boolean[] {true, false}) {
                String name = (single ? "single DELETE, " : "token-sweeper, ") + state.label();
                List<ScenarioResult> measured = rows.stream().map(g -> single ? g.single() : g.sweeper()).toList();
                style(seconds.addSeries(name, x, measured.stream().map(ScenarioResult::seconds).toList()), single, state);
                style(pages.addSeries(name, x, measured.stream().map(ScenarioResult::pagesPerRow).toList()), single, state);
            }
        }
        return List.of(seconds, pages);
    }

    /** One colour per purge, one line and marker per state. */
    private static void style(XYSeries series, boolean single, State state) {
        Color color = single ? new Color(0x1f, 0x77, 0xb4) : new Color(0xff, 0x7f, 0x0e);
        series.setLineColor(color);
        series.setMarkerColor(color);
        series.setLineStyle(state == State.BACKLOG ? SeriesLines.SOLID : SeriesLines.DASH_DASH);
        series.setMarker(state == State.BACKLOG ? SeriesMarkers.CIRCLE : SeriesMarkers.DIAMOND);
    }

    /** Draws the charts into one PNG, {@code columns} side by side and as many rows as it takes. */
    private static void stacked(Path file, List<XYChart> charts, int columns) throws IOException {
        List<BufferedImage> images = charts.stream().map(BitmapEncoder::getBufferedImage).toList();
        int width = images.stream().mapToInt(BufferedImage::getWidth).max().orElse(1);
        int height = images.stream().mapToInt(BufferedImage::getHeight).max().orElse(1);
        int rows = (images.size() + columns - 1) / columns;
        BufferedImage canvas = new BufferedImage(width * Math.min(columns, images.size()), height * rows,
                BufferedImage.TYPE_INT_RGB);
        Graphics2D graphics = canvas.createGraphics();
        try {
            graphics.setColor(Color.WHITE);
            graphics.fillRect(0, 0, canvas.getWidth(), canvas.getHeight());
            for (int i = 0; i < images.size(); i++) {
                graphics.drawImage(images.get(i), (i % columns) * width, (i / columns) * height, null);
            }
        } finally {
            graphics.dispose();
        }
        ImageIO.write(canvas, "png", file.toFile());
    }
}
