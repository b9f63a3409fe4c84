package io.tokensweeper.scheduler;

import io.dropwizard.lifecycle.Managed;
import io.tokensweeper.jobs.CleanupJob;
import io.tokensweeper.purge.JobName;
import io.tokensweeper.purge.PurgeService;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.Optional;
import java.util.Properties;
import java.util.UUID;
import javax.sql.DataSource;
import org.quartz.JobDataMap;
import org.quartz.Scheduler;
import org.quartz.SchedulerException;
import org.quartz.Trigger;
import org.quartz.impl.SchedulerRepository;
import org.quartz.impl.StdSchedulerFactory;
import org.quartz.utils.DBConnectionManager;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * This node's member of the Quartz cluster: a JDBC job store in the service's schema, on the node's own
 * connection pool, so that each scheduled purge fires on exactly one node and a purge cut short by a
 * dead node is run again by a survivor. Not started at all when SWEEPER_ENV=test.
 */
public final class ClusterScheduler implements Managed {
    private static final Logger LOG = LoggerFactory.getLogger(ClusterScheduler.class);

    private final ClusterSchedulerFactory settings;
    private final List<JobSchedule> schedules;
    private final DataSource dataSource;
    private final String schema;
    private final PurgeService purgeService;
    private final String nodeId;
    private final boolean enabled;
    private volatile Scheduler scheduler;

    public ClusterScheduler(ClusterSchedulerFactory settings, List<JobSchedule> schedules, DataSource dataSource,
                            String schema, PurgeService purgeService, String nodeId, boolean enabled) {
        this.settings = settings;
        this.schedules = List.copyOf(schedules);
        this.dataSource = dataSource;
        this.schema = schema;
        this.purgeService = purgeService;
        this.nodeId = nodeId;
        this.enabled = enabled;
    }

    @Override
    public synchronized void start() throws SchedulerException {
        if (!enabled) {
            LOG.info("SWEEPER_ENV=test: no scheduler is started on this node; nothing fires on its own."
                    + " POST /tasks/run-cleanup runs purges in this process.");
            return;
        }
        if (scheduler != null) {
            return;
        }
        String providerName = "token-sweeper-" + nodeId;
        DBConnectionManager.getInstance().addConnectionProvider(providerName, new SharedPoolConnectionProvider(dataSource));
        Scheduler created = new StdSchedulerFactory(quartzProperties(providerName)).getScheduler();
        // StdSchedulerFactory hands back the scheduler it already built under the same name in this JVM;
        // each node builds exactly one, and tests run several nodes in one JVM.
        SchedulerRepository.getInstance().remove(settings.getClusterName());
        try {
            created.getContext().put(CleanupJob.PURGE_SERVICE, purgeService);
            new ScheduleSync(created, nodeId, settings.getMisfirePolicy()).apply(schedules);
            created.start();
        } catch (SchedulerException | RuntimeException e) {
            created.shutdown(false);
            throw e;
        }
        scheduler = created;
        LOG.info("Scheduler started: node {} in cluster {} on {}.qrtz_*, {} thread(s), check-in every {},"
                        + " misfire threshold {}, misfire policy {}", nodeId, settings.getClusterName(), schema,
                settings.getThreadCount(), settings.getCheckinInterval(), settings.getMisfireThreshold(),
                settings.getMisfirePolicy());
    }

    /** Lets a running purge finish its batch, then stops Quartz and waits for its threads. */
    @Override
    public synchronized void stop() throws SchedulerException {
        purgeService.requestStop();
        Scheduler running = scheduler;
        if (running == null) {
            return;
        }
        scheduler = null;
        running.shutdown(true);
        ClusterLeave.releaseAfterShutdown(dataSource, schema, settings.getClusterName(), nodeId);
        LOG.info("Scheduler of node {} stopped", nodeId);
    }

    public boolean isEnabled() {
        return enabled;
    }

    public String nodeId() {
        return nodeId;
    }

    public ClusterSchedulerFactory settings() {
        return settings;
    }

    public String schema() {
        return schema;
    }

    public List<JobSchedule> schedules() {
        return schedules;
    }

    public Optional<JobSchedule> schedule(JobName job) {
        return schedules.stream().filter(s -> s.job() == job).findFirst();
    }

    /** The running Quartz scheduler, if this node has one. */
    public Optional<Scheduler> scheduler() {
        return Optional.ofNullable(scheduler);
    }

    /** Runs the job now on whichever node of the cluster picks it up; never beside a run of the same job. */
    public void triggerNow(JobName job, boolean dryRun, UUID requestId) throws SchedulerException {
        Scheduler running = running();
        JobDataMap data = new JobDataMap();
        data.put(CleanupJob.TRIGGER_KIND, "manual");
        data.put(CleanupJob.DRY_RUN, Boolean.toString(dryRun));
        data.put(CleanupJob.REQUEST_ID, requestId.toString());
        running.triggerJob(schedule(job).orElseThrow().jobKey(), data);
    }

    /** Pauses the job's schedule for the whole cluster (the state lives in the shared tables). */
    public void pause(JobName job) throws SchedulerException {
        running().pauseTrigger(schedule(job).orElseThrow().triggerKey());
    }

    public void resume(JobName job) throws SchedulerException {
        running().resumeTrigger(schedule(job).orElseThrow().triggerKey());
    }

    public boolean isPaused(JobName job) {
        Optional<Scheduler> running = scheduler();
        Optional<JobSchedule> schedule = schedule(job);
        if (running.isEmpty() || schedule.isEmpty()) {
            return false;
        }
        try {
            return running.get().getTriggerState(schedule.get().triggerKey()) == Trigger.TriggerState.PAUSED;
        } catch (SchedulerException e) {
            LOG.warn("Could not read whether purge {} is paused", job, e);
            return false;
        }
    }

    private Scheduler running() {
        return scheduler().orElseThrow(() -> new IllegalStateException(
                "this node has no scheduler (SWEEPER_ENV=test): nothing is scheduled here to pause or resume"));
    }

    /** When the job's cron trigger fires next, as stored in the cluster. */
    public Optional<Instant> nextFireTime(JobName job) {
        return cronTrigger(job).map(Trigger::getNextFireTime).map(Date::toInstant);
    }

    /** When the job's cron trigger was first stored: a job is not "late" before its first fire after that. */
    public Optional<Instant> scheduledSince(JobName job) {
        return cronTrigger(job).map(Trigger::getStartTime).map(Date::toInstant);
    }

    public Optional<Trigger> cronTrigger(JobName job) {
        Optional<Scheduler> running = scheduler();
        Optional<JobSchedule> schedule = schedule(job);
        if (running.isEmpty() || schedule.isEmpty()) {
            return Optional.empty();
        }
        try {
            return Optional.ofNullable(running.get().getTrigger(schedule.get().triggerKey()));
        } catch (SchedulerException e) {
            LOG.warn("Could not read the trigger of purge {} from the cluster", job, e);
            return Optional.empty();
        }
    }

    private Properties quartzProperties(String providerName) {
        Properties p = new Properties();
        p.setProperty(StdSchedulerFactory.PROP_SCHED_INSTANCE_NAME, settings.getClusterName());
        p.setProperty(StdSchedulerFactory.PROP_SCHED_INSTANCE_ID, nodeId);
        p.setProperty(StdSchedulerFactory.PROP_SCHED_JMX_EXPORT, "false");
        p.setProperty("org.quartz.scheduler.threadName", "quartz-" + nodeId);
        p.setProperty("org.quartz.threadPool.class", "org.quartz.simpl.SimpleThreadPool");
        p.setProperty("org.quartz.threadPool.threadCount", Integer.toString(settings.getThreadCount()));
        p.setProperty("org.quartz.threadPool.threadNamePrefix", "purge-" + nodeId);
        p.setProperty("org.quartz.jobStore.class", "org.quartz.impl.jdbcjobstore.JobStoreTX");
        p.setProperty("org.quartz.jobStore.driverDelegateClass", "org.quartz.impl.jdbcjobstore.PostgreSQLDelegate");
        p.setProperty("org.quartz.jobStore.dataSource", providerName);
        p.setProperty("org.quartz.jobStore.tablePrefix", schema + ".qrtz_");
        p.setProperty("org.quartz.jobStore.isClustered", "true");
        p.setProperty("org.quartz.jobStore.clusterCheckinInterval",
                Long.toString(settings.getCheckinInterval().toMilliseconds()));
        // After a database outage Quartz retries its bookkeeping this often (default 15 s).
        p.setProperty("org.quartz.scheduler.dbFailureRetryInterval",
                Long.toString(settings.getCheckinInterval().toMilliseconds()));
        p.setProperty("org.quartz.jobStore.misfireThreshold",
                Long.toString(settings.getMisfireThreshold().toMilliseconds()));
        // Job data holds only strings: no Java serialization in the shared tables.
        p.setProperty("org.quartz.jobStore.useProperties", "true");
        // Takes the trigger lock before acquiring, which avoids the lock-row insert race on PostgreSQL.
        p.setProperty("org.quartz.jobStore.acquireTriggersWithinLock", "true");
        return p;
    }
}
