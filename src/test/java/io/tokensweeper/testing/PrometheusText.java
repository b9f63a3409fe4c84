package io.tokensweeper.testing;

import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

/** Reads samples out of a /prometheus answer (text format 0.0.4), for assertions. */
public final class PrometheusText {
    private final String exposition;

    public PrometheusText(String exposition) {
        this.exposition = exposition;
    }

    /** The names of all samples: a summary's family gives name, name_count and name_sum. */
    public Set<String> sampleNames() {
        return exposition.lines().filter(line -> !line.isBlank() && !line.startsWith("#"))
                .map(line -> line.split("[ {]", 2)[0]).collect(Collectors.toSet());
    }

    /** The value of the sample written exactly so, labels in the order the exporter writes them. */
    public Optional<Double> value(String sample) {
        return exposition.lines().filter(line -> line.startsWith(sample + " "))
                .map(line -> Double.parseDouble(line.substring(sample.length() + 1).split(" ")[0])).findFirst();
    }

    public double valueOf(String sample) {
        return value(sample).orElseThrow(() -> new AssertionError("no sample " + sample + " in:\n" + exposition));
    }

    @Override
    public String toString() {
        return exposition;
    }
}
