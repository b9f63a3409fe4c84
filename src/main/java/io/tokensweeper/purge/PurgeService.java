package io.tokensweeper.purge;

import com.codahale.metrics.MetricRegistry;
import io.dropwizard.lifecycle.Managed;
import io.tokensweeper.purge.pacing.Durations;
import java.time.Clock;
import java.util.EnumMap;
import java.util.Map;
import java.util.Optional;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the jobs, the admin task and the CLI call: runs a purge of one configured target and records it
 * in the history, the log and the metrics. At start every enabled target is checked against the live
 * catalog, so a misconfigured target stops the node before anything is deleted.
 */
public final class PurgeService implements Managed {
    private static final Logger LOG = LoggerFactory.getLogger(PurgeService.class);

    private final CleanupFactory config;
    private final DataSource dataSource;
    private final PurgeEngine engine;
    private final BatchSettings batch;
    private final RunHistory history;
    private final StopSignal stopSignal = new StopSignal();
    private final SpaceAfterRun spaceAfterRun;
    private final Map<JobName, JobMetrics> metrics = new EnumMap<>(JobName.class);
    private final Map<JobName, PurgeTarget> targets = new EnumMap<>(JobName.class);
    private final String nodeId;
    private final Clock clock;

    public PurgeService(CleanupFactory config, DataSource dataSource, String schema, MetricRegistry registry,
                        String nodeId, Clock clock) {
        this(config, config.batchSettings(), dataSource, schema, registry, nodeId, clock);
    }

    public PurgeService(CleanupFactory config, BatchSettings batch, DataSource dataSource, String schema,
                        MetricRegistry registry, String nodeId, Clock clock) {
        this.config = config;
        this.dataSource = dataSource;
        this.history = new RunHistory(dataSource, schema);
        this.engine = new PurgeEngine(dataSource, history, new PartitionDropLog(schema), batch, stopSignal, clock);
        this.spaceAfterRun = new SpaceAfterRun(dataSource, history, batch, stopSignal);
        this.batch = batch;
        this.nodeId = nodeId;
        this.clock = clock;
        for (JobName job : JobName.values()) {
            metrics.put(job, new JobMetrics(registry, job));
        }
    }

    @Override
    public synchronized void start() {
        ServerVersion.require(dataSource);
        LOG.info("Purge batches of at most {} rows, batch.pause {}; pacing {}", batch.size(),
                Durations.text(batch.pause()), batch.pacing().describe());
        TargetCatalog catalog = new TargetCatalog(dataSource);
        if (batch.pacing().limitsWal()) {
            catalog.requireWalBudgetReadable();
        }
        for (TargetFactory target : config.targets()) {
            if (!target.isEnabled()) {
                LOG.info("Purge {} is disabled ({}.enabled: false)", target.job(), target.configPath());
                continue;
            }
            PurgeTarget resolved = catalog.resolve(target);
            if (target.isVacuumAfterPurge() && resolved.partitioned()) {
                throw new TargetConfigurationException(target.configPath() + ".vacuumAfterPurge: "
                        + resolved.displayName() + " is a partitioned table; a VACUUM after its runs is not supported"
                        + " yet (autovacuum vacuums its partitions): set it to false");
            }
            if (target.isDropDoomedPartitions()) {
                PartitionDrop.requirePrivilege(dataSource, target, resolved);
            }
            if (target.isVacuumAfterPurge()) {
                VacuumAfterPurge.requirePrivilege(dataSource, target, resolved);
            }
            targets.put(target.job(), resolved);
            LOG.info("Purge {} targets {}: delete where {}", target.job(), resolved.displayName(),
                    DoomedRowPredicate.sql(resolved));
            closeAbandonedRuns(resolved);
            restoreMetrics(target.job());
        }
    }

    private void restoreMetrics(JobName job) {
        try {
            history.lastCompleted(job).ifPresent(metrics.get(job)::restore);
        } catch (java.sql.SQLException e) {
            LOG.warn("Purge {}: could not read the last completed run for the metrics ({}); they start empty", job,
                    e.getMessage());
        }
    }

    private void closeAbandonedRuns(PurgeTarget target) {
        try {
            int closed = engine.closeAbandonedRuns(target, nodeId);
            if (closed > 0) {
                LOG.warn("Purge {}: closed {} run(s) left 'running' by a node that died or lost the database",
                        target.job(), closed);
            }
        } catch (java.sql.SQLException e) {
            LOG.warn("Purge {}: could not check for abandoned runs at start ({}); the next run will", target.job(),
                    e.getMessage());
        }
    }

    @Override
    public void stop() {
        requestStop();
    }

    /** Makes running purges stop at their next batch boundary, and cancels a VACUUM after a run. */
    public void requestStop() {
        stopSignal.requestStop();
        spaceAfterRun.stop();
    }

    public synchronized boolean isEnabled(JobName job) {
        return targets.containsKey(job);
    }

    public synchronized Optional<PurgeTarget> target(JobName job) {
        return Optional.ofNullable(targets.get(job));
    }

    public PurgeResult run(JobName job, PurgeRequest request) {
        PurgeTarget known = target(job).orElseThrow(() -> new IllegalStateException("Purge " + job
                + " is not enabled (" + config.target(job).configPath() + ".enabled), or the node has not started"));
        PurgeResult result;
        try {
            result = engine.run(recheck(job, known), request, nodeId);
        } catch (TargetConfigurationException e) {
            result = engine.refuse(known, request, nodeId, e.getMessage());
        }
        metrics.get(job).record(result, clock.millis());
        spaceAfterRun.afterRun(target(job).orElse(known), config.target(job), result);
        return result;
    }

    /**
     * The target as the catalog has it now: the auth service may have changed a column's type or recreated the
     * table since this node started, and a predicate built for the old schema could delete live rows.
     */
    private PurgeTarget recheck(JobName job, PurgeTarget known) {
        PurgeTarget now = new TargetCatalog(dataSource).recheck(config.target(job), batch);
        if (!now.equals(known)) {
            LOG.warn("Purge {}: {} changed since it was last checked; this run works with its schema as it is now:"
                    + " delete where {}", job, now.displayName(), DoomedRowPredicate.sql(now));
            synchronized (this) {
                targets.put(job, now);
            }
        }
        return now;
    }

    /** Whether a purge of the job's table is running anywhere (its fence is held), by the database's word. */
    public boolean isRunningAnywhere(JobName job) throws java.sql.SQLException {
        Optional<PurgeTarget> target = target(job);
        return target.isPresent() && engine.isRunning(target.get());
    }

    /**
     * For a partitioned target, what the catalog says of it now ("partitioned by RANGE (expires_at), 14 leaf
     * partitions (1 default), ..."); empty for an ordinary table or a disabled job.
     */
    public Optional<String> partitioning(JobName job) throws java.sql.SQLException {
        Optional<PurgeTarget> target = target(job).filter(PurgeTarget::partitioned);
        if (target.isEmpty()) {
            return Optional.empty();
        }
        try (java.sql.Connection connection = dataSource.getConnection()) {
            Long oid = io.tokensweeper.db.Jdbc.one(connection, "SELECT to_regclass(?)::oid::bigint",
                    rs -> (Long) rs.getObject(1), target.get().qualifiedTable());
            return oid == null ? Optional.empty() : Optional.of(Partitions.describe(connection, oid,
                    target.get().dropDoomedPartitions()));
        }
    }

    /** Tests: the engine, for its hooks. */
    PurgeEngine engine() {
        return engine;
    }

    /** The batch and pacing settings this node's runs use. */
    public BatchSettings batchSettings() {
        return batch;
    }

    public RunHistory history() {
        return history;
    }

    public JobMetrics metrics(JobName job) {
        return metrics.get(job);
    }

    public String nodeId() {
        return nodeId;
    }
}
