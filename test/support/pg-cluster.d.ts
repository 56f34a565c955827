/** Types of pg-cluster.js (plain CommonJS, shared with the benchmark). */
export interface ClusterInfo {
  dir: string;
  binDir: string;
  dataDir: string;
  socketDir: string;
  host: string;
  port: number;
  user: string;
  password: string;
  uid: number | null;
  gid: number | null;
  watchdogPid: number | null;
}

export interface StartOptions {
  /** The cluster's folder (created if missing, removed by stopCluster); default a new one under parentDir. */
  dir?: string;
  parentDir?: string;
  /** The cluster is stopped and removed once this process is gone (default: the caller). */
  ownerPid?: number;
  /** false (default): fsync off, for tests. true: PostgreSQL's durable defaults, for the benchmark. */
  durable?: boolean;
  /** Extra server settings (-c name=value). */
  settings?: Record<string, string | number>;
}

export function startCluster(options?: StartOptions): Promise<ClusterInfo>;
export function stopCluster(info: ClusterInfo, options?: { mode?: 'smart' | 'fast' | 'immediate' }): Promise<void>;
export function createDatabase(info: ClusterInfo, name: string): Promise<string>;
export function urlFor(info: ClusterInfo, database: string): string;
/** Throws INSTALL_HINT when none of the places holds initdb, pg_ctl and postgres. */
export function findBinDir(where?: { pgBin?: string; debian?: string; searchPath?: string }): string;
export const INSTALL_HINT: string;
/** Whether a process runs (a zombie does not). */
export function alive(pid: number): boolean;
