import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

/**
 * Each server names itself beside its embedded log while it runs (`<log file>.servers/<pid>`; several
 * processes may share one log), so a command that must not touch a live log (`ledger restore`) can
 * tell. A kill -9 leaves its file: its process is gone, which is what counts.
 */
export const serversDirOf = (eventStoreUrl: string): string | null =>
  eventStoreUrl.startsWith('sqlite:') ? `${resolve(eventStoreUrl.slice('sqlite:'.length))}.servers` : null;

export function announceServer(dir: string): void {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, String(process.pid));
  writeFileSync(file, `${new Date().toISOString()}\n`);
  process.on('exit', () => rmSync(file, { force: true }));
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it runs, as another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
};

/** The pids of servers running on the log (files of gone processes are left out, and removed). */
export function liveServers(dir: string): number[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const live: number[] = [];
  for (const name of names) {
    const pid = Number(name);
    if (!Number.isInteger(pid) || pid <= 0) continue;
    if (alive(pid)) live.push(pid);
    else rmSync(join(dir, name), { force: true });
  }
  return live;
}
