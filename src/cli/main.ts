import { Command, InvalidArgumentError } from 'commander';
import { SingleBar, Presets } from 'cli-progress';
import { ConfigError, loadConfig } from '../config/config';
import { parseInstant } from '../domain/shared/time';
import { createEventStore } from '../event-store/event-store.factory';
import { eventStoreOptionsOf, readModelLocationOf } from '../store-options';
import { formatHistory, HistoryNotFound, historyJson, loadHistory } from './history';
import { rebuild } from './rebuild';
import { verify } from './verify';
import { importAppStore } from './app-store-import';
import { syncPlayStore, tokensOf } from './play-store-sync';
import { BackupRefused, backupLog, restoreLog } from './backup';
import { verifyBackupFile } from '../sqlite/verify-log-file';

const EXIT = { ok: 0, differences: 1, usage: 2, notFound: 3 };

function progressBar(label: string) {
  const bar = new SingleBar(
    { format: `${label} [{bar}] {percentage}% | {value} events of positions up to {total} | {speed} events/s | ETA {eta_formatted}`, hideCursor: true },
    Presets.shades_classic,
  );
  const started = Date.now();
  let applied = 0;
  return {
    start: (total: bigint) => bar.start(Math.max(Number(total), 1), 0, { speed: 0 }),
    tick: (events: number) => {
      applied = events;
      bar.update(events, { speed: Math.round(applied / Math.max((Date.now() - started) / 1000, 0.001)) });
    },
    stop: () => bar.stop(),
    rate: () => Math.round(applied / Math.max((Date.now() - started) / 1000, 0.001)),
  };
}

const instant = (value: string): number => {
  const iso = parseInstant(value);
  if (iso === null) throw new InvalidArgumentError('expected an ISO 8601 date-time, e.g. 2026-03-03T14:00:00Z');
  return Date.parse(iso);
};

async function withStore<T>(run: (store: Awaited<ReturnType<typeof createEventStore>>, config: ReturnType<typeof loadConfig>) => Promise<T>): Promise<T> {
  const config = loadConfig(process.env, { generateKey: false });
  const store = await createEventStore({ ...eventStoreOptionsOf(config), readOnly: true });
  try {
    return await run(store, config);
  } finally {
    await store.close();
  }
}

async function withWritableStore<T>(run: (store: Awaited<ReturnType<typeof createEventStore>>, config: ReturnType<typeof loadConfig>) => Promise<T>): Promise<T> {
  const config = loadConfig(process.env, { generateKey: false });
  const store = await createEventStore(eventStoreOptionsOf(config));
  try {
    return await run(store, config);
  } finally {
    await store.close();
  }
}

const program = new Command('ledger')
  .description('Operate the subscription ledger: rebuild and verify read models, read a profile history, import App Store notifications, sync Google Play purchases, back up and restore the embedded log.\nUses the same EVENT_STORE_URL (and READ_MODEL_URL or PROJECTIONS_PATH) as the server.')
  .showHelpAfterError();

program
  .command('rebuild')
  .description('rebuild every read model from the global log (resumable; live models serve until the new ones are complete)')
  .action(async () => {
    await withStore(async (store, config) => {
      const bar = progressBar('rebuild');
      const result = await rebuild(store, readModelLocationOf(config), {
        start: (total) => bar.start(total),
        update: (events) => bar.tick(events),
        stop: () => bar.stop(),
      });
      process.stdout.write(`Rebuilt read models from ${result.events} events up to position ${result.position} (${bar.rate()} events/s).\n`);
    });
  });

program
  .command('verify')
  .description('rebuild into a scratch copy and compare it with the live read models; exit 1 when they differ or a stream is stopped')
  .option('--max <n>', 'differences to print', (v) => Number(v), 10)
  .action(async (opts: { max: number }) => {
    const problems = await withStore(async (store, config) => {
      const result = await verify(store, readModelLocationOf(config), { maxDifferences: opts.max });
      if (result.differences.length === 0) {
        process.stdout.write(`Read models match a rebuild from the log (position ${result.position}).\n`);
      } else {
        process.stdout.write(`Read models DIFFER from a rebuild from the log (position ${result.position}):\n`);
        for (const d of result.differences) {
          process.stdout.write(`  ${d.table}[${d.key}].${d.column}\n    live:    ${JSON.stringify(d.live)}\n    rebuilt: ${JSON.stringify(d.rebuilt)}\n`);
        }
      }
      if (result.stopped.length > 0) {
        process.stdout.write(`${result.stopped.length} stream(s) STOPPED at an event the projections could not apply (fix, then \`ledger rebuild\`):\n`);
        for (const f of result.stopped) process.stdout.write(`  ${f.stream_id} at position ${f.position} (${f.event_type}): ${f.error}\n`);
      }
      return result.differences.length + result.stopped.length;
    });
    process.exitCode = problems === 0 ? EXIT.ok : EXIT.differences;
  });

program
  .command('history')
  .description('print a profile timeline')
  .argument('<id>', 'customer_user_id or profile_id')
  .option('--app <id>', 'app of the customer_user_id (default: the only configured app, else "default")')
  .option('--as-of <iso>', 'only events recorded by then, and the access levels at that instant', instant)
  .option('--json', 'machine-readable output')
  .action(async (id: string, opts: { app?: string; asOf?: number; json?: boolean }) => {
    await withStore(async (store, config) => {
      const appId = opts.app ?? (config.apiKeys.length === 1 ? config.apiKeys[0].appId : 'default');
      const { profileId, events } = await loadHistory(store, id, appId);
      const asOf = opts.asOf ?? null;
      process.stdout.write(opts.json ? `${JSON.stringify(historyJson(profileId, events, asOf), null, 2)}\n` : `${formatHistory(profileId, events, asOf)}\n`);
    });
  });

const appStore = program.command('app-store').description('App Store Server Notifications');

appStore
  .command('import')
  .description('backfill notifications (one signedPayload, or {"signedPayload": …}, per line) through the same verification, attribution and deduplication as the intake; exit 1 when any line is refused')
  .argument('<app_id>', 'the app the notifications are for')
  .argument('<file>', 'the file of notifications')
  .action(async (appId: string, file: string) => {
    const refused = await withWritableStore(async (store, config) => {
      const bar = new SingleBar({ format: 'import [{bar}] {percentage}% | {value} of {total} notifications | ETA {eta_formatted}', hideCursor: true }, Presets.shades_classic);
      const result = await importAppStore(store, config, appId, file, {
        start: (total) => bar.start(Math.max(total, 1), 0),
        update: (done) => bar.update(done),
        stop: () => bar.stop(),
      });
      const counts = [...result.outcomes].map(([outcome, n]) => `${n} ${outcome}`).join(', ');
      process.stdout.write(`Imported ${result.lines} notification(s) for app ${appId}: ${counts || 'none'}.\n`);
      for (const r of result.refused) process.stdout.write(`  line ${r.line}: ${r.code}: ${r.message}\n`);
      return result.refused.length;
    });
    process.exitCode = refused === 0 ? EXIT.ok : EXIT.differences;
  });

const playStore = program.command('play-store').description('Google Play real-time developer notifications');

playStore
  .command('sync')
  .description("re-read purchase tokens from the Play Developer API and record what changed; --voided-since also records Google's voided purchases (refunds) of known tokens; exit 1 when any read failed")
  .argument('<app_id>', 'the app the tokens are for')
  .option('--token <token...>', 'purchase token(s) of subscriptions')
  .option('--file <file>', 'a file of tokens, one per line ("<token> <productId>" for a one-time product)')
  .option('--voided-since <iso>', "read Google's voided purchases since then (Google keeps 30 days)", instant)
  .action(async (appId: string, opts: { token?: string[]; file?: string; voidedSince?: number }) => {
    const failed = await withWritableStore(async (store, config) => {
      const tokens = tokensOf(opts.token ?? [], opts.file);
      const bar = new SingleBar({ format: 'sync [{bar}] {percentage}% | {value} of {total} tokens | ETA {eta_formatted}', hideCursor: true }, Presets.shades_classic);
      const result = await syncPlayStore(store, config, appId, { tokens, voidedSince: opts.voidedSince === undefined ? null : new Date(opts.voidedSince) }, {
        start: (total) => bar.start(Math.max(total, 1), 0),
        update: (done) => bar.update(done),
        stop: () => bar.stop(),
      });
      const counts = [...result.outcomes].map(([outcome, n]) => `${n} ${outcome}`).join(', ');
      process.stdout.write(`Synced ${tokens.length} token(s) for app ${appId}: ${counts || 'nothing recorded'}.\n`);
      for (const f of result.failed) process.stdout.write(`  ${f.purchase_token}: ${f.code}: ${f.message}\n`);
      return result.failed.length;
    });
    process.exitCode = failed === 0 ? EXIT.ok : EXIT.differences;
  });

program
  .command('backup')
  .description("an online, consistent copy of the embedded log while the server keeps serving (SQLite's backup API), written under a temporary name, fsynced and renamed; prints the copy's head position and counts")
  .argument('<target-file>', 'where the copy goes (replaced only once the copy is whole)')
  .option('--with-read-models', "also copy the read models' file to <target-file>.read-models (it holds the app secrets and intake counters, which are not derived from the log)")
  .action(async (target: string, opts: { withReadModels?: boolean }) => {
    const config = loadConfig(process.env, { generateKey: false });
    const bar = new SingleBar({ format: 'backup [{bar}] {percentage}% | {value} of {total} pages', hideCursor: true }, Presets.shades_classic);
    try {
      const result = await backupLog(config, target, opts.withReadModels === true, {
        start: (total) => bar.start(Math.max(total, 1), 0),
        update: (done) => bar.update(done),
        stop: () => bar.stop(),
      });
      const s = result.summary;
      process.stdout.write(
        `Backed up the log to ${result.target}: head position ${s.head}, ${s.events} events in ${s.streams} streams (${s.erased_streams} erased before the copy).\n` +
          (result.readModels ? `Read models copied to ${result.readModels}.\n` : '') +
          `Check it with: ledger verify-backup ${result.target}\n`,
      );
    } catch (error) {
      process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
      process.exitCode = error instanceof BackupRefused ? EXIT.usage : EXIT.differences;
    }
  });

program
  .command('verify-backup')
  .description("checks a copy of the log read-only: SQLite's integrity_check, every stream's events whole, every event readable; exit 1 on any fault")
  .argument('<file>', 'the copy')
  .action((file: string) => {
    const check = verifyBackupFile(file);
    const s = check.summary;
    if (s) process.stdout.write(`${file}: head position ${s.head}, ${s.events} events in ${s.streams} streams (${s.erased_streams} erased).\n`);
    for (const fault of check.faults) process.stdout.write(`  fault: ${fault}\n`);
    process.stdout.write(check.faults.length === 0 ? 'The copy is whole.\n' : `The copy is NOT whole (${check.faults.length} fault(s)).\n`);
    process.exitCode = check.faults.length === 0 ? EXIT.ok : EXIT.differences;
  });

program
  .command('restore')
  .description('makes a checked copy the embedded log (refused while a server runs on it); erasures the copy predates are applied again; the replaced files are set aside, not deleted')
  .argument('<file>', 'the copy (from ledger backup)')
  .action(async (file: string) => {
    const config = loadConfig(process.env, { generateKey: false });
    try {
      const result = await restoreLog(config, file);
      const s = result.summary;
      process.stdout.write(
        `Restored ${file}: head position ${s.head}, ${s.events} events in ${s.streams} streams.\n` +
          `The copy predated ${result.erasuresApplied} erasure(s): applied again.\n` +
          (result.setAside.length > 0 ? `Set aside (delete once the restore is checked): ${result.setAside.join(', ')}\n` : '') +
          'Start the server: the read models catch up from the restored log.\n',
      );
    } catch (error) {
      process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
      process.exitCode = error instanceof BackupRefused ? EXIT.usage : EXIT.differences;
    }
  });

program.parseAsync(process.argv).catch((error: unknown) => {
  if (error instanceof ConfigError) {
    process.stderr.write(`Configuration error: ${error.message}\n`);
    process.exitCode = EXIT.usage;
  } else if (error instanceof HistoryNotFound) {
    process.stderr.write(`${error.message}\n`);
    process.exitCode = EXIT.notFound;
  } else {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = 1;
  }
});
