/**
 * How every part of the ledger that talks to PostgreSQL (the event store, and later the read
 * models, outbox and leases) recognises a PostgreSQL URL and opens its connection pool, so they
 * all accept the same URLs and behave the same when the server goes away.
 *
 * Client: node-postgres (`pg`). It is the most widely run PostgreSQL client for Node, keeps a
 * dedicated connection per checkout (a transaction, a REPEATABLE READ snapshot or a session-level
 * LISTEN stays on one connection for as long as we hold it) and supports LISTEN/NOTIFY on a plain
 * client. Its lack of query pipelining does not cost us: the event store sends one statement per
 * group commit.
 */
import { Logger } from '@nestjs/common';
import { Pool } from 'pg';
import { parse } from 'pg-connection-string';

const SCHEMES = ['postgres:', 'postgresql:'];

export function isPostgresUrl(url: string): boolean {
  return SCHEMES.some((scheme) => url.toLowerCase().startsWith(`${scheme}//`));
}

/**
 * What is wrong with a PostgreSQL URL, or null when it can be used. Never repeats the URL
 * itself: it may hold a password.
 */
export function postgresUrlProblem(url: string): string | null {
  if (!isPostgresUrl(url)) return 'must start with postgres:// or postgresql://';
  // pg's own parser: what it accepts here is what the pool will connect with.
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(url);
  } catch {
    return 'is not a valid URL (percent-encode special characters in the user name and password; port 1-65535)';
  }
  // A unix socket folder goes in ?host=/var/run/postgresql.
  if (!parsed.host) return 'names no host (postgres://user:password@host:5432/database)';
  if (!parsed.database) return 'names no database (postgres://user:password@host:5432/database)';
  return null;
}

export interface PostgresPoolOptions {
  url: string;
  /** Connections kept at most (PG_POOL_SIZE). */
  size: number;
  /** Shown in pg_stat_activity, so operators can tell the ledger's connections apart. */
  applicationName: string;
}

const logger = new Logger('PostgreSQL');

export function createPostgresPool(options: PostgresPoolOptions): Pool {
  const pool = new Pool({
    connectionString: options.url,
    max: options.size,
    application_name: options.applicationName,
    // A server that is down or unreachable fails the call instead of queueing it forever.
    connectionTimeoutMillis: 10_000,
    idleTimeoutMillis: 30_000,
    keepAlive: true,
  });
  // An idle connection the server drops (restart, failover, idle timeout) is discarded by the
  // pool and replaced on next use. Without a listener the 'error' event would end the process.
  pool.on('error', (error) => logger.warn(`idle connection lost: ${error.message}`));
  return pool;
}
