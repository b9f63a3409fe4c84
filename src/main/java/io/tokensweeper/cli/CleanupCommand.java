package io.tokensweeper.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.dropwizard.core.cli.Cli;
import io.dropwizard.core.cli.ConfiguredCommand;
import io.dropwizard.core.setup.Bootstrap;
import io.tokensweeper.TokenSweeperConfiguration;
import io.tokensweeper.db.Database;
import io.tokensweeper.purge.JobName;
import io.tokensweeper.purge.PurgeRequest;
import io.tokensweeper.purge.PurgeResult;
import io.tokensweeper.purge.PurgeService;
import io.tokensweeper.purge.RunStatus;
import io.tokensweeper.scheduler.NodeIds;
import java.io.PrintStream;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import net.sourceforge.argparse4j.impl.Arguments;
import net.sourceforge.argparse4j.inf.Namespace;
import net.sourceforge.argparse4j.inf.Subparser;

/**
 * {@code cleanup config.yml [--job ...] [--dry-run] [--json]}: one purge now, in this process, for users who
 * drive token-sweeper from an outside cron. Its stdout carries only the result, one summary line (or one JSON
 * object) per job; the log goes to stderr. Exits 0 when every job succeeded, 3 when every job went through
 * its table but some left doomed rows they could not delete, 1 otherwise.
 */
public class CleanupCommand extends ConfiguredCommand<TokenSweeperConfiguration> {
    private static final String ALL = "all";

    public CleanupCommand() {
        super("cleanup", "Run the purge now in this process and exit");
    }

    @Override
    public void configure(Subparser subparser) {
        super.configure(subparser);
        List<String> choices = new ArrayList<>();
        Arrays.stream(JobName.values()).map(JobName::id).forEach(choices::add);
        choices.add(ALL);
        subparser.addArgument("--job").choices(choices).setDefault(ALL)
                .help("which purge to run; all means every enabled one");
        subparser.addArgument("--dry-run").dest("dryRun").action(Arguments.storeTrue())
                .help("count what would be deleted, delete nothing");
        subparser.addArgument("--json").dest("json").action(Arguments.storeTrue())
                .help("print one JSON object per job instead of a summary line");
    }

    /** Before the configuration is parsed and logging configured from it: the log must not reach stdout. */
    @Override
    @SuppressWarnings("unchecked")
    public void run(Bootstrap<?> bootstrap, Namespace namespace) throws Exception {
        Bootstrap<TokenSweeperConfiguration> typed = (Bootstrap<TokenSweeperConfiguration>) bootstrap;
        typed.setConfigurationFactoryFactory(new ConsoleLogsToStderr<>(typed.getConfigurationFactoryFactory()));
        super.run(bootstrap, namespace);
    }

    @Override
    protected void run(Bootstrap<TokenSweeperConfiguration> bootstrap, Namespace namespace,
                       TokenSweeperConfiguration config) throws Exception {
        String jobArgument = namespace.getString("job");
        boolean dryRun = namespace.getBoolean("dryRun");
        boolean json = namespace.getBoolean("json");
        ObjectMapper mapper = bootstrap.getObjectMapper();
        PrintStream out = System.out;
        CountDownLatch finished = new CountDownLatch(1);
        try (Database database = config.getDatabase().build(bootstrap.getMetricRegistry(), "cli")) {
            database.start();
            PurgeService purgeService = new PurgeService(config.getCleanup(), database.dataSource(),
                    database.schema(), bootstrap.getMetricRegistry(), NodeIds.forCli(), Clock.systemUTC());
            purgeService.start();
            Thread hook = stopOnSignal(purgeService, finished);
            List<JobName> jobs = jobsToRun(jobArgument, purgeService, config);
            List<PurgeResult> failed = new ArrayList<>();
            List<PurgeResult> partial = new ArrayList<>();
            for (JobName job : jobs) {
                PurgeResult result = purgeService.run(job, PurgeRequest.cli(dryRun));
                out.println(json ? asJson(mapper, result) : result.summary());
                if (result.status() == RunStatus.PARTIAL) {
                    partial.add(result);
                } else if (!result.succeeded()) {
                    failed.add(result);
                }
            }
            finished.countDown();
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException shuttingDown) {
                // Ctrl-C arrived: the hook is running and waits for `finished`, counted down above.
            }
            if (!failed.isEmpty()) {
                throw new ExitCode(ExitCode.FAILED, failed.size() + " of " + jobs.size() + " purge(s) did not succeed");
            }
            if (!partial.isEmpty()) {
                throw new ExitCode(ExitCode.ROWS_SKIPPED, partial.size() + " of " + jobs.size() + " purge(s) left doomed"
                        + " rows they could not delete (see the summary); the next run tries them again");
            }
        } finally {
            finished.countDown();
        }
    }

    private static String asJson(ObjectMapper mapper, PurgeResult result) throws JsonProcessingException {
        return mapper.writeValueAsString(JobReport.of(result));
    }

    private static List<JobName> jobsToRun(String jobArgument, PurgeService purgeService,
                                           TokenSweeperConfiguration config) {
        if (!ALL.equals(jobArgument)) {
            JobName job = JobName.fromId(jobArgument).orElseThrow();
            if (!purgeService.isEnabled(job)) {
                throw new IllegalArgumentException("--job " + job + ": that purge is disabled ("
                        + config.getCleanup().target(job).configPath() + ".enabled: false)");
            }
            return List.of(job);
        }
        return Arrays.stream(JobName.values()).filter(purgeService::isEnabled).toList();
    }

    /** Ctrl-C ends the running batch cleanly and lets the history row be completed before exit. */
    private static Thread stopOnSignal(PurgeService purgeService, CountDownLatch finished) {
        Thread hook = new Thread(() -> {
            purgeService.requestStop();
            try {
                finished.await(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "cleanup-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        return hook;
    }

    @Override
    public void onError(Cli cli, Namespace namespace, Throwable e) {
        cli.getStdErr().println("cleanup failed: " + e.getMessage());
    }
}
