import { Client } from 'pg';

export interface ListenerOptions {
  url: string;
  channels: string[];
  applicationName: string;
  /** A notification arrived on one of the channels. */
  onNotify(channel: string, payload: string | undefined): void;
  /**
   * The connection is (again) listening: notifications sent while it was down are lost, so the
   * caller looks for what it may have missed.
   */
  onListening(): void;
  /** The connection failed or dropped (it is retried after `retryMs`). */
  onTrouble(message: string): void;
  retryMs?: number;
}

/**
 * One dedicated connection LISTENing on a few channels, reconnected whenever it fails or drops
 * (server restart, failover, network). Notifications only hasten work: whoever relies on them
 * also polls, so one lost while the connection was down costs a poll interval at most.
 */
export class PostgresListener {
  private client: Client | null = null;
  private retry: NodeJS.Timeout | null = null;
  private closed = false;

  private constructor(private readonly options: ListenerOptions) {}

  static start(options: ListenerOptions): PostgresListener {
    const listener = new PostgresListener(options);
    void listener.connect();
    return listener;
  }

  private async connect(): Promise<void> {
    if (this.closed) return;
    const client = new Client({
      connectionString: this.options.url,
      application_name: this.options.applicationName,
      connectionTimeoutMillis: 10_000,
      keepAlive: true,
    });
    this.client = client;
    let lost = false;
    const onLost = (message: string) => {
      if (lost) return;
      lost = true;
      client.removeAllListeners('notification');
      void client.end().catch(() => undefined);
      if (this.closed) return;
      this.options.onTrouble(message);
      this.retry = setTimeout(() => void this.connect(), this.options.retryMs ?? 1000);
    };
    client.on('error', (error) => onLost(`notification connection lost: ${error.message}`));
    client.on('end', () => onLost('notification connection ended'));
    client.on('notification', (n) => this.options.onNotify(n.channel, n.payload));
    try {
      await client.connect();
      for (const channel of this.options.channels) await client.query(`LISTEN ${client.escapeIdentifier(channel)}`);
    } catch (error) {
      onLost(`could not listen for notifications: ${error instanceof Error ? error.message : String(error)}`);
      return;
    }
    if (!this.closed) this.options.onListening();
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.retry) clearTimeout(this.retry);
    const client = this.client;
    this.client = null;
    if (client) await client.end().catch(() => undefined);
  }
}
