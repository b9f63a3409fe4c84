package io.tokensweeper.purge;

import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;
import java.util.stream.Collectors;

/** The two purges. Their ids are stored in the database and used in URLs: never derive them from class names. */
public enum JobName {
    REFRESH_TOKENS("refresh-tokens"),
    PASSWORD_RESETS("password-resets");

    private final String id;

    JobName(String id) {
        this.id = id;
    }

    public String id() {
        return id;
    }

    public static Optional<JobName> fromId(String id) {
        String wanted = id == null ? "" : id.trim().toLowerCase(Locale.ROOT);
        return Arrays.stream(values()).filter(job -> job.id.equals(wanted)).findFirst();
    }

    public static String validIds() {
        return Arrays.stream(values()).map(JobName::id).collect(Collectors.joining(", "));
    }

    @Override
    public String toString() {
        return id;
    }
}
