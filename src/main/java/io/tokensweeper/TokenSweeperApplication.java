package io.tokensweeper;

import io.dropwizard.configuration.EnvironmentVariableSubstitutor;
import io.dropwizard.configuration.SubstitutingSourceProvider;
import io.dropwizard.core.Application;
import io.dropwizard.core.cli.CheckCommand;
import io.dropwizard.core.setup.Bootstrap;
import io.dropwizard.core.setup.Environment;
import io.tokensweeper.admin.AdminMenuServlet;
import io.tokensweeper.admin.BasicAuthFilter;
import io.tokensweeper.admin.CrossSiteRequestFilter;
import io.tokensweeper.admin.DashboardServlet;
import io.tokensweeper.admin.PauseCleanupServlet;
import io.tokensweeper.admin.PrometheusMetrics;
import io.tokensweeper.admin.QuietRequestLogStartup;
import io.tokensweeper.admin.RunCleanupServlet;
import io.tokensweeper.bench.BenchCommand;
import io.tokensweeper.cli.CleanupCommand;
import io.tokensweeper.cli.ExitCode;
import io.tokensweeper.cli.MigrateCommand;
import io.tokensweeper.cli.NodeServerCommand;
import io.tokensweeper.config.SecretSafeConfigurationFactory;
import io.tokensweeper.config.TimeZoneModule;
import io.tokensweeper.db.Database;
import io.tokensweeper.health.DatabaseHealthCheck;
import io.tokensweeper.health.JobHealthCheck;
import io.tokensweeper.health.SchedulerHealthCheck;
import io.tokensweeper.purge.JobName;
import io.tokensweeper.purge.PurgeService;
import io.tokensweeper.resources.JobsResource;
import io.tokensweeper.resources.RunsResource;
import io.tokensweeper.scheduler.ClusterScheduler;
import io.tokensweeper.scheduler.ClusterState;
import io.tokensweeper.scheduler.JobSchedule;
import io.tokensweeper.scheduler.NodeIds;
import io.tokensweeper.scheduler.OnDemandRuns;
import jakarta.servlet.DispatcherType;
import java.time.Clock;
import java.util.EnumSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Wiring only: builds the parts from configuration and registers them in start order. */
public class TokenSweeperApplication extends Application<TokenSweeperConfiguration> {
    private static final Logger LOG = LoggerFactory.getLogger(TokenSweeperApplication.class);
    private Database database;
    private ClusterScheduler cluster;

    public static void main(String[] args) throws Exception {
        if (Version.isAsked(args)) {
            System.out.println(Version.line());
            return;
        }
        new TokenSweeperApplication().run(args);
    }

    @Override
    public String getName() {
        return "token-sweeper";
    }

    @Override
    protected void addDefaultCommands(Bootstrap<TokenSweeperConfiguration> bootstrap) {
        bootstrap.addCommand(new NodeServerCommand(this));
        bootstrap.addCommand(new CheckCommand<>(this));
    }

    @Override
    public void initialize(Bootstrap<TokenSweeperConfiguration> bootstrap) {
        bootstrap.setConfigurationFactoryFactory(SecretSafeConfigurationFactory.factory());
        bootstrap.getObjectMapper().registerModule(new TimeZoneModule());
        bootstrap.setConfigurationSourceProvider(new SubstitutingSourceProvider(
                bootstrap.getConfigurationSourceProvider(), new EnvironmentVariableSubstitutor(false)));
        bootstrap.addCommand(new MigrateCommand());
        bootstrap.addCommand(new CleanupCommand());
        bootstrap.addCommand(new BenchCommand());
    }

    @Override
    public void run(TokenSweeperConfiguration config, Environment environment) {
        Clock clock = Clock.systemUTC();
        String nodeId = NodeIds.resolve(config.getNodeId());
        database = config.getDatabase().build(environment.metrics(), nodeId);
        // Started before anything else (and before any port opens): without a database there is no node,
        // and NodeServerCommand turns that into one line and an exit.
        database.start();
        PrometheusMetrics.prepare(environment.metrics());
        PurgeService purgeService = new PurgeService(config.getCleanup(), database.dataSource(),
                database.schema(), environment.metrics(), nodeId, clock);
        cluster = new ClusterScheduler(config.getScheduler(), JobSchedule.from(config.getCleanup()),
                database.dataSource(), database.schema(), purgeService, nodeId, !config.isTestEnvironment());
        OnDemandRuns onDemandRuns = new OnDemandRuns(purgeService, cluster, clock);

        // Started in this order, stopped in reverse: runs stop at a batch boundary before the pool closes.
        environment.lifecycle().manage(database);
        environment.lifecycle().manage(purgeService);
        environment.lifecycle().manage(cluster);
        environment.lifecycle().manage(onDemandRuns);

        ClusterState clusterState = new ClusterState(database.dataSource(), database.schema(),
                config.getScheduler().getClusterName());
        environment.healthChecks().register("database", new DatabaseHealthCheck(database.dataSource()));
        environment.healthChecks().register("scheduler", new SchedulerHealthCheck(cluster, clusterState, clock));
        for (JobName job : JobName.values()) {
            environment.healthChecks().register(job.id(), new JobHealthCheck(job, purgeService, cluster,
                    config.getScheduler().getHealthSlack().toJavaDuration(), clock));
        }

        environment.admin().addFilter("cross-site-refusal", new CrossSiteRequestFilter())
                .addMappingForUrlPatterns(EnumSet.of(DispatcherType.REQUEST), true, "/*");
        if (config.getAdmin().isEnabled()) {
            environment.admin().addFilter("basic-auth", new BasicAuthFilter(config.getAdmin().getUsername(),
                    config.getAdmin().getPassword())).addMappingForUrlPatterns(EnumSet.of(DispatcherType.REQUEST), true, "/*");
        } else {
            LOG.warn("ADMIN_PASSWORD is not set: the admin port (tasks, metrics, health details) answers without"
                    + " authentication. It binds to 127.0.0.1 unless ADMIN_BIND_HOST says otherwise.");
        }
        environment.admin().addServlet("run-cleanup", new RunCleanupServlet(onDemandRuns))
                .addMapping("/tasks/run-cleanup");
        environment.admin().addServlet("pause-cleanup", PauseCleanupServlet.pausing(cluster))
                .addMapping("/tasks/pause-cleanup");
        environment.admin().addServlet("resume-cleanup", PauseCleanupServlet.resuming(cluster))
                .addMapping("/tasks/resume-cleanup");
        environment.admin().addServlet("dashboard", new DashboardServlet(purgeService, cluster, clusterState, clock))
                .addMapping("/dashboard");
        environment.admin().addServlet("prometheus", PrometheusMetrics.servlet(environment.metrics(), clusterState, clock))
                .addMapping("/prometheus");
        // "" maps the admin port's root exactly: our menu, which links the dashboard, replaces Dropwizard's.
        environment.admin().addServlet("menu", new AdminMenuServlet()).addMapping("");
        environment.lifecycle().addEventListener(new QuietRequestLogStartup());
        environment.jersey().register(new JobsResource(purgeService, cluster));
        environment.jersey().register(new RunsResource(purgeService));
    }

    /** A command's exit code says how it ended (see README "Commands"); Dropwizard's default is always 1. */
    @Override
    protected void onFatalError(Throwable t) {
        System.exit(ExitCode.of(t));
    }

    /** The node's database, once run() has built it; for tests that look inside. */
    Database database() {
        return database;
    }

    /** The node's scheduler, once run() has built it; for tests that look inside. */
    ClusterScheduler cluster() {
        return cluster;
    }
}
