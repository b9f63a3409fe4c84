package io.tokensweeper.scheduler;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.concurrent.ThreadLocalRandom;

/** The id a node goes by in Quartz's tables, the run history and the logs. */
public final class NodeIds {
    /**
     * Quartz stores a fired trigger under the node id plus a 13-digit counter in a VARCHAR(95), so a longer
     * id fails at the first fire, not at start.
     */
    public static final int MAX_LENGTH = 95 - 13;

    private NodeIds() {
    }

    /** The configured id, or host name, process id and a random suffix, unique even for nodes in one JVM. */
    public static String resolve(String configured) {
        if (configured != null && !configured.isBlank()) {
            return configured.trim();
        }
        String unique = "-" + ProcessHandle.current().pid() + "-"
                + Integer.toString(ThreadLocalRandom.current().nextInt(36 * 36 * 36), 36);
        String host = hostName();
        return host.substring(0, Math.min(host.length(), MAX_LENGTH - unique.length())) + unique;
    }

    public static String forCli() {
        return hostName() + "-cli-" + ProcessHandle.current().pid();
    }

    private static String hostName() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (UnknownHostException e) {
            return "unknown-host";
        }
    }
}
