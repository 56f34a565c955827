import { parentPort, workerData } from 'node:worker_threads';
import { createEventStore } from '../../event-store/event-store.factory';
import { nameThisThread } from '../../shared/worker-thread';
import { Projector } from '../projector';
import { openReadModelWriter } from '../read-model-store.factory';
import { EngineCall, EngineSettings, FromEngine, ToEngine } from './engine-protocol';

/**
 * The projection thread: runs the projector over the log and owns every write to the read models
 * (projection batches, delivery leases and outcomes), so the server's event loop never waits on a
 * read-model transaction and no two writers in this process contend for the file.
 */
const RETRY_AFTER_FAILURE_MS = 1000;

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
      void (async () => {
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
