/**
 * `herald purge --dry-run`: what the retention purge would delete now (counts and cutoff), and the
 * `herald-purge` schedule's next and last run; nothing is written. `herald purge`: run the purge
 * now (the workflow the schedule runs hourly, started from here) and print what it deleted
 * (notifications and events, then endpoint health and delivery permits no longer needed).
 */
import type { Command } from 'commander';
import { newId } from '../ids';
import { formatDuration, retentionReport, startPurge } from '../retention';
import type { PurgeResult } from '../../workflows/shared';
import { cliConfig, withDatabase, withTemporal } from './context';

export function registerPurgeCommand(program: Command): void {
  program
    .command('purge')
    .description('delete events and notifications past HERALD_RETENTION, and flow-control state no longer needed, now (--dry-run: only count the events and notifications)')
    .option('--dry-run', 'count what would be purged now, delete nothing')
    .option('--json', 'print the result as JSON')
    .action(async (opts: { dryRun?: boolean; json?: boolean }) => {
      const config = cliConfig();
      if (opts.dryRun) {
        const report = await withDatabase(config, (db) => withTemporal(config, (temporal) => retentionReport({ models: db.models, temporal }, config.retentionSeconds)));
        if (opts.json) {
          process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
          return;
        }
        const when = (d: Date | null) => (d ? d.toISOString() : 'never');
        const s = report.schedule;
        const history = report.temporal.historyRetentionSeconds;
        process.stdout.write(
          `retention ${report.retention} (HERALD_RETENTION): cutoff ${report.cutoff.toISOString()}\n` +
            `would purge ${report.wouldPurgeExact ? '' : 'at least '}${report.wouldPurge.notifications} notification(s) and ${report.wouldPurge.events} event(s) (dry run: nothing deleted` +
            `${report.wouldPurgeExact ? '' : `; counting stops at ${report.wouldPurgeLimit} of each`})\n` +
            (s ? `schedule ${s.id}${s.paused ? ' (paused)' : ''}: next run ${when(s.nextRunAt)}, last run ${when(s.lastRunAt)}\n` : 'schedule: not created yet (a worker creates it when it starts)\n') +
            `Temporal namespace ${report.temporal.namespace} keeps closed histories ${history === null ? 'for an unknown time' : formatDuration(history)}\n`,
        );
        return;
      }
      const result = await withTemporal(config, async (temporal) => {
        const jobId = newId('job');
        const workflowId = await startPurge(temporal, jobId);
        if (!opts.json) process.stdout.write(`purge job ${jobId} started (workflow ${workflowId}); a worker runs it…\n`);
        return (await temporal.client.workflow.getHandle(workflowId).result()) as PurgeResult;
      });
      if (opts.json) {
        process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
        return;
      }
      process.stdout.write(
        `purged ${result.notifications} notification(s) and ${result.events} event(s) idle since before ${result.cutoff} ` +
          `(retention ${formatDuration(result.retentionSeconds)})\n` +
          // Absent when an older worker ran the purge (before its flow-control step).
          (result.permits === undefined ? '' : `removed ${result.healthDocs} health record(s) of deleted webhooks and ${result.permits} delivery permit(s) no longer needed\n`),
      );
    });
}
