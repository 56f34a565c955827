import { parentPort, workerData } from 'node:worker_threads';
import { createEventStore } from '../../event-store/event-store.factory';
import { EVENTS_CHANNEL, READ_MODELS_CHANNEL, REBUILT } from '../../postgres/notify-channels';
import { PostgresListener } from '../../postgres/postgres-listener';
import { isPostgresUrl } from '../../postgres/postgres-pool';
import { nameThisThread } from '../../shared/worker-thread';
import { Projector } from '../projector';
import { isPostgresLocation, openReadModelWriter } from '../read-model-store.factory';
import { EngineCall, EngineSettings, FromEngine, ToEngine } from './engine-protocol';

/**
 * The projection thread: runs the projector over the log and owns every write to the read models
 * (projection batches, delivery leases and outcomes), so the server's event loop never waits on a
 * read-model transaction and no two writers in this process contend for the file.
 */
const RETRY_AFTER_FAILURE_MS = 1000;
/**
 * Shared read models: the node that appended projects its own write at once, and every node hears
 * of that commit (ledger_read_models). The others look at new events only after this grace, so all
 * nodes do not race to project (and all but one be refused) the same batch; they take over if the
 * writer has not committed by then (it died, or is slow).
 */
const TAKEOVER_MS = 50;

/**
 * What to LISTEN to, by database: new events in a PostgreSQL log, and projection commits in
 * PostgreSQL read models (another node's: this node's caches and waiters learn of them at once).
 */
function channelsOf(settings: EngineSettings): Map<string, string[]> {
  const byUrl = new Map<string, string[]>();
  const add = (url: string, channel: string) => byUrl.set(url, [...(byUrl.get(url) ?? []), channel]);
  if (isPostgresUrl(settings.eventStore.url)) add(settings.eventStore.url, EVENTS_CHANNEL);
  if (isPostgresLocation(settings.readModels)) add(settings.readModels.postgresUrl, READ_MODELS_CHANNEL);
  return byUrl;
}

async function main(): Promise<void> {
  nameThisThread('ledger-project');
  const port = parentPort!;
  const settings = workerData as EngineSettings;
  const send = (message: FromEngine) => port.postMessage(message);
  const store = await createEventStore({ ...settings.eventStore, readOnly: true });
  const models = await openReadModelWriter(settings.readModels);
  const projector = new Projector(store, models, { batch: settings.batch, foldCacheSize: settings.foldCacheSize });

  let draining: Promise<void> | null = null;
  let again = false;
  let closing = false;

  const drainOnce = async (): Promise<void> => {
    for (;;) {
      const applied = await projector.step();
      if (applied === null || closing) return;
      send({ kind: 'applied', ...applied });
    }
  };
  const drain = (): Promise<void> => {
    if (draining) {
      again = true;
      return draining;
    }
    draining = (async () => {
      do {
        again = false;
        try {
          await drainOnce();
        } catch (error) {
          // Storage trouble (not a poison event: those stop their stream and never get here). Retried.
          send({ kind: 'failing', message: error instanceof Error ? error.message : String(error) });
          await new Promise((r) => setTimeout(r, RETRY_AFTER_FAILURE_MS));
          again = !closing;
        }
      } while (again && !closing);
    })().finally(() => {
      draining = null;
      send({ kind: 'idle' });
    });
    return draining;
  };

  const call = async (c: EngineCall): Promise<unknown> => {
    switch (c.kind) {
      case 'claim':
        return models.claim(c.seqs, c.now, c.leaseUntil);
      case 'record':
        return models.recordAttempts(c.records);
      case 'release':
        return models.release(c.seqs);
      case 'redeliver':
        return models.redeliver(c.appId, c.deliveryId, c.now);
    }
  };

  const timer = setInterval(() => void drain(), settings.pollMs);
  // Polling stays the guarantee; notifications make other nodes' writes arrive within milliseconds.
  const shared = isPostgresLocation(settings.readModels);
  let takeover: NodeJS.Timeout | null = null;
  const drainSoon = () => {
    takeover ??= setTimeout(() => {
      takeover = null;
      void drain();
    }, Math.min(TAKEOVER_MS, settings.pollMs));
  };
  const listeners = [...channelsOf(settings)].map(([url, channels]) =>
    PostgresListener.start({
      url,
      channels,
      applicationName: 'subscription-ledger projections',
      onNotify: (channel, payload) => {
        if (channel === READ_MODELS_CHANNEL && payload === REBUILT) projector.forget();
        if (channel === EVENTS_CHANNEL && shared) drainSoon();
        else void drain();
      },
      onListening: () => void drain(),
      onTrouble: (message) => send({ kind: 'failing', message }),
    }),
  );
  port.on('message', (message: ToEngine) => {
    if (message.kind === 'wake') void drain();
    else if (message.kind === 'call') {
      call(message.call).then(
        (value) => send({ kind: 'result', id: message.id, value }),
        (error) => send({ kind: 'result', id: message.id, error: error instanceof Error ? error.message : String(error) }),
      );
    } else if (message.kind === 'close') {
      closing = true;
      clearInterval(timer);
      if (takeover) clearTimeout(takeover);
      void (async () => {
        await Promise.all(listeners.map((l) => l.close()));
        await draining;
        await models.close();
        await store.close();
        send({ kind: 'closed' });
        port.close();
      })();
    }
  });

  // Ready at the stored checkpoint: catching up (if another process wrote meanwhile) happens after.
  await projector.init();
  send({ kind: 'ready', position: projector.position, stopped: projector.stoppedStreams });
  void drain();
}

main().catch((error) => {
  parentPort!.postMessage({ kind: 'failing', message: `projection thread could not start: ${error instanceof Error ? error.stack : String(error)}` } satisfies FromEngine);
  process.exit(1);
});
