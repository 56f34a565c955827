import { parentPort, workerData } from 'node:worker_threads';
import { nameThisThread } from '../../shared/worker-thread';
import { openSqlite, SqliteSynchronous } from '../../sqlite/open-sqlite';
import { AppendRequest, SqliteLogWriter } from './sqlite-log-writer';

/**
 * The thread that owns the embedded log's write connection: every fsync happens here, so the
 * server's event loop keeps parsing and answering requests while the disk syncs. Appends that
 * arrive while a commit is running are committed together by the next one.
 */
export type WriterRequest =
  | { kind: 'append'; id: number; request: AppendRequest }
  | { kind: 'delete'; id: number; streamId: string }
  | { kind: 'close' };

export type WriterReply =
  | { kind: 'ready' }
  | { kind: 'appended'; ids: number[]; outcomes: ReturnType<SqliteLogWriter['appendAll']>; batch: number; commitMs: number }
  | { kind: 'deleted'; id: number }
  | { kind: 'failed'; ids: number[]; message: string }
  | { kind: 'closed' };

const MAX_GROUP = 1000;
nameThisThread('ledger-writer');
const port = parentPort!;
const { path, synchronous } = workerData as { path: string; synchronous: SqliteSynchronous };
const db = openSqlite(path, { synchronous });
const writer = new SqliteLogWriter(db);
const queue: WriterRequest[] = [];
let flushing = false;

const send = (reply: WriterReply) => port.postMessage(reply);

function flush(): void {
  flushing = false;
  while (queue.length > 0) {
    const next = queue[0];
    if (next.kind === 'close') {
      queue.length = 0;
      db.close();
      send({ kind: 'closed' });
      port.close();
      return;
    }
    if (next.kind === 'delete') {
      queue.shift();
      try {
        writer.deleteStream(next.streamId);
        send({ kind: 'deleted', id: next.id });
      } catch (error) {
        send({ kind: 'failed', ids: [next.id], message: error instanceof Error ? error.message : String(error) });
      }
      continue;
    }
    const group: Array<Extract<WriterRequest, { kind: 'append' }>> = [];
    while (group.length < MAX_GROUP && queue.length > 0 && queue[0].kind === 'append') group.push(queue.shift() as (typeof group)[number]);
    const ids = group.map((g) => g.id);
    const started = performance.now();
    try {
      const outcomes = writer.appendAll(group.map((g) => g.request));
      send({ kind: 'appended', ids, outcomes, batch: group.length, commitMs: performance.now() - started });
    } catch (error) {
      send({ kind: 'failed', ids, message: error instanceof Error ? error.message : String(error) });
    }
  }
}

port.on('message', (message: WriterRequest) => {
  queue.push(message);
  if (!flushing) {
    flushing = true;
    // Every message already waiting is delivered before this runs: they share one commit.
    setImmediate(flush);
  }
});

send({ kind: 'ready' });
